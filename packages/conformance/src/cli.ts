#!/usr/bin/env node
process.stderr.write('hamelin-conformance: not built yet\n');
process.exit(2);
