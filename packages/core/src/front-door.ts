/**
 * The front door at run time (FD-03 to FD-20): who the client of a socket or a request really is,
 * and whether it may start a session. Front-ends call it at the points FD-14 orders and answer
 * with front-door-refusal.ts's table; the checks themselves (PROXY header, per-source limits,
 * forwarded headers, authentication) are the phase-1 modules this one only strings together.
 */
import type { IncomingMessage } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { authenticate } from './auth.js';
import type { Daemon } from './daemon.js';
import type { HVars } from './env.js';
import type { FrontDoorConfig } from './front-door-options.js';
import type { FrontDoorRefusal } from './front-door-refusal.js';
import { refusalReason } from './front-door-refusal.js';
import { realClient } from './forwarded.js';
import type { ListenTarget } from './listen.js';
import type { RefusalReason } from './observer.js';
import { hostPort, peerLabel, plainAddress, rememberProxiedClient, socketClient, type ClientAddress } from './peer-address.js';
import { readProxyHeader } from './proxy-protocol.js';
import { allowed, SourceLimits } from './source-limits.js';
import { clientCertificate } from './tls.js';

// What was learnt of a request, kept beside it and gone with it.
const forwarded = new WeakMap<IncomingMessage, ClientAddress>();
const users = new WeakMap<IncomingMessage, string>();

/** The client of a request: the forwarded header's when FrontDoor.identify found one (FD-08),
 * else its socket's. */
export function requestClient(req: IncomingMessage): ClientAddress {
  return forwarded.get(req) ?? socketClient(req.socket);
}

/** `ip:port` or `[v6]:port` of a request's client, for logs (FD-14). */
export function requestLabel(req: IncomingMessage): string {
  const c = requestClient(req);
  if (!c.address) return 'unix';
  // A forwarded header may name no port (FD-08): the address alone then.
  return c.port === undefined ? c.address : hostPort(c.address, c.port);
}

/** What the child of an admitted client learns from the front door: H-AUTH-USER (FD-18) and
 * the client certificate's H-TLS-CLIENT-SUBJECT and H-TLS-CLIENT-SHA256 (FD-20). */
export function frontDoorVars(socket: Socket, req?: IncomingMessage): HVars {
  const vars: HVars = {};
  const user = req ? users.get(req) : undefined;
  if (user !== undefined) vars['AUTH-USER'] = user;
  const tls = socket as TLSSocket;
  if (tls.encrypted && tls.authorized) {
    const cert = clientCertificate(tls);
    if (cert) {
      vars['TLS-CLIENT-SUBJECT'] = cert.subject;
      vars['TLS-CLIENT-SHA256'] = cert.sha256;
    }
  }
  return vars;
}

export type Admitted = { ok: true; /** Call once when the session has ended (FD-04). */ release: () => void } | { ok: false; refusal: FrontDoorRefusal };

const ADMITTED: Admitted = { ok: true, release: () => {} };

export class FrontDoor {
  private readonly limits: SourceLimits | undefined;

  constructor(
    readonly config: FrontDoorConfig,
    private readonly daemon: Daemon,
  ) {
    this.limits = config.limits ? new SourceLimits(config.limits) : undefined;
  }

  /** Nothing to check: a front-end may skip the calls. */
  get open(): boolean {
    return !this.config.proxyProtocol && !this.config.limits && !this.config.auth && !this.config.forwardedHeader;
  }

  /**
   * FD-10 to FD-13, and FD-03 before a TLS handshake (FD-14): every connection of `server` goes
   * through here before the listeners it had (the HTTP parser, the TLS handshake, a session). A
   * refused connection is logged, counted and closed without a byte written; a TLS client denied
   * here never gets a handshake, so no line can reach it.
   */
  guard(server: Server, target: ListenTarget, tls: boolean): void {
    const proxy = this.config.proxyProtocol;
    const { allow, deny } = this.config.limits ?? {};
    const denyEarly = tls && (allow !== undefined || deny !== undefined);
    if (target.kind === 'unix' || (!proxy && !denyEarly)) return;
    const listeners = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    const pass = (socket: Socket): void => {
      if (denyEarly && !allowed(socketClient(socket).address, allow, deny)) {
        this.refused(peerLabel(socket, target), { kind: 'limit', reason: 'denied' });
        return void socket.destroy();
      }
      for (const l of listeners) l.call(server, socket);
    };
    server.on('connection', (socket: Socket) => {
      if (!proxy) return pass(socket);
      void readProxyHeader(socket, { trusted: this.config.trusted, timeoutMs: proxy.timeoutMs }).then((outcome) => {
        if (!outcome.ok) {
          this.refused(peerLabel(socket, target), { kind: 'proxy', reason: outcome.reason }, { error: outcome.detail });
          return void socket.destroy();
        }
        const src = outcome.header.command === 'proxy' ? outcome.header.source : undefined;
        if (src) rememberProxiedClient(socket, { address: plainAddress(src.address), port: src.port });
        // In this continuation, before any other I/O: see readProxyHeader.
        pass(socket);
      });
    });
  }

  /** FD-08: take the client a trusted proxy's forwarded header names; call once per request,
   * first. The peer judged is the socket's client (a PROXY header's when there was one). */
  identify(req: IncomingMessage): ClientAddress {
    const header = this.config.forwardedHeader;
    if (!header) return requestClient(req);
    const peer = socketClient(req.socket);
    const real = realClient(req.headers, { address: peer.address, ...(peer.port === undefined ? {} : { port: peer.port }) }, this.config.trusted, header);
    const client = { address: real.address, port: real.port };
    forwarded.set(req, client);
    return client;
  }

  /** FD-03 alone, for what starts no session (a console page, a POST to a running session). */
  denied(address: string): FrontDoorRefusal | undefined {
    const l = this.config.limits;
    return l && !allowed(address, l.allow, l.deny) ? { kind: 'limit', reason: 'denied' } : undefined;
  }

  /** FD-03 to FD-05 for a new session. */
  admit(address: string): Admitted {
    if (!this.limits) return ADMITTED;
    const a = this.limits.admit(address);
    if (a.ok) return { ok: true, release: a.release };
    return { ok: false, refusal: { kind: 'limit', reason: a.reason, ...(a.retryAfterS === undefined ? {} : { retryAfterS: a.retryAfterS }), ...(a.reason === 'per-source' ? { limit: this.config.limits?.maxPerSource } : {}) } };
  }

  /** FD-15 to FD-18: undefined when the request may go on (its user is kept for frontDoorVars). */
  async authenticate(req: IncomingMessage): Promise<FrontDoorRefusal | undefined> {
    const auth = this.config.auth;
    if (!auth) return undefined;
    const r = await authenticate(auth, req.headers, socketClient(req.socket).address);
    if ('user' in r) {
      users.set(req, r.user);
      return undefined;
    }
    return { kind: 'auth', reason: r.reason, wwwAuthenticate: r.wwwAuthenticate };
  }

  /** Log (LOG-05) and count (the admin metrics) one refusal. `fields` never holds a credential. */
  refused(client: string, refusal: FrontDoorRefusal, fields: Record<string, string | number> = {}): void {
    const reason = refusalReason(refusal);
    this.daemon.log.warn('refused', { client, reason, ...fields });
    this.daemon.refused(reason as RefusalReason);
  }
}
