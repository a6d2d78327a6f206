/**
 * Start prepared services in this process (OPS-03): one Daemon per service and front-end (its
 * name, H-VERSION and limits), each front-end's own serve(), one ProcessControl over them all.
 * The spawn helper is per process, so every service shares it.
 */
import { Daemon, Logger, type ProcessControl, type ServeHandle } from '@hamelin/core';
import { serve as serveHttp } from '@hamelin/http';
import { serve as serveIrc } from '@hamelin/irc';
import { serve as serveNet } from '@hamelin/net';
import { serve as serveTty } from '@hamelin/tty';
import { serve as serveWs, wsHandlers } from '@hamelin/ws';
import type { ProcessSpec } from './model.js';
import { listenerGroups, type PreparedFrontEnd, type PreparedService } from './prepare.js';

export interface Started {
  /** `service/kind` to its daemon and serve handle, for a reload. */
  byKey: Map<string, { daemon: Daemon; handle: ServeHandle }>;
}

export function loggerFor(spec: ProcessSpec, name: string): Logger {
  return new Logger({ daemon: name, format: spec.options.logFormat, file: spec.options.logFile, quiet: spec.options.quiet });
}

/** A service's settings as one front-end's daemon takes them: a terminal's child always gets
 * TERM, even with env-clear (TTY-11). A reload applies the same. */
export function settingsFor(service: PreparedService, fe: PreparedFrontEnd): PreparedService['settings'] {
  const s = service.settings;
  if (fe.kind !== 'tty' || s.env.passEnv.includes('TERM')) return s;
  return { ...s, env: { ...s.env, passEnv: [...s.env.passEnv, 'TERM'] } };
}

export async function startServices(spec: ProcessSpec, services: PreparedService[], control: ProcessControl): Promise<Started> {
  const byKey = new Map<string, { daemon: Daemon; handle: ServeHandle }>();
  const daemonFor = (service: PreparedService, fe: PreparedFrontEnd): Daemon => {
    const key = `${service.spec.name}/${fe.kind}`;
    return new Daemon({ name: `hamelin-${fe.kind}`, ...settingsFor(service, fe), log: loggerFor(spec, key) });
  };
  const add = (service: PreparedService, fe: PreparedFrontEnd, daemon: Daemon, handle: ServeHandle): void => {
    byKey.set(`${service.spec.name}/${fe.kind}`, { daemon, handle });
    control.add(handle);
  };
  const fail = (): never => {
    throw new Error('unreachable: listenerGroups checked the addresses');
  };
  for (const group of listenerGroups(services, fail).values()) {
    const ws = group.find((g) => g.fe.kind === 'ws');
    const http = group.find((g) => g.fe.kind === 'http');
    if (ws && http && ws.fe.kind === 'ws' && http.fe.kind === 'http') {
      // One listener: the http server, with the ws side's upgrade handler.
      const wsDaemon = daemonFor(ws.service, ws.fe);
      const upgrades = wsHandlers(wsDaemon, ws.fe.serve);
      const httpDaemon = daemonFor(http.service, http.fe);
      const h = await serveHttp(httpDaemon, http.fe.serve, { onUpgrade: upgrades.onUpgrade, closeUpgrades: upgrades.close });
      add(http.service, http.fe, httpDaemon, h);
      add(ws.service, ws.fe, wsDaemon, { daemon: wsDaemon, port: h.port, stopAccepting: () => h.stopAccepting(), close: () => upgrades.close() });
      continue;
    }
    for (const { service, fe } of group) {
      const daemon = daemonFor(service, fe);
      const handle =
        fe.kind === 'net' ? await serveNet(daemon, fe.serve)
        : fe.kind === 'ws' ? await serveWs(daemon, fe.serve)
        : fe.kind === 'http' ? await serveHttp(daemon, fe.serve)
        : fail();
      add(service, fe, daemon, handle);
    }
  }
  // Bots dial out, so they have no listener group; each is one more front-end of its service.
  for (const service of services) {
    for (const fe of service.frontEnds) {
      if (fe.kind !== 'irc') continue;
      const daemon = daemonFor(service, fe);
      add(service, fe, daemon, await serveIrc(daemon, fe.serve));
    }
  }
  // Terminals, getty-style: a line served without respawn ends with its session (or a hangup),
  // and the other front-ends go on.
  for (const service of services) {
    for (const fe of service.frontEnds) {
      if (fe.kind !== 'tty') continue;
      const daemon = daemonFor(service, fe);
      const handle = await serveTty(daemon, fe.serve);
      void handle.ended.then((status) => daemon.log.info('line-done', { client: fe.serve.path, status }));
      add(service, fe, daemon, handle);
    }
  }
  return { byKey };
}
