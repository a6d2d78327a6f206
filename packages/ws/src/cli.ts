#!/usr/bin/env node
/** hamelin-ws [options] CMD [ARGS...] | hamelin-ws [options] --dir DIR */
import { statSync } from 'node:fs';
import { createDaemon, die, type ListenTarget, parseCli, parseOriginOption, parsePort, parseUnixMode, readTlsFiles, StartupError } from '@hamelin/core';
import { cliSpec } from './cli-spec.js';
import { serve } from './serve.js';

const NAME = 'hamelin-ws';

interface WsOptions {
  host: string;
  port: string;
  unix?: string;
  unixMode?: string;
  tlsCert?: string;
  tlsKey?: string;
  binary: boolean;
  origin?: string | string[];
  sameOrigin: boolean;
  maxMessage: number;
  pingInterval: number;
  headerTimeout: number;
  maxHandshakes: number;
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
    target = { kind: 'unix', path: options.unix, mode: parseUnixMode(options.unixMode) };
  } else {
    if (options.unixMode !== undefined) throw new StartupError('--unix-mode goes with --unix');
    // An empty host would bind every interface, the opposite of what an empty value suggests.
    if (!options.host) die(NAME, '--host needs an address (0.0.0.0 or :: for every interface)');
    const bare = options.host.startsWith('[') && options.host.endsWith(']') ? options.host.slice(1, -1) : options.host;
    target = { kind: 'tcp', host: bare, port: parsePort(options.port) };
  }
  const maxMessage = options.maxMessage;
  if (!Number.isInteger(maxMessage) || maxMessage < 1) die(NAME, '--max-message must be a positive whole number of bytes');
  if (!Number.isFinite(options.pingInterval) || options.pingInterval < 0) die(NAME, '--ping-interval must be a non-negative number');
  // Node's timers hold at most 2^31-1 ms: a longer deadline would fire at once.
  if (!Number.isFinite(options.headerTimeout) || options.headerTimeout < 0.1 || options.headerTimeout > 2147483) {
    die(NAME, '--header-timeout must be a number of seconds from 0.1 to 2147483');
  }
  if (!Number.isInteger(options.maxHandshakes) || options.maxHandshakes < 0) die(NAME, '--max-handshakes must be a whole number >= 0');
  const allowed = parseOriginOption(list(options.origin));
  if (allowed.any && options.sameOrigin) die(NAME, "--same-origin and --origin '*' contradict each other");
  const tls = readTlsFiles(options.tlsCert, options.tlsKey);
  // With --dir there is no command: each request names its own.
  const daemon = createDaemon(NAME, options, command);
  await serve(daemon, {
    target,
    tls,
    origin: {
      ...allowed,
      // WS-12: naming who may connect also refuses a handshake that names no one.
      requireOrigin: options.sameOrigin || allowed.allowed.length > 0,
      ownOnly: options.sameOrigin,
    },
    headerTimeoutMs: Math.round(options.headerTimeout * 1000),
    maxHandshakes: options.maxHandshakes,
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
