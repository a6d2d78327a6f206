/**
 * hamelin-ws's own options, checked in one place and turned into WsServeOptions, for the
 * command line and the `hamelin` command alike (OPS-01). The table is cli-spec.ts's. Problems
 * are StartupErrors naming the flag.
 */
import { statSync } from 'node:fs';
import { parseOriginOption, parsePort, parseUnixMode, readFrontDoorOptions, readTlsFiles, StartupError, type FrontDoorArgs, type ListenTarget } from '@hamelin/core';
import type { WsServeOptions } from './serve.js';

export { wsOptions } from './cli-spec.js';

export interface WsOptions extends FrontDoorArgs {
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
  static?: string;
  console: boolean;
  passHeader?: string | string[];
}

/** A repeatable option: one value, or an array when given several times. Not `array: true`,
 * which would swallow the command that follows it. */
function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
}

export function checkDir(dir: string | undefined, flag = '--dir'): void {
  if (dir === undefined) return;
  if (!dir) throw new StartupError(`${flag} needs a directory`);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* below */
  }
  if (!isDir) throw new StartupError(`${flag} ${dir}: not a directory`);
}

export function normalizeWs(options: WsOptions): WsServeOptions {
  checkDir(options.dir);
  checkDir(options.static, '--static');
  let target: ListenTarget;
  if (options.unix !== undefined) {
    if (!options.unix) throw new StartupError('--unix needs a path');
    target = { kind: 'unix', path: options.unix, mode: parseUnixMode(options.unixMode) };
  } else {
    if (options.unixMode !== undefined) throw new StartupError('--unix-mode goes with --unix');
    // An empty host would bind every interface, the opposite of what an empty value suggests.
    if (!options.host) throw new StartupError('--host needs an address (0.0.0.0 or :: for every interface)');
    const bare = options.host.startsWith('[') && options.host.endsWith(']') ? options.host.slice(1, -1) : options.host;
    target = { kind: 'tcp', host: bare, port: parsePort(options.port) };
  }
  const allowed = parseOriginOption(list(options.origin));
  if (allowed.any && options.sameOrigin) throw new StartupError("--same-origin and --origin '*' contradict each other");
  const frontDoor = readFrontDoorOptions(options, 'hamelin-ws', { unix: target.kind === 'unix' });
  return {
    target,
    tls: readTlsFiles(options.tlsCert, options.tlsKey, frontDoor.tlsCa),
    frontDoor,
    origin: {
      ...allowed,
      // WS-12: naming who may connect also refuses a handshake that names no one.
      requireOrigin: options.sameOrigin || allowed.allowed.length > 0,
      ownOnly: options.sameOrigin,
    },
    headerTimeoutMs: Math.round(options.headerTimeout * 1000),
    maxHandshakes: options.maxHandshakes,
    binary: options.binary,
    maxMessage: options.maxMessage,
    pingInterval: options.pingInterval,
    dir: options.dir,
    static: options.static,
    console: options.console,
    passHeaders: new Set(list(options.passHeader).map((h) => h.toLowerCase())),
  };
}
