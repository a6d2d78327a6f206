/**
 * systemd socket activation (OPS-09): with LISTEN_PID equal to our pid, LISTEN_FDS sockets
 * start at fd 3, named by LISTEN_FDNAMES (FileDescriptorName=). A front-end serves the socket
 * meant for it instead of binding its own, so a restart refuses no connection: the socket
 * stays open in systemd, and clients wait in its backlog.
 *
 * Which socket is whose: `SERVICE.FRONTEND` (`chat.ws`) or `FRONTEND` (`net`, `ws`, `http`).
 * A single daemon also takes a lone socket whatever its name.
 */
export interface InheritedSocket {
  fd: number;
  name: string;
}

let pool: InheritedSocket[] | undefined;

/** The sockets given and not yet taken. The variables are read once and removed, so that no
 * child believes the sockets are its own (CORE-23 passes the daemon's environment on). */
function inherited(): InheritedSocket[] {
  if (pool) return pool;
  pool = [];
  const { LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES } = process.env;
  if (LISTEN_PID !== undefined && Number(LISTEN_PID) === process.pid) {
    const n = Number(LISTEN_FDS);
    const names = (LISTEN_FDNAMES ?? '').split(':');
    for (let i = 0; Number.isInteger(n) && i < n; i++) pool.push({ fd: 3 + i, name: names[i] || 'unknown' });
  }
  for (const v of ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']) delete process.env[v];
  return pool;
}

/** How many sockets systemd gave, taken or not (the spawn helper must not inherit them). */
export function activatedCount(): number {
  return Math.max(0, ...inherited().map((s) => s.fd - 2));
}

/**
 * Take the socket for `frontEnd` (`net`, `ws`, `http`) of `service`, or undefined when systemd
 * gave none for it. `single`: a single-front-end daemon, which takes a lone socket of any name.
 */
export function takeActivatedSocket(frontEnd: string, service: string | undefined, single: boolean): InheritedSocket | undefined {
  const all = inherited();
  const wanted = service !== undefined ? [`${service}.${frontEnd}`, frontEnd] : [frontEnd, `hamelin-${frontEnd}`];
  let i = -1;
  for (const name of wanted) if (i < 0) i = all.findIndex((s) => s.name === name);
  if (i < 0 && single && all.length === 1) i = 0;
  if (i < 0) return undefined;
  return all.splice(i, 1)[0];
}
