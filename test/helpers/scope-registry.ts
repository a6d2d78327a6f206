/**
 * A registry for one npm scope, serving packed tarballs as the public registry would: a
 * packument per name (GET /@scope%2fname) and the tarball it points to. With
 * `--@hamelin:registry=URL`, `npm install -g ./hamelin-X.tgz` resolves `@hamelin/*` here and
 * everything else from the usual registry (or the cache), so a test runs the README's install
 * line with nothing published. Each server gets a fresh path prefix, so npm's cache never
 * answers for a tarball of an earlier run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Packed {
  /** The package.json it was packed from. */
  manifest: { name: string; version: string } & Record<string, unknown>;
  /** The .tgz file. */
  file: string;
}

export interface ScopeRegistry {
  url: string;
  close(): Promise<void>;
}

export async function serveScope(packages: Packed[]): Promise<ScopeRegistry> {
  const prefix = `/${randomBytes(6).toString('hex')}`;
  const byName = new Map(packages.map((p) => [p.manifest.name, p]));
  let base = '';
  const tarballPath = (p: Packed): string => `${prefix}/${p.manifest.name}/-/${p.manifest.name.split('/').pop()}-${p.manifest.version}.tgz`;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(req.url ?? '');
    for (const p of packages) {
      if (path === tarballPath(p)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(p.file));
        return;
      }
    }
    const p = path.startsWith(`${prefix}/`) ? byName.get(path.slice(prefix.length + 1)) : undefined;
    if (!p) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const bytes = readFileSync(p.file);
    const { name, version } = p.manifest;
    const packument = {
      name,
      'dist-tags': { latest: version },
      versions: {
        [version]: {
          ...p.manifest,
          _id: `${name}@${version}`,
          dist: {
            tarball: `${base}${tarballPath(p)}`,
            integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
            shasum: createHash('sha1').update(bytes).digest('hex'),
          },
        },
      },
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}${prefix}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
