/**
 * A cluster worker's side of --workers (workers.ts): it says when it serves, and leaves the
 * stop signals that reach a whole terminal group to the primary, which passes them on.
 */
import cluster from 'node:cluster';
import type { DaemonObserver, DaemonView } from './observer.js';

/** What a worker reads of its served front-ends. */
interface Served {
  readonly served: readonly { daemon: { view: DaemonView; observe(o: DaemonObserver): unknown } }[];
}

/** The share of --max-clients still free, the tightest of the daemons (1 without a limit):
 * what the agent's `ready up N%` says (OPS-07). */
export function freeShare(control: Served): number {
  let free = 1;
  for (const h of control.served) {
    const v = h.daemon.view;
    if (v.maxClients > 0) free = Math.min(free, Math.max(0, v.maxClients - v.active) / v.maxClients);
  }
  return free;
}

/** Tell the primary that this worker serves (its startup went well), and from then on how full
 * it is after each session's start and end, for the primary's agent (OPS-13). */
export function tellPrimaryReady(control: Served): void {
  if (!cluster.isWorker) return;
  const load = (): void => void process.send?.({ hamelin: 'load', free: freeShare(control) });
  for (const h of control.served) h.daemon.observe({ sessionStarted: load, sessionEnded: load });
  process.send?.({ hamelin: 'ready' });
  load();
}

/** The signals that stop this process. In a worker only SIGTERM, from the primary: a
 * terminal's ^C reaches every process of the group, and a second stop would force the exit. */
export function stopSignalsHere(): NodeJS.Signals[] {
  if (!cluster.isWorker) return ['SIGINT', 'SIGTERM'];
  process.on('SIGINT', () => {});
  return ['SIGTERM'];
}

// Which worker this is, of how many: set by the primary, read once and removed, so that no
// child sees them (CORE-23 passes the daemon's environment on).
const ID = Number(process.env.HAMELIN_WORKER_ID) || 0;
const COUNT = Number(process.env.HAMELIN_WORKER_COUNT) || 1;
delete process.env.HAMELIN_WORKER_ID;
delete process.env.HAMELIN_WORKER_COUNT;

/** N of --workers N, inside a worker; 1 elsewhere. */
export function workerTotal(): number {
  return cluster.isWorker ? COUNT : 1;
}

/** The worker's number (1..N), or undefined outside a cluster. */
export function workerNumber(): number | undefined {
  return cluster.isWorker && ID > 0 ? ID : undefined;
}

/**
 * OPS-14: --max-clients is the daemon's, divided among the workers: worker i of N gets
 * floor(max / N), one more for the first max % N, and never less than 1 (0 would mean no limit).
 */
export function workerShare(maxClients: number): number {
  if (!cluster.isWorker || ID === 0 || COUNT <= 1 || maxClients <= 0) return maxClients;
  return Math.max(1, Math.floor(maxClients / COUNT) + (ID <= maxClients % COUNT ? 1 : 0));
}
