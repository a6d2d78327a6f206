/** hamelin-http's command line: the table --help and hamelin-http(1) are both made from. */
import { cliManPage, httpFrontDoorOptions, integer, seconds as duration, unixModeOption, type CliSpec } from '@hamelin/core';
import type { Options } from 'yargs';

/** hamelin-http's own options: also its config keys (OPS-01). */
export const httpOptions: Record<string, Options> = {
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on (:: for every interface)', group: 'Listening:' },
  port: { type: 'string', default: '8080', describe: 'TCP port (0 picks a free one)', group: 'Listening:' },
  unix: { type: 'string', describe: 'listen on this unix socket instead of TCP', group: 'Listening:' },
  'unix-mode': unixModeOption,
  'tls-cert': { type: 'string', describe: 'serve HTTPS with this PEM certificate (chain)', group: 'Listening:' },
  'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'Listening:' },
  dir: { type: 'string', describe: 'run the executable in DIR that the URL path names (no CMD)', group: 'HTTP:' },
  static: { type: 'string', describe: 'answer a GET or HEAD naming a file in DIR with it (index.html for a directory; no listings); a --dir script comes first', group: 'HTTP:' },
  cors: { type: 'string', array: true, nargs: 1, default: [], describe: 'let pages of this origin read the answers, and send requests (repeatable; * for any)', group: 'HTTP:' },
  origin: { type: 'string', array: true, nargs: 1, default: [], describe: "also let pages from this origin run the command (scheme://host[:port], host[:port], *.domain; repeatable; '*' for any); others get 403", group: 'HTTP:' },
  'max-body': integer({ default: 67108864, describe: 'largest request body in bytes, else 413 (0: no limit)', group: 'HTTP:' }, 0, Number.MAX_SAFE_INTEGER),
  'header-timeout': duration({ default: 10, describe: 'seconds to receive the request headers, else 408', group: 'HTTP:' }, 0.1),
  'read-timeout': duration({ default: 0, describe: 'seconds a request body may stall while it is read, else 408 (0: never)', group: 'HTTP:' }),
  'poll-timeout': duration({ default: 25, describe: 'seconds a long-poll GET waits for output', group: 'HTTP:' }, 0.1),
  'abandon-timeout': duration({ default: 60, describe: 'seconds a long-poll session may go without any request naming it, then SIGTERM (0: never)', group: 'HTTP:' }),
  heartbeat: duration({ default: 15, describe: 'seconds between SSE heartbeat comments (0: none)', group: 'HTTP:' }),
  console: { type: 'boolean', default: false, describe: 'serve a browser console page to browsers', group: 'HTTP:' },
  cgi: { type: 'boolean', default: false, describe: "the script's output starts with CGI header lines (Status:, Content-Type:, Location:, ...) and a blank line; query parameters reach it as H-QUERY-NAME", group: 'HTTP:' },
  'max-cgi-header': integer({ default: 16384, describe: 'largest --cgi header section in bytes, else 502', group: 'HTTP:' }, 1, 1048576),
  'pass-header': { type: 'string', array: true, nargs: 1, default: [], describe: 'pass Authorization, Cookie or Proxy* to the child anyway (repeatable)', group: 'HTTP:' },
  ...httpFrontDoorOptions,
};

export const cliSpec: CliSpec = {
  name: 'hamelin-http',
  summary: 'serve any script over HTTP: streamed requests, SSE and long-poll sessions',
  description: [
    'hamelin-http starts CMD with its ARGS for each HTTP request (with --dir, the executable in DIR that the URL path names). The request body is the child\'s standard input, and its standard output is the response body, streamed as it comes; the exit status follows in a trailer. A browser\'s EventSource gets each output line as a server-sent event, and an interactive session can run over SSE plus POSTs (or long-poll GETs). --console serves a browser console page.',
    'The end of the request body ends the child\'s standard input and the session goes on (a request without a body, such as a GET, gives the child /dev/null as its standard input); a client that goes away sends SIGTERM to the child\'s process group, then SIGKILL after --kill-after.',
    'The child sees H-TYPE (HTTP-0.2-INSECURE, HTTP-0.2-TLS or HTTP-0.2-LOCAL), H-CLIENT (the User-Agent), H-METHOD, H-PATH, H-QUERY, H-REMOTE-ADDR, with --dir H-SCRIPT-NAME and H-PATH-INFO, and one H-HEADER-NAME per request header (Authorization, Cookie and Proxy* only with --pass-header), each also as H_NAME. See hamelin(7).',
  ],
  usage: '[options] CMD [ARGS...]\n       hamelin-http [options] --dir DIR',
  options: httpOptions,
  examples: [
    ['hamelin-http --port 8080 --console sh -c \'while read l; do echo "you said: $l"; done\'', 'an echo service with a browser console'],
    ['curl -N http://127.0.0.1:8080/', 'see the lines as they come'],
    ['curl -N --no-progress-meter -T . http://127.0.0.1:8080/', 'type lines, see each answer as it comes (see README: why "." and not "-")'],
    ['hamelin-http --dir ./cgi', 'GET /hello runs ./cgi/hello'],
  ],
  epilog: 'Everything from CMD on is passed to the command untouched.',
  instead: 'dir',
};

export const manPage = cliManPage(cliSpec);
