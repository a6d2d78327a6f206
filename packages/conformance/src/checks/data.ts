/** CORE-03 line buffering, CORE-04 no changes to the data, CORE-05 final partial line, CORE-06 long lines. */
import type { Check } from '../runner.js';
import { blockedInWrite } from '../proc.js';
import type { Conn } from '../types.js';
import { b64, clip, eventually, within, fresh, howClosed, outputIs, pingEcho, session, showBytes, showOutput } from './common.js';

/** Bytes a careless daemon changes: CR, CRLF, NUL, invalid UTF-8, tabs, blank lines. */
export function awkwardBytes(utf8Only = false): Buffer {
  const high = Buffer.alloc(128);
  for (let i = 0; i < 128; i++) high[i] = 128 + i;
  return Buffer.concat([
    Buffer.from('plain\ncrlf\r\ncr only\rstill the same line\nnul\0byte\ntab\tand trailing spaces   \n\n\n'),
    // Text messages must be UTF-8 (message bindings list what they do with anything else).
    utf8Only ? Buffer.from('no invalid UTF-8 on a text binding') : high,
    Buffer.from('\nünï ✓\n\x1b[31mescape\x1b[0m\n' + 'z'.repeat(3000) + '\n'),
  ]);
}

export const dataChecks: Check[] = [
  {
    id: 'CORE-03',
    level: 'MUST',
    title: 'lines pass both ways as soon as complete (line-buffered)',
    async run(ctx) {
      const { d, c, p } = await session(ctx, { mode: 'echo' });
      for (const line of ['first line\n', 'second\n']) {
        const before = c.received().length;
        const sent = Date.now();
        await c.write(line);
        await c.waitFor((b) => b.subarray(before).toString() === line, `the echo of ${JSON.stringify(line)} with nothing sent after it`, ctx.ms(3000)).catch(
          () => ctx.fail(`${JSON.stringify(line)} echoed while the client waits`, `${showBytes(c.received().subarray(before))}; the child read ${showBytes(fresh(d, p).stdin())}`),
        );
        ctx.note(`${JSON.stringify(line)} round trip ${Date.now() - sent} ms`);
      }
      await c.write('par');
      await c.write('tial\n');
      await c.waitFor((b) => b.toString().endsWith('partial\n'), 'a line sent in two writes', ctx.ms(3000));
    },
  },
  {
    id: 'CORE-04',
    level: 'MUST',
    title: 'data unchanged (net/unix: CR, NUL, invalid UTF-8 all byte for byte)',
    async run(ctx) {
      const { d, c, p } = await session(ctx, { mode: 'echo' });
      const data = awkwardBytes(ctx.binding.framing === 'message');
      await c.write(data);
      await c.waitFor((b) => b.length >= data.length, `${data.length} bytes echoed`, ctx.ms(5000)).catch(() => undefined);
      const inChild = await eventually(() => {
        const s = fresh(d, p).stdin();
        return s.length >= data.length ? s : undefined;
      }, 'the child to read everything', ctx.ms(3000)).catch(() => fresh(d, p).stdin());
      ctx.expect(inChild.equals(data), `the child to read the ${data.length} bytes sent`, () => showBytes(inChild));
      ctx.expect(c.received().equals(data), `the client to get the ${data.length} bytes back unchanged`, () => showBytes(c.received()));
    },
  },
  {
    id: 'CORE-05',
    level: 'MUST',
    title: 'a final line without newline is delivered, both ways, no newline added',
    async run(ctx) {
      const inbound = (async () => {
        if (ctx.binding.framing === 'message') return ctx.note('input: not applicable, every message is a whole line');
        const { d, c, p } = await session(ctx, { mode: 'echo+stay' });
        await c.write('a\nfinal words');
        c.halfClose();
        const eof = await eventually(() => fresh(d, p).eof(), 'EOF on the child stdin after the client input ended', ctx.ms(5000)).catch(() => undefined);
        const got = fresh(d, p).stdin();
        ctx.expect(got.toString() === 'a\nfinal words', 'the child to read "a\\nfinal words" exactly', () => `${showBytes(got)}${eof ? '' : ', no EOF'}`);
      })();
      const outbound = (async () => {
        const tail = 'one\ntwo without newline';
        const { c } = await session(ctx, { mode: `noread+delay=100+print=${b64(tail)}+exit=0` });
        await eventually(() => c.endedAt() !== undefined || c.error() !== undefined, 'the connection to end', ctx.ms(5000)).catch(() => undefined);
        ctx.expect(outputIs(ctx, c, Buffer.from(tail)), `the client to get ${JSON.stringify(tail)} exactly`, () => `${showOutput(ctx, c)}, ${howClosed(c)}`);
      })();
      await Promise.all([inbound, outbound]);
    },
  },
  {
    id: 'CORE-06',
    level: 'MUST',
    title: 'a line longer than the limit passes in pieces, never dropped',
    async run(ctx) {
      const small = ctx.has('max-line');
      const len = small ? 200_000 : 2_621_440;
      const options = small ? { 'max-line': '65536' } : {};
      const line = Buffer.alloc(len, 'y');
      line[len - 1] = 0x0a;
      const message = ctx.binding.framing === 'message';
      // Into the child. A message binding caps a message's size on its own (WS: 1 MiB), so
      // there the inbound direction runs only against a smaller line limit.
      if (message && !small) {
        ctx.note('input: needs --opt max-line on a message binding (a 2.5 MiB message exceeds the message limit)');
      } else {
        const { d, c, p } = await session(ctx, { mode: 'echo', options });
        await c.write(line);
        const ok = await within(() => fresh(d, p).stdinTotal() >= len, ctx.ms(10_000), 50);
        // A relay that writes the child's stdin with a blocking write, and reads the child's
        // stdout only between such writes, deadlocks once the echo fills the stdout pipe: the
        // child then waits in write(1) and the daemon in its write to the child's stdin.
        const stuck = (): string =>
          blockedInWrite(p.pid) === 1 ? `; the child is blocked writing its stdout (the echo) that the daemon no longer reads: a relay deadlock, the daemon blocked writing the child's stdin` : '';
        ctx.expect(ok, `the child to read all ${len} bytes of the line`, () => `${fresh(d, p).stdinTotal()} bytes, client got ${c.receivedLength()} bytes back${stuck()}`);
        await pingEcho(ctx, c, 'after the long line\n');
      }
      // Out of the child: one long line, then "short\n".
      const out = await session(ctx, { mode: `noread+stay+longline=${len}`, options });
      const want = len + 'short\n'.length;
      await within(() => out.c.receivedLength() >= want + (message ? 4 : 0) || (message && lastIs(out.c, 'short')), ctx.ms(10_000), 50);
      if (message && out.c.messages) {
        const m = out.c.messages();
        const joined = Buffer.concat(m.slice(0, -1));
        ctx.expect(m.length >= 2 && joined.equals(line.subarray(0, len - 1)) && m[m.length - 1]!.toString() === 'short', `the ${len}-byte line as consecutive messages, then "short"`, () =>
          `${m.length} messages, ${joined.length} bytes before the last, last ${clip(m[m.length - 1]?.toString() ?? '', 40)}`,
        );
        return `${len} bytes out in ${m.length - 1} messages${small ? ' with --max-line 65536' : ''}`;
      }
      const o = out.c.received();
      ctx.expect(o.length === want && o.subarray(0, len).equals(line) && o.subarray(len).toString() === 'short\n', 'the long output line unchanged, then "short\\n"', () => showBytes(o));
      return `${len} bytes each way${small ? ' with --max-line 65536' : ' against the default 1 MiB limit'}`;
    },
  },
];

function lastIs(c: Conn, text: string): boolean {
  const m = c.messages?.() ?? [];
  return m.length > 0 && m[m.length - 1]!.toString() === text;
}
