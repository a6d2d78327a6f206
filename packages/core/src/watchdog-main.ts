/**
 * The watchdog process of the child_process spawn layer (CORE-22, CORE-29), run by watchdog.ts
 * as `node watchdog-main.js`. Its stdin is a pipe from the daemon, which writes one line per
 * change: `+PGID GRACE_MS` when it starts a session's group, `-PGID` when the session is over.
 * The pipe closing means the daemon has shut down or died; then every group still listed gets
 * SIGTERM, and SIGKILL after the longest of their grace periods, and the watchdog exits. It
 * ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT, as the C helper does: a ^C in the terminal is the
 * daemon's to handle, and the watchdog must outlive it.
 */
const groups = new Map<number, number>();
let buf = '';

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(sig, () => {});

process.stdin.setEncoding('latin1');
process.stdin.on('data', (d: string) => {
  buf += d;
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const [pg, grace] = line.slice(1).split(' ').map(Number);
    if (!Number.isInteger(pg) || pg! <= 1) continue;
    if (line[0] === '+') groups.set(pg!, grace ?? 5000);
    else if (line[0] === '-') groups.delete(pg!);
  }
});
process.stdin.on('error', () => {});
process.stdin.on('close', () => void endGroups());
// Ready: the daemon waits for this before it relies on the watchdog.
process.stdout.write('R\n');

function signal(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

async function endGroups(): Promise<void> {
  const left = [...groups.keys()].filter((g) => signal(g, 'SIGTERM'));
  const grace = Math.max(0, ...left.map((g) => groups.get(g)!));
  const deadline = Date.now() + grace;
  while (Date.now() < deadline && left.some((g) => signal(g, 0))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const g of left) signal(g, 'SIGKILL');
  process.exit(0);
}
