/**
 * The release, as a registry user gets it: every workspace package is packed, and the README's
 * install line (`npm install -g hamelin`) runs against the umbrella tarball, with the
 * `@hamelin` scope served from the other tarballs (scope-registry.ts), into an empty prefix
 * outside the repository. From there on PATH holds node, npm, sh and a few basic tools, and
 * no C compiler (no cc, no gcc, no CC), and HOME is empty: the daemons must run on what the
 * tarballs carry. Timings and the tarball list are reported as test diagnostics.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { alive, eventually } from '../helpers/poll.js';
import { serveScope, type Packed } from '../helpers/scope-registry.js';
import { tempDir } from '../helpers/temp-dir.js';

const CI = process.env.CI === 'true';
const work = tempDir('hamelin-release-');
const tarballs = join(work, 'tarballs');
const prefix = join(work, 'prefix');
const prefixAlone = join(work, 'prefix-net');
const home = join(work, 'home');
const tools = join(work, 'tools');
for (const d of [tarballs, home, tools]) mkdirSync(d, { recursive: true });

const BINS = ['hamelin-net', 'hamelin-ws', 'hamelin-http', 'hamelin-irc', 'hamelin-tty', 'hamelin-conformance'];
const PAGES = [...BINS.map((b) => `man1/${b}.1`), 'man7/hamelin.7'];
const leftovers = new Set<number>(); // process groups to kill should a check fail
const daemons = new Set<ReturnType<typeof execa>>();

after(() => {
  for (const d of daemons) d.kill('SIGKILL');
  for (const pgid of leftovers) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone, as it should be */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

// The npm cache that `npm ci` filled, found before HOME is emptied.
const npmCache = (await execa('npm', ['config', 'get', 'cache'])).stdout.trim();

/** A PATH of symlinks: node, npm, a shell, the basic tools and man's, and no C compiler. */
function makeToolDir(): void {
  const wanted = ['node', 'npm', 'sh', 'cat', 'sleep', 'grep', 'env', 'ls', 'man', 'groff', 'nroff', 'troff', 'grotty', 'preconv', 'tbl', 'col', 'locale'];
  for (const name of wanted) {
    const found = (process.env.PATH ?? '').split(':').map((d) => join(d, name)).find((p) => existsSync(p));
    if (found) symlinkSync(found, join(tools, name));
    else if (name !== 'locale') assert.fail(`${name} is not on PATH`);
  }
}
makeToolDir();

/**
 * How this machine reaches the npm registry: its CA bundle and proxy. npm fetches the packuments
 * of the umbrella's registry dependencies (npm ci cached only their tarballs), and behind a
 * TLS-inspecting proxy it fails each fetch with SELF_SIGNED_CERT_IN_CHAIN and retries until the
 * test times out, unless it is told the CA. None of these is a compiler or a HOME.
 */
const NETWORK_ENV = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'npm_config_cafile', 'npm_config_registry', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
const networkEnv = Object.fromEntries(NETWORK_ENV.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));

/** The environment every installed program runs in: no cc, no CC, an empty HOME and cache. */
const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  ...networkEnv,
  PATH: tools,
  HOME: home,
  XDG_CACHE_HOME: join(home, '.cache'),
  LANG: 'C.UTF-8',
  npm_config_cache: npmCache,
  ...extra,
});

interface PackResult {
  filename: string;
  name: string;
  version: string;
  size: number;
  entryCount: number;
  files: { path: string }[];
}
let packed: PackResult[] = [];
let installStarted = 0;

