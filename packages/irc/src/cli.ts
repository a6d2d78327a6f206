#!/usr/bin/env node
/** hamelin-irc [options] --server HOST[:PORT] --nick NICK --channel '#chan' [--channel ...] CMD [ARGS...] */
import { createDaemon, die, dropPrivileges, parseCli, ProcessControl, refuseWorkers, runUntilDone, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin/start';
import { cliSpec } from './cli-spec.js';
import { normalizeIrc, type IrcOptions } from './options.js';
import { serve } from './serve.js';

const NAME = 'hamelin-irc';

const { options, command } = parseCli<IrcOptions>(cliSpec);

try {
  refuseWorkers(NAME, options.workers, 'one bot is one connection to its server');
  // Before createDaemon: it starts the spawn server, which must not inherit a secret (CORE-23).
  const config = normalizeIrc(options);
  const daemon = createDaemon(NAME, options, command);
  const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
  runUntilDone(control);
  await startOps(control, options);
  control.add(await serve(daemon, config));
  await dropPrivileges(options.user, options.group, daemon.log);
  control.ready();
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
