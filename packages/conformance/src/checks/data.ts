/** CORE-03 line buffering, CORE-04 no changes to the data, CORE-05 final partial line, CORE-06 long lines. */
import type { Check } from '../runner.js';
import { b64, eventually, fresh, howClosed, pingEcho, session, showBytes } from './common.js';

/** Bytes a careless daemon changes: CR, CRLF, NUL, invalid UTF-8, tabs, blank lines. */
export function awkwardBytes(): Buffer {
  const high = Buffer.alloc(128);
  for (let i = 0; i < 128; i++) high[i] = 128 + i;
  return Buffer.concat([
    Buffer.from('plain\ncrlf\r\ncr only\rstill the same line\nnul\0byte\ntab\tand trailing spaces   \n\n\n'),
    high,
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
      const data = awkwardBytes();
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
        ctx.expect(c.received().toString() === tail, `the client to get ${JSON.stringify(tail)} exactly`, () => `${showBytes(c.received())}, ${howClosed(c)}`);
      })();
      await Promise.all([inbound, outbound]);
    },
  },
  {
    id: 'CORE-06',
    level: 'MUST',
    title: 'a line longer than the limit passes in pieces, never dropped',
    async run(ctx) {
      const len = ctx.has('max-line') ? 200_000 : 2_621_440;
      const options = ctx.has('max-line') ? { 'max-line': '65536' } : {};
      const { d, c, p } = await session(ctx, { mode: 'echo', options });
      const line = Buffer.alloc(len, 'y');
      line[len - 1] = 0x0a;
      await c.write(line);
      await c.waitFor((b) => b.length >= len, `${len} bytes echoed`, ctx.ms(10_000)).catch(() =>
        ctx.fail(`the ${len}-byte line back`, `${c.received().length} bytes; the child read ${fresh(d, p).stdinTotal()}`),
      );
      const got = c.received();
      ctx.expect(got.equals(line), `the ${len}-byte line unchanged`, () => showBytes(got));
      await pingEcho(ctx, c, 'after the long line\n');
      // The other direction: the child writes one long line, then a short one.
      const out = await session(ctx, { mode: `noread+stay+longline=${len}`, options });
      const want = len + 'short\n'.length;
      await out.c.waitFor((b) => b.length >= want, `the child's ${len}-byte line and the next`, ctx.ms(10_000)).catch(() =>
        ctx.fail(`the child's ${len}-byte line and "short\\n"`, `${out.c.received().length} bytes`),
      );
      const o = out.c.received();
      ctx.expect(o.subarray(0, len).equals(line) && o.subarray(len).toString() === 'short\n', 'the long output line unchanged', () => showBytes(o));
      return `${len} bytes${ctx.has('max-line') ? ' with --max-line 65536' : ' against the default 1 MiB limit'}`;
    },
  },
];
