/**
 * SIGHUP (OPS-08): read the configuration again, check all of it as at startup, and only then
 * apply it: new sessions get the new commands and session options, new TLS connections the
 * new certificate; live sessions keep what they started with. A bad file, or a change that
 * needs a restart, is one log line and the old configuration stays.
 */
import type { KeyPath, Logger } from '@hamelin/core';
import { FRONT_ENDS, RELOADABLE, type ProcessSpec } from './model.js';
import type { PreparedService } from './prepare.js';
import { settingsFor, type Started } from './start.js';

export interface Loaded {
  spec: ProcessSpec;
  services: PreparedService[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The first key whose change needs a restart, or undefined. */
export function restartChange(old: ProcessSpec, next: ProcessSpec): KeyPath | undefined {
  const keys = (a: Record<string, unknown>, b: Record<string, unknown>): string[] => [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys(old.raw, next.raw)) if (k !== 'services' && !same(old.raw[k], next.raw[k])) return [k];
  const oldNames = old.services.map((s) => s.name);
  const newNames = next.services.map((s) => s.name);
  if (!same([...oldNames].sort(), [...newNames].sort())) {
    const changed = newNames.find((n) => !oldNames.includes(n)) ?? oldNames.find((n) => !newNames.includes(n))!;
    return ['services', changed];
  }
  for (const s of next.services) {
    const o = old.services.find((x) => x.name === s.name)!;
    for (const k of keys(o.raw, s.raw)) {
      if (RELOADABLE.has(k)) continue;
      if ((FRONT_ENDS as readonly string[]).includes(k)) {
        const a = (o.raw[k] ?? {}) as Record<string, unknown>;
        const b = (s.raw[k] ?? {}) as Record<string, unknown>;
        if ((o.raw[k] === undefined) !== (s.raw[k] === undefined)) return ['services', s.name, k];
        for (const fk of keys(a, b)) if (!RELOADABLE.has(fk) && !same(a[fk], b[fk])) return ['services', s.name, k, fk];
      } else if (!same(o.raw[k], s.raw[k])) {
        return ['services', s.name, k];
      }
    }
  }
  return undefined;
}

export function makeReload(load: () => Loaded, initial: Loaded, started: Started, log: Logger): () => void {
  let current = initial;
  return () => {
    let next: Loaded;
    try {
      next = load();
      const change = restartChange(current.spec, next.spec);
      if (change) throw new Error(`${change.join('.')} cannot change without a restart`);
    } catch (e) {
      log.warn('reload-refused', { error: (e as Error).message, keeping: 'the running configuration' });
      return;
    }
    for (const service of next.services) {
      for (const fe of service.frontEnds) {
        const live = started.byKey.get(`${service.spec.name}/${fe.kind}`)!;
        live.daemon.reconfigure(settingsFor(service, fe));
        if ('tls' in fe.serve && fe.serve.tls) live.handle.setTls?.(fe.serve.tls);
      }
    }
    current = next;
    log.info('reloaded', { services: next.services.length });
  };
}
