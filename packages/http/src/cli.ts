#!/usr/bin/env node
/** hamelin-http [options] CMD [ARGS...] | hamelin-http [options] --dir DIR */
import { createDaemon, die, dropPrivileges, parseCli, ProcessControl, reloadTlsFiles, runUntilDone, serveWithWorkers, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin/start';
import { cliSpec } from './cli-spec.js';
import { normalizeHttp, type HttpOptions } from './options.js';
import { serve } from './serve.js';

const NAME = 'hamelin-http';

try {
  const { options, command } = parseCli<HttpOptions>(cliSpec);
  // --workers N: this runs in each worker, or here alone for 1 (OPS-12).
  await serveWithWorkers(NAME, options, startOps, async () => {
    const cfg = normalizeHttp(options);
    const daemon = createDaemon(NAME, options, command);
    // --timeout is the core's session option (CORE-25); the 504 answer only quotes it.
    cfg.timeoutMs = daemon.config.limits.timeoutMs ?? 0;
    const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
    runUntilDone(control, reloadTlsFiles(control, options.tlsCert, options.tlsKey, options.tlsCa));
    await startOps(control, options);
    control.add(await serve(daemon, cfg));
    await dropPrivileges(options.user, options.group, daemon.log);
    control.ready();
  });
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
