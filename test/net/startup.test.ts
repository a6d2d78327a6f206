/** CORE-18: every startup error is one line on stderr and a non-zero exit, before listening. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, ROOT } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-net-startup-');

function run(args: string[]): Promise<{ status: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin('net'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, stdout });
    });
  });
}

async function expectOneLine(args: string[], status: number, re: RegExp): Promise<void> {
  const r = await run(args);
  assert.equal(r.status, status, `exit status for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `exactly one line, got: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, /^hamelin-net: /);
  assert.match(lines[0]!, re);
  assert.doesNotMatch(r.stderr, /info listening/);
}

const notExec = join(tmp, 'not-executable.sh');
writeFileSync(notExec, '#!/bin/sh\necho hi\n', { mode: 0o644 });
const notSocket = join(tmp, 'plain-file');
writeFileSync(notSocket, 'x');

const cases: [string, string[], number, RegExp][] = [
  ['unknown command', ['127.0.0.1', '0', 'no-such-command-xyz'], 2, /command not found in PATH: no-such-command-xyz/],
  ['unknown command by path', ['127.0.0.1', '0', '/nonexistent/cmd'], 2, /command not found: \/nonexistent\/cmd/],
  ['non-executable command', ['127.0.0.1', '0', notExec], 2, /command not executable/],
  ['a directory as command', ['127.0.0.1', '0', '/usr'], 2, /command not executable/],
  ['bad port', ['127.0.0.1', '70000', 'cat'], 2, /bad port: "70000"/],
  ['non-numeric port', ['127.0.0.1', 'http', 'cat'], 2, /bad port: "http"/],
  ['missing command', ['127.0.0.1', '8080'], 2, /missing CMD/],
  ['missing port and command', ['127.0.0.1'], 2, /missing PORT CMD/],
  ['no arguments', [], 2, /missing HOST PORT CMD/],
  ['NET-15 a port where HOST belongs', ['8080', 'cat'], 2, /missing HOST: 8080 is a port; give the address to listen on first, as in hamelin-net 127\.0\.0\.1 8080 cat$/],
  ['NET-15 a command where PORT belongs', ['127.0.0.1', 'cat'], 2, /missing PORT: "cat" is not a port \(usage: hamelin-net \[options\] HOST PORT CMD\)$/],
  ['unknown flag', ['--bogus', '127.0.0.1', '0', 'cat'], 2, /Unknown argument: bogus/],
  ['bad number', ['--kill-after', 'soon', '127.0.0.1', '0', 'cat'], 2, /kill-after/],
  ['negative number', ['--max-line', '-1', '127.0.0.1', '0', 'cat'], 2, /--max-line must be a whole number from 1 to/],
  ['bad log format', ['--log-format', 'xml', '127.0.0.1', '0', 'cat'], 2, /log-format/],
  ['option without its value', ['--kill-after'], 2, /--kill-after needs a value/],
  ['unresolvable host', ['no-such-host.invalid', '0', 'cat'], 1, /cannot listen on no-such-host\.invalid:0: host name does not resolve/],
  ['address not on this machine', ['192.0.2.1', '0', 'cat'], 1, /cannot listen on 192\.0\.2\.1:0: address not available/],
  ['unix path that is not a socket', [`unix:${notSocket}`, 'cat'], 1, /it exists and is not a socket/],
  ['TLS cert without key', ['--tls-cert', notSocket, '127.0.0.1', '0', 'cat'], 2, /--tls-cert and --tls-key go together/],
  ['unreadable TLS cert', ['--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.key', '127.0.0.1', '0', 'cat'], 1, /cannot read --tls-cert \/nonexistent\.pem: ENOENT/],
  ['unusable log file', ['--log-file', '/nonexistent/dir/log', '127.0.0.1', '0', 'cat'], 1, /cannot open log file/],
];

test('CORE-18 each startup error is one line and a non-zero exit, before listening', async (t) => {
  await Promise.all(cases.map(([what, args, status, re]) => t.test(`CORE-18 ${what}: one line, exit ${status}`, () => expectOneLine(args, status, re))));
});

test('CORE-18 a busy port is one line and exit 1, before listening', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as { port: number }).port;
  try {
    await expectOneLine(['127.0.0.1', String(port), 'cat'], 1, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
  } finally {
    holder.close();
  }
});

test('NET-08 a live unix socket is refused at startup', async () => {
  const path = join(tmp, 'live.sock');
  const first = await startDaemon('net', [`unix:${path}`, 'cat']);
  await expectOneLine([`unix:${path}`, 'cat'], 1, /another server is listening there/);
  await first.stop();
});

test('CORE-27 --help and --version answer on stdout and exit 0', async () => {
  const help = await run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: hamelin-net \[options\] HOST PORT CMD/);
  const version = await run(['--version']);
  assert.equal(version.status, 0);
  assert.equal(version.stdout.trim(), '0.2.0');
});

test('CORE-27 every installed bin (node_modules/.bin, as npx runs it) answers --version, and starts node with its V8 options', async () => {
  for (const name of ['net', 'ws', 'http', 'irc', 'tty']) {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', `hamelin-${name}`), ['--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `hamelin-${name} --version: ${r.stderr}`);
    assert.equal(r.stdout.trim(), '0.2.0');
  }
  const p = spawn(join(ROOT, 'node_modules', '.bin', 'hamelin-net'), ['127.0.0.1', '0', 'cat'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await eventually(() => readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').includes('node\0--max-semi-space-size=4\0'), 'the launcher to exec node with its option');
  } finally {
    p.kill('SIGTERM');
  }
});
