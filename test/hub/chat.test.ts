/**
 * examples/chat as README.md's "Hub mode" runs it: ONE `hamelin` process serving room.sh with
 * --hub addressed on net, ws, http and irc (examples/chat/hamelin.yaml, its ports moved, its IRC
 * server a real ngircd started here), the channel in the service's room (hub-room: service,
 * HUB-18). One room, one process, reached at the same time from real nc, headless Chromium (the
 * ws console page), curl -N (an SSE session, and curl's POST to it) and irc-framework users.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Browser } from 'playwright-core';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { launchChromium } from '../helpers/foreign-page.js';
import { FrameworkUser } from '../helpers/framework-user.js';
import { startNgircd, stopAllNgircd } from '../helpers/ngircd.js';
import { ROOT } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

const started: ResultPromise[] = [];
let browser: Browser | undefined;
let ircUser: FrameworkUser | undefined;
let lurker: FrameworkUser | undefined;
after(async () => {
  for (const p of started) p.kill('SIGTERM');
  ircUser?.quit();
  lurker?.quit();
  await browser?.close();
  await stopAll();
  await stopAllNgircd();
});

/** Start a real client program, keeping what it prints. */
function run(file: string, args: string[]): { proc: ResultPromise; out: () => string } {
  const proc = execa(file, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit', buffer: false, reject: false });
  started.push(proc);
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  return { proc, out: () => out };
}

test('HUB-01 HUB-08 HUB-09 HUB-17 examples/chat: one room, one process, from nc, Chromium (ws), curl -N (SSE) and IRC at once', async () => {
  // The example as shipped, on ports of the system's choosing (each front-end listens apart),
  // its bot on an IRC server of this test's own.
  const irc = await startNgircd();
  const config = readFileSync(join(ROOT, 'examples/chat/hamelin.yaml'), 'utf8')
    .replace(/listen: 127\.0\.0\.1:(7000|8080|8081)\b/g, 'listen: 127.0.0.1:0')
    .replace(/server: 127\.0\.0\.1:6667\b/, `server: 127.0.0.1:${irc.port}`);
  assert.equal(config.match(/listen: 127\.0\.0\.1:0\b/g)?.length, 3, 'every address of the example was moved');
  assert.ok(config.includes(`server: 127.0.0.1:${irc.port}`), 'the IRC server was moved');
  const file = join(tempDir('hamelin-chat-'), 'hamelin.yaml');
  // Paced faster than the default flood limits, so that the test does not wait on them.
  writeFileSync(file, config.replace(/( +)hub-room: service/, '$1hub-room: service\n$1flood-burst: 20\n$1flood-rate: 20'));
  const hamelin = await startDaemon('hamelin', ['--config', file], { cwd: ROOT, ready: /chat\/http info listening/ });
  await hamelin.waitLog(/joined channel=#chat/, 20_000);
  const portOf = (fe: string): number => Number(new RegExp(`chat/${fe} info listening address=\\S+ port=(\\d+)`).exec(hamelin.stderr())![1]);
  const [NET, WS, HTTP] = [portOf('net'), portOf('ws'), portOf('http')];

  // nc, as the README says.
  const nc = run('nc', ['127.0.0.1', String(NET)]);
  const ncName = (await eventually(() => /^welcome, (\S+)$/m.exec(nc.out()), 'nc welcomed'))[1]!;

  // The browser page: the ws console, typing into the room.
  browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${WS}/`);
  await page.waitForSelector('#status.open', { timeout: 15_000 });
  const pageLines = (): Promise<string[]> => page.$$eval('#log .out', (els) => els.map((e) => e.textContent ?? ''));
  const pageName = (await eventually(async () => (await pageLines()).map((l) => /^welcome, (\S+)$/.exec(l)?.[1]).find(Boolean), 'the page welcomed'))!;
  await eventually(() => nc.out().includes(`* ${pageName} joined`), 'nc hears the page join');

  // curl -N reading along over SSE; it speaks with a POST to its session.
  const sse = run('curl', ['-sN', '-H', 'Accept: text/event-stream', `http://127.0.0.1:${HTTP}/`]);
  const session = (await eventually(() => /event: session\ndata: (\S+)/.exec(sse.out()), 'the SSE session id'))[1]!;
  const sseName = (await eventually(() => /^data: welcome, (\S+)$/m.exec(sse.out()), 'curl welcomed'))[1]!;
  await eventually(() => nc.out().includes(`* ${sseName} joined`), 'nc hears curl join');

  // The IRC channel: the bot of the same process is in it already.
  // bea only reads: the channel is a client of the room from the bot's JOIN.
  lurker = await FrameworkUser.connect(irc.port, 'bea');
  await lurker.join('#chat');
  ircUser = await FrameworkUser.connect(irc.port, 'alice');
  await ircUser.join('#chat');
  ircUser.say('#chat', 'hello from irc');
  for (const [who, seen] of [['nc', () => nc.out()], ['curl', () => sse.out()]] as const) {
    await eventually(() => /(^|\s)alice: hello from irc$/m.test(seen()), `${who} hears alice`);
  }
  await eventually(async () => (await pageLines()).some((l) => l === 'alice: hello from irc'), 'the page hears alice');

  // Each one speaks; everyone else hears it, the speaker does not hear itself.
  nc.proc.stdin!.write('hello from nc\n');
  await page.fill('#input', 'hello from chromium');
  await page.press('#input', 'Enter');
  const post = await execa('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--data-binary', 'hello from curl\n', `http://127.0.0.1:${HTTP}/.hamelin/session/${session}`]);
  assert.equal(post.stdout, '204');
  const said = { nc: `${ncName}: hello from nc`, page: `${pageName}: hello from chromium`, curl: `${sseName}: hello from curl` };
  await eventually(() => nc.out().includes(said.page) && nc.out().includes(said.curl), 'nc hears the page and curl');
  await eventually(() => sse.out().includes(`data: ${said.nc}`) && sse.out().includes(`data: ${said.page}`), 'curl hears nc and the page');
  await eventually(async () => {
    const l = await pageLines();
    return l.includes(said.nc) && l.includes(said.curl);
  }, 'the page hears nc and curl');
  for (const text of Object.values(said)) await eventually(() => ircUser!.texts('chat').includes(text) && lurker!.texts('chat').includes(text), `IRC hears "${text}"`);
  assert.ok(!nc.out().includes(said.nc), 'nc is not told its own line');
  assert.ok(!(await pageLines()).includes(said.page), 'the page is not told its own line');
  assert.ok(!sse.out().includes(`data: ${said.curl}`), 'curl is not told its own line');
  // IRC saw each line of the room once, and never alice's own line back.
  const ircTexts = ircUser.texts('chat');
  for (const text of Object.values(said)) assert.equal(ircTexts.filter((t) => t === text).length, 1, `once: ${text}`);
  assert.ok(!ircTexts.some((t) => t.includes('hello from irc')), 'alice is not told her own line');

  // One process for every transport of the service, IRC included: one hub start in the log.
  assert.equal([...hamelin.stderr().matchAll(/ hub-start hub=\S+ pid=\d+/g)].length, 1, hamelin.stderr());

  // A leave is announced to the rest, IRC included.
  await page.close();
  await eventually(() => sse.out().includes(`data: * ${pageName} left (closed)`) && nc.out().includes(`* ${pageName} left (closed)`), 'curl and nc hear the page leave');
  await eventually(() => ircUser!.texts('chat').includes(`* ${pageName} left (closed)`), 'IRC hears the page leave');
});
