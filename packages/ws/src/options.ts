/**
 * hamelin-ws's own options: the flag table (also the config keys, OPS-01) and the one place
 * they are checked and turned into WsServeOptions, for the command line and the `hamelin`
 * command alike. Problems are StartupErrors naming the flag.
 */
import { statSync } from 'node:fs';
import { parsePort, readTlsFiles, StartupError, type ListenTarget } from '@hamelin/core';
import { parseOriginList } from './origin.js';
import type { WsServeOptions } from './serve.js';

export interface WsOptions {
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

export const wsOptions = {
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on (0.0.0.0 or :: for every interface)', group: 'Listening:' },
  port: { type: 'string', default: '8080', describe: 'TCP port (0 picks a free one)', group: 'Listening:' },
  unix: { type: 'string', describe: 'listen on this unix socket instead of TCP (--host and --port are then ignored)', group: 'Listening:' },
  'tls-cert': { type: 'string', describe: 'serve wss:// with this PEM certificate (chain)', group: 'Listening:' },
  'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'Listening:' },
  binary: { type: 'boolean', default: false, describe: 'raw bytes both ways in binary messages, no line framing', group: 'WebSocket:' },
  origin: { type: 'string', requiresArg: true, describe: 'allowed Origins (host[:port], scheme://host[:port], *.domain; comma-separated or repeated); others get 403', group: 'WebSocket:' },
  'same-origin': { type: 'boolean', default: false, describe: 'refuse (403) an Origin whose host:port is not the Host header', group: 'WebSocket:' },
  'max-message': { type: 'number', default: 1048576, describe: 'largest message accepted, in bytes; larger closes with 1009', group: 'WebSocket:' },
  'ping-interval': { type: 'number', default: 30, describe: 'seconds between pings; a peer that misses a pong is dropped (0: no pings)', group: 'WebSocket:' },
  dir: { type: 'string', describe: 'serve every executable in DIR, chosen by URL path (no CMD)', group: 'WebSocket:' },
  console: { type: 'boolean', default: false, describe: 'answer a plain GET with a browser console page', group: 'WebSocket:' },
  'pass-header': { type: 'string', requiresArg: true, describe: 'also pass this request header (Authorization, Cookie, Proxy are withheld otherwise)', group: 'WebSocket:' },
} as const;

/** A repeatable option: one value, or an array when given several times. Not `array: true`,
 * which would swallow the command that follows it. */
function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
}

export function checkDir(dir: string | undefined): void {
  if (dir === undefined) return;
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* below */
  }
  if (!isDir) throw new StartupError(`--dir ${dir}: not a directory`);
}

export function normalizeWs(options: WsOptions): WsServeOptions {
  checkDir(options.dir);
  let target: ListenTarget;
  if (options.unix !== undefined) {
    if (!options.unix) throw new StartupError('--unix needs a path');
    target = { kind: 'unix', path: options.unix };
  } else {
    // An empty host would bind every interface, the opposite of what an empty value suggests.
    if (!options.host) throw new StartupError('--host needs an address (0.0.0.0 or :: for every interface)');
    const bare = options.host.startsWith('[') && options.host.endsWith(']') ? options.host.slice(1, -1) : options.host;
    target = { kind: 'tcp', host: bare, port: parsePort(options.port) };
  }
  const maxMessage = options.maxMessage;
  if (!Number.isInteger(maxMessage) || maxMessage < 1) throw new StartupError('--max-message must be a positive whole number of bytes');
  if (!Number.isFinite(options.pingInterval) || options.pingInterval < 0) throw new StartupError('--ping-interval must be a non-negative number');
  return {
    target,
    tls: readTlsFiles(options.tlsCert, options.tlsKey),
    origin: { allowed: parseOriginList(list(options.origin)), sameOrigin: options.sameOrigin },
    binary: options.binary,
    maxMessage,
    pingInterval: options.pingInterval,
    dir: options.dir,
    console: options.console,
    passHeaders: new Set(list(options.passHeader).map((h) => h.toLowerCase())),
  };
}
