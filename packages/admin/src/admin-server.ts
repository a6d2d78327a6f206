/**
 * The admin listener (OPS-04..OPS-07): its own socket, never a service's, and nothing it
 * answers spawns a process.
 *
 *   GET  /healthz   200 `ok` while accepting, 503 `draining` or `stopping` otherwise
 *   GET  /metrics   Prometheus text format
 *   POST /drain     start a drain (OPS-05); 202
 *
 * It is for curl, Prometheus and load balancers, never for web pages (OPS-20): a page the
 * operator's browser loads, or one that rebinds its name to 127.0.0.1, could otherwise drain the
 * daemon with a form POST or read its metrics.
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
    const page = fromWebPage(req);
    if (page) {
      control.log.warn('refused', { client: `${req.socket.remoteAddress ?? 'unix'}`, http_status: 403, reason: page });
      return reply(res, 403, `forbidden: ${page}\n`);
    }
    const route = routes[(req.url ?? '/').split('?')[0]!];
    if (!route) return reply(res, 404, 'not found\n');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== route.method) return reply(res, 405, 'method not allowed\n', { Allow: route.method });
    Promise.resolve(route.run(res)).catch((e: Error) => reply(res, 500, `${e.message}\n`));
  });
}

/**
 * OPS-20: why a request comes from a web page, or undefined. Browsers mark every request a page
 * makes with Sec-Fetch-Site (and a POST or a cross-origin one with Origin); curl, Prometheus and
 * HAProxy send neither. An address typed into the browser (Sec-Fetch-Site: none, no Origin) is
 * the operator's own and may GET.
 */
function fromWebPage(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) return `a request from a web page (Origin ${origin.slice(0, 100)})`;
  const site = req.headers['sec-fetch-site'];
  if (site === undefined || (site === 'none' && (req.method === 'GET' || req.method === 'HEAD'))) return undefined;
  return `a request from a web page (Sec-Fetch-Site ${String(site).slice(0, 30)})`;
}
