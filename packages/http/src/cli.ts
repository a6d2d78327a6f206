#!/usr/bin/env node
/** hamelin-http [options] CMD [ARGS...] | hamelin-http [options] --dir DIR */
import { createDaemon, die, parseCli, parseOriginOption, parsePort, parseUnixMode, readTlsFiles, StartupError, type ListenTarget } from '@hamelin/core';
import { statSync } from 'node:fs';
import { cliSpec } from './cli-spec.js';
import type { HttpConfig } from './config.js';
import { serve } from './serve.js';

const NAME = 'hamelin-http';

interface HttpOptions {
  host: string;
  port: string;
  unix?: string;
  unixMode?: string;
  tlsCert?: string;
  tlsKey?: string;
  dir?: string;
  cors: string[];
  origin: string[];
  maxBody: number;
  headerTimeout: number;
  readTimeout: number;
  pollTimeout: number;
  abandonTimeout: number;
  heartbeat: number;
  console: boolean;
  passHeader: string[];
}

const { options, command } = parseCli<HttpOptions>(cliSpec);


const seconds = (name: string, v: number, min = 0): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) die(NAME, `--${name} must be a number of seconds >= ${min}`);
  return Math.round(v * 1000);
};

try {
  let target: ListenTarget;
  if (options.unix !== undefined) {
    if (!options.unix) throw new StartupError('--unix needs a path');
    target = { kind: 'unix', path: options.unix, mode: parseUnixMode(options.unixMode) };
  } else {
    if (options.unixMode !== undefined) throw new StartupError('--unix-mode goes with --unix');
    const host = options.host.startsWith('[') && options.host.endsWith(']') ? options.host.slice(1, -1) : options.host;
    if (!host) throw new StartupError('--host needs an address');
    target = { kind: 'tcp', host, port: parsePort(options.port) };
  }
  if (options.dir !== undefined) {
    if (!options.dir) throw new StartupError('--dir needs a directory');
    let ok = false;
    try {
      ok = statSync(options.dir).isDirectory();
    } catch {
      /* reported below */
    }
    if (!ok) throw new StartupError(`--dir ${options.dir}: not a directory`);
  }
  if (!Number.isFinite(options.maxBody) || options.maxBody < 0) throw new StartupError('--max-body must be a number of bytes >= 0');
  // HTTP-34: an origin --cors lets read the answers may also send the requests.
  const origin = parseOriginOption(options.origin.map(String));
  const cors = parseOriginOption(options.cors.map(String), '--cors');
  const cfg: HttpConfig = {
    target,
    tls: readTlsFiles(options.tlsCert, options.tlsKey),
    dir: options.dir,
    cors: options.cors.map(String),
    origin: { any: origin.any || cors.any, allowed: [...origin.allowed, ...cors.allowed], requireOrigin: false, ownOnly: false },
    maxBody: Math.floor(options.maxBody),
    headerTimeoutMs: seconds('header-timeout', options.headerTimeout, 0.1),
    readTimeoutMs: seconds('read-timeout', options.readTimeout),
    timeoutMs: 0,
    pollTimeoutMs: seconds('poll-timeout', options.pollTimeout, 0.1),
    heartbeatMs: seconds('heartbeat', options.heartbeat),
    abandonMs: seconds('abandon-timeout', options.abandonTimeout),
    console: options.console,
    passHeaders: new Set(options.passHeader.map((h) => String(h).toLowerCase())),
    maxLine: Math.floor(options.maxLine),
  };
  const daemon = createDaemon(NAME, options, command);
  // --timeout is the core's session option (CORE-25); the 504 answer only quotes it.
  cfg.timeoutMs = daemon.config.limits.timeoutMs ?? 0;
  await serve(daemon, cfg);
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
