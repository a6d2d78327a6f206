/**
 * HAProxy's agent-check (OPS-07): connect, read one line, closed. `ready` with a weight in
 * percent of the room left under --max-clients while accepting, `drain` while draining (HAProxy
 * sends no new connection and keeps the live ones), `maint` once stopping.
 */
import { createServer, type Server } from 'node:net';
import { ClusterControl, type ProcessControl } from '@hamelin/core';

export function agentReply(control: ProcessControl): string {
  if (control.state === 'draining') return 'drain\n';
  if (control.state === 'stopping') return 'maint\n';
  // --workers: the primary hears each worker's room after every session start and end.
  let free = control instanceof ClusterControl ? control.freeShare : 1;
  for (const h of control.served) {
    const v = h.daemon.view;
    if (v.maxClients > 0) free = Math.min(free, Math.max(0, v.maxClients - v.active) / v.maxClients);
  }
  // 0% would take the server out of rotation; a full daemon refuses by itself (CORE-20).
  return `ready up ${Math.max(1, Math.round(free * 100))}%\n`;
}

export function createAgentServer(control: ProcessControl): Server {
  return createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(agentReply(control));
  });
}
