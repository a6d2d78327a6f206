/**
 * The command line every front-end shares. Options come first; parsing halts at the first
 * non-option, and everything from the command on reaches the child untouched (CORE-02):
 * `--help`, `--`, numbers such as `007` and empty strings included.
 */
import yargs, { type Argv, type Options } from 'yargs';
import { checkCwd, resolveCommand, StartupError } from './command.js';
import { camel as camelCase, ConfigError, ConfigFile, checkConfigValues, optionsFromEnv } from './config-file.js';
import { Daemon, type DaemonConfig } from './daemon.js';
import { examplesBlock, helpWidth, manualPointer, wrapProse } from './help-text.js';
import { Logger, type LogFormat } from './log.js';
import { checkOptions, integer, seconds } from './option-rules.js';
import { spawnLayer } from './spawn.js';
import { VERSION } from './version.js';
import { workersOption } from './workers.js';
import { HubRooms } from './hub.js';
import { hubOptions, hubSettings } from './hub-options.js';

export interface CommonOptions {
  killAfter: number;
  maxLine: number;
  maxClients: number;
  idleTimeout: number;
  timeout: number;
  envClear: boolean;
  passEnv: string[];
  cwd: string | undefined;
  logFile: string | undefined;
  logFormat: LogFormat;
  quiet: boolean;
  admin: string | undefined;
  agent: string | undefined;
  drainTimeout: number;
  user: string | undefined;
  group: string | undefined;
  /** `--workers N|auto`, checked by workerCount (OPS-12). */
  workers: string;
  hub?: string | undefined;
  hubEager?: boolean;
  respawn?: boolean;
  slow?: string;
  replay?: number;
  hubQueue?: number;
  unbuffer: boolean;
}

export const commonOptions: Record<string, Options> = {
  'kill-after': seconds({ default: 5, describe: 'seconds between SIGTERM and SIGKILL to the process group', group: 'Session:' }),
  'max-line': integer({ default: 1048576, describe: 'longest line held, in bytes; longer lines pass in pieces', group: 'Session:' }, 1, 1 << 30),
  'max-clients': integer({ default: 1024, describe: 'clients at once; more are refused with a one-line message (0: no limit)', group: 'Session:' }, 0, 1 << 20),
  'idle-timeout': seconds({ default: 0, describe: 'seconds with no byte either way before SIGTERM (0: never)', group: 'Session:' }),
  timeout: seconds({ default: 0, describe: 'seconds a session may last, then SIGTERM; its output is still delivered (0: no limit)', group: 'Session:' }),
  'env-clear': { type: 'boolean', default: false, describe: 'start the child with only PATH, --pass-env and the H- variables', group: 'Session:' },
  // nargs 1: an array option must never swallow HOST, PORT or the command that follow it.
  'pass-env': { type: 'string', array: true, nargs: 1, default: [], describe: 'keep this variable with --env-clear (repeatable)', group: 'Session:' },
  cwd: { type: 'string', describe: 'working directory of the child', group: 'Session:' },
  unbuffer: { type: 'boolean', default: false, describe: "the child's stdout is a raw pseudo-terminal, so programs line-buffer as on a terminal (python, grep, sed, perl need no flag)", group: 'Session:' },
  'log-file': { type: 'string', describe: 'append the daemon log to this file instead of stderr', group: 'Logging:' },
  'log-format': { choices: ['text', 'json'], default: 'text', describe: 'daemon log format', group: 'Logging:' },
  quiet: { type: 'boolean', default: false, describe: 'log only warnings and errors', group: 'Logging:' },
  admin: { type: 'string', describe: 'serve /healthz, /metrics and POST /drain on HOST:PORT or unix:PATH', group: 'Operation:' },
  agent: { type: 'string', describe: "answer HAProxy's agent-check on PORT (127.0.0.1) or HOST:PORT", group: 'Operation:' },
  config: { type: 'string', describe: 'read options from this YAML file, keys named as the flags; flags, then HAMELIN_* variables, win over it', group: 'Operation:' },
  user: { type: 'string', describe: 'after binding, run as this user (and its group), children included', group: 'Operation:' },
  group: { type: 'string', describe: 'after binding, run as this group', group: 'Operation:' },
  'drain-timeout': seconds({ default: 300, describe: 'seconds a drain (SIGUSR2, POST /drain) waits for live sessions, then shuts down (0: no limit)', group: 'Operation:' }),
  workers: workersOption,
  ...hubOptions,
};

