/**
 * From checked configuration to what each front-end's serve() takes: the same normalizers as
 * the single daemons (OPS-01). Nothing here listens or spawns, so a reload (OPS-08) can run it
 * first and refuse a bad file while the old services go on.
 */
import { daemonSettings, describeTarget, StartupError, type DaemonConfig, type KeyPath, type ListenTarget } from '@hamelin/core';
import { normalizeHttp, type HttpConfig, type HttpOptions } from '@hamelin/http';
import { normalizeIrc, type IrcConfig, type IrcOptions } from '@hamelin/irc';
import { normalizeNet, type NetServeOptions } from '@hamelin/net';
import { normalizeTty, type TtyConfig, type TtyOptions } from '@hamelin/tty';
import { normalizeWs, checkDir, type WsOptions, type WsServeOptions } from '@hamelin/ws';
import type { Fail, FrontEndKind, ProcessSpec, ServiceSpec } from './model.js';

export type Settings = Omit<DaemonConfig, 'name' | 'log'>;

export type PreparedFrontEnd =
  | { kind: 'net'; where: KeyPath; target: ListenTarget; serve: NetServeOptions }
  | { kind: 'ws'; where: KeyPath; target: ListenTarget; serve: WsServeOptions }
  | { kind: 'http'; where: KeyPath; target: ListenTarget; serve: HttpConfig }
  | { kind: 'irc'; where: KeyPath; target: undefined; serve: IrcConfig }
  | { kind: 'tty'; where: KeyPath; target: undefined; serve: TtyConfig };

export interface PreparedService {
  spec: ServiceSpec;
  settings: Settings;
  frontEnds: PreparedFrontEnd[];
}

/** A normalizer's StartupError names a flag (`--max-message ...`): point at that key. */
function locate(e: unknown, service: ServiceSpec, where: KeyPath, fail: Fail): Error {
  if (!(e instanceof StartupError)) return e as Error;
  const flag = /--([a-z][a-z0-9-]*)/.exec(e.message)?.[1];
  const fe = service.frontEnds.find((f) => f.where === where);
  const path = flag && fe && flag in fe.raw ? [...where, flag] : flag && flag in service.raw ? [...where.slice(0, 2), flag] : where;
  return fail(path, e.message);
}

/** Secrets taken from the environment at startup: normalizeIrc deletes them from it (CORE-23),
 * and a reload (OPS-08) checks the file again, so it must find them once more. */
const envSecrets = new Map<string, string>();

function withEnvSecrets<T>(names: (string | undefined)[], check: () => T): T {
  for (const name of names) {
    if (name === undefined) continue;
    const v = process.env[name];
    if (v !== undefined) envSecrets.set(name, v);
    else if (envSecrets.has(name)) process.env[name] = envSecrets.get(name);
  }
  // Synchronous: nothing is spawned before normalizeIrc deletes them again.
  try {
    return check();
  } finally {
    for (const name of names) if (name !== undefined) delete process.env[name];
  }
}

export function prepare(spec: ProcessSpec, fail: Fail): PreparedService[] {
  return spec.services.map((service) => {
    const at: KeyPath = ['services', service.name];
    let settings: Settings;
    try {
      if (service.dir !== undefined) checkDir(service.dir);
      settings = { ...daemonSettings(service.common, service.command), service: service.name };
    } catch (e) {
      throw locate(e, service, [...at, service.dir !== undefined ? 'dir' : 'command'], fail);
    }
    const frontEnds = service.frontEnds.map((fe): PreparedFrontEnd => {
      try {
        const o = fe.options;
        switch (fe.kind) {
          case 'net': {
            const serve = normalizeNet(String(o.host), o.port === undefined ? undefined : String(o.port), o);
            return { kind: 'net', where: fe.where, target: serve.target, serve };
          }
          case 'ws': {
            const serve = normalizeWs({ ...(o as unknown as WsOptions), dir: service.dir });
            return { kind: 'ws', where: fe.where, target: serve.target, serve };
          }
          case 'http': {
            const serve = normalizeHttp({ ...(o as unknown as HttpOptions), dir: service.dir, maxLine: service.common.maxLine }, settings.limits.timeoutMs ?? 0);
            return { kind: 'http', where: fe.where, target: serve.target, serve };
          }
          case 'irc': {
            // Reads the secrets and deletes password-env / sasl-password-env from this
            // process's environment: prepare runs before startServices, so before any child
            // or the spawn server (CORE-23).
            const irc = o as unknown as IrcOptions;
            const serve = withEnvSecrets([irc.passwordEnv, irc.saslPasswordEnv], () => normalizeIrc({ ...irc, maxLine: service.common.maxLine }));
            return { kind: 'irc', where: fe.where, target: undefined, serve };
          }
          case 'tty':
            return { kind: 'tty', where: fe.where, target: undefined, serve: normalizeTty(o as unknown as TtyOptions) };
        }
      } catch (e) {
        throw locate(e, service, fe.where, fail);
      }
    });
    return { spec: service, settings, frontEnds };
  });
}

/** ws and http front-ends on one address share its listener (upgrades to ws, the rest to
 * http); any other pair on one address is an error here rather than a busy port later. */
export function listenerGroups(services: PreparedService[], fail: Fail): Map<string, { service: PreparedService; fe: PreparedFrontEnd }[]> {
  const groups = new Map<string, { service: PreparedService; fe: PreparedFrontEnd }[]>();
  const lines = new Map<string, KeyPath>();
  for (const service of services) {
    for (const fe of service.frontEnds) {
      if (fe.kind === 'tty') {
        const other = lines.get(fe.serve.path);
        if (other) throw fail([...fe.where, 'device'], `${fe.serve.path} is already served by ${other.join('.')} (one terminal, one session at a time)`);
        lines.set(fe.serve.path, fe.where);
      }
      if (fe.kind === 'irc' || fe.kind === 'tty') continue; // a bot dials out, a terminal is a device: no address
      const key = describeTarget(fe.target);
      const group = groups.get(key) ?? [];
      if (!(fe.target.kind === 'tcp' && fe.target.port === 0)) {
        const kinds = new Set<FrontEndKind>([...group.map((g) => g.fe.kind), fe.kind]);
        const clash = group.length > 0 && (group.some((g) => g.fe.kind === fe.kind) || kinds.has('net'));
        if (clash) throw fail([...fe.where, 'listen'], `${key} is already served by ${group.map((g) => g.fe.where.join('.')).join(', ')} (only ws and http may share an address)`);
      }
      groups.set(key + (fe.target.kind === 'tcp' && fe.target.port === 0 ? `#${groups.size}` : ''), [...group, { service, fe }]);
    }
  }
  for (const group of groups.values()) {
    const tls = new Set(group.map((g) => (g.fe.kind === 'ws' || g.fe.kind === 'http' ? String(g.fe.serve.tls?.cert.toString('base64') ?? '') : '')));
    if (tls.size > 1) throw fail([...group[1]!.fe.where, 'tls-cert'], 'ws and http sharing an address need the same tls-cert and tls-key');
  }
  return groups;
}
