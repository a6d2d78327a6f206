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

/** `REMOTE-ADDR` -> `H-REMOTE-ADDR` and `H_REMOTE_ADDR`. Names are upper-cased. */
export function hNames(key: string): [string, string] {
  const k = key.toUpperCase().replace(/[^A-Z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return [`H-${k}`, `H_${k.replace(/-/g, '_')}`];
}

export function buildEnv(policy: EnvPolicy, vars: HVars, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
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
  for (const [key, value] of Object.entries(vars)) {
    const clean = value.replace(NUL, '');
    for (const name of hNames(key)) env[name] = clean;
  }
  return env;
}
