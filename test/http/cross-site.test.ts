/** HTTP-34 in a real browser: a page of another loopback origin tries every way to run the command. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { launchChromium, servePage } from '../helpers/foreign-page.js';
import { tempDir } from '../helpers/temp-dir.js';

let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await stopAll();
});
const tmp = tempDir('hamelin-http-cross-site-');

/** Each attempt resolves when the browser is done with it, whatever the daemon answered. */
const attackPage = (target: string): string => `<!doctype html><meta charset="utf-8"><body><script>
const T = ${JSON.stringify(target)};
const settle = (p) => p.then(() => 'done', (e) => 'failed: ' + e);
const element = (tag, attrs) => new Promise((resolve) => {
  const el = document.createElement(tag);
  el.onload = () => resolve('load'); el.onerror = () => resolve('error');
  Object.assign(el, attrs); document.body.appendChild(el);
});
const source = () => new Promise((resolve) => {
  const es = new EventSource(T + 'sse');
  es.onerror = () => { es.close(); resolve('error'); };
  es.onmessage = () => { es.close(); resolve('message'); };
});
const form = () => new Promise((resolve) => {
  const frame = document.createElement('iframe'); frame.name = 'sink'; document.body.appendChild(frame);
  frame.onload = () => resolve('load');
  const f = document.createElement('form'); f.method = 'POST'; f.action = T + 'form'; f.target = 'sink';
  const i = document.createElement('input'); i.name = 'line'; i.value = 'rm -rf ~'; f.appendChild(i);
  document.body.appendChild(f); f.submit();
});
window.attempts = Promise.all([
  settle(fetch(T + 'no-cors', { method: 'POST', mode: 'no-cors', body: 'rm -rf ~' })),
  settle(fetch(T + 'cors', { method: 'POST', body: 'rm -rf ~' })),
  settle(fetch(T + 'get')),
  settle(fetch(T + '.hamelin/poll', { method: 'POST', mode: 'no-cors' })),
  source(),
  element('img', { src: T + 'img' }),
  element('script', { src: T + 'script' }),
  element('iframe', { src: T + 'frame' }),
  form(),
]);
</script>`;
const ATTEMPTS = 9;

test('HTTP-34 headless Chromium on another origin: fetch, EventSource, poll, img, script, frame, form: 403 each, no process', async () => {
  const mark = join(tmp, 'ran');
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', `echo "$H_PATH" >> ${mark}; cat`]);
  const page = await servePage(attackPage(`http://127.0.0.1:${d.port}/`));
  try {
    browser = await launchChromium();
    const tab = await browser.newPage();
    await tab.goto(page.url);
    const results = (await tab.evaluate('window.attempts')) as string[];
    assert.equal(results.length, ATTEMPTS);
    const seen = (): number => (d.stderr().match(/ refused .*status=403| start client=/g) ?? []).length;
    await eventually(() => seen() >= ATTEMPTS, `the daemon to see all ${ATTEMPTS} requests`);
    assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 0, `processes started:\n${d.stderr()}`);
    assert.equal(existsSync(mark), false, 'the command never ran');
    assert.equal((d.stderr().match(/ refused .*status=403/g) ?? []).length, ATTEMPTS);
  } finally {
    page.close();
  }
});
