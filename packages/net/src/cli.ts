#!/usr/bin/env node
/** hamelin-net [options] HOST PORT CMD [ARGS...] | hamelin-net [options] unix:PATH CMD [ARGS...] */
import { createDaemon, die, dropPrivileges, parseCli, ProcessControl, runUntilDone, reloadTlsFiles, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin';
import { netOptions, normalizeNet, type NetOptions } from './options.js';
import { serve } from './serve.js';

const NAME = 'hamelin-net';

const { options, positionals, command } = parseCli<NetOptions>({
  name: NAME,
  usage: '[options] HOST PORT CMD [ARGS...]\n       hamelin-net [options] unix:PATH CMD [ARGS...]',
  positionals: (rest) => (rest[0]?.startsWith('unix:') ? ['HOST'] : ['HOST', 'PORT']),
  options: netOptions,
  examples: [
    ['hamelin-net 127.0.0.1 8080 grep --line-buffered filter', 'each connection gets its own grep'],
    ['hamelin-net unix:/tmp/sort.sock sort', 'serve sort on a unix socket'],
  ],
  epilog: 'Everything from CMD on is passed to the command untouched. Spec: spec/hamelin.md',
});

try {
  const [host, port] = positionals as [string, string | undefined];
  const { target, tls } = normalizeNet(host, port, options);
  const daemon = createDaemon(NAME, options, command);
  const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
  await startOps(control, options);
  control.add(await serve(daemon, target, tls));
  dropPrivileges(options.user, options.group, daemon.log);
  runUntilDone(control, reloadTlsFiles(control, options.tlsCert, options.tlsKey));
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
