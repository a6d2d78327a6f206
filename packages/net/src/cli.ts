#!/usr/bin/env node
/** hamelin-net [options] HOST PORT CMD [ARGS...] | hamelin-net [options] unix:PATH CMD [ARGS...] */
import { createDaemon, die, dropPrivileges, parseCli, ProcessControl, reloadTlsFiles, runUntilDone, serveWithWorkers, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin/start';
import { cliSpec } from './cli-spec.js';
import { normalizeNet, type NetOptions } from './options.js';
import { serve } from './serve.js';

const NAME = 'hamelin-net';

try {
  const { options, positionals, command } = parseCli<NetOptions>(cliSpec);
  // --workers N: this runs in each worker, or here alone for 1 (OPS-12).
  await serveWithWorkers(NAME, options, startOps, async () => {
    const [host, port] = positionals as [string, string | undefined];
    const opts = normalizeNet(host, port, options);
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
