/**
 * The channel's voice in hub mode (HUB-17), without a server: copies of one line said once, a
 * `!ID` line that leaves out a client of the channel not said, and lines said in the order the
 * hub sent them when a client that joined late offers a newer line while others wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientEndpoint } from '@hamelin/core';
import { ChannelVoice, type VoiceMember } from '@hamelin/irc';

type Member = ClientEndpoint & VoiceMember & { drained: number };

function member(): Member {
  const m = { drained: 0, voiceDrained: () => m.drained++ };
  return m as unknown as Member;
}

function voice(limit: number): { v: ChannelVoice; said: () => string[] } {
  const v = new ChannelVoice('#c', { maskLength: () => 60, queued: () => {}, warn: () => {} }, limit);
  const out: string[] = [];
  return {
    v,
    said: () => {
      for (let line = v.take(); line !== undefined; line = v.take()) out.push(line.replace(/^PRIVMSG #c :/, '').trimEnd());
      return out;
    },
  };
}

test('HUB-17 each copy of a line is said once; a line for all but a client of the channel is not said; a line for one client is said in order, with its prefix', () => {
  const { v, said } = voice(16);
  const [a, b] = [member(), member()];
  v.join(a);
  v.join(b);
  for (const m of [a, b]) assert.equal(v.say(m, { seq: 1 }, 'one'), true);
  for (const m of [a, b]) v.say(m, { seq: 2, except: a }, 'relayed');
  for (const m of [a, b]) v.say(m, { seq: 3, except: member() }, 'to all but someone elsewhere');
  v.say(a, undefined, 'the channel\'s own');
  v.say(b, undefined, 'for b alone', 'bob: ');
  assert.deepEqual(said(), ['one', 'to all but someone elsewhere', 'the channel\'s own', 'bob: for b alone']);
});

test('HUB-11 HUB-17 a full queue refuses; a newer line from a client that was not refused waits for those that were, so nothing is passed or lost', () => {
  const { v, said } = voice(2);
  const [a, late] = [member(), member()];
  v.join(a);
  assert.equal(v.say(a, { seq: 1 }, 'l1'), true);
  assert.equal(v.say(a, { seq: 2 }, 'l2'), false, 'full: a must wait (l2 is taken all the same)');
  // `late` joined after l3 was sent: its first copy is l4, while a holds l3 and l4 in its queue.
  v.join(late);
  assert.equal(v.say(late, { seq: 4 }, 'l4'), false, 'waits for a, which holds l3 before it');
  assert.deepEqual(said(), ['l1', 'l2']);
  assert.equal(a.drained, 1, 'a woken once there is room');
  assert.equal(late.drained, 1);
  // a says what it held, in order; late's copy of l4 is then seen as said.
  assert.equal(v.say(a, { seq: 3 }, 'l3'), true);
  assert.equal(v.say(a, { seq: 4 }, 'l4'), false);
  assert.equal(v.say(late, { seq: 4 }, 'l4'), false, 'said already; the queue is full again');
  assert.deepEqual(said(), ['l1', 'l2', 'l3', 'l4']);
});
