/**
 * LOG-01 .. LOG-06: every daemon, run with --log-format json through sessions that start, end,
 * exit badly, are refused and cannot start, writes only lines that follow the one vocabulary
 * (packages/core/src/log-vocabulary.ts): known events at their level, their required fields,
 * every field with its one type.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { request } from 'node:http';
import { checkLogLine } from '@hamelin/core';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { dial, roundTrip } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { handshakeStatus, wsConnect } from '../ws/client.js';
import { IrcUser, startNgircd, stopAllNgircd } from '../helpers/ngircd.js';
import { ttyDaemon, stopAllPty, SESSION as TTY_SESSION } from '../helpers/pty.js';
import { tempDir } from '../helpers/temp-dir.js';

after(async () => {
  await stopAll();
  await stopAllNgircd();
  await stopAllPty();
});
const dir = tempDir('hamelin-logvocab-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** One line in, one answer; `fail` exits 3. */
const SCRIPT = '#!/bin/sh\nread l\ncase "$l" in fail) exit 3;; esac\necho "got $l"\n';

let n = 0;
/** A directory with the script `s.sh` in it. */
function scriptDir(): { dir: string; path: string } {
  const d = mkdtempSync(join(dir, `d${n++}-`));
  const path = join(d, 's.sh');
  writeFileSync(path, SCRIPT, { mode: 0o755 });
  return { dir: d, path };
}

/** The daemon's JSON lines in `text`, checked: the problems found, and the events seen. */
function check(text: string): { problems: string[]; events: Set<string> } {
  const problems: string[] = [];
  const events = new Set<string>();
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (!('hamelin' in line)) continue;
    events.add(String(line.event));
    for (const p of checkLogLine(line)) problems.push(`${p}\n    ${raw}`);
  }
  return { problems, events };
}

function expectVocabulary(text: string, mustSee: string[]): void {
  const { problems, events } = check(text);
  assert.deepEqual(problems, [], `lines off the vocabulary:\n${problems.join('\n')}`);
  for (const e of mustSee) assert.ok(events.has(e), `the run logged no ${e} line (saw ${[...events].join(', ')})`);
}

async function shutdown(d: Running): Promise<void> {
  d.proc.kill('SIGHUP');
  await d.waitLog(/"event":"signal","signal":"SIGHUP"/);
  assert.equal(await d.stop(), 0);
}

const SESSION_EVENTS = ['listening', 'start', 'end', 'exit', 'refused', 'spawn-failed', 'signal', 'shutdown'];

test('LOG-01 LOG-02 LOG-03 LOG-04 LOG-05 hamelin-net: every JSON line follows the vocabulary', async () => {
  const s = scriptDir();
  const d = await startDaemon('net', ['--log-format', 'json', '--max-clients', '1', '127.0.0.1', '0', s.path], { ready: /"event":"listening".*"port":(\d+)/ });
  const a = await dial(d.port);
  await d.waitLog(/"event":"start"/);
  assert.match((await roundTrip(d.port, '')).toString(), /busy/);
  a.socket.end('ok\n');
  await a.closed;
  assert.equal((await roundTrip(d.port, 'fail\n')).length, 0);
  await d.waitLog(/"event":"exit"/);
  const gone = await dial(d.port);
  await eventually(() => (d.stderr().match(/"event":"start"/g) ?? []).length === 3, 'a third session to start');
  gone.socket.resetAndDestroy();
  await d.waitLog(/"event":"client-gone"/);
  rmSync(s.path);
  assert.match((await roundTrip(d.port, '')).toString(), /cannot start s\.sh/);
  await shutdown(d);
  expectVocabulary(d.stderr(), [...SESSION_EVENTS, 'client-gone', 'terminate']);
});

test('LOG-01 LOG-02 LOG-03 LOG-04 LOG-05 hamelin-ws: every JSON line follows the vocabulary; an unroutable path is refused', async () => {
  const s = scriptDir();
  const d = await startDaemon('ws', ['--log-format', 'json', '--max-clients', '1', '--port', '0', '--dir', s.dir], { ready: /"event":"listening".*"port":(\d+)/ });
  const url = `ws://127.0.0.1:${d.port}`;
  const a = await wsConnect(`${url}/s.sh`);
  await d.waitLog(/"event":"start"/);
  assert.equal(await handshakeStatus(`${url}/s.sh`), 503);
  a.send('ok');
  await a.closed;
  assert.equal(await handshakeStatus(`${url}/nothing-here`), 404);
  const f = await wsConnect(`${url}/s.sh`);
  f.send('fail');
  assert.equal((await f.closed).code, 4003);
  rmSync(s.path);
  assert.equal(await handshakeStatus(`${url}/s.sh`), 404);
  await shutdown(d);
  const text = d.stderr();
  expectVocabulary(text, ['listening', 'start', 'end', 'exit', 'refused', 'signal', 'shutdown']);
  assert.match(text, /"level":"warn","event":"refused","client":"[^"]+","http_status":404/);
  assert.match(text, /"level":"warn","event":"refused","client":"[^"]+","http_status":503/);
});

