#!/usr/bin/env node
/** hamelin-http [options] CMD [ARGS...] | hamelin-http [options] --dir DIR */
import { createDaemon, die, parseCli, parsePort, ProcessControl, runUntilDone, readTlsFiles, StartupError, type ListenTarget } from '@hamelin/core';
import { startOps } from '@hamelin/admin';
import { statSync } from 'node:fs';
import type { HttpConfig } from './config.js';
import { serve } from './serve.js';

const NAME = 'hamelin-http';
type Options = import('yargs').Options;

interface HttpOptions {
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

const options_: Record<string, Options> = {
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

const { options, command } = parseCli<HttpOptions>(
  {
    name: NAME,
    usage: '[options] CMD [ARGS...]\n       hamelin-http [options] --dir DIR',
    options: options_,
    examples: [
      ['hamelin-http --port 8080 --console sh -c \'while read l; do echo "you said: $l"; done\'', 'an echo service with a browser console'],
      ['curl -N http://127.0.0.1:8080/', 'see the lines as they come'],
      ['curl -N --no-progress-meter -T . http://127.0.0.1:8080/', 'type lines, see each answer as it comes (see README: why "." and not "-")'],
      ['hamelin-http --dir ./cgi', 'GET /hello runs ./cgi/hello'],
    ],
    epilog: 'Everything from CMD on is passed to the command untouched. Spec: spec/bindings/http.md',
    instead: 'dir',
  },
);


const seconds = (name: string, v: number, min = 0): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) die(NAME, `--${name} must be a number of seconds >= ${min}`);
  return Math.round(v * 1000);
};

try {
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
  const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
  await startOps(control, options);
  control.add(await serve(daemon, cfg));
  runUntilDone(control);
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
