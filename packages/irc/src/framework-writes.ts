/**
 * Every line irc-framework writes, handed to the bot's flood control instead (IRC-21).
 *
 * irc-framework 4.14 writes all of its lines through one method, `client.connection.write(line,
 * callback)`: its `raw()`, the registration (CAP, PASS, NICK, USER, AUTHENTICATE), the PONG to
 * each server PING, its keep-alive PING, and the QUIT of `quit()` and of a ping timeout
 * (`connection.end` writes it and closes the socket in the callback). Left alone, those lines
 * bypass any throttle, and a strict server counts them all. The method is replaced on the one
 * connection object the client keeps for its lifetime; the original is returned, for the
 * flood control to write with when a line's turn comes.
 */
import type { Client } from 'irc-framework';
import type { Write } from './flood.js';

export function takeOverWrites(client: Client, sink: Write): Write {
  const conn = client.connection;
  const original: Write = conn.write.bind(conn);
  conn.write = sink;
  return original;
}
