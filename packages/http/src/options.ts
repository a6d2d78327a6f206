/**
 * hamelin-http's own options, checked in one place and turned into an HttpConfig, for the
 * command line and the `hamelin` command alike (OPS-01). The table is cli-spec.ts's. Problems
 * are StartupErrors naming the flag.
 */
import { statSync } from 'node:fs';
import { parseOriginOption, parsePort, parseUnixMode, readFrontDoorOptions, readTlsFiles, StartupError, type FrontDoorArgs, type ListenTarget } from '@hamelin/core';
import type { HttpConfig } from './config.js';

export { httpOptions } from './cli-spec.js';

export interface HttpOptions extends FrontDoorArgs {
  host: string;
  port: string;
  unix?: string;
  unixMode?: string;
  tlsCert?: string;
  tlsKey?: string;
  dir?: string;
  static?: string;
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
  cgi: boolean;
  maxCgiHeader: number;
}

const ms = (seconds: number): number => Math.round(seconds * 1000);

/** `timeoutMs` is the core's --timeout (CORE-25), only quoted in a 504 answer; `maxLine` the core's --max-line. */
export function normalizeHttp(options: HttpOptions & { maxLine: number }, timeoutMs = 0): HttpConfig {
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
  if (options.static !== undefined) {
    let ok = false;
    try {
      ok = options.static !== '' && statSync(options.static).isDirectory();
    } catch {
      /* reported below */
    }
    if (!ok) throw new StartupError(`--static ${options.static}: not a directory`);
  }
  // HTTP-34: an origin --cors lets read the answers may also send the requests.
  const origin = parseOriginOption(options.origin.map(String));
  const cors = parseOriginOption(options.cors.map(String), '--cors');
  const frontDoor = readFrontDoorOptions(options, 'hamelin-http', { unix: target.kind === 'unix' });
  return {
    target,
    tls: readTlsFiles(options.tlsCert, options.tlsKey, frontDoor.tlsCa),
    frontDoor,
    dir: options.dir,
    static: options.static,
    cors: options.cors.map(String),
    origin: { any: origin.any || cors.any, allowed: [...origin.allowed, ...cors.allowed], requireOrigin: false, ownOnly: false },
    maxBody: Math.floor(options.maxBody),
    headerTimeoutMs: ms(options.headerTimeout),
    readTimeoutMs: ms(options.readTimeout),
    timeoutMs,
    pollTimeoutMs: ms(options.pollTimeout),
    heartbeatMs: ms(options.heartbeat),
    abandonMs: ms(options.abandonTimeout),
    console: options.console,
    passHeaders: new Set(options.passHeader.map((h) => String(h).toLowerCase())),
    maxLine: Math.floor(options.maxLine),
    cgi: options.cgi,
    maxCgiHeader: Math.floor(options.maxCgiHeader),
  };
}
