#!/usr/bin/env node
/** hamelin-ws [options] CMD [ARGS...] | hamelin-ws [options] --dir DIR */
import { statSync } from 'node:fs';
import { createDaemon, die, parseCli, parsePort, ProcessControl, runUntilDone, readTlsFiles, StartupError, type ListenTarget } from '@hamelin/core';
import { startOps } from '@hamelin/admin';
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

const wsOptions = {
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

// The shared parser says which option lacks its value, and that --dir takes no CMD.
const { options, command } = parseCli<WsOptions>(
  {
    name: NAME,
    usage: '[options] CMD [ARGS...]\n       hamelin-ws [options] --dir DIR',
    options: wsOptions,
    examples: [
      ['hamelin-ws --port 8080 --console cat', 'echo server; open http://127.0.0.1:8080/ in a browser'],
      ['hamelin-ws --port 8080 --dir ./scripts', 'ws://host:8080/count.sh runs ./scripts/count.sh'],
    ],
    epilog: 'Everything from CMD on is passed to the command untouched. Spec: spec/bindings/ws.md',
    instead: 'dir',
  },
);

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
  const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
  await startOps(control, options);
  control.add(await serve(daemon, {
    target,
    tls,
    origin: { allowed: parseOriginList(list(options.origin)), sameOrigin: options.sameOrigin },
    binary: options.binary,
    maxMessage,
    pingInterval: options.pingInterval,
    dir: options.dir,
    console: options.console,
    passHeaders: new Set(list(options.passHeader).map((h) => h.toLowerCase())),
  }));
  runUntilDone(control);
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
