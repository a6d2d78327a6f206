/**
 * The consoles behind --auth-basic in headless Chromium (FD-15, FD-18, WS-19, HTTP-30): without
 * credentials the browser gets the 401 that makes it prompt, and nothing starts; with them (the
 * browser context's httpCredentials, as a person typing into the prompt) the page loads, its
 * WebSocket, EventSource and POSTs carry the credentials, a typed line goes through the script and
 * back, and the child knows the user. The password reaches neither the log nor the child.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { launchChromium } from '../helpers/foreign-page.js';
import { childCount, childEnvironments } from '../helpers/front-door.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-console-auth-');
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const USER = 'carol';
const PASSWORD = 'console-secret-Pw-9137';
const ENCODED = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

/** htpasswd from Debian's apache2-utils (-B: bcrypt), the file a user would really write. */
function htpasswdFile(): string {
  const file = join(dir, 'users');
  try {
    execFileSync('htpasswd', ['-c', '-B', '-C', '4', '-b', file, USER, PASSWORD], { stdio: 'pipe' });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    assert.fail(missing ? 'htpasswd is not installed: .ci/run installs apache2-utils; this test cannot run without it' : String(e));
  }
  return file;
}
const users = htpasswdFile();

let n = 0;
/** A script for `sh -c` that counts itself, keeps its environment, names the user it was told,
 * then answers every line. */
function echoingChild(): { count: string; script: string } {
  const count = join(dir, `count-${++n}`);
  return { count, script: `echo x >> ${count}; env > ${count}.env.$$; echo "user=$H_AUTH_USER"; while read l; do echo "you said: $l"; done` };
}

async function chromium(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}

/** Without credentials: the page is a 401 with the Basic challenge (the browser's prompt), the
 * refusal is logged, and no process starts. */
async function refusedWithoutCredentials(d: Running, count: string, realm: string): Promise<void> {
  const context = await (await chromium()).newContext();
  try {
    const page = await context.newPage();
    const answers: Array<{ status: number; challenge: string | undefined }> = [];
    page.on('response', (r) => answers.push({ status: r.status(), challenge: r.headers()['www-authenticate'] }));
    // A person would see the prompt and could cancel it; headless Chromium without credentials
    // cancels at once, and the navigation fails with ERR_INVALID_AUTH_CREDENTIALS (Chromium's
    // word for a challenge nobody answered). The 401 itself is what the browser was sent.
    const navigation = await page.goto(`http://127.0.0.1:${d.port}/`).then((r) => `status ${r?.status()}`, (e: Error) => e.message);
    await eventually(() => answers.length > 0, `the 401 to reach the page (navigation: ${navigation})`);
    assert.deepEqual(answers, [{ status: 401, challenge: `Basic realm="${realm}", charset="UTF-8"` }]);
    assert.match(navigation, /ERR_INVALID_AUTH_CREDENTIALS|status 401/);
    await d.waitLog(/ refused client=127\.0\.0\.1:\d+ reason=auth-no-credentials http_status=401/);
  } finally {
    await context.close();
  }
  assert.equal(childCount(count), 0, 'no child without credentials');
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 0);
}

/** With credentials: the console connects by itself, the child names the user, a typed line comes
 * back. Returns the Authorization headers the browser sent, as the network saw them. */
async function conversation(d: Running): Promise<{ page: Page; authorization: Map<string, string> }> {
  const context = await (await chromium()).newContext({ httpCredentials: { username: USER, password: PASSWORD } });
  const page = await context.newPage();
  // What went on the wire, the WebSocket handshake included (CDP's extra-info events carry the
  // headers Chromium really sent, after its auth cache added Authorization).
  const authorization = new Map<string, string>();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map<string, string>();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, `${e.type ?? ''} ${e.request.method} ${new URL(e.request.url).pathname}`));
  cdp.on('Network.webSocketCreated', (e) => urls.set(e.requestId, `WebSocket GET ${new URL(e.url).pathname}`));
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
    const h = Object.entries(e.headers).find(([k]) => k.toLowerCase() === 'authorization');
    if (h) authorization.set(e.requestId, String(h[1]));
  });
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
    const h = Object.entries(e.request.headers).find(([k]) => k.toLowerCase() === 'authorization');
    if (h) authorization.set(e.requestId, String(h[1]));
  });
  const res = await page.goto(`http://127.0.0.1:${d.port}/`);
  assert.equal(res?.status(), 200);
  await page.waitForSelector('#status.open', { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelectorAll('#log .out').length >= 1, undefined, { timeout: 15_000 });
  await page.fill('#input', 'hello through the prompt');
  await page.press('#input', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#log .out').length >= 2, undefined, { timeout: 15_000 });
  assert.deepEqual(await page.$$eval('#log .out', (els) => els.map((e) => e.textContent)), [`user=${USER}`, 'you said: hello through the prompt']);
  const named = new Map([...authorization].map(([id, value]) => [urls.get(id) ?? id, value]));
  return { page, authorization: named };
}

/** Neither the password nor the header that carries it is in the log or a child's environment. */
function noSecretAnywhere(d: Running, count: string): void {
  const env = childEnvironments(count);
  assert.match(env, new RegExp(`^H_AUTH_USER=${USER}$`, 'm'));
  for (const secret of [PASSWORD, ENCODED]) {
    assert.ok(!d.stderr().includes(secret), 'the credential is not in the log');
    assert.ok(!env.includes(secret), "the credential is not in the child's environment");
  }
}

test('FD-15 FD-18 WS-19 hamelin-ws --console --auth-basic in Chromium: 401 and the prompt, then the page and its WebSocket with the credentials', async () => {
  const { count, script } = echoingChild();
  const d = await startDaemon('ws', ['--port', '0', '--console', '--auth-basic', users, 'sh', '-c', script]);
  await refusedWithoutCredentials(d, count, 'hamelin-ws');
  const { page, authorization } = await conversation(d);
  assert.equal(authorization.get('WebSocket GET /'), `Basic ${ENCODED}`, `the WebSocket handshake carried the credentials: ${JSON.stringify([...authorization])}`);
  assert.equal(childCount(count), 1);
  await page.context().close();
  noSecretAnywhere(d, count);
});

test('FD-15 FD-18 HTTP-30 hamelin-http --console --auth-basic in Chromium: 401 and the prompt, then the page, its EventSource and its POSTs with the credentials', async () => {
  const { count, script } = echoingChild();
  const d = await startDaemon('http', ['--port', '0', '--console', '--auth-basic', users, 'sh', '-c', script]);
  await refusedWithoutCredentials(d, count, 'hamelin-http');
  const { page, authorization } = await conversation(d);
  assert.equal(authorization.get('EventSource GET /'), `Basic ${ENCODED}`, `the EventSource carried the credentials: ${JSON.stringify([...authorization])}`);
  const post = [...authorization].find(([what]) => what.startsWith('Fetch POST /.hamelin/session/'));
  assert.equal(post?.[1], `Basic ${ENCODED}`, `the POST carried the credentials: ${JSON.stringify([...authorization])}`);
  assert.equal(childCount(count), 1);
  await page.context().close();
  noSecretAnywhere(d, count);
});
