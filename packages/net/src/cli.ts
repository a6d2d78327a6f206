#!/usr/bin/env node
/** hamelin-net [options] HOST PORT CMD [ARGS...] | hamelin-net [options] unix:PATH CMD [ARGS...] */
import { createDaemon, die, parseCli, parseUnixMode, readTlsFiles, StartupError } from '@hamelin/core';
import { cliSpec } from './cli-spec.js';
import { parseListen } from './address.js';
import { serve } from './serve.js';

const NAME = 'hamelin-net';

interface NetOptions {
  tlsCert?: string;
  tlsKey?: string;
  unixMode?: string;
  raw: boolean;
}

try {
  const { options, positionals, command } = parseCli<NetOptions>(cliSpec);
  const [host, port] = positionals as [string, string | undefined];
  if (options.unixMode !== undefined && !host.startsWith('unix:')) throw new StartupError('--unix-mode is for a unix:PATH listener');
  const target = parseListen(host, port ?? '', parseUnixMode(options.unixMode));
  const tls = readTlsFiles(options.tlsCert, options.tlsKey);
  const daemon = createDaemon(NAME, options, command);
  await serve(daemon, target, tls, options.raw);
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
