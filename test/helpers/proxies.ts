/**
 * Real reverse proxies for the front-door tests: HAProxy and nginx, each started in the
 * foreground from a config the test writes, on loopback ports, and stopped when the test ends.
 */
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { eventually } from './poll.js';
import { requireTool } from './tools.js';

/** A loopback port nothing listens on now (the proxies need theirs in their config). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port. */
export function listening(port: number, what: string): Promise<true> {
  return eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const c = connect({ port, host: '127.0.0.1' }, () => {
          c.destroy();
          resolve(true);
        });
        c.on('error', () => resolve(false));
      }),
    `${what} to listen on ${port}`,
    10_000,
    50,
  );
}

export interface Proxy {
  proc: ResultPromise;
  output(): string;
  stop(): Promise<void>;
}

function run(file: string, args: string[]): Proxy {
  const proc = execa(file, args, { reject: false, all: true, stdin: 'ignore' });
  let out = '';
  proc.all?.setEncoding('utf8').on('data', (d: string) => (out += d));
  return {
    proc,
    output: () => out,
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}

/** HAProxy (Debian `haproxy`) in the foreground (-db) with `config`. */
export function startHaproxy(dir: string, config: string): Proxy {
  const bin = requireTool('haproxy', 'haproxy');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  return run(bin, ['-db', '-f', file]);
}

/** nginx (Debian `nginx-light`) in the foreground with an `http { ... }` body; its pid file, logs
 * and temporary files stay in `dir`. */
export function startNginx(dir: string, http: string): Proxy {
  const bin = requireTool('nginx', 'nginx-light');
  const file = join(dir, 'nginx.conf');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join('\n');
  writeFileSync(
    file,
    `daemon off;\nmaster_process off;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'nginx-error.log')} warn;\nevents { worker_connections 64; }\n` +
      `http {\n  access_log off;\n${temp}\n${http}\n}\n`,
  );
  return run(bin, ['-p', dir, '-c', file]);
}
