/**
 * The `hamelin` command's configuration as checked data (OPS-01, OPS-03), built from a YAML
 * file or from the quick-form flags by one function, so both are checked alike:
 *
 *   <process keys: log-file, log-format, quiet, admin, agent, drain-timeout>
 *   services:
 *     NAME:
 *       command: [CMD, ARGS...]     # or dir: DIR
 *       <session keys: max-clients, kill-after, timeout, ...>
 *       net:  { listen: HOST:PORT | unix:PATH, <hamelin-net keys> }
 *       ws:   { listen: ..., <hamelin-ws keys> }
 *       http: { listen: ..., <hamelin-http keys> }
 *       irc:  { server: HOST[:PORT], nick: NICK, channel: [...], <hamelin-irc keys> }
 *       tty:  { device: PATH, <hamelin-tty keys> }
 *
 * Every key is the flag of the same name, checked by the same table and normalizer.
 */
import { camel, checkConfigValues, commonOptions, type CommonOptions, type KeyPath } from '@hamelin/core';
import { httpOptions } from '@hamelin/http';
import { ircCliSpec } from '@hamelin/irc';
import { netOptions } from '@hamelin/net';
import { ttyCliSpec } from '@hamelin/tty';
import { wsOptions } from '@hamelin/ws';
import type { Options } from 'yargs';

export type FrontEndKind = 'net' | 'ws' | 'http' | 'irc' | 'tty';
export const FRONT_ENDS: readonly FrontEndKind[] = ['net', 'ws', 'http', 'irc', 'tty'];

/** A bot dials out to its server and a terminal is a device: neither has a `listen`. */
export const listens = (kind: FrontEndKind): boolean => kind !== 'irc' && kind !== 'tty';

/** The keys a front-end without `listen` must have. */
export const REQUIRED: Partial<Record<FrontEndKind, string[]>> = { irc: ['server', 'nick'], tty: ['device'] };

/** hamelin-irc's flags, but idle-timeout and max-line are the service's keys here; a channel
 * list may be a YAML list. */
const ircOptions: Record<string, Options> = Object.fromEntries(
  Object.entries(ircCliSpec.options ?? {})
    .filter(([k]) => k !== 'idle-timeout' && k !== 'max-line')
    .map(([k, o]) => [k, k === 'channel' ? { ...o, array: true } : o]),
);

/** hamelin-tty's flags but term: TERM is the hamelin process's own, passed on to the child
 * (TTY-11), since a child's environment is the service's, not one front-end's. */
const ttyOptions: Record<string, Options> = Object.fromEntries(Object.entries(ttyCliSpec.options ?? {}).filter(([k]) => k !== 'term'));

/** Keys of the whole process; the rest of the common options belong to a service. */
export const PROCESS_KEYS = ['log-file', 'log-format', 'quiet', 'admin', 'agent', 'drain-timeout', 'user', 'group', 'workers'] as const;

export const processOptions: Record<string, Options> = Object.fromEntries(PROCESS_KEYS.map((k) => [k, commonOptions[k]!]));

export const serviceOptions: Record<string, Options> = Object.fromEntries(
  Object.entries(commonOptions).filter(([k]) => !(PROCESS_KEYS as readonly string[]).includes(k) && k !== 'config'),
);

/** Per front-end: its own flags (dir is the service's), and `listen` for where. */
export const frontEndOptions: Record<FrontEndKind, Record<string, Options>> = {
  net: {
    host: { type: 'string', describe: 'HOST, as in hamelin-net HOST PORT (or unix:PATH)' },
    port: { type: 'string', describe: 'PORT, as in hamelin-net HOST PORT' },
    ...netOptions,
  },
  ws: Object.fromEntries(Object.entries(wsOptions).filter(([k]) => k !== 'dir')) as Record<string, Options>,
  http: Object.fromEntries(Object.entries(httpOptions).filter(([k]) => k !== 'dir')),
  irc: ircOptions,
  tty: ttyOptions,
};

/** Keys that a SIGHUP may change (OPS-08); any other change needs a restart. */
export const RELOADABLE = new Set(['command', 'cwd', 'env-clear', 'pass-env', 'kill-after', 'max-line', 'max-clients', 'idle-timeout', 'timeout', 'tls-cert', 'tls-key']);

export interface FrontEndSpec {
  kind: FrontEndKind;
  /** Checked options with defaults, camelCase, as the front-end's normalizer takes them. */
  options: Record<string, unknown>;
  /** The keys as written, for the reload comparison. */
  raw: Record<string, unknown>;
  where: KeyPath;
}

export interface ServiceSpec {
  name: string;
  command: string[];
  dir: string | undefined;
  common: CommonOptions;
  raw: Record<string, unknown>;
  frontEnds: FrontEndSpec[];
}

