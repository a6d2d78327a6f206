/**
 * Hub mode on IRC (spec/bindings/irc.md, "Hub mode"): the channel itself as a client of its
 * room, from the bot's JOIN until it leaves the channel. Without it the room would have no
 * reader in the channel until a nick spoke, and a feed (`tail -f`) or a chat bridged from other
 * transports would say nothing to the nicks who only read. It sends no input; what the hub
 * sends it goes to the channel through the channel's voice, once (HUB-17), as does a line the
 * process addresses to its id.
 */
import type { ClientEndpoint, EndpointEvents, ExitInfo, FanOut, GoneReason } from '@hamelin/core';
import type { ChannelVoice, VoiceMember } from './channel-voice.js';
import { OutputText } from './output-text.js';

export class ChannelListener implements ClientEndpoint, VoiceMember {
  readonly framing = 'message' as const;
  private events: EndpointEvents | undefined;
  private goneBeforeStart: [GoneReason, string] | undefined;
  private state: 'new' | 'live' | 'over' = 'new';
  private readonly text = new OutputText();

  constructor(
    private readonly voice: ChannelVoice,
    /** Told once the listener is over, whichever side ended it. */
    private readonly onOver: (l: ChannelListener) => void,
  ) {
    voice.join(this);
  }

  get label(): string {
    return this.voice.channel;
  }

  get over(): boolean {
    return this.state === 'over';
  }

  /** The bot left the channel, or lost the server: the channel reads no more. */
  end(reason: GoneReason, detail: string): void {
    if (this.over) return;
    this.close();
    if (this.events) this.events.gone(reason, detail);
    else this.goneBeforeStart = [reason, detail];
  }

  start(events: EndpointEvents): void {
    this.events = events;
    if (this.goneBeforeStart) return events.gone(...this.goneBeforeStart);
    if (this.state === 'new') this.state = 'live';
  }

  write(chunk: Buffer, piece = false, copy?: FanOut): boolean {
    if (this.over) return true;
    return this.voice.say(this, copy, this.text.take(chunk, piece));
  }

  voiceDrained(): void {
    if (this.state === 'live') this.events?.drain();
  }

  pauseInput(): void {}

  resumeInput(): void {}

  /** The process ended (or the daemon stops): the bot makes a new listener with the next line. */
  finish(_exit: ExitInfo): void {
    if (this.over) return;
    this.voice.say(this, undefined, this.text.end());
    this.close();
  }

  private close(): void {
    this.state = 'over';
    this.voice.leave(this);
    this.onOver(this);
  }
}
