/**
 * The admin listener (OPS-04..OPS-07): its own socket, never a service's, and nothing it
 * answers spawns a process.
 *
 *   GET  /healthz   200 `ok` while accepting, 503 `draining` or `stopping` otherwise
 *   GET  /metrics   Prometheus text format
 *   POST /drain     start a drain (OPS-05); 202
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ProcessControl } from '@hamelin/core';
import type { Registry } from 'prom-client';

export function createAdminServer(control: ProcessControl, registry: Registry): Server {
  const reply = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
    res.end(body);
  };
  const routes: Record<string, { method: string; run: (res: ServerResponse) => void | Promise<void> }> = {
    '/healthz': {
      method: 'GET',
      run: (res) => (control.state === 'accepting' ? reply(res, 200, 'ok\n') : reply(res, 503, `${control.state}\n`)),
    },
    '/metrics': {
      method: 'GET',
      run: async (res) => reply(res, 200, await registry.metrics(), { 'Content-Type': registry.contentType }),
    },
    '/drain': {
      method: 'POST',
      run: (res) => {
        control.log.info('admin-drain', {});
        void control.drain('admin');
        reply(res, 202, `${control.state}\n`);
      },
    },
  };
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const route = routes[(req.url ?? '/').split('?')[0]!];
    if (!route) return reply(res, 404, 'not found\n');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== route.method) return reply(res, 405, 'method not allowed\n', { Allow: route.method });
    Promise.resolve(route.run(res)).catch((e: Error) => reply(res, 500, `${e.message}\n`));
  });
}
