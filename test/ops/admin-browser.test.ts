/**
 * OPS-20: the admin listener refuses web pages. A page in real Chromium, from another origin,
 * POSTs /drain the way an attacker's page would (no-cors, no preflight); the daemon keeps
 * accepting. Tools (no Origin, no Sec-Fetch-Site) and an address typed into the browser still
 * get their answers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { httpRequest } from '../helpers/http-get.js';
import { launchChromium, servePage } from '../helpers/foreign-page.js';

after(stopAll);

async function adminPort(d: Running): Promise<number> {
  return Number((await d.waitLog(/ admin address=\S+ port=(\d+)/))[1]);
}

function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('OPS-20 the admin listener answers 403 to a request with Origin or Sec-Fetch-Site, and logs it; tools and typed addresses still get answers', async () => {
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '127.0.0.1', '0', 'cat']);
  const admin = await adminPort(d);
  const drain = await send(admin, 'POST', '/drain', { Origin: 'http://evil.example' });
  assert.deepEqual([drain.status, drain.body], [403, 'forbidden: a request from a web page (Origin http://evil.example)\n']);
  assert.equal((await send(admin, 'POST', '/drain', { 'Sec-Fetch-Site': 'same-origin' })).status, 403, 'a rebound name is same-origin to the browser');
  assert.equal((await send(admin, 'POST', '/drain', { 'Sec-Fetch-Site': 'none' })).status, 403, 'a typed address may only GET');
  assert.equal((await send(admin, 'GET', '/metrics', { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' })).status, 403);
  assert.deepEqual(await send(admin, 'GET', '/healthz', { 'Sec-Fetch-Site': 'none' }), { status: 200, body: 'ok\n' });
  const tool = await httpRequest(`http://127.0.0.1:${admin}/healthz`);
  assert.deepEqual([tool.status, tool.body], [200, 'ok\n']);
  await d.waitLog(/refused client=127\.0\.0\.1 http_status=403 reason="?a request from a web page \(Origin http:\/\/evil\.example\)/);
  assert.equal(d.proc.exitCode, null, 'still running: no drain began');
});

test('OPS-20 a page in Chromium from another origin cannot drain the daemon; the operator typing /healthz still reads it', async () => {
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '127.0.0.1', '0', 'cat']);
  const admin = await adminPort(d);
  const page = await servePage(`<!doctype html><title>page</title><script>
    fetch('http://127.0.0.1:${admin}/drain', { method: 'POST', mode: 'no-cors', body: 'x' })
      .then(() => { document.title = 'sent'; }, (e) => { document.title = 'error ' + e; });
  </script>`);
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(page.url);
    await eventually(async () => ((await tab.title()) === 'sent' ? true : undefined), 'the page to send its POST');
    await d.waitLog(/refused .*http_status=403 .*a request from a web page \(Origin http:\/\/127\.0\.0\.1:\d+\)/);
    const h = await httpRequest(`http://127.0.0.1:${admin}/healthz`);
    assert.deepEqual([h.status, h.body], [200, 'ok\n'], 'still accepting: the drain never began');
    assert.doesNotMatch(d.stderr(), /admin-drain/);
    const typed = await browser.newPage();
    const r = await typed.goto(`http://127.0.0.1:${admin}/healthz`);
    assert.equal(r?.status(), 200);
    assert.equal((await typed.textContent('body'))?.trim(), 'ok');
  } finally {
    await browser.close();
    page.close();
  }
});
