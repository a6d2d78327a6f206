/** What the hub flow-control tests share: a flood script, the daemon's RSS, and a cheap watch on
 * the end of a client's bytes. */
import { readFileSync } from 'node:fs';
import type { Client } from './tcp.js';

export const rssMiB = (pid: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** On "go N", N numbered lines of 100 bytes, then "done". */
export const FLOOD = `while read -r cmd n; do awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%099d\\n", i; print "done" }'; done`;

/** Whether a client's bytes so far end with "done\n", kept up to date as they arrive. Searching all
 * of 20 clients' 10 MB on every poll starved a test's own event loop on a loaded machine. */
export function endsWithDone(c: Client): { seen: boolean } {
  const f = { seen: false };
  let tail = '';
  c.socket.on('data', (b: Buffer) => {
    tail = (tail + b.subarray(-5).toString('latin1')).slice(-5);
    f.seen = tail === 'done\n';
  });
  return f;
}

/** `p`, or a rejection naming `what` after `ms`: a wait in a test always ends. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
