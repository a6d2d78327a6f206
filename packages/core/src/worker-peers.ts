/**
 * Requests that belong to another worker (OPS-17). cluster hands each connection to a worker in
 * turn, before a byte is read, so a request naming a hamelin-http session may land on a worker
 * that does not hold it. Such a session's id names its worker, and each worker has a private
 * unix socket per listener; the worker that got the request, having checked it at its front
 * door, passes it on over that socket and relays the answer.
 *
 * The sockets live in a directory the primary makes, mode 0700, and removes at its end: only the
 * daemon's own user can reach them, so what arrives there was checked by a sibling already.
 * Each worker binds its own (`exclusive`), not through the primary as a shared listener.
 */
import cluster from 'node:cluster';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerNumber, workerTotal } from './worker-side.js';

const DIR_ENV = 'HAMELIN_WORKER_DIR';
const DIR = process.env[DIR_ENV];
delete process.env[DIR_ENV];

/** The primary: the directory its workers' sockets go in, passed to each in its environment. */
export function makePeerDir(): { env: Record<string, string>; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hamelin-peers-'));
  chmodSync(dir, 0o700);
  return { env: { [DIR_ENV]: dir }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Under --workers, this worker and the number of workers; undefined otherwise. */
function here(): { me: number; of: number } | undefined {
  const me = workerNumber();
  return me === undefined || DIR === undefined ? undefined : { me, of: workerTotal() };
}

/**
 * `bytes` from the cryptographic random source. Under --workers N the first byte is drawn, still
 * at random, among those congruent to this worker's number minus 1 modulo N, so that the id
 * names its worker and keeps all but log2(N) bits of its chance (HTTP-23, OPS-17).
 */
export function workerTaggedRandom(bytes: number): Buffer {
  const b = randomBytes(bytes);
  const w = here();
  if (w && w.of > 1) b[0] = randomInt(0, Math.floor((255 - (w.me - 1)) / w.of) + 1) * w.of + (w.me - 1);
  return b;
}

/** The worker an id made by workerTaggedRandom names, when it is not this one; else undefined. */
export function otherWorkerOf(id: Buffer): number | undefined {
  const w = here();
  if (!w || w.of < 2 || id.length === 0) return undefined;
  const owner = (id[0]! % w.of) + 1;
  return owner === w.me ? undefined : owner;
}

/** A listener's peer socket in worker `n`: one per listener, named by where it listens. */
export function peerSocketPath(worker: number, listener: string): string | undefined {
  if (DIR === undefined) return undefined;
  return join(DIR, `w${worker}-${createHash('sha256').update(listener).digest('hex').slice(0, 16)}.sock`);
}

const ownSockets: string[] = [];

/** Bind this worker's peer socket for `listener`; resolves false outside a cluster. */
export async function listenPeer(server: Server, listener: string): Promise<boolean> {
  const w = here();
  const path = w && w.of > 1 ? peerSocketPath(w.me, listener) : undefined;
  if (!cluster.isWorker || path === undefined) return false;
  // A replaced worker (OPS-14) finds its predecessor's file.
  try {
    unlinkSync(path);
  } catch {
    /* none */
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  ownSockets.push(path);
  return true;
}

/** --user/--group: the directory and this worker's sockets follow the daemon to its user. */
export function handPeersTo(uid: number, gid: number): void {
  if (DIR === undefined) return;
  for (const p of [DIR, ...ownSockets]) chownSync(p, uid, gid);
}
