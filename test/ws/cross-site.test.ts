/** WS-22 in a real browser: a page of another loopback origin opens WebSockets to the daemon. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { launchChromium, servePage } from '../helpers/foreign-page.js';

let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await stopAll();
});

const attackPage = (target: string): string => `<!doctype html><meta charset="utf-8"><script>
const open = (url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onopen = () => { ws.send('rm -rf ~'); resolve('open'); };
  ws.onclose = (e) => resolve('closed ' + e.code);
});
window.attempts = Promise.all([open(${JSON.stringify(target)}), open(${JSON.stringify(`${target}?again`)})]);
</script>`;

test('WS-22 headless Chromium on another origin: its WebSockets get 403 before the upgrade, no process', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const page = await servePage(attackPage(`ws://127.0.0.1:${d.port}/`));
  try {
    browser = await launchChromium();
    const tab = await browser.newPage();
    await tab.goto(page.url);
    assert.deepEqual(await tab.evaluate('window.attempts'), ['closed 1006', 'closed 1006']);
    await eventually(() => (d.stderr().match(/ refused .*status=403/g) ?? []).length >= 2, 'two refusals');
    await d.waitLog(/refused client=127\.0\.0\.1:\d+ http_status=403 reason="Origin http:\/\/127\.0\.0\.1:\d+ not allowed/);
    assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 0, 'no process');
  } finally {
    page.close();
  }
});

test('WS-22 WS-19 the daemon\'s own console page still connects from Chromium (its own origin)', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--console', 'cat']);
  browser ??= await launchChromium();
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${d.port}/`);
  await tab.waitForSelector('#status.open', { timeout: 15_000 });
  await tab.fill('#input', 'same origin');
  await tab.press('#input', 'Enter');
  await eventually(async () => (await tab.$$eval('#log .out', (els) => els.map((e) => e.textContent))).includes('same origin'), 'the echo');
});
