/**
 * One conversation as a hamelin client endpoint ('message' framing): each addressed line
 * from the user is one stdin line; each stdout line is queued as one or more PRIVMSGs.
 *
 * The queue is this session's share of the connection's flood control: when it holds
 * `queueLimit` messages, `write` returns false and the core stops reading the child's
 * stdout until `drain`, so a fast script blocks on its own pipe instead of losing lines
 * (IRC-15, CORE-07). The core still hands over the rest of what it had already read (one
 * read from the pipe), so the queue can pass the limit by that much: `throttled` logs how far.
 */
import type { ClientEndpoint, EndpointEvents, ExitInfo, FanOut, GoneReason } from '@hamelin/core';
import type { ChannelVoice, VoiceMember } from './channel-voice.js';
import type { Source } from './flood.js';
import { OutputText } from './output-text.js';
import { buildLine, splitUtf8, textBudget, WireError } from './wire.js';

/** What a conversation needs from the bot. */
export interface BotLink {
  /** Longest `nick!user@host` the server may put in front of the bot's lines. */
  maskLength(): number;
  /** Longest nick the server allows, for budgeting a reply prefix that may change. */
  nickLength(): number;
  queued(source: Source): void;
  unqueue(source: Source): void;
  /** The session is over (finished or gone): forget the conversation. */
  ended(conv: Conversation): void;
  info(event: string, fields: Record<string, string | number | undefined>): void;
  warn(event: string, fields: Record<string, string | number | undefined>): void;
}

export interface ConversationOptions {
  /** Prefix channel replies with `nick: `. */
  prefix: boolean;
  queueLimit: number;
  maxLine: number;
  /** Hub mode, in a channel: lines for several clients go to the channel once, through it (HUB-17). */
  voice?: ChannelVoice | undefined;
}

/** How many user lines are held while the child is not reading its stdin. */
const MAX_HELD_INPUT = 256;

export class Conversation implements ClientEndpoint, Source, VoiceMember {
  readonly framing = 'message' as const;
  private events: EndpointEvents | undefined;
  private readonly out: string[] = [];
  private readonly heldInput: Buffer[] = [];
  private paused = false;
  private blocked = false;
  private goneBeforeStart: [GoneReason, string] | undefined;
  private state: 'new' | 'live' | 'gone' | 'finished' = 'new';
  private readonly text = new OutputText();
  private droppedInput = 0;
  /** For the `throttled` log line: how often the child was paused, the longest queue. */
  private pauses = 0;
  private peak = 0;
  private reported = false;

  constructor(
    /** Changes with the user's nick. */
    public key: string,
    /** null in private. */
    readonly channel: string | null,
    /** The user's current nick: follows nick changes (IRC-09). */
    public nick: string,
    /** `ident@host` of the user who started it: the same nick from elsewhere is someone else. */
    readonly user: string,
    private readonly bot: BotLink,
    private readonly opts: ConversationOptions,
  ) {
    opts.voice?.join(this);
  }

  get label(): string {
    return this.channel ? `${this.channel}/${this.nick}` : this.nick;
  }

  get over(): boolean {
    return this.state === 'gone' || this.state === 'finished';
  }

  /** One addressed line from the user. */
  input(text: string): void {
    if (this.over) return;
    const line = Buffer.from(text, 'utf8');
    if (this.state === 'new' || this.paused) {
      if (this.heldInput.length >= MAX_HELD_INPUT) {
        if (this.droppedInput++ === 0) this.bot.warn('input-dropped', { client: this.label, reason: 'child not reading stdin', held: MAX_HELD_INPUT });
        return;
      }
      this.heldInput.push(line);
      return;
    }
    this.events!.input(line);
  }

  /** The user or the bot left, or the connection is gone: SIGTERM via the core (IRC-08). */
  end(reason: GoneReason, detail: string): void {
    if (this.over) return;
    this.state = 'gone';
    this.opts.voice?.leave(this);
    this.out.length = 0; // nobody to deliver to
    this.bot.unqueue(this);
    this.bot.ended(this);
    this.report();
    if (this.events) this.events.gone(reason, detail);
    else this.goneBeforeStart = [reason, detail];
  }

