export { IrcBot, type BotConfig } from './bot.js';
export { reconnectDelayMs, rejoinDelayMs } from './backoff.js';
export { ChannelVoice, type VoiceLink, type VoiceMember } from './channel-voice.js';
export { channelSpecs, JOIN_REFUSED, NEED_REGISTERED, type ChannelSpec } from './channels.js';
export { Conversation, type BotLink, type ConversationOptions } from './conversation.js';
export { lineCost, MAX_PROTOCOL, Sender, TokenBucket, type Bucket, type SenderState, type Source, type Write } from './flood.js';
export { afterTrigger } from './trigger.js';
export { readSecret } from './secret.js';
export { assumedMaskLength, buildLine, clean, cleanText, heldAtCut, MAX_LINE, middle, parseServer, splitUtf8, textBudget, validChannel, validNick, WireError } from './wire.js';
