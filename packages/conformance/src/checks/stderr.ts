/** CORE-12 stderr byte for byte, CORE-16 abnormal exits logged, CORE-17 log lines distinguishable. */
import type { Check } from '../runner.js';
import { b64, eventually, howClosed, pingEcho, session, showBytes } from './common.js';

export function stderrBytes(): Buffer {
  const high = Buffer.from([0x80, 0xfe, 0xff, 0xc3]);
  return Buffer.concat([Buffer.from('conformance stderr 1\nhamelin: not a log line\r\n\0nul\t'), high, Buffer.from('\nend without newline')]);
}

export const stderrChecks: Check[] = [
  {
    id: 'CORE-12',
    level: 'MUST',
    title: "the child's stderr reaches the daemon's stderr byte for byte",
    async run(ctx) {
      const want = stderrBytes();
      const { d, c } = await session(ctx, { mode: `noread+stderr=${b64(want)}+delay=50+exit=0` });
      await eventually(() => d.stderr().includes(want), "the child's stderr bytes on the daemon's stderr", ctx.ms(5000)).catch(() =>
        ctx.fail(`${showBytes(want)} contiguous on the daemon's stderr`, showBytes(d.stderr(), 400)),
      );
      // And none of it to the client (the session ends once the child has exited).
      await eventually(() => c.endedAt() ?? c.error(), 'the connection to end', ctx.ms(5000)).catch(() => undefined);
      ctx.expect(!c.received().includes('conformance stderr'), "nothing of the child's stderr sent to the client", () => showBytes(c.received()));
      return `${want.length} bytes on the daemon's stderr, none to the client`;
    },
  },
  {
    id: 'CORE-16',
    level: 'SHOULD',
    title: 'an exit other than 0 or SIGTERM is logged with pid, client and status',
    async run(ctx) {
      const { d, c, p } = await session(ctx, { mode: 'noread+delay=50+exit=3' });
      await eventually(() => c.endedAt() ?? c.error(), 'the connection to end', ctx.ms(5000)).catch(() => undefined);
      const client = ctx.binding.transport === 'tcp' ? String(c.localPort) : d.addr.path;
      const line = await eventually(
        () => d.stderr().toString().split('\n').find((l) => l.includes(String(p.pid)) && /\b3\b/.test(l.replaceAll(String(p.pid), '')) && l.includes(client)),
        'a log line',
        ctx.ms(3000),
      ).catch(() => ctx.fail(`a line with pid ${p.pid}, status 3 and client ${client}`, showBytes(d.stderr(), 400)));
      return JSON.stringify(line);
    },
  },
  {
    id: 'CORE-17',
    level: 'SHOULD',
    title: "the daemon's own log lines can be told apart (hamelin: prefix or JSON) [info unless --hamelin]",
    async run(ctx) {
      const { d, c } = await session(ctx, { mode: 'echo' });
      await pingEcho(ctx, c);
      c.halfClose();
      await eventually(() => c.endedAt() ?? c.error(), 'the session to end', ctx.ms(5000)).catch(() => howClosed(c));
      const lines = d.stderr().toString().split('\n').filter((l) => l.trim() !== '');
      const foreign = lines.filter((l) => {
        if (l.startsWith('hamelin: ')) return false;
        try {
          return !('hamelin' in (JSON.parse(l) as object));
        } catch {
          return true;
        }
      });
      if (foreign.length) {
        const msg = `expected log lines starting "hamelin: " or JSON with a "hamelin" key; saw ${JSON.stringify(foreign[0])}`;
        if (!ctx.config.hamelin) ctx.info(msg);
        ctx.fail('log lines starting "hamelin: " or JSON with a "hamelin" key', JSON.stringify(foreign[0]));
      }
      return lines.length ? `${lines.length} log lines` : 'the daemon logged nothing';
    },
  },
];