export interface CliSpec {
  /** `hamelin-net` */
  name: string;
  /** What the program does, in one line: under the usage in --help, and the man page's NAME. */
  summary?: string;
  /** Paragraphs of the man page's DESCRIPTION (--help has no room for them). */
  description?: string[];
  /** The usage line after the name, e.g. `[options] HOST PORT CMD [ARGS...]`. */
  usage: string;
  /** Positional parameters before the command, e.g. ['HOST', 'PORT'], or a function that
   * chooses them from the arguments (hamelin-net takes no PORT after `unix:PATH`). */
  positionals?: string[] | ((rest: string[]) => string[]);
  options?: Record<string, Options>;
  /** [command, description]; --help and the man page show each command alone on its line. */
  examples?: [string, string][];
  /** Prose closing --help, and a paragraph of the man page's NOTES. */
  epilog?: string;
  /** An option that replaces the command (`--dir DIR`: the URL path picks the executable).
   * With it, no CMD may be given; without it, one must. */
  instead?: string;
}

export interface ParsedCli<T> {
  options: CommonOptions & T;
  positionals: string[];
  /** The command and its arguments, untouched. */
  command: string[];
}

/** Where each option given by a config file or HAMELIN_* variable came from (OPS-01), so that
 * a check that fails later names the file and line, or the variable, not only the flag. */
const origins = new Map<string, string>();

/** Print one line and exit non-zero: the contract for every startup error (CORE-18). */
export function die(name: string, message: string, status = 2): never {
  const flag = /--([a-z][a-z0-9-]*)/.exec(message)?.[1];
  const origin = flag !== undefined ? origins.get(flag) : undefined;
  process.stderr.write(`${name}: ${origin ? `${origin}: ` : ''}${message}\n`);
  process.exit(status);
}

/** The file's and the environment's options for a daemon, below its flags (OPS-02). */
function configLayers(spec: CliSpec, argv: string[], table: Record<string, Options>): { values: Record<string, unknown>; rest: string[] } {
  const values: Record<string, unknown> = {};
  let rest: string[] = [];
  const file = configFlag(argv, table);
  if (file) {
    try {
      const cfg = ConfigFile.read(file);
      const positionals = typeof spec.positionals === 'function' ? ['HOST', 'PORT'] : (spec.positionals ?? []);
      const extra = ['command', ...positionals.map((p) => p.toLowerCase())];
      const checked = checkConfigValues(cfg.data, table, (key, m) => cfg.error([key], m), extra);
      for (const key of Object.keys(cfg.data)) {
        if (extra.includes(key)) continue;
        values[key] = checked[camelCase(key)];
        origins.set(key, `${file}:${cfg.lineOf([key])}: ${key}`);
      }
      const command = cfg.data.command;
      if (command !== undefined && (!Array.isArray(command) || command.length === 0 || command.some((w) => typeof w !== 'string'))) {
        throw cfg.error(['command'], 'must be a list of strings, the command and its arguments');
      }
      const pos = positionals.map((p) => cfg.data[p.toLowerCase()]).filter((v) => v !== undefined).map(String);
      if (command || pos.length) rest = [...pos, ...((command as string[] | undefined) ?? [])];
    } catch (e) {
      if (e instanceof ConfigError) die(spec.name, e.message, e.status);
      throw e;
    }
  }
  try {
    for (const [key, v] of Object.entries(optionsFromEnv(table))) {
      values[key] = v;
      origins.set(key, `HAMELIN_${key.toUpperCase().replace(/-/g, '_')}`);
    }
  } catch (e) {
    if (e instanceof StartupError) die(spec.name, e.message, e.status);
    throw e;
  }
  return { values, rest };
}

