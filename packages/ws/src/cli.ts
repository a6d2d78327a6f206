#!/usr/bin/env node
/** hamelin-ws [options] CMD [ARGS...] | hamelin-ws [options] --dir DIR */
import { statSync } from 'node:fs';
import { createDaemon, die, parseCli, parsePort, readTlsFiles, StartupError, type ListenTarget } from '@hamelin/core';
import { cliSpec } from './cli-spec.js';
import { parseOriginList } from './origin.js';
import { serve } from './serve.js';

const NAME = 'hamelin-ws';

interface WsOptions {
  host: string;
  port: string;
  unix?: string;
  tlsCert?: string;
  tlsKey?: string;
  binary: boolean;
  origin?: string | string[];
  sameOrigin: boolean;
  maxMessage: number;
  pingInterval: number;
  dir?: string;
  console: boolean;
  passHeader?: string | string[];
}

// The shared parser says which option lacks its value, and that --dir takes no CMD.
const { options, command } = parseCli<WsOptions>(cliSpec);

/** A repeatable option: one value, or an array when given several times. Not `array: true`,
 * which would swallow the command that follows it. */
function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
}

try {
  if (options.dir !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(options.dir).isDirectory();
    } catch {
      /* below */
    }
    if (!isDir) die(NAME, `--dir ${options.dir}: not a directory`);
  }
  let target: ListenTarget;
  if (options.unix !== undefined) {
    if (!options.unix) die(NAME, '--unix needs a path');
    target = { kind: 'unix', path: options.unix };
  } else {
    // An empty host would bind every interface, the opposite of what an empty value suggests.
    if (!options.host) die(NAME, '--host needs an address (0.0.0.0 or :: for every interface)');
    const bare = options.host.startsWith('[') && options.host.endsWith(']') ? options.host.slice(1, -1) : options.host;
    target = { kind: 'tcp', host: bare, port: parsePort(options.port) };
  }
  const maxMessage = options.maxMessage;
  if (!Number.isInteger(maxMessage) || maxMessage < 1) die(NAME, '--max-message must be a positive whole number of bytes');
  if (!Number.isFinite(options.pingInterval) || options.pingInterval < 0) die(NAME, '--ping-interval must be a non-negative number');
  const tls = readTlsFiles(options.tlsCert, options.tlsKey);
  // With --dir there is no command: each request names its own.
  const daemon = createDaemon(NAME, options, command);
  await serve(daemon, {
    target,
    tls,
    origin: { allowed: parseOriginList(list(options.origin)), sameOrigin: options.sameOrigin },
    binary: options.binary,
    maxMessage,
    pingInterval: options.pingInterval,
    dir: options.dir,
    console: options.console,
    passHeaders: new Set(list(options.passHeader).map((h) => h.toLowerCase())),
  });
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
