/**
 * Hub mode on IRC (HUB-17; spec/bindings/irc.md "Hub mode"): what the hub says to a whole
 * channel. The channel itself (ChannelListener) and each nick that speaks to the bot there are
 * clients of the channel's hub, but a message to the channel reaches every nick: a line the hub
 * sends to all of them must be one PRIVMSG to the channel, not one per client. Each client's copy
 * of such a line comes here (decoded by its endpoint); the first copy of each line is queued, the
 * others are dropped. The queue is the channel's share of flood control (IRC-15): while it is
 * full every client of the channel is refused, so the hub holds the copies in each client's queue
 * (HUB-11) until it has room again.
 */
import type { ClientEndpoint, FanOut } from '@hamelin/core';
import type { Source } from './flood.js';
import { buildLine, splitUtf8, textBudget, WireError } from './wire.js';

/** What the voice needs of the bot and of the conversations that speak through it. */
export interface VoiceLink {
  maskLength(): number;
  queued(source: Source): void;
  warn(event: string, fields: Record<string, string | number | undefined>): void;
}

export interface VoiceMember {
  /** The voice has room again after refusing this member a copy. */
  voiceDrained(): void;
}

export class ChannelVoice implements Source {
  private readonly out: string[] = [];
  private readonly members = new Set<ClientEndpoint & VoiceMember>();
  private readonly waiting = new Set<VoiceMember>();
  /** The newest line queued: copies of it and of older lines are not said again. */
  private lastSeq = 0;

  constructor(
    readonly channel: string,
    private readonly link: VoiceLink,
    private readonly queueLimit: number,
  ) {}

  join(member: ClientEndpoint & VoiceMember): void {
    this.members.add(member);
  }

  leave(member: ClientEndpoint & VoiceMember): void {
    this.members.delete(member);
    this.waiting.delete(member);
  }

  get blocked(): boolean {
    return this.out.length >= this.queueLimit;
  }

  /**
   * One member's copy of a line for several clients, or (`copy` undefined) a line for that
   * member alone: the channel's own client's, or a nick's with its `prefix` (`nick: `) on each
   * piece. Every line of the channel's clients comes here, so that they keep one order and one
   * member waits only for the channel. Returns false when the member must wait
   * for `voiceDrained`. A line for every client but one that is a nick of this channel is not
   * said here: a channel cannot leave one nick out, and what that nick said (the usual reason
   * for `!ID`, a relay) everyone in the channel has read already.
   */
  say(from: VoiceMember, copy: FanOut | undefined, text: string, prefix = ''): boolean {
    const skip = copy !== undefined && (copy.seq <= this.lastSeq || (copy.except !== undefined && this.members.has(copy.except as ClientEndpoint & VoiceMember)));
    // A member that was refused holds every later line in its queue (HUB-11) and says them in
    // order once drained (members are woken in the order they were refused). A newer line from
    // another member (one that joined since) waits for them, and is said by them: said now, it
    // would pass them, and their older copies would look said already.
    if (copy && !skip && this.waiting.size > 0 && !this.waiting.has(from)) {
      this.waiting.add(from);
      return false;
    }
    // Otherwise taken even when the queue is full, as any endpoint's write is: false only asks
    // the hub to stop, so the queue passes its limit by one line a member at most.
    if (!skip) {
      if (copy) this.lastSeq = copy.seq;
      // IRC cannot carry an empty message (IRC-06).
      if (text !== '') for (const piece of splitUtf8(text, textBudget(this.link.maskLength(), this.channel) - Buffer.byteLength(prefix))) this.out.push(prefix + piece);
      if (this.out.length > 0) this.link.queued(this);
    }
    if (this.blocked) {
      this.waiting.add(from);
      return false;
    }
    return true;
  }

  // --- Source (flood control) ---

  pending(): number {
    return this.out.length;
  }

  discard(): void {
    this.out.length = 0;
    this.wakeWaiting();
  }

  take(): string | undefined {
    const piece = this.out.shift();
    if (piece === undefined) return undefined;
    let line: string | undefined;
    try {
      line = buildLine('PRIVMSG', [this.channel], piece);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.link.warn('unsendable', { client: this.channel, error: e.message });
    }
    if (!this.blocked) this.wakeWaiting();
    return line;
  }

  private wakeWaiting(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const m of waiting) m.voiceDrained();
  }
}
