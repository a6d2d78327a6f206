#!/usr/bin/env node
/** hamelin-net [options] HOST PORT CMD [ARGS...] | hamelin-net [options] unix:PATH CMD [ARGS...] */
import { createDaemon, die, parseCli, readTlsFiles, StartupError } from '@hamelin/core';
import { parseListen } from './address.js';
import { cliSpec } from './cli-spec.js';
import { serve } from './serve.js';

const NAME = 'hamelin-net';

interface NetOptions {
  tlsCert?: string;
  tlsKey?: string;
}

const { options, positionals, command } = parseCli<NetOptions>(cliSpec);

try {
  const [host, port] = positionals as [string, string | undefined];
  const target = parseListen(host, port ?? '');
  const tls = readTlsFiles(options.tlsCert, options.tlsKey);
  const daemon = createDaemon(NAME, options, command);
  await serve(daemon, target, tls);
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
