/**
 * The daemon's own answer to a client it gives no session (CORE-19: the command cannot start,
 * CORE-20: busy). Both paths, the session's and the daemon's, end a client here, the same way.
 */
import type { ClientEndpoint, EndpointEvents, ExitInfo, Framing } from './endpoint.js';

const NO_EVENTS: EndpointEvents = { input: () => {}, inputEnd: () => {}, drain: () => {}, gone: () => {} };

/** A line the daemon itself says to a client: fixed prefix, one line (a message on message
 * framing, bytes ending in a newline otherwise). */
export function errorLine(framing: Framing, text: string): Buffer {
  return Buffer.from(framing === 'message' ? `hamelin: ${text}` : `hamelin: ${text}\n`);
}

/** Tell the client `text` and end it. An endpoint with `tell` answers in its transport's own
 * way (HTTP: a 500 or 503 with the line as its body); any other gets the line as output. */
export function sayAndFinish(endpoint: ClientEndpoint, text: string, exit: ExitInfo): void {
  endpoint.start(NO_EVENTS);
  const line = errorLine(endpoint.framing, text);
  if (endpoint.tell) return endpoint.tell(line, exit);
  endpoint.write(line);
  endpoint.finish(exit);
}
