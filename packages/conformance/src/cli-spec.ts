/** hamelin-conformance's command line: the table --help and hamelin-conformance(1) are both made from. */
import type { ManPage } from '@hamelin/core';
import type { Options } from 'yargs';
import { bindings } from './bindings/index.js';
import { EXAMPLE_OPTS } from './runner.js';

export const NAME = 'hamelin-conformance';

export const summary = "run the hamelin spec's checks against any daemon";

export const usage =
  `Usage: ${NAME} BINDING [options] -- DAEMON ARGV...\n\n` +
  `Runs every check of the hamelin spec against the daemon DAEMON ARGV starts.\n` +
  `Placeholders in DAEMON ARGV: {host} {port} {path} (unix) {server} {nick} {channel} (irc)\n` +
  `{log} (tty) {command} (the probe) {options} (where option spellings go).\n` +
  `{admin} {admin-port}: the admin endpoint, for the opt-in OPS checks (health, drain).\n` +
  `The front-door checks (FD-: PROXY protocol, refusals before spawn) are opt-in: give their --opt.\n` +
  `The hub checks (HUB-: one process shared by many clients) are opt-in: give --opt hub-broadcast=... or hub-addressed=....\n` +
  `Bindings: ${Object.keys(bindings).join(', ')}`;

export const options: Record<string, Options> = {
  json: { type: 'string', describe: 'also write a JSON report to this file' },
  only: { type: 'string', describe: 'run only these check ids (comma-separated)' },
  list: { type: 'boolean', default: false, describe: 'list the checks and exit' },
  opt: {
    type: 'string',
    array: true,
    default: [],
    describe: `how the daemon spells an option a check needs, NAME=TEMPLATE, e.g. --opt 'max-clients=--max-clients={n}'. NAMES: ${Object.keys(EXAMPLE_OPTS).join(', ')}`,
  },
  hamelin: { type: 'boolean', describe: "the daemon is hamelin's: use its option spellings (default when DAEMON's name starts with hamelin-)" },
  jobs: { type: 'number', default: 4, describe: 'checks run at once' },
  slow: { type: 'number', default: 1, describe: 'multiply every timeout (slow machines)' },
  keep: { type: 'boolean', default: false, describe: "keep the report directories (under the temp dir), and the daemons' stderr in the JSON report" },
  ports: { type: 'string', describe: 'keep every port the suite listens on in this range, FROM-TO' },
  strict: { type: 'boolean', default: false, describe: 'a skipped check is a failure' },
  'drain-signal': { type: 'string', describe: 'start a drain (OPS-04, OPS-05) with this signal, e.g. SIGUSR2, instead of POST /drain on {admin}; runs the OPS checks' },
};

export const examples: [string, string][] = [
  [`${NAME} net -- hamelin-net {host} {port} {command}`, "hamelin's own TCP daemon"],
  [`${NAME} net -- python3 their_daemon.py {host} {port} {command}`, 'another implementation'],
  [`${NAME} unix -- hamelin-net unix:{path} {command}`, 'unix sockets'],
  [`${NAME} ws -- websocketd --address={host} --port={port} {command}`, 'a WebSocket peer'],
];

export const manPage: ManPage = {
  name: NAME,
  section: 1,
  summary,
  synopsis: ['BINDING [options] -- DAEMON ARGV...'],
  description: [
    "hamelin-conformance is the hamelin spec's test suite, runnable against any implementation: hamelin's own daemons, someone else's, or a classic tool such as socat. It starts the daemon under test itself, with DAEMON ARGV, and has it run a probe program that records what the child sees (its argv, its environment, every read of its stdin, the signals it receives, its process group); it talks to the daemon as real clients and reports every numbered requirement (CORE-13, NET-04...) with its evidence.",
    `BINDING is one of ${Object.keys(bindings).join(', ')}. DAEMON ARGV carries placeholders the suite fills in for each run: {host} {port}, {path} (unix), {server} {nick} {channel} (irc), {log} (tty), {command} (the probe and its arguments) and {options} (where option spellings go). irc needs ngircd, tty needs python3.`,
    'The front-door checks (FD-07, FD-10 to FD-14, FD-18: the PROXY protocol, refusals by --deny, --max-per-source and authentication, each with no process started) are opt-in: they run when one of their option names is given with --opt (proxy-protocol, proxy-timeout, deny, max-per-source, auth-basic), or when --only names them; a check whose option is not given is skipped with the reason.',
    'The hub checks (HUB-01 to HUB-15 and HUB-17: one process shared by the clients of a room, on net, unix, ws and http, where a client is an SSE session with its POSTs; on irc, where a channel is a room and each nick a client; on tty, where the terminal is one client) are opt-in: they run when the spelling of a hub protocol is given with --opt (hub-broadcast, hub-addressed), or when --only names them; replay, hub-queue, slow, respawn, hub-eager and max-line give the options some of them need.',
    'The operations checks OPS-04 (GET /healthz) and OPS-05 (drain) are opt-in: they run when DAEMON ARGV has {admin} (127.0.0.1:PORT, a free port) or {admin-port} where the daemon takes its admin endpoint, when --drain-signal is given, or when --only names them; without an admin endpoint (and, for OPS-05, a drain signal) they are skipped with the reason. The drain is POST /drain on the admin endpoint, or the --drain-signal signal.',
  ],
  options: {
    ...options,
    version: { type: 'boolean', describe: 'print the version and exit 0' },
    help: { type: 'boolean', describe: 'print the usage, every option and examples, and exit 0' },
  },
  examples,
  sections: [
    {
      title: 'EXIT STATUS',
      items: [
        ['0', 'every MUST passed (and after --list, --help, --version).'],
        ['1', 'a MUST failed.'],
        ['2', 'a bad command line.'],
        ['130', 'interrupted by a signal; every process the suite started was killed.'],
      ],
    },
  ],
  seeAlso: ['hamelin(7)', 'hamelin-net(1)', 'hamelin-ws(1)', 'hamelin-http(1)', 'hamelin-irc(1)', 'hamelin-tty(1)'],
};
