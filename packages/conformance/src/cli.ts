#!/usr/bin/env node
/**
 * hamelin-conformance BINDING [options] -- DAEMON ARGV...
 *
 * Runs the hamelin spec's checks against any implementation. DAEMON ARGV starts the daemon
 * under test, with placeholders the suite fills in for each run: {host}, {port}, {path} (unix),
 * {server} {nick} {channel} (irc), {log} (tty), {command} (the probe and its arguments) and
 * {options} (where option spellings go).
 */
import { basename } from 'node:path';
import yargs from 'yargs';
import { bindings } from './bindings/index.js';
import { checksFor } from './checks/index.js';
import { markRootCauses } from './checks/deps.js';
import { table, summarize, VERSION, writeJson } from './report.js';
import { setPortRange } from './bindings/net.js';
import { EXAMPLE_OPTS, killEverything, preflight, runAll, type Config } from './runner.js';
import type { OptionName } from './types.js';

const NAME = 'hamelin-conformance';

function die(msg: string): never {
  process.stderr.write(`${NAME}: ${msg}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const dd = argv.indexOf('--');
const daemon = dd >= 0 ? argv.slice(dd + 1) : [];
const own = dd >= 0 ? argv.slice(0, dd) : argv;

const parsed = yargs(own)
  .scriptName(NAME)
  .usage(
    `Usage: ${NAME} BINDING [options] -- DAEMON ARGV...\n\n` +
      `Runs every check of the hamelin spec against the daemon DAEMON ARGV starts.\n` +
      `Placeholders in DAEMON ARGV: {host} {port} {path} (unix) {server} {nick} {channel} (irc)\n` +
      `{log} (tty) {command} (the probe) {options} (where option spellings go).\n` +
      `Bindings: ${Object.keys(bindings).join(', ')}`,
  )
  .parserConfiguration({ 'populate--': false })
  .options({
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
  })
  .strictOptions()
  .help()
  .version('version', 'print the version and exit', `${NAME} ${VERSION}`)
  .example(`${NAME} net -- hamelin-net {host} {port} {command}`, "hamelin's own TCP daemon")
  .example(`${NAME} net -- python3 their_daemon.py {host} {port} {command}`, 'another implementation')
  .example(`${NAME} unix -- hamelin-net unix:{path} {command}`, 'unix sockets')
  .example(`${NAME} ws -- websocketd --address={host} --port={port} {command}`, 'a WebSocket peer')
  .fail((msg, err) => die((msg || err?.message || 'bad arguments').split('\n')[0]!))
  .parseSync();

if (parsed.ports !== undefined) {
  const m = /^(\d+)-(\d+)$/.exec(parsed.ports);
  const [from, to] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || from < 1024 || to > 65535 || to - from < 15) die(`bad --ports ${JSON.stringify(parsed.ports)}: FROM-TO, unprivileged, at least 16 ports (e.g. 23600-23699)`);
  setPortRange(from, to);
}

const bindingName = String(parsed._[0] ?? '');
if (!bindingName) die(`missing BINDING (one of ${Object.keys(bindings).join(', ')}); see --help`);
const binding = bindings[bindingName];
if (!binding) die(`unknown binding ${JSON.stringify(bindingName)} (one of ${Object.keys(bindings).join(', ')})`);
if (parsed._.length > 1) die(`unexpected ${JSON.stringify(String(parsed._[1]))}: the daemon's command line goes after --`);

let checks = checksFor(binding.name);
if (parsed.only) {
  const want = parsed.only.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  const unknown = want.filter((id) => !checks.some((c) => c.id === id));
  if (unknown.length) die(`unknown check id for ${binding.name}: ${unknown.join(', ')} (see --list)`);
  checks = checks.filter((c) => want.includes(c.id));
}

if (parsed.list) {
  for (const c of checks) {
    const needs = c.needs?.length ? ` [needs --opt ${c.needs.join(', ')}]` : '';
    process.stdout.write(`${c.id.padEnd(9)} ${c.level.padEnd(6)} ${c.title}${needs}\n`);
  }
  process.exit(0);
}

if (daemon.length === 0) die('missing the daemon command line after -- (see --help)');
const joined = daemon.join(' ');
for (const group of binding.placeholders) {
  if (!group.some((p) => joined.includes(p))) die(`the daemon command line needs ${group.join(' or ')} for the ${binding.name} binding`);
}

const hamelin = parsed.hamelin ?? daemon.some((w, i) => i < 2 && /^hamelin-/.test(basename(w)));
const opts: Partial<Record<OptionName, string>> = hamelin ? { ...EXAMPLE_OPTS } : {};
for (const o of parsed.opt.map(String)) {
  const eq = o.indexOf('=');
  const name = (eq < 0 ? o : o.slice(0, eq)) as OptionName;
  if (!(name in EXAMPLE_OPTS)) die(`unknown option name ${JSON.stringify(name)} in --opt (one of ${Object.keys(EXAMPLE_OPTS).join(', ')})`);
  if (eq < 0) delete opts[name];
  else opts[name] = o.slice(eq + 1);
}

const config: Config = {
  binding,
  daemon,
  opts,
  hamelin,
  jobs: Math.max(1, Math.floor(parsed.jobs)),
  keep: parsed.keep,
  slow: parsed.slow > 0 ? parsed.slow : 1,
  strict: parsed.strict,
};

let interrupted = false;
const onSignal = (sig: NodeJS.Signals): void => {
  if (interrupted) return;
  interrupted = true;
  killEverything();
  process.stderr.write(`${NAME}: interrupted by ${sig}; every process it started was killed\n`);
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
process.on('exit', () => killEverything());
// A stray socket error inside one check must not end the whole run.
process.on('uncaughtException', (e) => process.stderr.write(`${NAME}: warning: ${e.stack ?? e.message}\n`));

const started = new Date().toISOString();
const cannot = await preflight(config);
if (cannot !== undefined) {
  killEverything();
  die(`the daemon cannot start, so no check can run: ${cannot}`);
}

const progress = process.stderr.isTTY;
let done = 0;
const results = markRootCauses(await runAll(config, checks, (r) => {
  done++;
  if (progress) process.stderr.write(`\r${NAME}: ${done}/${checks.length} ${r.id} ${r.status}      `);
}));
if (progress) process.stderr.write('\n');
process.stdout.write(`${NAME} ${binding.name}: ${daemon.join(' ')}\n`);
process.stdout.write(table(results));
if (parsed.json) writeJson(parsed.json, config, results, { started, finished: new Date().toISOString() });
process.exit(summarize(results).ok ? 0 : 1);
