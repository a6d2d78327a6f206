/**
 * OPS-17: a request for a session another worker holds is passed to that worker over its peer
 * socket (core: worker-peers.ts) and its answer relayed as it comes, so a long poll streams and
 * a POST keeps its backpressure. The request has passed this worker's front door (origin,
 * authentication); the sibling only looks the session up and acts.
 */
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { peerSocketPath } from '@hamelin/core';
import { answer } from './respond.js';

/** Headers that describe one connection, not the request (RFC 9110 section 7.6.1). */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

function endToEnd(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

export type Relay = (req: IncomingMessage, res: ServerResponse, worker: number, headers: OutgoingHttpHeaders) => void;

/** A relay for the listener named `listener` (its address: the same in every worker). */
export function sessionRelay(listener: string): Relay {
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 16 });
  return (req, res, worker, headers) => {
    const socketPath = peerSocketPath(worker, listener);
    if (socketPath === undefined) return void (req.resume(), answer(res, 404, 'no such session', headers));
    const out = request({ socketPath, agent, method: req.method, path: req.url, headers: endToEnd(req.headers) }, (back) => {
      res.writeHead(back.statusCode ?? 502, endToEnd(back.headers));
      back.pipe(res);
    });
    // The sibling is gone (it died, and its sessions with it, OPS-14): the session is no more.
    out.on('error', () => {
      req.resume();
      if (!res.headersSent) answer(res, 404, 'no such session', headers);
      else res.destroy();
    });
    // A client that goes away ends the relayed request too: the sibling's poll sees it close.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  };
}
