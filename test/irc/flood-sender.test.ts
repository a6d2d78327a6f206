/**
 * The flood control's bookkeeping, without a server or a clock: a bucket that refills too
 * slowly to matter here (1 token in 1000 s), so what goes out at once is exactly what the
 * burst pays for. Pacing over time is measured against real servers (flood*.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineCost, MAX_PROTOCOL, Sender, TokenBucket, type Bucket, type Source } from '@hamelin/irc';
import { eventually } from '../helpers/poll.js';

function sender(burst: number): { s: Sender; out: string[] } {
  const out: string[] = [];
  const s = new Sender(new TokenBucket(burst, 0.001), (line, done) => {
    out.push(line);
    done?.();
  });
  return { s, out };
}

function source(lines: string[]): Source & { discarded: boolean } {
  return {
    discarded: false,
    pending: () => lines.length,
    take: () => lines.shift(),
    discard() {
      lines.length = 0;
      this.discarded = true;
    },
  };
}

test('IRC-21 lineCost: JOIN, PART and NICK cost two tokens, every other line one', () => {
  assert.deepEqual(['JOIN #c', 'join #c key', 'PART #c :bye', 'NICK n_'].map(lineCost), [2, 2, 2, 2]);
  assert.deepEqual(['PRIVMSG #c :JOIN', 'PING 1', 'PONG :x', 'CAP LS 302', 'USER u 0 * :r', 'QUIT', 'AUTHENTICATE +'].map(lineCost), [1, 1, 1, 1, 1, 1, 1]);
});

test('IRC-21 every line pays: the library\'s own, ours and sessions\' share one burst, at their cost', () => {
  const { s, out } = sender(6);
  s.setState('connected');
  // Registering: only the library's lines go; ours wait for registration.
  s.sendProtocol('CAP LS 302');
  s.sendProtocol('NICK bot'); // 2
  assert.deepEqual(out, ['CAP LS 302', 'NICK bot']);
  s.setState('registered');
  s.sendControl('JOIN #a'); // 2: 5 of 6 spent
  s.add(source(['PRIVMSG #a :one', 'PRIVMSG #a :two']));
  s.wake();
  s.sendProtocol('PONG :x'); // waits: the last token went to a PRIVMSG
  assert.deepEqual(out, ['CAP LS 302', 'NICK bot', 'JOIN #a', 'PRIVMSG #a :one']);
  s.setState('offline'); // and its timer with it
});

test('IRC-21 when tokens come, the library\'s lines go first, then ours (JOIN, NICK), then session output', async () => {
  // A bucket the test fills by hand.
  let tokens = 0;
  const bucket: Bucket = {
    take: (cost) => (tokens >= cost ? ((tokens -= cost), true) : false),
    wait: () => 1,
    reset: () => {},
  };
  const out: string[] = [];
  const s = new Sender(bucket, (line) => out.push(line));
  s.setState('connected');
  s.setState('registered');
  s.add(source(['PRIVMSG #a :one']));
  s.sendControl('JOIN #b');
  s.sendProtocol('PONG :x');
  assert.deepEqual(out, []);
  tokens = 4;
  await eventually(() => out.length === 3, 'the three lines');
  assert.deepEqual(out, ['PONG :x', 'JOIN #b', 'PRIVMSG #a :one']);
  assert.equal(tokens, 0, 'at their cost: 1 + 2 + 1');
  s.setState('offline');
});

test('IRC-21 offline drops every waiting line and still runs the library\'s callbacks (its QUIT closes the socket in one); closing keeps the library\'s lines only', () => {
  const { s, out } = sender(1);
  s.setState('connected');
  s.setState('registered');
  s.sendProtocol('PING 1');
  let closed = 0;
  s.sendProtocol('QUIT :bye', () => closed++);
  const src = source(['PRIVMSG #a :x']);
  s.add(src);
  s.sendControl('JOIN #a');
  s.setState('closing');
  assert.equal(src.discarded, true, 'session output dropped at shutdown');
  assert.equal(closed, 0, 'the QUIT still waits for its token');
  s.setState('offline');
  assert.equal(closed, 1);
  assert.deepEqual(out, ['PING 1']);
  assert.equal(s.sendProtocol('PONG :late'), false, 'nothing is taken while offline');
});

test('IRC-21 at most MAX_PROTOCOL library lines wait; more are refused (a PING flood cannot grow memory)', () => {
  const { s, out } = sender(1);
  s.setState('connected');
  const taken = Array.from({ length: MAX_PROTOCOL + 10 }, (_, i) => s.sendProtocol(`PONG :${i}`));
  assert.equal(out.length, 1);
  assert.equal(taken.filter(Boolean).length, MAX_PROTOCOL + 1);
  assert.deepEqual(taken.slice(0, MAX_PROTOCOL + 1), Array(MAX_PROTOCOL + 1).fill(true));
  s.setState('offline');
});

test('IRC-21 a line that costs more than the whole burst waits for a full bucket and goes, leaving a debt', () => {
  const b = new TokenBucket(1, 0.001);
  assert.equal(b.take(2), true);
  assert.equal(b.take(1), false);
  assert.ok(b.wait(1) > 1_000_000, 'two tokens to repay at 0.001/s');
});

test('IRC-15 HUB-17 a source that queues more while a line is taken (a hub client drained at once) keeps its order', () => {
  const { s, out } = sender(10);
  s.setState('connected');
  s.setState('registered');
  const lines = ['PRIVMSG #a :1'];
  const src: Source = {
    pending: () => lines.length,
    take: () => {
      const line = lines.shift();
      if (line === 'PRIVMSG #a :1') {
        lines.push('PRIVMSG #a :2', 'PRIVMSG #a :3');
        s.wake();
      }
      return line;
    },
    discard: () => (lines.length = 0),
  };
  s.add(src);
  s.wake();
  assert.deepEqual(out, ['PRIVMSG #a :1', 'PRIVMSG #a :2', 'PRIVMSG #a :3']);
  s.setState('offline');
});