function post(port: number, path: string, body: string | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path, method: 'POST' }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (x: string) => (b += x)).on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    if (body !== null) req.end(body);
  });
}

test('LOG-01 LOG-02 LOG-03 LOG-04 LOG-05 hamelin-http: every JSON line follows the vocabulary; an unroutable path is refused as in ws', async () => {
  const s = scriptDir();
  const d = await startDaemon('http', ['--log-format', 'json', '--max-clients', '1', '--port', '0', '--dir', s.dir], { ready: /"event":"listening".*"port":(\d+)/ });
  // A request whose body has not ended holds the one session.
  const held = request({ port: d.port, host: '127.0.0.1', path: '/s.sh', method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } });
  const heldDone = new Promise<string>((resolve) => held.on('response', (res) => {
    let b = '';
    res.setEncoding('utf8').on('data', (x: string) => (b += x)).on('end', () => resolve(b));
  }));
  held.write('o');
  await d.waitLog(/"event":"start"/);
  assert.equal((await post(d.port, '/s.sh', 'x\n')).status, 503);
  held.end('k\n');
  assert.equal(await heldDone, 'got ok\n');
  assert.equal((await post(d.port, '/nothing-here', 'x\n')).status, 404);
  await post(d.port, '/s.sh', 'fail\n');
  await d.waitLog(/"event":"exit"/);
  await new Promise<void>((resolve) => {
    const c = connect({ port: d.port, host: '127.0.0.1' }, () => c.end('NOT HTTP\r\n\r\n'));
    c.on('close', () => resolve()).on('error', () => resolve()).resume();
  });
  await d.waitLog(/"event":"bad-request"/);
  await shutdown(d);
  const text = d.stderr();
  expectVocabulary(text, ['listening', 'start', 'end', 'exit', 'refused', 'request', 'bad-request', 'signal', 'shutdown']);
  assert.match(text, /"level":"warn","event":"refused","client":"[^"]+","http_status":404/);
  assert.match(text, /"event":"request",.*"http_status":500,"status":3/);
});

test('LOG-01 LOG-02 LOG-03 LOG-04 LOG-05 hamelin-irc: every JSON line follows the vocabulary', async () => {
  const s = scriptDir();
  const irc = await startNgircd();
  const d = await startDaemon(
    'irc',
    ['--log-format', 'json', '--max-clients', '1', '--flood-burst', '50', '--flood-rate', '50', '--server', `127.0.0.1:${irc.port}`, '--nick', 'bot', '--channel', '#t', s.path],
    { ready: /"event":"joined"/ },
  );
  const alice = await IrcUser.connect(irc.port, 'alice');
  const bob = await IrcUser.connect(irc.port, 'bob');
  await alice.join('#t');
  await bob.join('#t');
  alice.say('#t', 'bot: fail');
  await d.waitLog(/"event":"exit"/);
  // The script reads one line and answers it; a held session is one that has not answered yet.
  writeFileSync(s.path, '#!/bin/sh\nread l\nread m\necho "got $l $m"\n', { mode: 0o755 });
  alice.say('#t', 'bot: one');
  await d.waitLog(/"event":"start"[^]*"event":"start"/);
  bob.say('#t', 'bot: hello');
  await d.waitLog(/"event":"refused"/);
  alice.say('#t', 'bot: two');
  await alice.waitPrivmsg('bot', 'got one two');
  await d.waitLog(/"event":"end"/);
  rmSync(s.path);
  alice.say('#t', 'bot: again');
  await d.waitLog(/"event":"spawn-failed"/);
  await shutdown(d);
  alice.close();
  bob.close();
  await irc.stop();
  // hamelin-irc listens on nothing: it connects.
  expectVocabulary(d.stderr(), [...SESSION_EVENTS.filter((e) => e !== 'listening'), 'connecting', 'registered', 'joined', 'server-closed']);
});

test('LOG-01 LOG-02 LOG-03 LOG-04 LOG-05 hamelin-tty: every JSON line follows the vocabulary', async () => {
  const d = await ttyDaemon(['--log-format', 'json', '--respawn', TTY_SESSION, dir], { ready: /"event":"listening"/ });
  await d.waitFor('ready pid=');
  d.type('exit 3\r');
  await d.waitLog(/"event":"exit"/);
  await d.waitFor(/ready pid=[^]*ready pid=/);
  d.type('exit 0\r');
  await d.waitLog(/"event":"end"/);
  await d.waitFor(/(ready pid=[^]*){3}/);
  d.type('\x03');
  assert.equal((await d.exited).code, 0);
  expectVocabulary(d.log(), ['listening', 'start', 'end', 'exit', 'signal', 'shutdown']);
});
