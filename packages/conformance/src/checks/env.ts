/** The child's environment: CORE-08..11, CORE-23, NET-02, NET-03. */
import { readFileSync } from 'node:fs';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { ENV_LEAK, ENV_MARK } from '../runner.js';
import type { ProbeRun } from '../probe-report.js';
import type { Address, Conn } from '../types.js';
import { aliasMismatches, clip, session } from './common.js';

async function envSession(ctx: Ctx): Promise<{ env: Record<string, string>; c: Conn; addr: Address; p: ProbeRun; d: DaemonRun }> {
  const { d, c, p } = await session(ctx, { mode: 'echo' });
  return { env: p.env, c, addr: d.addr, p, d };
}

/** The daemon's own environment as it started (an interpreter's launcher, such as a pyenv
 * shim, may have changed PATH on the way), else the one the suite gave it. */
function daemonEnv(d: DaemonRun): Record<string, string> {
  return environOf(d.pid) ?? (process.env as Record<string, string>);
}

/** A process's environment as it was exec'ed (/proc/PID/environ). */
function environOf(pid: number): Record<string, string> | undefined {
  try {
    const out: Record<string, string> = {};
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) out[kv.slice(0, i)] = Buffer.from(kv.slice(i + 1), 'latin1').toString('utf8');
    }
    return out;
  } catch {
    return undefined;
  }
}

function hVars(env: Record<string, string>): string {
  const names = Object.keys(env).filter((k) => /^H[-_]/.test(k) && !k.includes('CONFORMANCE'));
  return names.length ? names.map((k) => `${k}=${clip(env[k]!, 60)}`).join(' ') : 'no H- variables';
}

function expectVar(ctx: Ctx, env: Record<string, string>, name: string, want: string | RegExp): string {
  const v = env[name];
  const ok = v !== undefined && (typeof want === 'string' ? v === want : want.test(v));
  ctx.expect(ok, `${name}=${typeof want === 'string' ? JSON.stringify(want) : want}`, () => (v === undefined ? `${name} unset (${hVars(env)})` : `${name}=${JSON.stringify(v)}`));
  return `${name}=${v}`;
}

export const envChecks: Check[] = [
  {
    id: 'CORE-08',
    level: 'MUST',
    title: 'H-VERSION is NAME/MAJOR.MINOR.PATCH',
    async run(ctx) {
      const { env } = await envSession(ctx);
      return expectVar(ctx, env, 'H-VERSION', /^[^/\s]+\/\d+\.\d+\.\d+\S*$/);
    },
  },
  {
    id: 'CORE-09',
    level: 'MUST',
    title: 'H-TYPE has the grammar TYPE-MAJOR.MINOR-SECURITY',
    async run(ctx) {
      const { env } = await envSession(ctx);
      return expectVar(ctx, env, 'H-TYPE', /^[A-Z0-9]+-\d+\.\d+-(INSECURE|TLS|LOCAL)$/);
    },
  },
  {
    id: 'CORE-10',
    level: 'MUST',
    title: "H-CLIENT describes the client (net: its ip:port; unix: unix:PATH)",
    async run(ctx) {
      const { env, c, addr } = await envSession(ctx);
      return expectVar(ctx, env, 'H-CLIENT', ctx.binding.hClient(c, addr));
    },
  },
  {
    id: 'CORE-11',
    level: 'MUST',
    title: 'every H-NAME is also set as H_NAME with the same value',
    async run(ctx) {
      const { env } = await envSession(ctx);
      const names = Object.keys(env).filter((k) => k.startsWith('H-') && !k.includes('CONFORMANCE'));
      ctx.expect(names.length > 0, 'H- variables, each with an H_ alias', () => 'no H- variables at all');
      const bad = aliasMismatches(env);
      ctx.expect(bad.length === 0, 'an H_ alias with the same value for each', () => bad.map((k) => `${k.replace(/-/g, '_')}=${JSON.stringify(env[k.replace(/-/g, '_')] ?? null)}`).join(' '));
      return `${names.length} aliased`;
    },
  },
  {
    id: 'CORE-23',
    level: 'MUST',
    title: "child env = daemon env + H- vars (inherited H-/H_ vars removed)",
    async run(ctx) {
      const { env, d } = await envSession(ctx);
      const own = daemonEnv(d);
      ctx.expect(env[ENV_MARK.name] === ENV_MARK.value, `${ENV_MARK.name} from the daemon's environment`, () => `${ENV_MARK.name}=${JSON.stringify(env[ENV_MARK.name] ?? null)}`);
      ctx.expect(env.PATH === own.PATH, "PATH as in the daemon's environment", () => `PATH=${clip(env.PATH ?? '(unset)', 80)}, the daemon's ${clip(own.PATH ?? '(unset)', 80)}`);
      const leaked = Object.keys(ENV_LEAK).filter((k) => env[k] !== undefined);
      ctx.expect(leaked.length === 0, "the daemon's own inherited H- variables removed", () => `${leaked.join(', ')} passed on`);
    },
  },
  {
    id: 'CORE-26',
    level: 'MUST',
    title: 'the daemon adds only H- names (upper case, digits, dashes) and their H_ aliases to its environment',
    async run(ctx) {
      const { env, d } = await envSession(ctx);
      const own = daemonEnv(d);
      const added = Object.keys(env).filter((k) => !(k in own));
      const bad = added.filter((k) => !/^H[-_][A-Z0-9]+([-_][A-Z0-9]+)*$/.test(k));
      ctx.expect(bad.length === 0, 'no other names added', () => `also added: ${bad.map((k) => `${k}=${clip(env[k]!, 40)}`).join(' ')}`);
      return `${added.length} added, all H- or H_`;
    },
  },
  {
    id: 'NET-02',
    level: 'MUST',
    title: 'H-TYPE is TCP-0.2-INSECURE (TCP-0.2-TLS with TLS) or UNIX-0.2-LOCAL',
    async run(ctx) {
      const { env, addr } = await envSession(ctx);
      return expectVar(ctx, env, 'H-TYPE', ctx.binding.hType(addr));
    },
  },
  {
    id: 'NET-03',
    level: 'MUST',
    title: 'H-CLIENT, H-REMOTE-ADDR/PORT, H-LOCAL-ADDR/PORT (unix: H-UNIX-PATH) match the connection',
    async run(ctx) {
      const { env, c, addr } = await envSession(ctx);
      if (ctx.binding.transport === 'unix') {
        expectVar(ctx, env, 'H-CLIENT', `unix:${addr.path}`);
        return expectVar(ctx, env, 'H-UNIX-PATH', addr.path);
      }
      const seen = [
        expectVar(ctx, env, 'H-CLIENT', c.label),
        expectVar(ctx, env, 'H-REMOTE-ADDR', c.localAddress),
        expectVar(ctx, env, 'H-REMOTE-PORT', String(c.localPort)),
        expectVar(ctx, env, 'H-LOCAL-ADDR', c.remoteAddress),
        expectVar(ctx, env, 'H-LOCAL-PORT', String(addr.port)),
      ];
      return seen.join(' ');
    },
  },
];
