#!/usr/bin/env node
process.stderr.write('hamelin-tty: not built yet\n');
process.exit(2);
