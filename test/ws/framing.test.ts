/** hamelin-ws framing: text messages are lines, lines are text messages (WS-03 .. WS-07, WS-10). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { wsConnect } from './client.js';

after(stopAll);

const url = (port: number, path = '/'): string => `ws://127.0.0.1:${port}${path}`;

test('WS-03 WS-04 CORE-03 echo: one text message is one line, one line is one message', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const c = await wsConnect(url(d.port));
  c.send('hello');
  c.send('');
  c.send('  spaces and ünïcödé ✓  ');
  c.send('cr\r');
  await c.waitCount(4);
  assert.deepEqual(c.messages, ['hello', '', '  spaces and ünïcödé ✓  ', 'cr\r']);
  assert.deepEqual(c.binary, [false, false, false, false]);
  c.ws.close();
});

test('WS-03 a message with embedded newlines reaches the child unchanged, as several lines', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const c = await wsConnect(url(d.port));
  c.send('one\ntwo\n');
  c.send('three');
  await c.waitCount(4);
  assert.deepEqual(c.messages, ['one', 'two', '', 'three']);
  c.ws.close();
});

test('WS-04 CORE-05 WS-08 a final line without newline is delivered, then close 1000', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'printf', 'first\nlast without newline']);
  const c = await wsConnect(url(d.port));
  const closed = await c.closed;
  assert.deepEqual(c.messages, ['first', 'last without newline']);
  assert.deepEqual(closed, { code: 1000, reason: 'exit status 0' });
});

test('WS-03 WS-04 1 MB messages pass whole, both ways', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const c = await wsConnect(url(d.port), { maxPayload: 4 << 20 });
  const big = 'x'.repeat(999_990) + 'END';
  const big2 = 'é'.repeat(500_000); // 1,000,000 bytes of UTF-8
  c.send(big);
  c.send(big2);
  await c.waitCount(2, 20_000);
  assert.equal(c.messages[0]!.length, big.length);
  assert.equal(c.messages[0], big);
  assert.equal(c.messages[1], big2);
  c.ws.close();
});

test('WS-03 CORE-03 1,000 messages pipelined on one connection come back in order', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const c = await wsConnect(url(d.port));
  for (let i = 0; i < 1000; i++) c.send(`message ${i}`);
  await c.waitCount(1000);
  assert.deepEqual(c.messages, Array.from({ length: 1000 }, (_, i) => `message ${i}`));
  c.ws.close();
});

test('WS-07 stdout that is not UTF-8: invalid bytes become U+FFFD, the rest is kept', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'printf', 'ok \\303\\251\nbad \\377\\376 end\ncut \\342\\202\n']);
  const c = await wsConnect(url(d.port));
  await c.closed;
  assert.deepEqual(c.messages, ['ok é', 'bad \uFFFD\uFFFD end', 'cut \uFFFD']);
});

test('WS-05 a binary message in text mode closes with 1003 and ends the child', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const c = await wsConnect(url(d.port));
  c.send('before');
  await c.waitCount(1);
  c.send(Buffer.from([1, 2, 3]), true);
  const closed = await c.closed;
  assert.equal(closed.code, 1003);
  await d.waitLog(/end .*ended_by=client-protocol/);
});

test('WS-06 --binary: raw bytes both ways, nothing appended, output in binary messages', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--binary', 'cat']);
  const c = await wsConnect(url(d.port));
  c.send(Buffer.from([0x00, 0xff, 0x0a]), true);
  c.send(Buffer.from([0x41, 0x42]), true);
  c.send('C\n'); // a text message is its UTF-8 bytes: no newline added
  await eventuallyBytes(c, 7);
  assert.deepEqual(Buffer.concat(c.raw), Buffer.from([0x00, 0xff, 0x0a, 0x41, 0x42, 0x43, 0x0a]));
  assert.ok(c.binary.every((b) => b), 'output goes in binary messages');
  c.ws.close();
});

async function eventuallyBytes(c: { raw: Buffer[] }, n: number): Promise<void> {
  await eventually(() => Buffer.concat(c.raw).length >= n, `${n} bytes`);
}

test('WS-10 a message over --max-message closes with 1009 and ends the child', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--max-message', '1000', 'cat']);
  const c = await wsConnect(url(d.port));
  c.send('a'.repeat(1000));
  await c.waitCount(1);
  c.send('a'.repeat(1001));
  const closed = await c.closed;
  assert.equal(closed.code, 1009);
  await d.waitLog(/client-gone .*reason=protocol/);
});

test('WS-10 the default --max-message is 1 MiB', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const c = await wsConnect(url(d.port));
  c.send('b'.repeat(1 << 20));
  await c.waitCount(1, 20_000);
  c.send('b'.repeat((1 << 20) + 1));
  assert.equal((await c.closed).code, 1009);
});
