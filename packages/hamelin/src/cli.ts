#!/usr/bin/env node
/**
 * hamelin: several services in one process (OPS-03).
 *
 *   hamelin --config hamelin.yaml
 *   hamelin --check-config hamelin.yaml
 *   hamelin [options] --net 127.0.0.1:7000 --ws 127.0.0.1:8080 --http 127.0.0.1:8080 -- ./chat.sh
 */
import yargs from 'yargs';
import type { Options } from 'yargs';
import { ConfigFile, die, dropPrivileges, optionsFromEnv, ProcessControl, runUntilDone, serveWithWorkers, StartupError, VERSION, type KeyPath } from '@hamelin/core';
import { startOps } from '@hamelin/admin/start';
import { epilog, examples, NAME, quickOptions, usage } from './cli-spec.js';
import { buildSpec, FRONT_ENDS, processOptions, serviceOptions, type Fail } from './model.js';
import { prepare, listenerGroups } from './prepare.js';
import { makeReload, type Loaded } from './reload.js';
import { loggerFor, startServices } from './start.js';

/** Without defaults: what was given on the command line, and nothing else. */
const noDefaults = (t: Record<string, Options>): Record<string, Options> =>
  Object.fromEntries(
    Object.entries(t).map(([k, o]) => {
      const { default: _unused, ...rest } = o;
      return [k, rest];
    }),
  );
const table = { ...quickOptions, ...noDefaults(processOptions), ...noDefaults(serviceOptions) };

const parsed = yargs(process.argv.slice(2))
  .scriptName(NAME)
  .usage(usage)
  .parserConfiguration({ 'halt-at-non-option': true, 'parse-positional-numbers': false, 'populate--': false, 'camel-case-expansion': false })
  .options(table)
  .strictOptions()
  .version(VERSION)
  .help()
  .alias('h', 'help')
  .example(examples)
  .epilog(epilog)
  .wrap(Math.min(100, process.stdout.columns || 100))
  .fail((msg, err) => die(NAME, (msg || err?.message || 'bad arguments').replace(/\s+/g, ' ').trim()))
  .parseSync() as Record<string, unknown> & { _: (string | number)[] };

const given: Record<string, unknown> = {};
for (const k of Object.keys(table)) if (parsed[k] !== undefined) given[k] = parsed[k];
const rest = parsed._.map(String);
if (rest[0] === '--') rest.shift();

/** Flags over HAMELIN_* over the file (OPS-02): process keys at the top, session keys in every service. */
function overlay(data: Record<string, unknown>): Record<string, unknown> {
  const over = { ...optionsFromEnv({ ...noDefaults(processOptions), ...noDefaults(serviceOptions) }), ...given };
  const out = { ...data };
  const services = typeof out.services === 'object' && out.services !== null ? { ...(out.services as Record<string, Record<string, unknown>>) } : undefined;
  for (const [k, v] of Object.entries(over)) {
    if (k in processOptions) out[k] = v;
    else if (k in serviceOptions && services) for (const name of Object.keys(services)) services[name] = { ...services[name], [k]: v };
  }
  if (services) out.services = services;
  return out;
}

function fromFile(file: string): Loaded {
  const cfg = ConfigFile.read(file);
  const fail: Fail = (path: KeyPath, m: string) => cfg.error(path, m);
  const spec = buildSpec(overlay(cfg.data), fail);
  const services = prepare(spec, fail);
  listenerGroups(services, fail);
  return { spec, services };
}

function fromFlags(): Loaded {
  const fail: Fail = (path: KeyPath, m: string) => {
    const last = String(path.at(-1));
    const flag = last === 'listen' ? String(path.at(-2)) : last;
    return new StartupError(`--${flag}: ${m.replace(/^--[a-z-]+ /, '')}`);
  };
  const frontEnds = FRONT_ENDS.filter((k) => given[k] !== undefined);
  if (frontEnds.length === 0) throw new StartupError('give --config FILE, or at least one of --net, --ws, --http (see --help)');
  if (given.dir === undefined && rest.length === 0) throw new StartupError('missing CMD after -- (or --dir DIR)');
  if (given.dir !== undefined && rest.length > 0) throw new StartupError('--dir takes no CMD');
  const word = (rest[0] ?? String(given.dir)).split('/').filter(Boolean).pop() ?? '';
  const name = given.name !== undefined ? String(given.name) : word.replace(/[^A-Za-z0-9_.-]/g, '_') || 'service';
  const service: Record<string, unknown> = given.dir !== undefined ? { dir: given.dir } : { command: rest };
  for (const k of Object.keys(serviceOptions)) if (given[k] !== undefined) service[k] = given[k];
  for (const k of frontEnds) service[k] = { listen: given[k] };
  const data: Record<string, unknown> = { services: { [name]: service } };
  for (const k of Object.keys(processOptions)) if (given[k] !== undefined) data[k] = given[k];
  const spec = buildSpec(overlay(data), fail);
  const services = prepare(spec, fail);
  listenerGroups(services, fail);
  return { spec, services };
}

try {
  if (given['check-config'] !== undefined) {
    const file = String(given['check-config']);
    const { spec } = fromFile(file);
    process.stdout.write(`${file}: ok (${spec.services.map((s) => `${s.name}: ${s.frontEnds.map((f) => f.kind).join('+')}`).join(', ')})\n`);
    process.exit(0);
  }
  if (given.config !== undefined && (rest.length > 0 || FRONT_ENDS.some((k) => given[k] !== undefined))) {
    throw new StartupError('--config takes the services from the file: no --net, --ws, --http or CMD with it');
  }
  const load = given.config !== undefined ? () => fromFile(String(given.config)) : fromFlags;
  const loaded = load();
  // --workers N: each worker runs every service; the primary runs none (OPS-12).
  await serveWithWorkers(NAME, loaded.spec.options, startOps, async () => {
    const log = loggerFor(loaded.spec, NAME);
    const control = new ProcessControl(log, { drainTimeoutMs: Math.round(loaded.spec.options.drainTimeout * 1000) });
    // Signals first (CORE-34); until every service serves, a SIGHUP only reopens the log.
    let reload: (() => void) | undefined;
    runUntilDone(control, () => reload?.());
    await startOps(control, loaded.spec.options);
    const started = await startServices(loaded.spec, loaded.services, control);
    await dropPrivileges(loaded.spec.options.user, loaded.spec.options.group, log);
    reload = makeReload(load, loaded, started, log);
    control.ready();
  });
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
