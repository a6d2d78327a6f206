/** The `hamelin` command's command line: the table --help and hamelin(1) are both made from. */
import type { ManPage } from '@hamelin/core';
import type { Options } from 'yargs';
import { processOptions, serviceOptions } from './model.js';

export const NAME = 'hamelin';

export const summary = 'run several services, each on any mix of front-ends, in one process';

export const usage =
  'Usage: hamelin --config FILE\n       hamelin --check-config FILE\n       hamelin [options] [--net ADDR] [--ws ADDR] [--http ADDR] -- CMD [ARGS...]';

export const quickOptions: Record<string, Options> = {
  net: { type: 'string', describe: 'serve the command over TCP/TLS on HOST:PORT or unix:PATH', group: 'Quick form:' },
  ws: { type: 'string', describe: 'serve it over WebSocket on HOST:PORT or unix:PATH', group: 'Quick form:' },
  http: { type: 'string', describe: 'serve it over HTTP on HOST:PORT or unix:PATH (may be the --ws address)', group: 'Quick form:' },
  dir: { type: 'string', describe: 'serve the executables in DIR by URL path instead of one command (ws, http)', group: 'Quick form:' },
  name: { type: 'string', describe: 'the service name in logs and metrics (default: the command word)', group: 'Quick form:' },
  config: { type: 'string', describe: 'read the services from this YAML file (see hamelin.schema.json)', group: 'Config:' },
  'check-config': { type: 'string', describe: 'check this YAML file as at startup, print one line, and exit', group: 'Config:' },
};

export const examples: [string, string][] = [
  ['hamelin --net 127.0.0.1:7000 --ws 127.0.0.1:8080 --http 127.0.0.1:8080 -- ./chat.sh', 'one script over TCP, WebSocket and HTTP (ws and http share port 8080)'],
  ['hamelin --config /etc/hamelin/hamelin.yaml', 'the services of a file; SIGHUP reads it again'],
  ['hamelin --check-config /etc/hamelin/hamelin.yaml', 'check a file before a reload'],
];

export const epilog = 'Precedence: flags, then HAMELIN_* variables, then the file. Spec: spec/operations.md';

export const manPage: ManPage = {
  name: NAME,
  section: 1,
  summary,
  synopsis: ['--config FILE', '--check-config FILE', '[options] [--net ADDR] [--ws ADDR] [--http ADDR] -- CMD [ARGS...]'],
  description: [
    'hamelin runs several services in one Node process, sharing one spawn helper. A service is one command (or a --dir of executables) served on any mix of front-ends: net (TCP, TLS or a unix socket), ws and http (which may share one address: upgrade requests go to ws, the rest to http), and, in a --config file, irc (a bot that dials its server) and tty (a serial line or pty, getty-style). Each client still gets its own process, exactly as with hamelin-net, hamelin-ws and hamelin-http; the child tells the transports apart by H-TYPE.',
    'The quick form serves one command from flags. With --config, the services come from a YAML file whose keys are the flags of the single daemons, checked by the same rules (the JSON Schema hamelin.schema.json ships with the package). A bad file is one line naming the file, the line and the key, and an exit before anything listens.',
    'SIGHUP reads the file again: changed commands, limits and certificates apply to new sessions, live sessions keep theirs; a file that does not check is logged and the old configuration stays. SIGUSR2 (or POST /drain on --admin) drains: no new client, live sessions run to their end, for at most --drain-timeout. With LISTEN_FDS from systemd, the sockets given are served instead of binding; see spec/operations.md.',
  ],
  options: {
    ...quickOptions,
    ...processOptions,
    ...serviceOptions,
    version: { type: 'boolean', describe: 'print the version and exit 0' },
    help: { type: 'boolean', describe: 'print the usage, every option and examples, and exit 0' },
  },
  examples,
  sections: [
    {
      title: 'EXIT STATUS',
      items: [
        ['0', 'after a shutdown (SIGINT, SIGTERM) or a drain, and after --check-config of a good file.'],
        ['1', 'a second stop signal forced the exit, or a socket or file could not be used at startup.'],
        ['2', 'a bad flag or config file, before anything listens.'],
      ],
    },
  ],
  seeAlso: ['hamelin(7)', 'hamelin-net(1)', 'hamelin-ws(1)', 'hamelin-http(1)', 'systemd.socket(5)'],
};
