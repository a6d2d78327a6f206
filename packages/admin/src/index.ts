/**
 * The admin endpoint and the agent check, as their own listeners beside a process's services,
 * reading the daemons' read-only views through the process control.
 */
import { parseAdminAddress } from './address.js';
import { createAdminServer } from './admin-server.js';
import { createAgentServer, agentReply } from './agent-server.js';
import { createMetrics } from './metrics.js';

export { parseAdminAddress, createAdminServer, createAgentServer, agentReply, createMetrics };
export { exitClass, frontEnd } from './metrics.js';
export { startOps, type OpsOptions } from './start.js';
