/**
 * The child's environment (CORE-08 .. CORE-11, CORE-23).
 *
 * Every hamelin variable is set twice: `H-NAME` as the spec has always said, and `H_NAME`
 * because Debian's /bin/sh (dash) drops names containing `-` from the environment of
 * everything it runs, so a shell script would otherwise never see them.
 */
export type HVars = Record<string, string>;

export interface EnvPolicy {
  /** Start from an empty environment (plus PATH and `passEnv`) instead of the daemon's. */
  clear: boolean;
  passEnv: string[];
}

const NUL = /\0/g;

/** The same few names recur in every session; header names from clients are bounded out. */
const nameCache = new Map<string, [string, string]>();

/** `REMOTE-ADDR` -> `H-REMOTE-ADDR` and `H_REMOTE_ADDR`. Names are upper-cased. */
export function hNames(key: string): [string, string] {
  let names = nameCache.get(key);
  if (names) return names;
  const k = key.toUpperCase().replace(/[^A-Z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  names = [`H-${k}`, `H_${k.replace(/-/g, '_')}`];
  if (nameCache.size < 512) nameCache.set(key, names);
  return names;
}

export function buildEnv(policy: EnvPolicy, vars: HVars, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...baseEnv(policy, base), ...hVariables(vars) };
}

/**
 * The part of every child's environment that does not depend on the client: computed once per
 * daemon. Reading `process.env` goes through a getenv() per name, and copying it was the
 * largest single cost of a new session on the hot path (0.14 ms of 1.2 ms, CPU profile of
 * churn), so sessions start from this snapshot instead. The daemon's environment is fixed
 * once it runs.
 */
export function baseEnv(policy: EnvPolicy, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (policy.clear) {
    if (base.PATH !== undefined) env.PATH = base.PATH;
    for (const name of policy.passEnv) if (base[name] !== undefined) env[name] = base[name];
  } else {
    for (const [k, v] of Object.entries(base)) {
      // A daemon run under another hamelin daemon must not leak its own session's variables.
      if (k.startsWith('H-') || k.startsWith('H_')) continue;
      env[k] = v;
    }
  }
  return env;
}

/** The hamelin variables of one session, each under both of its names. */
export function hVariables(vars: HVars): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in vars) {
    const value = vars[key]!;
    const clean = value.includes('\0') ? value.replace(NUL, '') : value;
    const [dash, underscore] = hNames(key);
    out[dash] = clean;
    out[underscore] = clean;
  }
  return out;
}

/**
 * A child's environment in two layers: the daemon's fixed part, shared by every session, and the
 * session's own H- variables (the two never share a name: the fixed part has no H- names). The
 * spawn server is sent the fixed part in the wire form it was encoded in once (`wire`), so a
 * session costs only its own variables; child_process gets one object (`toObject`). Copying and
 * encoding the whole environment per session cost ~0.09 ms of the daemon's ~0.85 ms per
 * connection (CPU profile of churn at c=1).
 */
export class SessionEnv {
  constructor(
    readonly base: SharedEnv,
    readonly own: Record<string, string>,
  ) {}

  toObject(): NodeJS.ProcessEnv {
    return { ...this.base.vars, ...this.own };
  }
}

export class SharedEnv {
  private encoded: { wire: Buffer; count: number } | undefined;

  constructor(readonly vars: NodeJS.ProcessEnv) {}

  /** `NAME=value` NUL-terminated, each variable once; computed on first use. */
  get wire(): { wire: Buffer; count: number } {
    if (!this.encoded) {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(this.vars)) if (v !== undefined && !v.includes('\0')) parts.push(`${k}=${v}\0`);
      this.encoded = { wire: Buffer.from(parts.join('')), count: parts.length };
    }
    return this.encoded;
  }
}