export function parseCli<T>(spec: CliSpec, argv: string[] = process.argv.slice(2)): ParsedCli<T> {
  const table = { ...commonOptions, ...(spec.options ?? {}) };
  const { missing, help } = scanOptions(argv, table);
  if (missing && !help) die(spec.name, `--${missing} needs a value (see --help)`);
  const width = helpWidth();
  const layers = help ? { values: {}, rest: [] } : configLayers(spec, argv, table);
  // A flag given on the command line wins: its value no longer comes from the file or env.
  for (const a of argv) {
    if (a === '--' || !a.startsWith('-')) break;
    const m = /^--(?:no-)?([a-z][a-z0-9-]*)/.exec(a);
    if (m) origins.delete(m[1]!);
  }
  // With --help nothing is parsed: yargs only lays out the usage and the option table.
  const parser: Argv = yargs(help ? [] : argv)
    .scriptName(spec.name)
    .usage(`Usage: ${spec.name} ${spec.usage}${spec.summary ? `\n\n${spec.summary}` : ''}`)
    .parserConfiguration({
      'halt-at-non-option': true,
      'parse-positional-numbers': false,
      'populate--': false,
      'unknown-options-as-args': false,
    })
    .options(table)
    .config(layers.values)
    .strictOptions()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(width)
    .fail((msg, err) =>
      die(
        spec.name,
        (msg || err?.message || 'bad arguments')
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .join(' '),
      ),
    );
  if (help) printHelpAndExit(parser, spec, width);
  const parsed = parser.parseSync() as Record<string, unknown> & { _: (string | number)[] };

  let rest = parsed._.map(String);
  // `hamelin-net -- HOST PORT cmd` is accepted too: a leading `--` only ends the options.
  if (rest[0] === '--') rest.shift();
  // The file's command and positionals, when the command line gives none (OPS-02).
  if (rest.length === 0) rest = layers.rest;
  const positionals = typeof spec.positionals === 'function' ? spec.positionals(rest) : (spec.positionals ?? []);
  const instead = spec.instead !== undefined && parsed[spec.instead] !== undefined;
  if (instead && rest.length > positionals.length) die(spec.name, `--${spec.instead} takes no CMD (see --help)`);
  if (!instead && rest.length < positionals.length + 1) {
    const missing = [...positionals, 'CMD'].slice(rest.length);
    die(spec.name, `missing ${missing.join(' ')} (see --help)`);
  }
  // CORE-35: every duration and count, shared or the front-end's own, by the rule in its table entry.
  const bad = checkOptions(table, parsed);
  if (bad) die(spec.name, bad);
  const options = camel(parsed) as unknown as CommonOptions & T;
  return { options, positionals: rest.slice(0, positionals.length), command: rest.slice(positionals.length) };
}

/** The session part of a daemon's settings from the common options (seconds become ms once,
 * here); throws a StartupError for a working directory or a command that cannot run (CORE-36). */
export function daemonSettings(options: CommonOptions, command: string[]): Omit<DaemonConfig, 'name' | 'log'> {
  if (options.cwd !== undefined) checkCwd(options.cwd);
  return {
    command: command.length > 0 ? resolveCommand(command, options.cwd ?? process.cwd()) : undefined,
    cwd: options.cwd,
    env: { clear: options.envClear, passEnv: options.passEnv.map(String) },
    limits: {
      maxLine: Math.floor(options.maxLine),
      killAfterMs: Math.round(options.killAfter * 1000),
      idleTimeoutMs: Math.round(options.idleTimeout * 1000),
      timeoutMs: Math.round(options.timeout * 1000),
    },
    maxClients: Math.floor(options.maxClients),
    hub: hubRooms(options),
    unbuffer: options.unbuffer === true,
  };
}

