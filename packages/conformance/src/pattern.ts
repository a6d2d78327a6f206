/** Deterministic output the probe writes (`lines=N`) and the checks expect back, byte for byte:
 * numbered lines of varied length, cut at exactly N bytes (so it may end in a partial line). */
export function pattern(n: number): Buffer {
  const out = Buffer.alloc(n);
  let off = 0;
  for (let i = 0; off < n; i++) {
    const line = `line ${String(i).padStart(7, '0')} ${'abcdefghij'.repeat(i % 13)}\n`;
    off += out.write(line, off, 'latin1');
  }
  return out;
}
