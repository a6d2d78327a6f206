#!/usr/bin/env node
/** hamelin-ws [options] CMD [ARGS...] | hamelin-ws [options] --dir DIR */
import { createDaemon, die, dropPrivileges, parseCli, ProcessControl, reloadTlsFiles, runUntilDone, serveWithWorkers, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin/start';
import { cliSpec } from './cli-spec.js';
import { normalizeWs, type WsOptions } from './options.js';
import { serve } from './serve.js';

const NAME = 'hamelin-ws';

try {
  // The shared parser says which option lacks its value, and that --dir takes no CMD.
  const { options, command } = parseCli<WsOptions>(cliSpec);
  // --workers N: this runs in each worker, or here alone for 1 (OPS-12).
  await serveWithWorkers(NAME, options, startOps, async () => {
    const opts = normalizeWs(options);
    // With --dir there is no command: each request names its own.
    const daemon = createDaemon(NAME, options, command);
    const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
    runUntilDone(control, reloadTlsFiles(control, options.tlsCert, options.tlsKey, options.tlsCa));
    await startOps(control, options);
    control.add(await serve(daemon, opts));
    await dropPrivileges(options.user, options.group, daemon.log);
    control.ready();
  });
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
