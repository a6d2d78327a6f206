#!/usr/bin/env node
/** hamelin-net [options] HOST PORT CMD [ARGS...] | hamelin-net [options] unix:PATH CMD [ARGS...] */
import { createDaemon, die, parseCli, readTlsFiles, StartupError } from '@hamelin/core';
import { parseListen } from './address.js';
import { serve } from './serve.js';

const NAME = 'hamelin-net';

interface NetOptions {
  tlsCert?: string;
  tlsKey?: string;
  raw: boolean;
}

const { options, positionals, command } = parseCli<NetOptions>({
  name: NAME,
  usage: '[options] HOST PORT CMD [ARGS...]\n       hamelin-net [options] unix:PATH CMD [ARGS...]',
  positionals: (rest) => (rest[0]?.startsWith('unix:') ? ['HOST'] : ['HOST', 'PORT']),
  options: {
    'tls-cert': { type: 'string', describe: 'serve TLS with this PEM certificate (chain)', group: 'TLS:' },
    'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'TLS:' },
    raw: { type: 'boolean', default: false, describe: 'no line framing: pass every read on at once, both ways (binary protocols)', group: 'Session:' },
  },
  examples: [
    ['hamelin-net 127.0.0.1 8080 grep --line-buffered filter', 'each connection gets its own grep'],
    ['hamelin-net unix:/tmp/sort.sock sort', 'serve sort on a unix socket'],
  ],
  epilog: 'Everything from CMD on is passed to the command untouched. Spec: spec/hamelin.md',
});

try {
  const [host, port] = positionals as [string, string | undefined];
  const target = parseListen(host, port ?? '');
  const tls = readTlsFiles(options.tlsCert, options.tlsKey);
  const daemon = createDaemon(NAME, options, command);
  await serve(daemon, target, tls, options.raw);
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
