/** Where the daemon listens: NET-01 addresses and names, NET-08 unix socket files, NET-09 TLS. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import type { Check, Ctx } from '../runner.js';
import { sleep, within } from '../runner.js';
import { freePort } from '../bindings/net.js';
import { listenersOf, unixListening } from '../proc.js';
import { clip, eventually, fresh, howClosed, pingEcho, session } from './common.js';

async function ipv6(): Promise<boolean> {
  return freePort('::1').then(
    () => true,
    () => false,
  );
}

async function serveOn(ctx: Ctx, host: string): Promise<string> {
  const { c } = await session(ctx, { host });
  await pingEcho(ctx, c).catch((e: Error) => ctx.fail(`an echo through ${host}`, e.message));
  return host;
}

/** A socket file with nobody listening, as a daemon killed with SIGKILL leaves it. */
async function staleSocket(path: string): Promise<void> {
  const code = `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

export const listenChecks: Check[] = [
  {
    id: 'NET-01',
    level: 'MUST',
    title: 'listens on HOST PORT (IPv4, IPv6, a name) or unix:PATH',
    async run(ctx) {
      if (ctx.binding.transport === 'unix') {
        // Not ctx.start's own wait: a daemon that runs but listens elsewhere (on TCP, at
        // another path) fails here, saying where it does listen.
        const d = await ctx.start({ mode: 'echo', noWait: true });
        const path = d.addr.path;
        await within(() => unixListening(path) || d.exitInfo !== undefined, ctx.ms(10_000));
        if (!unixListening(path)) {
          const where = listenersOf(d.pid);
          ctx.fail(
            `a unix stream socket listening at ${path} (the daemon was given unix:${path})`,
            d.exitInfo
              ? `the daemon exited (status ${d.exitInfo.code ?? d.exitInfo.signal}); stderr ${clip(d.stderr().toString())}`
              : `none after ${ctx.ms(10_000)} ms; the daemon runs, listening on ${where.length ? where.join(', ') : 'nothing'}`,
          );
        }
        const c = await d.dial();
        await pingEcho(ctx, c).catch((e: Error) => ctx.fail(`an echo through unix:${path}`, e.message));
        return `served at unix:${path}`;
      }
      const hosts = ['127.0.0.1', 'localhost'];
      if (await ipv6()) hosts.push('::1');
      else ctx.note('no IPv6 loopback here: ::1 not tried');
      const ok = await Promise.all(hosts.map((h) => serveOn(ctx, h)));
      return `served on ${ok.join(', ')}`;
    },
  },
  {
    id: 'NET-08',
    level: 'MUST',
    title: 'unix: a stale socket file is replaced, a live one refused, the file removed at shutdown',
    bindings: ['unix'],
    async run(ctx) {
      const notes: string[] = [];
      // Stale: must be replaced.
      const stale = await ctx.binding.allocate(ctx.dir);
      stale.path = join(ctx.dir, 'stale.sock');
      await staleSocket(stale.path);
      const d = await ctx.start({ addr: stale });
      const c = await d.dial();
      await pingEcho(ctx, c).catch((e: Error) => ctx.fail('service on the stale path', e.message));
      c.close();
      notes.push('stale file replaced');
      d.signal('SIGTERM');
      await Promise.race([d.exited, sleep(ctx.ms(6000))]);
      ctx.expect(!existsSync(stale.path), 'the socket file removed when the daemon shuts down', () => 'it is still there');
      // Live: must be refused and left alone.
      const live = await ctx.binding.allocate(ctx.dir);
      live.path = join(ctx.dir, 'live.sock');
      const owner = createServer((s) => {
        s.on('error', () => {});
        s.end('owner\n');
      });
      await new Promise<void>((r) => owner.listen(live.path, () => r()));
      try {
        const other = await ctx.start({ addr: live, noWait: true });
        const exited = await within(() => other.exitInfo !== undefined, ctx.ms(5000));
        ctx.expect(exited && other.exitInfo!.code !== 0, 'a daemon started on a live socket to exit non-zero', () =>
          exited ? `exit ${other.exitInfo!.code}` : 'still running after 5 s',
        );
        const still = await new Promise<string>((resolve) => {
          const s = connect(live.path);
          let got = '';
          s.on('data', (b) => (got += b.toString()));
          s.on('close', () => resolve(got));
          s.on('error', (e) => resolve(`error ${e.message}`));
        });
        ctx.expect(still === 'owner\n' && unixListening(live.path), "the live socket's owner still reachable", () => clip(still));
        notes.push(`live socket refused (exit ${other.exitInfo!.code})`);
      } finally {
        owner.close();
      }
      // A file that is not a socket: refused, and left alone.
      const plain = await ctx.binding.allocate(ctx.dir);
      plain.path = join(ctx.dir, 'not-a-socket');
      writeFileSync(plain.path, 'keep me\n');
      const third = await ctx.start({ addr: plain, noWait: true });
      const refused = await within(() => third.exitInfo !== undefined, ctx.ms(5000));
      ctx.expect(refused && third.exitInfo!.code !== 0, 'a daemon started on a regular file to exit non-zero', () =>
        refused ? `exit ${third.exitInfo!.code}` : 'still running after 5 s',
      );
      ctx.expect(readFileSync(plain.path, 'utf8') === 'keep me\n', 'the regular file left untouched', () => 'it was changed or removed');
      notes.push('regular file refused');
      return notes.join(', ');
    },
  },
  {
    id: 'NET-09',
    level: 'SHOULD',
    title: 'TLS on the same terms (H-TYPE TCP-0.2-TLS, echo, half-close)',
    bindings: ['net'],
    needs: ['tls'],
    async run(ctx) {
      const { d, c, p } = await session(ctx, { mode: 'echo', options: { tls: '' } });
      ctx.expect(p.env['H-TYPE'] === 'TCP-0.2-TLS', 'H-TYPE=TCP-0.2-TLS', () => `H-TYPE=${JSON.stringify(p.env['H-TYPE'] ?? null)}`);
      for (const name of ['H-TLS-PROTOCOL', 'H-TLS-CIPHER']) ctx.expect(!!p.env[name], `${name} set`, () => `${name}=${JSON.stringify(p.env[name] ?? null)}`);
      ctx.expect(p.env['H-TLS-SERVER-NAME'] === 'localhost', 'H-TLS-SERVER-NAME=localhost (the SNI the client sent)', () => `H-TLS-SERVER-NAME=${JSON.stringify(p.env['H-TLS-SERVER-NAME'] ?? null)}`);
      await pingEcho(ctx, c);
      await c.write('last');
      c.halfClose();
      await eventually(() => fresh(d, p).eof(), 'EOF on the child stdin after close_notify', ctx.ms(5000)).catch(() => undefined);
      await eventually(() => c.endedAt() ?? c.error(), 'the connection to end', ctx.ms(5000)).catch(() => undefined);
      ctx.expect(c.received().toString() === 'ping\nlast', 'the echo "ping\\nlast" and a clean end', () => `${clip(c.received().toString())}, ${howClosed(c)}`);
    },
  },
];