/** HUB-01: the rooms of a service with --hub; a hub takes lines, never raw bytes (HUB-05). */
function hubRooms(options: CommonOptions): HubRooms | undefined {
  const settings = hubSettings(options);
  if (!settings) return undefined;
  const o = options as unknown as Record<string, unknown>;
  if (o.raw === true || o.binary === true) throw new StartupError(`--hub takes lines: it cannot be used with --${o.raw === true ? 'raw' : 'binary'}`);
  // One process for a room: N workers would make N rooms that never hear each other.
  if (String(o.workers ?? '1').trim() !== '1') throw new StartupError('--hub is one process for all clients: it cannot be used with --workers above 1');
  return new HubRooms(settings);
}

/** Check the command (none with an `instead` option such as --dir) and build the daemon; any
 * problem is one line and exit 2. */
export function createDaemon(name: string, options: CommonOptions, command: string[]): Daemon {
  let settings: Omit<DaemonConfig, 'name' | 'log'>;
  try {
    settings = daemonSettings(options, command);
  } catch (e) {
    if (e instanceof StartupError) die(name, e.message, e.status);
    throw e;
  }
  let log: Logger;
  try {
    log = new Logger({ daemon: name, format: options.logFormat, file: options.logFile, quiet: options.quiet });
  } catch (e) {
    die(name, `cannot open log file: ${(e as Error).message}`, 1);
  }
  // Start (and on a first run compile) the spawn server now, while the front-end binds its
  // socket, so that the first client never waits for it. Nothing is logged: a startup error
  // that follows (a busy port) must stay the only line (CORE-18).
  // Not with --user/--group: the helper must start after the privilege drop (privileges.ts).
  if (options.user === undefined && options.group === undefined) void spawnLayer();
  return new Daemon({ name, ...settings, log });
}

function camel(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!k.includes('-')) out[k] = v;
  return out;
}

/** --help: yargs's usage and option table, then the examples and the epilog laid out here. */
function printHelpAndExit(parser: Argv, spec: CliSpec, width: number): never {
  let table = '';
  parser.showHelp((s) => (table = s));
  let text = `${table}\n`;
  if (spec.examples?.length) text += `\n${examplesBlock(spec.examples)}`;
  text += `\n${wrapProse(`${spec.epilog ?? ''} ${manualPointer(spec.name)}`, width)}`;
  process.stdout.write(text);
  process.exit(0);
}

/** `--config FILE` among the options (never in the command, which begins at the first non-option). */
function configFlag(args: string[], opts: Record<string, Options>): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-')) return undefined;
    if (a.startsWith('--config=')) return a.slice(9);
    if (a === '--config') return args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && opts[a.slice(2)] && opts[a.slice(2)]!.type !== 'boolean') i++;
  }
  return undefined;
}

/**
 * What the options before the command say, scanning stops where the command begins (so a
 * `--help` of the command's own is the child's, CORE-02):
 * - missing: the name of an option that ends the command line without its value
 *   (`hamelin-http --port`, `hamelin-ws --dir`). The shared parser would take the next word,
 *   or nothing, and then report a missing CMD, which is not what went wrong.
 * - help: whether --help (-h) is among them.
 */
function scanOptions(args: string[], opts: Record<string, Options>): { missing?: string; help: boolean } {
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-')) break;
    if (a === '--help' || a === '-h') help = true;
    if (!a.startsWith('--') || a.includes('=')) continue;
    const o = opts[a.slice(2)];
    if (!o || o.type === 'boolean') continue;
    if (i + 1 >= args.length) return { missing: a.slice(2), help };
    i++;
  }
  return { help };
}
