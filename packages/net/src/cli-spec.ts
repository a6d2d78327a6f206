/** hamelin-net's command line: the table --help and hamelin-net(1) are both made from. */
import { cliManPage, frontDoorOptions, unixModeOption, type CliSpec } from '@hamelin/core';
import type { Options } from 'yargs';
import { listenPositionals } from './address.js';

/** hamelin-net's own options: also its config keys (OPS-01). */
export const netOptions: Record<string, Options> = {
  'tls-cert': { type: 'string', describe: 'serve TLS with this PEM certificate (chain)', group: 'TLS:' },
  'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'TLS:' },
  'unix-mode': unixModeOption,
  raw: { type: 'boolean', default: false, describe: 'no line framing: pass every read on at once, both ways (binary protocols)', group: 'Session:' },
  ...frontDoorOptions,
};

export const cliSpec: CliSpec = {
  name: 'hamelin-net',
  summary: 'serve any script over TCP, TLS or a unix socket, one process per connection',
  description: [
    'hamelin-net listens on HOST PORT (or on the unix socket PATH) and starts CMD with its ARGS for every connection. The bytes the client sends go to the child\'s standard input, the child\'s standard output goes back to the client, unchanged; each direction passes on every complete line at once. The child\'s standard error goes to the daemon\'s.',
    'When the client half-closes its side, the child\'s standard input ends and the session goes on until the child exits; then every byte it wrote is sent and the connection is closed with a FIN. When the client goes away, the child\'s process group gets SIGTERM, then SIGKILL after --kill-after.',
    'The child sees H-TYPE (TCP-0.2-INSECURE, TCP-0.2-TLS or UNIX-0.2-LOCAL), H-CLIENT (ip:port), H-REMOTE-ADDR, H-REMOTE-PORT, H-LOCAL-ADDR and H-LOCAL-PORT; with TLS H-TLS-PROTOCOL and H-TLS-CIPHER; on a unix socket H-CLIENT is unix:PATH and H-UNIX-PATH is PATH. Each is also set as H_NAME; see hamelin(7).',
  ],
  usage: '[options] HOST PORT CMD [ARGS...]\n       hamelin-net [options] unix:PATH CMD [ARGS...]',
  positionals: listenPositionals,
  options: netOptions,
  examples: [
    ['hamelin-net 127.0.0.1 8080 grep --line-buffered filter', 'each connection gets its own grep'],
    ['hamelin-net --unix-mode 0600 unix:/tmp/sort.sock sort', 'serve sort on a unix socket only its owner may use'],
    ['hamelin-net unix:/tmp/sort.sock sort', 'serve sort on a unix socket'],
  ],
  epilog: 'Everything from CMD on is passed to the command untouched.',
};

export const manPage = cliManPage(cliSpec);
