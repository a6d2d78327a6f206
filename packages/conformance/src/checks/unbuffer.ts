/**
 * --unbuffer (CORE-39): the child's stdout is a terminal in raw mode. The child is python3
 * without -u, which block-buffers into a pipe and line-buffers on a terminal: each line it
 * prints reaches the client at once only when stdout is a terminal. It reports what it sees
 * (isatty of 0, 1, 2; the window size; TERM) and then copies bytes, so that a CR added or an
 * echo shows in the output.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, Ctx } from '../runner.js';
import { showBytes } from './common.js';

/** Prints its view as one JSON line, answers each line upper-cased, and after "binary" copies
 * stdin to stdout with os.read/os.write until EOF. No flush anywhere: stdio buffering decides. */
const SCRIPT = `import json, os, sys
def size():
    try:
        s = os.get_terminal_size(1)
        return [s.lines, s.columns]
    except OSError:
        return None
print(json.dumps({"in": os.isatty(0), "out": os.isatty(1), "err": os.isatty(2), "size": size(), "term": os.environ.get("TERM")}))
for line in iter(sys.stdin.buffer.readline, b""):
    print(line.strip().decode("latin-1").upper())
    if line == b"binary\\n":
        sys.stdout.flush()
        while True:
            b = os.read(0, 65536)
            if not b:
                break
            os.write(1, b)
        break
`;

function python(ctx: Ctx): string {
  try {
    return execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim();
  } catch {
    return ctx.skip('needs python3 (a program that block-buffers into a pipe, as it is)');
  }
}

export const unbufferChecks: Check[] = [
  {
    id: 'CORE-39',
    level: 'MUST',
    title: '--unbuffer: python3 without -u answers each line at once; isatty(1) only, no size, TERM=dumb; bytes 0-255 through unchanged (no CR added, no echo)',
    bindings: ['net'],
    needs: ['unbuffer'],
    async run(ctx) {
      const py = python(ctx);
      const d = await ctx.start({
        options: { unbuffer: '' },
        // Empty is unset for python: the daemon's own environment must not unbuffer the child.
        env: { PYTHONUNBUFFERED: '' },
        commandFor: (runDir) => {
          const script = join(runDir, 'unbuffer.py');
          writeFileSync(script, SCRIPT);
          chmodSync(script, 0o644);
          return [py, script];
        },
      });
      const c = await d.dial();
      const wait = (want: string, what: string): Promise<void> =>
        c.waitFor((b) => b.includes(want), what, ctx.ms(5000)).catch(() => ctx.fail(what, showBytes(c.received())));
      await wait('\n', "the child's first line while it runs (python3 line-buffers only on a terminal)");
      const first = c.received().toString('latin1');
      const view = JSON.parse(first.slice(0, first.indexOf('\n'))) as { in: boolean; out: boolean; err: boolean; size: number[] | null; term: string };
      ctx.expect(view.out && !view.in && !view.err, 'isatty(1) true; isatty(0) and isatty(2) false (a socket, and the daemon\'s stderr, a pipe here)', () => `isatty 0/1/2: ${view.in}/${view.out}/${view.err}`);
      ctx.expect(JSON.stringify(view.size) === '[0,0]', 'a terminal of 0 rows and 0 columns', () => JSON.stringify(view.size));
      ctx.expect(view.term === 'dumb', 'TERM=dumb', () => JSON.stringify(view.term ?? null));
      await c.write('first\n');
      await wait('FIRST', '"FIRST" before the second line is sent');
      await c.write('second\n');
      await wait('SECOND', '"SECOND" before the third line is sent');
      await c.write('binary\n');
      await wait('BINARY', '"BINARY"');
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await c.write(bytes);
      c.halfClose();
      await Promise.race([c.closed, new Promise((r) => setTimeout(r, ctx.ms(5000)))]);
      const all = c.received();
      const want = Buffer.concat([Buffer.from(first.slice(0, first.indexOf('\n') + 1), 'latin1'), Buffer.from('FIRST\nSECOND\nBINARY\n'), bytes]);
      ctx.expect(all.equals(want), 'exactly the lines, then bytes 0-255 unchanged, and the end (no CR added, no echo)', () => `${showBytes(all, 400)}`);
      return 'each line at once, isatty(1) only, 0x0, TERM=dumb, 256 bytes unchanged';
    },
  },
];
