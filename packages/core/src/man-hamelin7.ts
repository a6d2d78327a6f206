/**
 * hamelin(7): what a script run by any hamelin daemon can count on, in short, with the ids of
 * the spec's requirements (spec/hamelin.md, version 0.2) so a reader can find the full text.
 */
import type { ManPage } from './man-page.js';
import { SPEC_VERSION } from './version.js';

export const manPage: ManPage = {
  name: 'hamelin',
  section: 7,
  summary: 'what a script served by a hamelin daemon can count on',
  description: [
    `hamelin makes any script a network service. A daemon (hamelin-net, hamelin-ws, hamelin-http, hamelin-irc, hamelin-tty) starts one process, the child, for each client, with the command given on its command line; it passes the client's lines to the child's standard input and the child's standard output lines back. The script needs no networking code: it reads lines and prints lines. This page sums up the promises of the hamelin specification, version ${SPEC_VERSION}; each carries the id of the numbered requirement that states it in full (spec/hamelin.md and spec/bindings/ in the source repository), and hamelin-conformance(1) checks them against any daemon.`,
  ],
  sections: [
    {
      title: 'PROCESSES',
      paragraphs: [
        'Every client gets a new child, started when the client arrives; a child never serves two clients and is never reused (CORE-01). The command runs with its arguments exactly as given on the daemon\'s command line: no shell, no globbing, no expansion; spaces, quotes, empty strings, --help and -- reach the child byte for byte (CORE-02). --cwd sets its working directory (CORE-24).',
        'The child is the leader of a new session and process group (setsid), so the processes it starts are signalled with it.',
      ],
    },
    {
      title: 'DATA',
      paragraphs: [
        'Both directions are line-buffered: a complete line is passed on as soon as its newline arrives, in order (CORE-03). The data is not changed, except in the ways the binding lists; on TCP and unix sockets the list is empty, CR and NUL included (CORE-04). A last line without a newline is still delivered, in both directions, with no newline added on a stream (CORE-05).',
        'A line longer than --max-line (default 1 MiB) is passed on in pieces once that many bytes are held; it is never dropped (CORE-06). Buffers are bounded both ways and flow control passes through: a client that does not read blocks the child in write(2), a child that does not read stops the daemon reading from the client (CORE-07).',
      ],
    },
    {
      title: 'ENVIRONMENT',
      paragraphs: [
        'The child\'s environment is the daemon\'s plus the hamelin variables; H- and H_ variables the daemon itself inherited are removed first. With --env-clear the child gets only PATH, the variables named by --pass-env and the hamelin variables (CORE-23). Every variable the daemon sets is named H- followed by upper-case letters, digits and dashes, and each is also set as H_NAME, with each dash replaced by an underscore, because /bin/sh on Debian (dash) drops names containing a dash: shell scripts read $H_CLIENT (CORE-26, CORE-11).',
      ],
      items: [
        ['H-VERSION', 'the daemon\'s name and version, e.g. hamelin-net/0.2.0 (CORE-08).'],
        ['H-TYPE', 'the binding, its version and its security: TCP-0.2-INSECURE, TCP-0.2-TLS, UNIX-0.2-LOCAL, WS-0.2-TLS, HTTP-0.2-INSECURE, IRC-0.2-TLS, TTY-0.2-LOCAL... (CORE-09).'],
        ['H-CLIENT', 'the client as its binding describes it: ip:port or [v6]:port on TCP, a browser\'s User-Agent, server/nick/channel on IRC (CORE-10).'],
        ['H-REMOTE-ADDR, H-HEADER-..., H-IRC-NICK, ...', 'each binding\'s own variables; its manual page lists them.'],
      ],
    },
    {
      title: 'STANDARD ERROR AND THE LOG',
      paragraphs: [
        'What the child writes to standard error reaches the daemon\'s standard error byte for byte: the child is given the daemon\'s own stderr (CORE-12). The daemon\'s log lines start with "hamelin: ", then a time, the daemon\'s name, a level, an event and key=value fields; with --log-format json each is one JSON object per line (CORE-17). A child that ends with anything but status 0 or SIGTERM is logged as a warning (event exit, CORE-16).',
      ],
    },
    {
      title: 'THE END OF A SESSION',
      paragraphs: [
        'When the client goes away (reset, close, a failed write, a missed WebSocket pong, an IRC user leaving), the child\'s whole process group gets SIGTERM at once (CORE-13), and SIGKILL if anything in it is still alive after --kill-after seconds, default 5 (CORE-14). When the client only ends its input (TCP half-close, the end of an HTTP body, ^D on a terminal), the child\'s stdin ends and the session goes on.',
        'When the child exits, every byte it wrote is delivered first, then the client is closed the binding\'s way: a TCP FIN, a WebSocket close frame or an HTTP trailer carrying the exit status (CORE-15). --idle-timeout ends a session with no traffic either way (CORE-21); --timeout ends a session that lasted too long, still delivering its output (CORE-25).',
        'When the command cannot be started for a client, the daemon stays up, logs spawn-failed and tells the client "hamelin: cannot start CMD: CODE" (CORE-19).',
      ],
    },
    {
      title: 'LIMITS',
      paragraphs: [
        'At most --max-clients sessions run at once (default 1024; 0 for no limit). A client over the limit is refused, never queued: it gets one line "hamelin: busy: too many clients (limit N)", or its binding\'s refusal such as HTTP 503, and is closed (CORE-20). A session holds three file descriptors in the daemon; when the open-files limit has no room for --max-clients sessions the daemon says so at startup (fd-limit).',
      ],
    },
    {
      title: 'THE DAEMON',
      paragraphs: [
        'Errors that can be found at startup (a missing or non-executable command, a bad or busy port, an unreadable certificate, a bad flag) are one line on stderr, NAME: message, and a non-zero exit before the daemon listens: 2 for a bad command line or command, 1 when the system refuses (CORE-18). Every daemon answers --help and --version on stdout with status 0; options come before the command, and everything from the command on is the child\'s (CORE-27).',
        'On SIGTERM or SIGINT the daemon stops accepting, sends SIGTERM to every session\'s group, SIGKILL after the grace period, reaps every child and exits 0, leaving no process behind; a second signal kills every group and exits 1 at once. Should the daemon itself die without shutting down (SIGKILL, a crash), its sessions are still ended the same way (CORE-22).',
      ],
    },
    {
      title: 'PLATFORMS',
      paragraphs: [
        'The daemons run on Linux only. On x64 and arm64 they start children through a prebuilt, statically linked spawn helper; on other Linux architectures the helper is compiled once with cc; where neither is possible (or with HAMELIN_SPAWN=child_process) they use Node\'s child_process, slower, and say so at startup.',
      ],
    },
  ],
  seeAlso: ['hamelin-net(1)', 'hamelin-ws(1)', 'hamelin-http(1)', 'hamelin-irc(1)', 'hamelin-tty(1)', 'hamelin-conformance(1)'],
};
