#!/usr/bin/env node
/** hamelin-http [options] CMD [ARGS...] | hamelin-http [options] --dir DIR */
import { createDaemon, die, dropPrivileges, parseCli, ProcessControl, runUntilDone, reloadTlsFiles, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin';
import { httpOptions, normalizeHttp, type HttpOptions } from './options.js';
import { serve } from './serve.js';

const NAME = 'hamelin-http';

const { options, command } = parseCli<HttpOptions>(
  {
    name: NAME,
    usage: '[options] CMD [ARGS...]\n       hamelin-http [options] --dir DIR',
    options: httpOptions,
    examples: [
      ['hamelin-http --port 8080 --console sh -c \'while read l; do echo "you said: $l"; done\'', 'an echo service with a browser console'],
      ['curl -N http://127.0.0.1:8080/', 'see the lines as they come'],
      ['curl -N --no-progress-meter -T . http://127.0.0.1:8080/', 'type lines, see each answer as it comes (see README: why "." and not "-")'],
      ['hamelin-http --dir ./cgi', 'GET /hello runs ./cgi/hello'],
    ],
    epilog: 'Everything from CMD on is passed to the command untouched. Spec: spec/bindings/http.md',
    instead: 'dir',
  },
);


try {
  const cfg = normalizeHttp(options);
  const daemon = createDaemon(NAME, options, command);
  // --timeout is the core's session option (CORE-25); the 504 answer only quotes it.
  cfg.timeoutMs = daemon.config.limits.timeoutMs ?? 0;
  const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
  await startOps(control, options);
  control.add(await serve(daemon, cfg));
  dropPrivileges(options.user, options.group, daemon.log);
  runUntilDone(control, reloadTlsFiles(control, options.tlsCert, options.tlsKey));
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
