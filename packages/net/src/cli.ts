#!/usr/bin/env node
/** hamelin-net [options] HOST PORT CMD [ARGS...] | hamelin-net [options] unix:PATH CMD [ARGS...] */
import { createDaemon, die, parseCli, parseUnixMode, readTlsFiles, StartupError, unixModeOption, type CliSpec } from '@hamelin/core';
import { listenPositionals, parseListen } from './address.js';
import { serve } from './serve.js';

const NAME = 'hamelin-net';

interface NetOptions {
  tlsCert?: string;
  tlsKey?: string;
  unixMode?: string;
}

const spec: CliSpec = {
  name: NAME,
  usage: '[options] HOST PORT CMD [ARGS...]\n       hamelin-net [options] unix:PATH CMD [ARGS...]',
  positionals: listenPositionals,
  options: {
    'tls-cert': { type: 'string', describe: 'serve TLS with this PEM certificate (chain)', group: 'TLS:' },
    'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'TLS:' },
    'unix-mode': unixModeOption,
  },
  examples: [
    ['hamelin-net 127.0.0.1 8080 grep --line-buffered filter', 'each connection gets its own grep'],
    ['hamelin-net --unix-mode 0600 unix:/tmp/sort.sock sort', 'serve sort on a unix socket only its owner may use'],
  ],
  epilog: 'Everything from CMD on is passed to the command untouched. Spec: spec/hamelin.md',
};

try {
  const { options, positionals, command } = parseCli<NetOptions>(spec);
  const [host, port] = positionals as [string, string | undefined];
  if (options.unixMode !== undefined && !host.startsWith('unix:')) throw new StartupError('--unix-mode is for a unix:PATH listener');
  const target = parseListen(host, port ?? '', parseUnixMode(options.unixMode));
  const tls = readTlsFiles(options.tlsCert, options.tlsKey);
  const daemon = createDaemon(NAME, options, command);
  await serve(daemon, target, tls);
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
