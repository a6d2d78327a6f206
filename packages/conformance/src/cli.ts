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
import { examplesBlock, helpWidth, manualPointer, wrapProse } from '@hamelin/core';
import yargs from 'yargs';
import { bindings } from './bindings/index.js';
import { checksFor } from './checks/index.js';
import { markRootCauses } from './checks/deps.js';
import { examples, NAME, options, usage } from './cli-spec.js';
import { table, summarize, VERSION, writeJson } from './report.js';
import { setPortRange } from './bindings/net.js';
import { constants } from 'node:os';
import { wantsAdmin } from './admin-client.js';
import { EXAMPLE_OPTS, FRONT_DOOR_OPTS, HUB_OPTS, killEverything, notRun, preflight, runAll, runCheck, strictly, type Config, type OptInGroup } from './runner.js';
import type { OptionName } from './types.js';

function die(msg: string): never {
  process.stderr.write(`${NAME}: ${msg}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const dd = argv.indexOf('--');
const daemon = dd >= 0 ? argv.slice(dd + 1) : [];
const own = dd >= 0 ? argv.slice(0, dd) : argv;

const help = own.includes('--help') || own.includes('-h');
const parser = yargs(help ? [] : own)
  .scriptName(NAME)
  .usage(usage)
  .parserConfiguration({ 'populate--': false })
  .options(options)
  .strictOptions()
  .help()
  .alias('h', 'help')
  .version(VERSION)
  .wrap(helpWidth())
  .fail((msg, err) => die((msg || err?.message || 'bad arguments').split('\n')[0]!));
if (help) {
  // The examples are laid out here, each command alone on its line: yargs would wrap them.
  let table = '';
  parser.showHelp((s) => (table = s));
  process.stdout.write(`${table}\n\n${examplesBlock(examples)}\n${wrapProse(manualPointer(NAME), helpWidth())}`);
  process.exit(0);
}
const parsed = parser.parseSync() as ReturnType<typeof parser.parseSync> & { json?: string; only?: string; list: boolean; opt: string[]; hamelin?: boolean; jobs: number; slow: number; keep: boolean; ports?: string; strict: boolean; 'drain-signal'?: string };

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

// The OPS checks are opt-in: an admin endpoint or a drain signal to use, or --only naming them.
const drainSignal = parsed['drain-signal'] === undefined ? undefined : `SIG${String(parsed['drain-signal']).toUpperCase().replace(/^SIG/, '')}`;
if (drainSignal !== undefined && !(drainSignal in constants.signals)) die(`bad --drain-signal ${JSON.stringify(parsed['drain-signal'])}: a signal name such as SIGUSR2`);
// The front-door checks too: one of their option names given with --opt (not by --hamelin's
// defaults), or --only naming them.
const givenOpts = parsed.opt.map((o) => String(o).split('=')[0] as OptionName);
const optIn: OptInGroup[] = [];
if (wantsAdmin(daemon) || drainSignal !== undefined || parsed.only !== undefined) optIn.push('ops');
if (givenOpts.some((o) => FRONT_DOOR_OPTS.includes(o)) || parsed.only !== undefined) optIn.push('front-door');
// And the hub checks: a hub protocol's spelling given with --opt, or --only naming them.
if (givenOpts.some((o) => HUB_OPTS.includes(o)) || parsed.only !== undefined) optIn.push('hub');
let checks = checksFor(binding.name, optIn);
const leftOut = checksFor(binding.name, true).filter((c) => c.optIn && !checks.includes(c));
const HOW_TO_OPT_IN: Record<OptInGroup, string> = {
  ops: 'put {admin} in DAEMON ARGV or give --drain-signal',
  'front-door': `give their --opt: ${FRONT_DOOR_OPTS.join(', ')}`,
  hub: `give their --opt: ${HUB_OPTS.join(', ')}`,
};
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
  for (const group of Object.keys(HOW_TO_OPT_IN) as OptInGroup[]) {
    const ids = leftOut.filter((c) => c.optIn === group).map((c) => c.id);
    if (ids.length) process.stdout.write(`(opt-in, not listed: ${ids.join(', ')}; ${HOW_TO_OPT_IN[group]})\n`);
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
  ...(drainSignal ? { drainSignal: drainSignal as NodeJS.Signals } : {}),
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
// On unix, a daemon that runs but does not listen at unix:PATH breaks NET-01: that is a
// failure of the run, reported by the NET-01 check with where it listens instead, not a setup error.
const net01 = cannot?.running && binding.name === 'unix' ? await runCheck(config, checksFor('unix').find((c) => c.id === 'NET-01')!) : undefined;
if (cannot !== undefined && net01 === undefined) {
  killEverything();
  die(`the daemon cannot start, so no check can run: ${cannot.evidence}`);
}

const progress = process.stderr.isTTY;
let done = 0;
// Started late the first time, the daemon passes NET-01 now: the run goes on as usual.
const results = net01?.status === 'fail'
  ? [net01, ...checks.filter((c) => c.id !== 'NET-01').map((c) => strictly(config, notRun(c, net01)))]
  : markRootCauses(await runAll(config, checks, (r) => {
      done++;
      if (progress) process.stderr.write(`\r${NAME}: ${done}/${checks.length} ${r.id} ${r.status}      `);
    }));
if (progress) process.stderr.write('\n');
process.stdout.write(`${NAME} ${binding.name}: ${daemon.join(' ')}\n`);
process.stdout.write(table(results));
if (parsed.json) writeJson(parsed.json, config, results, { started, finished: new Date().toISOString() });
process.exit(summarize(results).ok ? 0 : 1);
