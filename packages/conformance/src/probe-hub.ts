/**
 * The probe as a hub's process (`hub` or `hub=addressed` in its mode): it obeys the lines the
 * clients send, so that a check drives the shared process from its clients. Each stdin line
 * (in addressed mode, the TEXT of a `line ID TEXT` event; other events are only recorded) is
 *
 *   !exit N            exit with status N
 *   !flood N SIZE [K]  write N numbered lines of SIZE bytes (newline included), then `flood done`,
 *                      reporting progress as flood=N does; with K, a 1 ms pause every K lines
 *   !partial TEXT      write TEXT without a newline, then exit 0
 *   anything else      written back as one line (in addressed mode: as the child's own line,
 *                      so a client writes `2 hello` to have the process send `hello` to client 2)
 *
 * Lines are written whole, one write each, so the process's output never mixes two lines.
 */
export interface HubProbeIo {
  write(b: Buffer): boolean;
  record(event: Record<string, unknown>): void;
  finish(code: number): never;
}

/** Line `i` of a flood: `f0000007 ` and filler up to `size` bytes, newline included. */
export function floodLine(i: number, size: number, prefix = ''): Buffer {
  const head = `${prefix}f${String(i).padStart(7, '0')} `;
  const b = Buffer.alloc(Math.max(size, head.length + 1), 'x');
  b.write(head, 0, 'latin1');
  b[b.length - 1] = 0x0a;
  return b;
}

export function hubProbe(addressed: boolean, io: HubProbeIo): (chunk: Buffer) => void {
  let held = Buffer.alloc(0);
  const prefix = addressed ? '* ' : '';
  const obey = (line: string): void => {
    if (addressed) {
      const m = /^line \d+ (.*)$/s.exec(line);
      if (!m) return;
      line = m[1]!;
    }
    const [word, a, b, k] = line.split(' ');
    if (word === '!exit') io.finish(Number(a));
    if (word === '!partial') {
      io.write(Buffer.from(line.slice('!partial '.length), 'latin1'));
      io.finish(0);
    }
    if (word === '!flood') {
      const n = Number(a);
      const size = Number(b);
      const every = Number(k ?? 0);
      const nap = new Int32Array(new SharedArrayBuffer(4));
      let written = 0;
      for (let i = 1; i <= n; i++) {
        const l = floodLine(i, size, prefix);
        if (!io.write(l)) break;
        written += l.length;
        if (i % 256 === 0) io.record({ e: 'out', n: written });
        if (every && i % every === 0) Atomics.wait(nap, 0, 0, 1);
      }
      io.write(Buffer.from(`${prefix}flood done\n`));
      io.record({ e: 'out', n: written, done: true });
      return;
    }
    io.write(Buffer.from(`${line}\n`, 'latin1'));
  };
  return (chunk) => {
    held = Buffer.concat([held, chunk]);
    for (let nl = held.indexOf(0x0a); nl >= 0; nl = held.indexOf(0x0a)) {
      obey(held.subarray(0, nl).toString('latin1'));
      held = held.subarray(nl + 1);
    }
  };
}
