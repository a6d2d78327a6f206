#!/usr/bin/env node
/** hamelin-ws [options] CMD [ARGS...] | hamelin-ws [options] --dir DIR */
import { createDaemon, die, dropPrivileges, parseCli, ProcessControl, runUntilDone, reloadTlsFiles, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin';
import { normalizeWs, wsOptions, type WsOptions } from './options.js';
import { serve } from './serve.js';

const NAME = 'hamelin-ws';

// The shared parser says which option lacks its value, and that --dir takes no CMD.
const { options, command } = parseCli<WsOptions>(
  {
    name: NAME,
    usage: '[options] CMD [ARGS...]\n       hamelin-ws [options] --dir DIR',
    options: wsOptions,
    examples: [
      ['hamelin-ws --port 8080 --console cat', 'echo server; open http://127.0.0.1:8080/ in a browser'],
      ['hamelin-ws --port 8080 --dir ./scripts', 'ws://host:8080/count.sh runs ./scripts/count.sh'],
    ],
    epilog: 'Everything from CMD on is passed to the command untouched. Spec: spec/bindings/ws.md',
    instead: 'dir',
  },
);

try {
  const serveOptions = normalizeWs(options);
  // With --dir there is no command: each request names its own.
  const daemon = createDaemon(NAME, options, command);
  const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
  await startOps(control, options);
  control.add(await serve(daemon, serveOptions));
  dropPrivileges(options.user, options.group, daemon.log);
  runUntilDone(control, reloadTlsFiles(control, options.tlsCert, options.tlsKey));
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
