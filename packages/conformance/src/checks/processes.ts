/** CORE-01 one process per client; CORE-02 argv untouched; CORE-24 --cwd. */
import { PROBE_ARGV } from '../probe-binary.js';
import type { Check } from '../runner.js';
import { pingEcho, session, showBytes } from './common.js';

/** Arguments a shell would mangle: each must reach the child byte for byte. */
export const NASTY_ARGS = ['a b', '"double"', "'single'", '$HOME', '*', '', 'ünïcødé ✓', '--help', '--', '-x', '007', 'back\\slash', '$(id)', '\ttab', 'new\nline', '  '];

export const processChecks: Check[] = [
  {
    id: 'CORE-01',
    level: 'MUST',
    title: 'one process per client, never shared or reused',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const [a, b] = await Promise.all([d.dial(), d.dial()]);
      await a.write('from-a\n');
      await b.write('from-b\n');
      await a.waitFor((x) => x.includes('from-a\n'), 'client A echo', ctx.ms(3000));
      await b.waitFor((x) => x.includes('from-b\n'), 'client B echo', ctx.ms(3000));
      ctx.expect(a.received().toString() === 'from-a\n', 'client A to get only its own echo', () => showBytes(a.received()));
      ctx.expect(b.received().toString() === 'from-b\n', 'client B to get only its own echo', () => showBytes(b.received()));
      const s = await d.waitSessions(2);
      ctx.expect(s.length === 2 && s[0]!.pid !== s[1]!.pid, 'two processes with different pids', () => `pids ${s.map((p) => p.pid).join(', ')}`);
      for (const p of s) {
        const got = p.stdin().toString();
        ctx.expect(got === 'from-a\n' || got === 'from-b\n', `each process to read one client's line`, () => `pid ${p.pid} read ${JSON.stringify(got)}`);
      }
      a.close();
      b.close();
      const c = await d.dial();
      await pingEcho(ctx, c, 'from-c\n');
      const all = await d.waitSessions(3);
      const pids = new Set(all.map((p) => p.pid));
      ctx.expect(pids.size === 3, 'a new process for a third, later client', () => `pids ${[...pids].join(', ')}`);
      return `pids ${[...pids].join(', ')}`;
    },
  },
  {
    id: 'CORE-02',
    level: 'MUST',
    title: 'argv reaches the child untouched (no shell), argv[0] as given',
    async run(ctx) {
      const { p } = await session(ctx, { mode: 'echo', extra: NASTY_ARGS });
      const want = [p.argv[0]!, 'echo', ...NASTY_ARGS];
      ctx.expect(JSON.stringify(p.argv) === JSON.stringify(want), `the arguments ${JSON.stringify(want.slice(1))}`, () => JSON.stringify(p.argv.slice(1)));
      ctx.expect(p.argv0 === PROBE_ARGV[0], `argv[0] ${JSON.stringify(PROBE_ARGV[0])}`, () => JSON.stringify(p.argv0));
      return `${NASTY_ARGS.length} arguments byte for byte`;
    },
  },
  {
    id: 'CORE-24',
    level: 'MAY',
    title: '--cwd sets the child working directory',
    needs: ['cwd'],
    async run(ctx) {
      const { p } = await session(ctx, { options: { cwd: ctx.dir } });
      ctx.expect(p.cwd === ctx.dir, `cwd ${ctx.dir}`, () => p.cwd);
    },
  },
];
