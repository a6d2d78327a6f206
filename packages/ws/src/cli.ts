#!/usr/bin/env node
/** hamelin-ws [options] CMD [ARGS...] | hamelin-ws [options] --dir DIR */
import { statSync } from 'node:fs';
import { createDaemon, die, parseCli, parseOriginOption, parsePort, parseUnixMode, readTlsFiles, StartupError, unixModeOption, type ListenTarget } from '@hamelin/core';
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

const wsOptions = {
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on (0.0.0.0 or :: for every interface)', group: 'Listening:' },
  port: { type: 'string', default: '8080', describe: 'TCP port (0 picks a free one)', group: 'Listening:' },
  unix: { type: 'string', describe: 'listen on this unix socket instead of TCP (--host and --port are then ignored)', group: 'Listening:' },
  'unix-mode': unixModeOption,
  'tls-cert': { type: 'string', describe: 'serve wss:// with this PEM certificate (chain)', group: 'Listening:' },
  'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'Listening:' },
  binary: { type: 'boolean', default: false, describe: 'raw bytes both ways in binary messages, no line framing', group: 'WebSocket:' },
  origin: { type: 'string', requiresArg: true, describe: "also allow pages from these Origins (scheme://host[:port], host[:port], *.domain; comma-separated or repeated; '*' for any); others get 403", group: 'WebSocket:' },
  'same-origin': { type: 'boolean', default: false, describe: 'only pages of this host: refuse (403) a handshake without an Origin or with another one', group: 'WebSocket:' },
  'max-message': { type: 'number', default: 1048576, describe: 'largest message accepted, in bytes; larger closes with 1009', group: 'WebSocket:' },
  'ping-interval': { type: 'number', default: 30, describe: 'seconds between pings; a peer that misses a pong is dropped (0: no pings)', group: 'WebSocket:' },
  'header-timeout': { type: 'number', default: 10, describe: 'seconds to receive a handshake request, else 408', group: 'WebSocket:' },
  'max-handshakes': { type: 'number', default: 256, describe: 'connections at once whose handshake request has not arrived in full; more are refused (0: no limit)', group: 'WebSocket:' },
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
