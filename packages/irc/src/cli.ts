#!/usr/bin/env node
process.stderr.write('hamelin-irc: not built yet\n');
process.exit(2);
