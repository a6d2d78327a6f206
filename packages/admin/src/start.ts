/**
 * startOps, the front-ends' one call into this package, kept light: a daemon that serves no admin
 * or agent listener and is not a --workers worker never loads prom-client, its dependencies
 * or the admin servers (with the lazy yaml of config-file.ts: about 5 MiB of a fresh hamelin-ws's
 * RSS and 70 ms of its start, A/B in bench/README.md, issue 16).
 */
import cluster from 'node:cluster';
import type { Server } from 'node:net';
import type { ProcessControl } from '@hamelin/core';

export interface OpsOptions {
  /** `--admin HOST:PORT | unix:PATH` */
  admin?: string | undefined;
  /** `--agent PORT | HOST:PORT` */
  agent?: string | undefined;
}

/**
 * Bind the admin and agent listeners (a busy port is a StartupError, CORE-18) and log where;
 * under --workers, a worker gives its counters to the primary's /metrics (OPS-13).
 */
export async function startOps(control: ProcessControl, opts: OpsOptions): Promise<Server[]> {
  if (opts.admin === undefined && opts.agent === undefined && !cluster.isWorker) return [];
  const { startOpsServers } = await import('./ops-servers.js');
  return startOpsServers(control, opts);
}