test('release: npm pack gives every workspace package with its LICENSE, README, man page and dist', async (t) => {
  const r = await execa('npm', ['pack', '--workspaces', '--json', '--pack-destination', tarballs], { cwd: ROOT, reject: false });
  assert.equal(r.exitCode, 0, `npm pack failed:\n${r.stderr}`);
  packed = JSON.parse(r.stdout) as PackResult[];
  const workspaces = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  assert.equal(packed.length, workspaces.length, 'one tarball per workspace package');
  for (const p of packed) {
    t.diagnostic(`${p.filename}  ${p.size} bytes  ${p.entryCount} files`);
    const paths = p.files.map((f) => f.path);
    const manifest = JSON.parse(readFileSync(join(ROOT, workspaceOf(p.name), 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
      man?: string[];
      main?: string;
    };
    for (const f of ['LICENSE', 'README.md', 'package.json']) assert.ok(paths.includes(f), `${p.filename} has ${f}`);
    for (const f of [...Object.values(manifest.bin ?? {}), ...(manifest.man ?? [])]) {
      assert.ok(paths.includes(f.replace(/^\.\//, '')), `${p.filename} has ${f}`);
    }
    if (manifest.main) assert.ok(paths.includes(manifest.main.replace(/^\.\//, '')), `${p.filename} has its built ${manifest.main}`);
    assert.ok(!paths.some((f) => /(^|\/)(src|test)\//.test(f) || f.endsWith('.map') || f.endsWith('.tsbuildinfo')), `${p.filename} holds only what runs: ${paths.join(' ')}`);
  }
  const core = packed.find((p) => p.name === '@hamelin/core')!.files.map((f) => f.path);
  for (const arch of ['x64', 'arm64']) assert.ok(core.includes(`prebuilt/hamelin-spawner-linux-${arch}`), `@hamelin/core carries the prebuilt spawn helper for linux-${arch}`);
  assert.ok(!core.some((f) => f.startsWith('dist/hamelin-spawner')), 'no spawn helper compiled on the packing machine');
  const conformance = packed.find((p) => p.name === '@hamelin/conformance')!.files.map((f) => f.path);
  for (const arch of ['x64', 'arm64']) assert.ok(conformance.includes(`prebuilt/hamelin-probe-linux-${arch}`), `@hamelin/conformance carries the prebuilt probe for linux-${arch}`);
  assert.ok(conformance.includes('dist/probe.js'), '@hamelin/conformance carries the Node probe for other machines');
});

/** packages/net for @hamelin/net, packages/hamelin for hamelin. */
function workspaceOf(name: string): string {
  return join('packages', name.replace(/^@hamelin\//, ''));
}

test('release: npm install -g hamelin (the umbrella tarball, the @hamelin scope from tarballs) with no cc on PATH', async (t) => {
  const registry = await scopeRegistry();
  try {
    const umbrella = join(tarballs, packed.find((p) => p.name === 'hamelin')!.filename);
    installStarted = Date.now();
    const r = await execa(
      'npm',
      ['install', '-g', '--prefix', prefix, `--@hamelin:registry=${registry.url}`, '--prefer-offline', '--no-audit', '--no-fund', umbrella],
      // Bounded below the file's 120 s, so a stalled fetch fails here with npm's own words.
      { cwd: work, env: env(), extendEnv: false, reject: false, timeout: 90_000 },
    );
    assert.equal(r.exitCode, 0, `npm install failed${r.timedOut ? ' (timed out after 90 s)' : ''}:\n${r.stdout}\n${r.stderr}`);
    t.diagnostic(`npm install -g: ${Date.now() - installStarted} ms`);
  } finally {
    await registry.close();
  }
  for (const b of BINS) {
    const link = readdirSync(join(prefix, 'bin')).includes(b);
    assert.ok(link, `${b} is on the prefix's PATH`);
  }
  for (const page of PAGES) assert.ok(existsSync(join(prefix, 'share', 'man', page)), `man page ${page} installed`);
  // The umbrella's own bins were linked, not a dependency's.
  const lib = join(prefix, 'lib', 'node_modules');
  assert.ok(existsSync(join(lib, 'hamelin', 'bin', 'hamelin-net.js')));
  assert.ok(existsSync(join(lib, 'hamelin', 'node_modules', '@hamelin', 'core')) || existsSync(join(lib, '@hamelin', 'core')), '@hamelin/core installed with it');
});

/** The @hamelin scope served from the tarballs of the first test. */
function scopeRegistry(): ReturnType<typeof serveScope> {
  assert.ok(packed.length > 0, 'the tarballs of the first test');
  const scoped: Packed[] = packed
    .filter((p) => p.name.startsWith('@hamelin/'))
    .map((p) => ({
      manifest: JSON.parse(readFileSync(join(ROOT, workspaceOf(p.name), 'package.json'), 'utf8')) as Packed['manifest'],
      file: join(tarballs, p.filename),
    }));
  return serveScope(scoped);
}

interface Installed {
  daemon: ReturnType<typeof execa>;
  log: () => string;
  port: number;
  /** What the listening line says after spawn=. */
  spawnLayer: string;
}

/** The installed hamelin-net (or `command`) with these arguments, once it listens. */
async function startInstalled(args: string[], extraEnv: Record<string, string> = {}, command = 'hamelin-net'): Promise<Installed> {
  let log = '';
  const daemon = execa(join(prefix, 'bin', command), args, {
    env: env(extraEnv),
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    buffer: false,
    reject: false,
  });
  daemons.add(daemon);
  daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  daemon.once('exit', () => {
    daemon.stderr!.destroy(); // a session left behind would hold the pipe open
    daemons.delete(daemon);
  });
  const listening = await eventually(() => /info listening .*port=(\d+).*/.exec(log), `the listening line; log:\n${log}`, 20_000);
  return { daemon, log: () => log, port: Number(listening[1]), spawnLayer: /spawn=(\S+)/.exec(listening[0])?.[1] ?? '(not logged)' };
}

test('release: the README\'s first example runs as installed (examples/words.txt, no dict), and its listening line says spawn=prebuilt', async (t) => {
  assert.ok(installStarted > 0, 'installed by the test above');
  // The README's line, on a free port: hamelin-net --unbuffer 127.0.0.1 8080 grep filter
  const d = await startInstalled(['--unbuffer', '127.0.0.1', '0', 'grep', 'filter']);
  const words = readFileSync(join(prefix, 'lib', 'node_modules', 'hamelin', 'examples', 'words.txt'), 'utf8');
  const client = connect(d.port, '127.0.0.1');
  let got = '';
  client.setEncoding('utf8').on('data', (chunk: string) => (got += chunk));
  // Typed first: the answer comes while the input is still open (--unbuffer, CORE-39) ...
  client.write('prefilter\n');
  await eventually(() => got === 'prefilter\n', `grep to answer the first line at once; log:\n${d.log()}`, 20_000);
  got = '';
  client.end(words); // ... then nc -N: the words, then a half-close
  await new Promise<void>((resolve, reject) => client.once('close', () => resolve()).once('error', reject));
  t.diagnostic(`npm install to first session: ${Date.now() - installStarted} ms (spawn=${d.spawnLayer})`);
  const expected = words.split('\n').filter((w) => w.includes('filter'));
  assert.ok(expected.length >= 5, 'examples/words.txt has several words with "filter"');
  assert.equal(got, `${expected.join('\n')}\n`, `the words with "filter"; log:\n${d.log()}`);
  d.daemon.kill('SIGTERM');
  assert.equal((await d.daemon).exitCode, 0, 'SIGTERM ends the daemon with 0');
  assert.equal(d.spawnLayer, 'prebuilt', `the listening line names the spawn layer; log:\n${d.log()}`);
});

test('OPS-01 OPS-04 WS-27 release: the installed hamelin-ws loads what its bundle leaves out: a --config file, /metrics (prom-client), a --static file (send)', async () => {
  assert.ok(installStarted > 0, 'installed by the test above');
  const dir = mkdtempSync(join(work, 'static-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello from a file\n');
  const config = join(work, 'ws.yaml');
  writeFileSync(config, `static: ${JSON.stringify(dir)}\nadmin: "127.0.0.1:0"\n`);
  const d = await startInstalled(['--config', config, '--host', '127.0.0.1', '--port', '0', 'cat'], {}, 'hamelin-ws');
  try {
    const admin = Number((await eventually(() => / admin address=\S+ port=(\d+)/.exec(d.log()), `the admin line; log:\n${d.log()}`))[1]);
    const file = await fetch(`http://127.0.0.1:${d.port}/hello.txt`);
    assert.equal(file.status, 200, d.log());
    assert.equal(await file.text(), 'hello from a file\n');
    const metrics = await fetch(`http://127.0.0.1:${admin}/metrics`);
    assert.equal(metrics.status, 200, d.log());
    assert.match(await metrics.text(), /^# TYPE hamelin_\w+ /m);
  } finally {
    d.daemon.kill('SIGTERM');
    assert.equal((await d.daemon).exitCode, 0, `SIGTERM ends the daemon with 0; log:\n${d.log()}`);
  }
});

interface Served extends Installed {
  childPid: number;
}

/** The installed hamelin-net with one client in session; the child is `sh -c 'cat; exec sleep 77'`,
 * which outlives its stdin: only a signal ends it once the daemon is gone. */
async function serveOne(extraEnv: Record<string, string> = {}): Promise<Served> {
  const d = await startInstalled(['127.0.0.1', '0', 'sh', '-c', 'cat; exec sleep 77'], extraEnv);
  const client = connect(d.port, '127.0.0.1');
  let echoed = '';
  client.setEncoding('utf8').on('data', (chunk: string) => (echoed += chunk));
  client.on('error', () => {});
  client.write('hello\n');
  await eventually(() => echoed === 'hello\n', `the echo of hello; got ${JSON.stringify(echoed)}; log:\n${d.log()}`, 20_000);
  const start = await eventually(() => /info start .*pid=(\d+)/.exec(d.log()), 'the start line');
  const childPid = Number(start[1]);
  leftovers.add(childPid);
  // The socket stays open: the session lasts until the daemon is killed.
  d.daemon.once('exit', () => client.destroy());
  return { ...d, childPid };
}

/** kill -9 of the daemon; then the session's whole process group must go, within a deadline. */
async function killDaemonExpectNoSession(s: Served): Promise<void> {
  assert.ok(alive(-s.childPid), 'the session runs before the kill');
  s.daemon.kill('SIGKILL');
  await s.daemon;
  await eventually(() => !alive(-s.childPid), `no process of the session's group ${s.childPid} after kill -9 of the daemon; log:\n${s.log()}`, 15_000);
  leftovers.delete(s.childPid);
}

test('CORE-22 release: kill -9 of the installed daemon leaves no session process (the prebuilt spawn helper)', async (t) => {
  const s = await serveOne();
  t.diagnostic(`spawn=${s.spawnLayer}`);
  await killDaemonExpectNoSession(s);
});

test('CORE-22 release: with HAMELIN_SPAWN=child_process, kill -9 of the daemon leaves no session process either', async (t) => {
  const s = await serveOne({ HAMELIN_SPAWN: 'child_process' });
  t.diagnostic(`spawn=${s.spawnLayer}`);
  await killDaemonExpectNoSession(s);
  assert.equal(s.spawnLayer, 'child_process', `the listening line names the spawn layer; log:\n${s.log()}`);
});

test('CORE-02 release: the installed hamelin-conformance runs its prebuilt C probe against the installed hamelin-net, and its --json report says so', async () => {
  assert.ok(installStarted > 0, 'installed by the test above');
  const json = join(work, 'conformance.json');
  const r = await execa(join(prefix, 'bin', 'hamelin-conformance'), ['net', '--hamelin', '--only', 'CORE-02', '--json', json, '--', join(prefix, 'bin', 'hamelin-net'), '{host}', '{port}', '{command}'], {
    env: env(),
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(readFileSync(json, 'utf8')) as { probe: string[]; results: { id: string; status: string }[] };
  const probe = report.probe.join(' ');
  assert.ok(report.probe.length === 1 && probe.endsWith(`/prebuilt/hamelin-probe-linux-${process.arch}`) && probe.startsWith(prefix), `the installed package's own C probe, no node: ${probe}`);
  assert.deepEqual(report.results.map((x) => [x.id, x.status]), [['CORE-02', 'pass']]);
});

test('CORE-27 release: every installed bin answers --help and --version', async () => {
  const version = (JSON.parse(readFileSync(join(ROOT, 'packages', 'hamelin', 'package.json'), 'utf8')) as { version: string }).version;
  const run = (b: string, arg: string) => execa(join(prefix, 'bin', b), [arg], { env: env(), extendEnv: false, reject: false });
  const answers = await Promise.all(BINS.map(async (b) => ({ b, help: await run(b, '--help'), v: await run(b, '--version') })));
  for (const { b, help, v } of answers) {
    assert.equal(help.exitCode, 0, `${b} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^Usage: ${b} `), `${b} --help`);
    assert.equal(v.exitCode, 0, `${b} --version: ${v.stderr}`);
    assert.equal(v.stdout.trim(), version, `${b} --version`);
  }
});

test('release: man -l renders every installed page, and man finds each by name under the prefix', async () => {
  if (!existsSync(join(tools, 'man'))) assert.fail(CI ? 'man (man-db) is missing' : 'man (man-db) is missing: apt-get install man-db groff-base');
  for (const page of PAGES) {
    const file = join(prefix, 'share', 'man', page);
    const r = await execa('man', ['-l', file], { env: env({ MANWIDTH: '80' }), extendEnv: false, reject: false });
    assert.equal(r.exitCode, 0, `man -l ${page}: ${r.stderr}`);
    assert.equal(r.stderr, '', `man -l ${page} renders without warnings`);
    const name = basename(page).replace(/\.\d$/, '');
    assert.match(r.stdout, new RegExp(`^NAME\\n\\s+${name} - `, 'm'), `${page} has its NAME section`);
    const byName = await execa('man', ['-M', join(prefix, 'share', 'man'), page.endsWith('.7') ? '7' : '1', name], {
      env: env({ MANWIDTH: '80' }),
      extendEnv: false,
      reject: false,
    });
    assert.equal(byName.stdout, r.stdout, `man ${name} finds the installed page`);
  }
});

test('release: a scoped package installs alone too: npm install -g @hamelin/net, with its bin and page', async () => {
  const registry = await scopeRegistry();
  try {
    const alone = await execa(
      'npm',
      ['install', '-g', '--prefix', prefixAlone, `--@hamelin:registry=${registry.url}`, '--prefer-offline', '--no-audit', '--no-fund', '@hamelin/net'],
      { cwd: work, env: env(), extendEnv: false, reject: false },
    );
    assert.equal(alone.exitCode, 0, `npm install -g @hamelin/net failed:\n${alone.stdout}\n${alone.stderr}`);
    const v = await execa(join(prefixAlone, 'bin', 'hamelin-net'), ['--version'], { env: env(), extendEnv: false, reject: false });
    assert.equal(v.stdout.trim(), '0.2.0', `@hamelin/net alone: hamelin-net --version: ${v.stderr}`);
    assert.ok(existsSync(join(prefixAlone, 'share', 'man', 'man1', 'hamelin-net.1')), '@hamelin/net alone installs hamelin-net(1)');
  } finally {
    await registry.close();
  }
});
