/** hamelin-ws's command line: the table --help and hamelin-ws(1) are both made from. */
import { cliManPage, httpFrontDoorOptions, integer, seconds, unixModeOption, type CliSpec } from '@hamelin/core';
import type { Options } from 'yargs';

/** hamelin-ws's own options: also its config keys (OPS-01). */
export const wsOptions: Record<string, Options> = {
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on (0.0.0.0 or :: for every interface)', group: 'Listening:' },
  port: { type: 'string', default: '8080', describe: 'TCP port (0 picks a free one)', group: 'Listening:' },
  unix: { type: 'string', describe: 'listen on this unix socket instead of TCP (--host and --port are then ignored)', group: 'Listening:' },
  'unix-mode': unixModeOption,
  'tls-cert': { type: 'string', describe: 'serve wss:// with this PEM certificate (chain)', group: 'Listening:' },
  'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'Listening:' },
  binary: { type: 'boolean', default: false, describe: 'raw bytes both ways in binary messages, no line framing', group: 'WebSocket:' },
  origin: { type: 'string', requiresArg: true, describe: "also allow pages from these Origins (scheme://host[:port], host[:port], *.domain; comma-separated or repeated; '*' for any); others get 403", group: 'WebSocket:' },
  'same-origin': { type: 'boolean', default: false, describe: 'only pages of this host: refuse (403) a handshake without an Origin or with another one', group: 'WebSocket:' },
  'max-message': integer({ default: 1048576, describe: 'largest message accepted, in bytes; larger closes with 1009', group: 'WebSocket:' }, 1, 1 << 30),
  'ping-interval': seconds({ default: 30, describe: 'seconds between pings; a peer that misses a pong is dropped (0: no pings)', group: 'WebSocket:' }),
  'header-timeout': seconds({ default: 10, describe: 'seconds to receive a handshake request, else 408', group: 'WebSocket:' }, 0.1),
  'max-handshakes': integer({ default: 256, describe: 'connections at once whose handshake request has not arrived in full; more are refused (0: no limit)', group: 'WebSocket:' }, 0, 1 << 20),
  dir: { type: 'string', describe: 'serve every executable in DIR, chosen by URL path (no CMD)', group: 'WebSocket:' },
  static: { type: 'string', describe: 'answer a plain GET or HEAD naming a file in DIR with it (index.html for a directory; no listings)', group: 'WebSocket:' },
  console: { type: 'boolean', default: false, describe: 'answer a plain GET with a browser console page', group: 'WebSocket:' },
  'pass-header': { type: 'string', requiresArg: true, describe: 'also pass this request header (Authorization, Cookie, Proxy are withheld otherwise)', group: 'WebSocket:' },
  ...httpFrontDoorOptions,
};

export const cliSpec: CliSpec = {
  name: 'hamelin-ws',
  summary: 'serve any script over WebSocket, one process per connection',
  description: [
    'hamelin-ws accepts WebSocket connections and starts CMD with its ARGS for each one (with --dir, the executable in DIR that the URL path names). One text message in is one line on the child\'s standard input; one line of its standard output is one text message out. With --binary, bytes pass both ways in binary messages with no line framing. The child\'s standard error goes to the daemon\'s.',
    'When the child exits, all its output is sent, then a close frame carrying how it ended: 1000 for status 0, 4000 + N for status N, 4100 + the signal number for a signal. When the client leaves (close frame, dropped connection, a missed pong), the child\'s process group gets SIGTERM, then SIGKILL after --kill-after.',
    'The child sees H-TYPE (WS-0.2-INSECURE or WS-0.2-TLS), H-CLIENT (the User-Agent), H-REMOTE-ADDR, H-REMOTE-PORT, H-PATH, H-QUERY, H-ORIGIN, one H-HEADER-NAME per request header, and with --dir H-SCRIPT-NAME and H-PATH-INFO; each also as H_NAME. See hamelin(7).',
  ],
  usage: '[options] CMD [ARGS...]\n       hamelin-ws [options] --dir DIR',
  options: wsOptions,
  examples: [
    ['hamelin-ws --port 8080 --console cat', 'echo server; open http://127.0.0.1:8080/ in a browser'],
    ['hamelin-ws --port 8080 --dir ./scripts', 'ws://host:8080/count.sh runs ./scripts/count.sh'],
  ],
  epilog: 'Everything from CMD on is passed to the command untouched.',
  instead: 'dir',
};

export const manPage = cliManPage(cliSpec);
