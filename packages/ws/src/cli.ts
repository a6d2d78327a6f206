#!/usr/bin/env node
process.stderr.write('hamelin-ws: not built yet\n');
process.exit(2);
