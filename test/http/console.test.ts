/** --console in headless Chromium: EventSource + POST drive a session; Disconnect is a DELETE (HTTP-30). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { fetchText } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await stopAll();
});
const tmp = tempDir('hamelin-http-console-');

async function launch(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is required for this test (apt-get install chromium)`);
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

test('HTTP-30 --console: a browser GET gets the self-contained page; curl still runs the command', async () => {
  const d = await startDaemon('http', ['--port', '0', '--console', 'echo', 'plain']);
  const page = await fetchText(d.port, { headers: { Accept: 'text/html,application/xhtml+xml' } });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /<script>/);
  assert.doesNotMatch(page.body, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/, 'no external assets');
  assert.equal((await fetchText(d.port, { path: '/.hamelin/console' })).status, 200);
  assert.equal((await fetchText(d.port)).body, 'plain\n', 'Accept: */* runs the command');
});

test('HTTP-30 HTTP-31 --console with --dir: the page only where a script is, 404 elsewhere, and nothing runs', async () => {
  const d = await startDaemon('http', ['--port', '0', '--console', '--dir', fixture('http/cgi')]);
  const browser = { Accept: 'text/html,application/xhtml+xml' };
  const page = await fetchText(d.port, { path: '/hello', headers: browser });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /<title>hamelin-http: \/hello<\/title>/);
  for (const path of ['/missing', '/', '/sub', '/.hamelin/console', '/../outside.sh']) {
    const r = await fetchText(d.port, { path, headers: browser });
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(String(r.headers['content-type']), /html/, path);
  }
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 0);
});

test('HTTP-30 the console in headless Chromium: the echo conversation of the README, then Disconnect', async () => {
  const mark = join(tmp, 'term');
  const d = await startDaemon('http', [
    '--port', '0', '--console',
    'sh', '-c', `trap 'echo TERM > ${mark}; exit 143' TERM; while read l; do echo "you said: $l"; done`,
  ]);
  const b = await launch();
  const page = await b.newPage();
  await page.goto(`http://127.0.0.1:${d.port}/`);
  await page.waitForSelector('#status.open', { timeout: 15_000 });
  for (const text of ['hello from chromium', 'second line']) {
    await page.fill('#input', text);
    await page.press('#input', 'Enter');
  }
  await page.waitForFunction(() => document.querySelectorAll('#log .out').length >= 2, undefined, { timeout: 15_000 });
  const out = await page.$$eval('#log .out', (els) => els.map((e) => e.textContent));
  assert.deepEqual(out, ['you said: hello from chromium', 'you said: second line']);
  await page.click('#disconnect');
  await page.waitForSelector('#status.closed', { timeout: 15_000 });
  // The page closes on whichever comes first, the exit event or the DELETE's answer; the
  // daemon writes the exit event first (HTTP-27), so the page shows the script's own status.
  assert.equal(await page.textContent('#status'), 'ended: exit status 143');
  await eventually(() => existsSync(mark) && readFileSync(mark, 'utf8') === 'TERM\n', 'the script to get SIGTERM');
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 1, 'one process, no EventSource reconnect ran another');
});

test('HTTP-30 HTTP-19 CORE-38 the console shows the exit event of a script that ends by itself', async () => {
  const d = await startDaemon('http', ['--port', '0', '--console', 'sh', '-c', 'read l; echo "got $l"; exit 5']);
  const b = await launch();
  const page = await b.newPage();
  await page.goto(`http://127.0.0.1:${d.port}/.hamelin/console`);
  await page.waitForSelector('#status.open', { timeout: 15_000 });
  await page.fill('#input', 'x');
  await page.press('#input', 'Enter');
  await page.waitForSelector('#status.closed', { timeout: 15_000 });
  assert.deepEqual(await page.$$eval('#log .out', (els) => els.map((e) => e.textContent)), ['got x']);
  // CORE-38: the same words as hamelin-ws's console for the same exit.
  assert.equal(await page.textContent('#status'), 'ended: exit status 5');
});