export interface ProcessSpec {
  options: CommonOptions;
  raw: Record<string, unknown>;
  services: ServiceSpec[];
}

export type Fail = (path: KeyPath, message: string) => Error;

export function defaultsOf(table: Record<string, Options>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, o] of Object.entries(table)) if (o.default !== undefined) out[camel(k)] = o.default;
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `HOST:PORT`, `[V6]:PORT` or `unix:PATH` as a front-end's host/port/unix keys. */
function listenKeys(kind: FrontEndKind, listen: unknown, fail: (m: string) => Error): Record<string, unknown> {
  if (typeof listen !== 'string') throw fail('must be HOST:PORT or unix:PATH');
  if (listen.startsWith('unix:')) return kind === 'net' ? { host: listen } : { unix: listen.slice(5) };
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
  if (!m) throw fail(`must be HOST:PORT or unix:PATH, not ${JSON.stringify(listen)}`);
  return { host: m[1], port: m[2] };
}

/** Check a whole configuration; every problem names its key path (the caller adds file and line). */
export function buildSpec(data: Record<string, unknown>, fail: Fail): ProcessSpec {
  const top = checkConfigValues(data, processOptions, (k, m) => fail([k], m), ['services']);
  const options = { ...defaultsOf(commonOptions), ...top } as unknown as ProcessSpec['options'];
  const services = data.services;
  if (!isMap(services) || Object.keys(services).length === 0) throw fail(['services'], 'must name at least one service');
  const out: ServiceSpec[] = [];
  for (const [name, body] of Object.entries(services)) {
    const at: KeyPath = ['services', name];
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw fail(at, 'a service name is letters, digits, ".", "_" and "-"');
    if (!isMap(body)) throw fail(at, 'must be a map of keys');
    const checked = checkConfigValues(body, serviceOptions, (k, m) => fail([...at, k], m), ['command', 'dir', ...FRONT_ENDS]);
    const command = body.command;
    const dir = body.dir;
    if (command !== undefined && (!Array.isArray(command) || command.length === 0 || command.some((w) => typeof w !== 'string'))) {
      throw fail([...at, 'command'], 'must be a list of strings, the command and its arguments');
    }
    if (dir !== undefined && typeof dir !== 'string') throw fail([...at, 'dir'], 'must be a directory');
    if ((command === undefined) === (dir === undefined)) throw fail(at, 'needs either command or dir');
    const frontEnds: FrontEndSpec[] = [];
    for (const kind of FRONT_ENDS) {
      const fe = body[kind];
      if (fe === undefined) continue;
      const where: KeyPath = [...at, kind];
      const keysHint = listens(kind) ? 'listen: HOST:PORT, ...' : kind === 'irc' ? 'server: HOST[:PORT], nick: NICK, ...' : 'device: PATH, ...';
      if (!isMap(fe)) throw fail(where, `must be a map of keys (${keysHint})`);
      if ((kind === 'net' || kind === 'irc' || kind === 'tty') && dir !== undefined) throw fail(where, `${kind} has no URL path to choose a script by: a service with dir is served over ws or http`);
      const listen = fe.listen === undefined || !listens(kind) ? {} : listenKeys(kind, fe.listen, (m) => fail([...where, 'listen'], m));
      const own = checkConfigValues(fe, frontEndOptions[kind], (k, m) => fail([...where, k], m), listens(kind) ? ['listen'] : []);
      if (kind === 'net' && own.host === undefined && listen.host === undefined) throw fail(where, 'needs listen: HOST:PORT or unix:PATH');
      // The hamelin command's own terminal carries its log: only a device is served.
      if (kind === 'tty' && own.device === undefined) throw fail(where, 'needs device: PATH, the terminal to serve (a serial line or a pty)');
      frontEnds.push({ kind, options: { ...defaultsOf(frontEndOptions[kind]), ...listen, ...own }, raw: fe, where });
    }
    if (frontEnds.length === 0) throw fail(at, 'needs at least one front-end: net, ws, http, irc or tty');
    // Each worker would run its own bot: N connections, N nicks, each line answered N times.
    if ('irc' in body && 'workers' in data && String(data.workers) !== '1') throw fail(['workers'], 'a service with irc runs in one process: one bot is one connection to its server');
    if ('tty' in body && 'workers' in data && String(data.workers) !== '1') throw fail(['workers'], 'a service with tty runs in one process: one terminal is one line, served by one process');
    out.push({
      name,
      command: (command as string[] | undefined) ?? [],
      dir: dir as string | undefined,
      common: { ...options, ...defaultsOf(serviceOptions), ...checked } as CommonOptions,
      raw: body,
      frontEnds,
    });
  }
  return { options, raw: data, services: out };
}
