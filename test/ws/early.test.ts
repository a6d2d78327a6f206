/** Messages that arrive before the child exists are kept, in order, and bounded (WS-03, WS-11). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { upgradeRequest } from './client.js';

after(stopAll);

/** A masked text frame (clients must mask; a zero key leaves the payload as it is). */
function textFrame(s: string): Buffer {
  const p = Buffer.from(s);
  assert.ok(p.length < 126);
  return Buffer.concat([Buffer.from([0x81, 0x80 | p.length, 0, 0, 0, 0]), p]);
}

/** Text payloads of the server's (unmasked, unfragmented) frames in `buf`, and what is left. */
function serverFrames(buf: Buffer): { texts: string[]; rest: Buffer } {
  const texts: string[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    let len = buf[off + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      head = 4;
    } else if (len === 127) throw new Error('unexpected 64-bit frame length');
    if (buf.length - off < head + len) break;
    if ((buf[off]! & 0x0f) === 1) texts.push(buf.subarray(off + head, off + head + len).toString());
    off += head + len;
  }
  return { texts, rest: buf.subarray(off) };
}

test('WS-03 WS-11 messages sent with the upgrade request, before the child exists, all reach it in order (300 KB held while it starts)', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  // One write: the request and 6,000 frames (about 300 KB, past the 64 KiB the daemon holds
  // before it pauses the socket), all in the kernel before the daemon has even answered.
  const N = 6000;
  const sent = Array.from({ length: N }, (_, i) => `early ${i} ${'.'.repeat(i % 37)}`);
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const s = connect({ port: d.port, host: '127.0.0.1' }, () => s.write(Buffer.concat([Buffer.from(upgradeRequest('/')), ...sent.map(textFrame)])));
    let buf: Buffer = Buffer.alloc(0);
    let upgraded = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`only ${got.length} of ${N} echoes within 20 s`));
    }, 20_000);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        assert.match(buf.subarray(0, end).toString('latin1'), /^HTTP\/1\.1 101 /);
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      const { texts, rest } = serverFrames(buf);
      got.push(...texts);
      buf = rest;
      if (got.length >= N) {
        clearTimeout(timer);
        s.destroy();
        resolve();
      }
    });
    s.on('error', reject);
  });
  assert.equal(got.length, N);
  for (let i = 0; i < N; i++) if (got[i] !== sent[i]) assert.fail(`message ${i}: ${JSON.stringify(got[i])} != ${JSON.stringify(sent[i])}`);
});
