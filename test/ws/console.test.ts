/** --console in a real browser: headless Chromium types a line, sees the echo and the close reason (WS-19). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { get, request } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { startDaemon, stopAll } from '../helpers/daemon.js';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await stopAll();
});

function fetchPage(port: number): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/`, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

test('WS-19 --console: a plain GET gets a self-contained HTML page', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--console', 'cat']);
  const page = await fetchPage(d.port);
  assert.equal(page.status, 200);
  assert.match(page.type, /^text\/html/);
  assert.match(page.body, /<script>/);
  assert.doesNotMatch(page.body, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/, 'no external assets');
  const status = (method: string): Promise<number> =>
    new Promise((resolve, reject) => request(`http://127.0.0.1:${d.port}/`, { method }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end());
  assert.equal(await status('HEAD'), 200);
  assert.equal(await status('POST'), 405);
});

test('WS-19 WS-08 CORE-38 the console in headless Chromium: type a line, see the echo, see the exit status', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is required for this test (apt-get install chromium)`);
  // Echo one line, then say goodbye and exit 3: the page must show the close code and reason.
  const d = await startDaemon('ws', ['--port', '0', '--console', 'sh', '-c', 'read line; echo "you said: $line"; echo bye; exit 3']);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${d.port}/`);
  await page.waitForSelector('#status.open', { timeout: 15_000 });
  await page.fill('#input', 'hello from chromium');
  await page.press('#input', 'Enter');
  await page.waitForSelector('#status.closed', { timeout: 15_000 });
  const out = await page.$$eval('#log .out', (els) => els.map((e) => e.textContent));
  assert.deepEqual(out, ['you said: hello from chromium', 'bye']);
  assert.deepEqual(await page.$$eval('#log .in', (els) => els.map((e) => e.textContent)), ['hello from chromium']);
  // CORE-38: the same words as hamelin-http's console for the same exit.
  assert.equal(await page.textContent('#status'), 'ended: exit status 3');
});
