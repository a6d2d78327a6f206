/**
 * What startOps (start.ts) loads only when the process serves an admin or agent listener, or is
 * a --workers worker: prom-client and the admin servers.
 */
import cluster from 'node:cluster';
import type { Server } from 'node:net';
import type { Registry } from 'prom-client';
import { ClusterControl, describeTarget, listenOn, type ProcessControl } from '@hamelin/core';
import { parseAdminAddress } from './address.js';
import { createAdminServer } from './admin-server.js';
import { createAgentServer } from './agent-server.js';
import { createMetrics } from './metrics.js';
import { promClient } from './prom-client.js';

const { AggregatorRegistry } = promClient;
import type { OpsOptions } from './start.js';

/**
 * Bind the admin and agent listeners (a busy port is a StartupError, CORE-18) and log where.
 * Their lines are `admin` and `agent`, not `listening`, which names the services.
 */
export async function startOpsServers(control: ProcessControl, opts: OpsOptions): Promise<Server[]> {
  const servers: Server[] = [];
  // --workers (OPS-13): the primary answers for the whole daemon; a worker binds nothing and
  // only gives its counters to the primary's /metrics, which adds them up.
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([createMetrics(control)]);
    // Constructing one is what makes prom-client answer the primary's requests.
    new AggregatorRegistry();
    return servers;
  }
  const bind = async (what: 'admin' | 'agent', text: string, server: Server): Promise<void> => {
    const target = parseAdminAddress(what, text);
    const port = await listenOn(server, target);
    servers.push(server);
    control.log.notice(what, target.kind === 'unix' ? { address: describeTarget(target) } : { address: target.host, port });
  };
  if (opts.admin !== undefined) await bind('admin', opts.admin, createAdminServer(control, control instanceof ClusterControl ? clusterMetrics() : createMetrics(control)));
  if (opts.agent !== undefined) await bind('agent', opts.agent, createAgentServer(control));
  return servers;
}

/** The primary's /metrics under --workers: every worker's registry, summed by prom-client's
 * AggregatorRegistry (each metric's `aggregator`: counters and most gauges add up). */
function clusterMetrics(): Registry {
  const agg = new AggregatorRegistry();
  return { contentType: agg.contentType, metrics: () => agg.clusterMetrics() } as unknown as Registry;
}
