/**
 * WS-27 and HTTP-41 in real Chromium: a page, its script and its style sheet come from
 * `--static`, and the page talks to the command through the same daemon (a WebSocket for
 * hamelin-ws, an EventSource and a POST for hamelin-http). The browser enforces what curl does
 * not: with `X-Content-Type-Options: nosniff` a script or style sheet with the wrong MIME type is
 * refused, so the page works only if send's types are right.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { launchChromium } from '../helpers/foreign-page.js';
import { tempDir } from '../helpers/temp-dir.js';

const site = tempDir('hamelin-static-browser-');
let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await stopAll();
  rmSync(site, { recursive: true, force: true });
});

/** index.html loads app/main.js and app/look.css; the script sets the title from what it hears. */
function makeSite(dir: string, script: string): void {
  mkdirSync(join(dir, 'app'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>loading</title><link rel="stylesheet" href="app/look.css"><p id="p">page</p><script src="app/main.js"></script>\n');
  writeFileSync(join(dir, 'app', 'look.css'), '#p { color: rgb(1, 2, 3); }\n');
  writeFileSync(join(dir, 'app', 'main.js'), script);
}

test('WS-27 Chromium loads a page, its script and its style from --static (types right under nosniff), and the page talks to the command over a WebSocket on the same port', async () => {
  const dir = join(site, 'ws');
  makeSite(dir, `const ws = new WebSocket('ws://' + location.host + '/chat');
ws.onopen = () => ws.send('hello from the page');
ws.onmessage = (e) => { document.title = 'heard: ' + e.data; };
ws.onerror = () => { document.title = 'error'; };
`);
  const d = await startDaemon('ws', ['--port', '0', '--static', dir, 'sh', '-c', 'read -r l; echo "upper: $(echo "$l" | tr a-z A-Z)"; read -r x']);
  const tab = await browser.newPage();
  try {
    await tab.goto(`http://127.0.0.1:${d.port}/`);
    const title = await eventually(async () => ((t) => (t.startsWith('heard') || t === 'error' ? t : undefined))(await tab.title()), 'the page to hear the command');
    assert.equal(title, 'heard: upper: HELLO FROM THE PAGE');
    assert.equal(await tab.evaluate(() => getComputedStyle(document.getElementById('p')!).color), 'rgb(1, 2, 3)', 'the style sheet applied');
  } finally {
    await tab.close();
  }
});

test('HTTP-41 Chromium loads a page from --static; its EventSource (at a path that names no file) and its POST to the session reach the command', async () => {
  const dir = join(site, 'http');
  makeSite(dir, `const es = new EventSource('/events');
let id;
es.addEventListener('session', (e) => { id = e.data; });
es.onmessage = (e) => {
  if (e.data === 'ready') fetch('/.hamelin/session/' + id, { method: 'POST', body: 'ping' });
  else { document.title = 'event: ' + e.data; es.close(); }
};
`);
  const d = await startDaemon('http', ['--port', '0', '--static', dir, 'sh', '-c', 'echo ready; read -r l; echo "got $l"']);
  const tab = await browser.newPage();
  try {
    await tab.goto(`http://127.0.0.1:${d.port}/`);
    const title = await eventually(async () => ((t) => (t.startsWith('event') ? t : undefined))(await tab.title()), 'the page to get the event');
    assert.equal(title, 'event: got ping');
    assert.equal(await tab.evaluate(() => getComputedStyle(document.getElementById('p')!).color), 'rgb(1, 2, 3)');
  } finally {
    await tab.close();
  }
});
