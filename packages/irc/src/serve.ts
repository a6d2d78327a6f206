/** The hamelin-irc bot as a front-end any process can compose (OPS-01): start it, get the handle. */
import type { Daemon, ServeHandle } from '@hamelin/core';
import { IrcBot } from './bot.js';
import type { IrcConfig } from './options.js';

/**
 * The connection to the server is the bot's one "listener". A drain (OPS-05) refuses new
 * conversations (the core says so to the user) and lets the live ones end, so stopAccepting
 * has nothing of its own to close.
 */
export async function serve(daemon: Daemon, config: IrcConfig): Promise<ServeHandle> {
  // --hub-eager: each channel is a room, named as the bot names it when a nick speaks there.
  daemon.eagerRooms = config.rooms;
  const bot = new IrcBot(daemon, config.bot);
  let closed: Promise<void> | undefined;
  bot.start();
  return {
    daemon,
    port: 0,
    stopAccepting: () => Promise.resolve(),
    close: () => (closed ??= Promise.all([bot.stop(), daemon.shutdown()]).then(() => {})),
  };
}
