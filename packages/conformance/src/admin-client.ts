/**
 * The suite's side of the admin endpoint (OPS-04, OPS-05): where it is ({admin} in DAEMON ARGV,
 * a port the suite picks), one plain HTTP request to it, and how a drain is started (POST /drain,
 * or the signal given by --drain-signal).
 */
import { request } from 'node:http';
import type { Address } from './types.js';

/** The admin endpoint is always on loopback: it is the operator's, never a client's. */
export const ADMIN_HOST = '127.0.0.1';

/** The placeholders that carry it: `{admin}` is HOST:PORT (as hamelin's --admin takes it),
 * `{admin-port}` the port alone. */
export const ADMIN_PLACEHOLDERS = ['{admin}', '{admin-port}'];

export const wantsAdmin = (daemon: string[]): boolean => daemon.some((w) => ADMIN_PLACEHOLDERS.some((p) => w.includes(p)));

/** Fill the admin placeholders of one word (the port is in the run's address, see runner.ts). */
export function fillAdmin(word: string, addr: Address): string {
  const port = addr.extra?.adminPort;
  if (port === undefined) return word;
  return word.replaceAll('{admin-port}', port).replaceAll('{admin}', `${ADMIN_HOST}:${port}`);
}

export interface AdminReply {
  status: number;
  body: string;
}

/** One request on a fresh connection (no keep-alive: each answer is about that moment). */
export function adminRequest(addr: Address, method: 'GET' | 'POST', path: string, timeoutMs: number): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ADMIN_HOST, port: Number(addr.extra?.adminPort), method, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** An answer as evidence: `200 "ok\n"`, or the request's error. */
export const showReply = (r: AdminReply | Error): string => (r instanceof Error ? `error ${r.message}` : `${r.status} ${JSON.stringify(r.body)}`);
