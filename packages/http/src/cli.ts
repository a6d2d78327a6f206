#!/usr/bin/env node
process.stderr.write('hamelin-http: not built yet\n');
process.exit(2);