  // --- ClientEndpoint ---

  start(events: EndpointEvents): void {
    this.events = events;
    if (this.goneBeforeStart) {
      events.gone(...this.goneBeforeStart);
      return;
    }
    if (this.state === 'new') this.state = 'live';
    this.flushInput();
  }

  write(chunk: Buffer, piece = false, copy?: FanOut): boolean {
    if (this.state === 'gone') return true;
    return this.say(this.text.take(chunk, piece), copy);
  }

  /**
   * In a channel's hub every line goes through the channel's voice, so that the channel's
   * lines keep one order: a line for several clients is said there once, a line for this
   * client alone with its `nick: ` prefix (HUB-17).
   */
  private say(text: string, copy?: FanOut): boolean {
    if (this.opts.voice) return this.opts.voice.say(this, copy, text, copy ? '' : this.replyPrefix());
    return this.enqueue(text);
  }

  /** The channel's voice has room again: the hub may send more (HUB-17). */
  voiceDrained(): void {
    if (this.state === 'live') this.events?.drain();
  }

  private enqueue(text: string): boolean {
    if (text === '') return !this.blocked; // IRC cannot carry an empty message (IRC-11)
    const budget = textBudget(this.bot.maskLength(), this.target()) - this.prefixBudget();
    for (const piece of splitUtf8(text, budget)) this.out.push(piece);
    this.peak = Math.max(this.peak, this.out.length);
    this.bot.queued(this);
    if (!this.blocked && this.out.length >= this.opts.queueLimit) {
      this.blocked = true;
      this.pauses++;
    }
    return !this.blocked;
  }

  pauseInput(): void {
    this.paused = true;
  }

  resumeInput(): void {
    this.paused = false;
    this.flushInput();
  }

  finish(_exit: ExitInfo): void {
    if (this.state === 'gone') return;
    // The line the last piece belonged to ended with the output: what was held goes too.
    this.say(this.text.end());
    this.state = 'finished';
    this.opts.voice?.leave(this);
    this.bot.ended(this);
    if (this.out.length === 0) {
      this.bot.unqueue(this);
      this.report();
    }
  }

  // --- Source (flood control) ---

  pending(): number {
    return this.out.length;
  }

  discard(): void {
    this.out.length = 0;
    if (this.state === 'finished') this.report();
  }

  take(): string | undefined {
    let piece = this.out.shift();
    if (piece === undefined) return undefined;
    const target = this.target();
    const prefix = this.replyPrefix();
    // The user may have changed to a longer nick since the piece was cut: cut again.
    const budget = textBudget(this.bot.maskLength(), target) - Buffer.byteLength(prefix);
    const parts = splitUtf8(piece, Math.max(16, budget));
    if (parts.length > 1) {
      piece = parts.shift()!;
      this.out.unshift(...parts);
    }
    let line: string | undefined;
    try {
      line = buildLine('PRIVMSG', [target], prefix + piece);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.bot.warn('unsendable', { client: this.label, error: e.message });
    }
    if (this.blocked && this.out.length < this.opts.queueLimit) {
      this.blocked = false;
      this.events?.drain();
    }
    if (this.out.length === 0 && this.state === 'finished') {
      this.bot.unqueue(this);
      this.report();
    }
    return line;
  }

  // ---

  private target(): string {
    return this.channel ?? this.nick;
  }

  private replyPrefix(): string {
    return this.channel && this.opts.prefix ? `${this.nick}: ` : '';
  }

  /** Room for `nick: ` with the longest nick the server allows. */
  private prefixBudget(): number {
    return this.channel && this.opts.prefix ? this.bot.nickLength() + 2 : 0;
  }

  /** Once, when the session is over and its queue empty: only for sessions that flood control
   * paused, so an operator sees which scripts are held back, and by how much. */
  private report(): void {
    if (this.reported || this.pauses === 0) return;
    this.reported = true;
    this.bot.info('throttled', { client: this.label, pauses: this.pauses, peak_queue: this.peak, limit: this.opts.queueLimit });
  }

  private flushInput(): void {
    while (!this.paused && this.heldInput.length && this.events && this.state === 'live') this.events.input(this.heldInput.shift()!);
  }
}
