export { IrcBot, type BotConfig } from './bot.js';
export { Conversation, type BotLink, type ConversationOptions } from './conversation.js';
export { Sender, TokenBucket, type Source } from './flood.js';
export { readSecret } from './secret.js';
export { assumedMaskLength, buildLine, clean, MAX_LINE, middle, parseServer, splitUtf8, textBudget, validChannel, validNick, WireError } from './wire.js';
