/**
 * hamelin-http's own options: the flag table (also the config keys, OPS-01) and the one place
 * they are checked and turned into an HttpConfig, for the command line and the `hamelin`
 * command alike. Problems are StartupErrors naming the flag.
 */
import { parsePort, readTlsFiles, StartupError, type ListenTarget } from '@hamelin/core';
import { statSync } from 'node:fs';
import type { HttpConfig } from './config.js';

type Options = import('yargs').Options;

export interface HttpOptions {
  host: string;
  port: string;
  unix?: string;
  tlsCert?: string;
  tlsKey?: string;
  dir?: string;
  cors: string[];
  maxBody: number;
  headerTimeout: number;
  readTimeout: number;
  pollTimeout: number;
  abandonTimeout: number;
  heartbeat: number;
  console: boolean;
  passHeader: string[];
}

export const httpOptions: Record<string, Options> = {
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on (:: for every interface)', group: 'Listening:' },
  port: { type: 'string', default: '8080', describe: 'TCP port (0 picks a free one)', group: 'Listening:' },
  unix: { type: 'string', describe: 'listen on this unix socket instead of TCP', group: 'Listening:' },
  'tls-cert': { type: 'string', describe: 'serve HTTPS with this PEM certificate (chain)', group: 'Listening:' },
  'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'Listening:' },
  dir: { type: 'string', describe: 'run the executable in DIR that the URL path names (no CMD)', group: 'HTTP:' },
  cors: { type: 'string', array: true, nargs: 1, default: [], describe: 'allow this origin (repeatable; * for any)', group: 'HTTP:' },
  'max-body': { type: 'number', default: 67108864, describe: 'largest request body in bytes, else 413 (0: no limit)', group: 'HTTP:' },
  'header-timeout': { type: 'number', default: 10, describe: 'seconds to receive the request headers, else 408', group: 'HTTP:' },
  'read-timeout': { type: 'number', default: 0, describe: 'seconds a request body may stall while it is read, else 408 (0: never)', group: 'HTTP:' },
  'poll-timeout': { type: 'number', default: 25, describe: 'seconds a long-poll GET waits for output', group: 'HTTP:' },
  'abandon-timeout': { type: 'number', default: 60, describe: 'seconds a long-poll session may go without any request naming it, then SIGTERM (0: never)', group: 'HTTP:' },
  heartbeat: { type: 'number', default: 15, describe: 'seconds between SSE heartbeat comments (0: none)', group: 'HTTP:' },
  console: { type: 'boolean', default: false, describe: 'serve a browser console page to browsers', group: 'HTTP:' },
  'pass-header': { type: 'string', array: true, nargs: 1, default: [], describe: 'pass Authorization, Cookie or Proxy* to the child anyway (repeatable)', group: 'HTTP:' },
};


const seconds = (name: string, v: number, min = 0): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new StartupError(`--${name} must be a number of seconds >= ${min}`);
  return Math.round(v * 1000);
};

/** `timeoutMs` is the core's --timeout (CORE-25), only quoted in a 504 answer; `maxLine` the core's --max-line. */
export function normalizeHttp(options: HttpOptions & { maxLine: number }, timeoutMs = 0): HttpConfig {
  let target: ListenTarget;
  if (options.unix !== undefined) {
    if (!options.unix) throw new StartupError('--unix needs a path');
    target = { kind: 'unix', path: options.unix };
  } else {
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
  const cfg: HttpConfig = {
    target,
    tls: readTlsFiles(options.tlsCert, options.tlsKey),
    dir: options.dir,
    cors: options.cors.map(String),
    maxBody: Math.floor(options.maxBody),
    headerTimeoutMs: seconds('header-timeout', options.headerTimeout, 0.1),
    readTimeoutMs: seconds('read-timeout', options.readTimeout),
    timeoutMs,
    pollTimeoutMs: seconds('poll-timeout', options.pollTimeout, 0.1),
    heartbeatMs: seconds('heartbeat', options.heartbeat),
    abandonMs: seconds('abandon-timeout', options.abandonTimeout),
    console: options.console,
    passHeaders: new Set(options.passHeader.map((h) => String(h).toLowerCase())),
    maxLine: Math.floor(options.maxLine),
  };
  return cfg;
}
