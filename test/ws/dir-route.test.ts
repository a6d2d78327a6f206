/** --dir path resolution, shared by hamelin-ws and hamelin-http (WS-17, WS-18). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realpathSync } from 'node:fs';
import { resolveDirRoute } from '@hamelin/core';
import { tempDir } from '../helpers/temp-dir.js';

let top: string;
let dir: string;

before(() => {
  top = realpathSync(tempDir('hamelin-dirroute-'));
  dir = join(top, 'scripts');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const exe = (p: string): void => {
    writeFileSync(p, '#!/bin/sh\necho hi\n');
    chmodSync(p, 0o755);
  };
  exe(join(dir, 'echo.sh'));
  exe(join(dir, 'sub', 'deep.sh'));
  exe(join(dir, 'with space.sh'));
  exe(join(dir, '.hidden.sh'));
  writeFileSync(join(dir, 'plain.txt'), 'not executable\n');
  exe(join(top, 'outside.sh'));
  symlinkSync(join(top, 'outside.sh'), join(dir, 'escape.sh'));
  symlinkSync(top, join(dir, 'updir'));
  symlinkSync(join(dir, 'echo.sh'), join(dir, 'alias.sh'));
  mkdirSync(join(dir, 'empty'));
});
after(() => rmSync(top, { recursive: true, force: true }));

const ok = (url: string) => {
  const r = resolveDirRoute(dir, url);
  if ('error' in r) assert.fail(`${url}: ${r.error} ${r.reason}`);
  return r;
};
const err = (url: string) => {
  const r = resolveDirRoute(dir, url);
  if (!('error' in r)) assert.fail(`${url} resolved to ${r.file}`);
  return r.error;
};

test('WS-17 a URL path names an executable inside DIR', () => {
  const r = ok('/echo.sh');
  assert.equal(r.file, join(dir, 'echo.sh'));
  assert.equal(r.scriptName, '/echo.sh');
  assert.equal(r.pathInfo, '');
  assert.equal(ok('/sub/deep.sh').file, join(dir, 'sub', 'deep.sh'));
  assert.equal(ok('/with%20space.sh').scriptName, '/with space.sh');
  assert.equal(ok('/echo.sh?x=1').pathInfo, '');
  assert.equal(ok('//sub//deep.sh').scriptName, '/sub/deep.sh');
});

test('WS-17 the rest of the path is PATH-INFO, decoded', () => {
  const r = ok('/sub/deep.sh/a/b%20c/');
  assert.equal(r.scriptName, '/sub/deep.sh');
  assert.equal(r.pathInfo, '/a/b c/');
  assert.equal(ok('/echo.sh/').pathInfo, '/');
});

test('WS-17 a symlink that stays inside DIR is served', () => {
  assert.equal(ok('/alias.sh').file, join(dir, 'echo.sh'));
});

test('WS-17 missing, non-executable, directory or hidden: 404', () => {
  assert.equal(err('/nope.sh'), 404);
  assert.equal(err('/plain.txt'), 404);
  assert.equal(err('/'), 404);
  assert.equal(err('/sub'), 404);
  assert.equal(err('/sub/'), 404);
  assert.equal(err('/empty/x'), 404);
  assert.equal(err('/.hidden.sh'), 404);
  assert.deepEqual(resolveDirRoute(join(top, 'no-such-dir'), '/echo.sh'), { error: 404, reason: 'directory not found' });
});

test('WS-18 no escape by .., encoded separators, NUL or symlinks', () => {
  for (const u of ['/../outside.sh', '/sub/../../outside.sh', '/%2e%2e/outside.sh', '/sub/%2E%2E/echo.sh', '/./echo.sh', '/echo.sh/../x'])
    assert.equal(err(u), 404, u);
  for (const u of ['/..%2foutside.sh', '/%2e%2e%2foutside.sh', '/sub%2fdeep.sh', '/..%5coutside.sh', '/echo.sh%00'])
    assert.equal(err(u), 404, u);
  for (const u of ['/%zz', 'echo.sh']) assert.equal(err(u), 400, `${u} is not a path`);
  assert.equal(err('/escape.sh'), 404);
  assert.equal(err('/updir/outside.sh'), 404);
  assert.equal(err('/updir/scripts/echo.sh'), 404);
});
