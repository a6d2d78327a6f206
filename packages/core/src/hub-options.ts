/**
 * The options of hub mode (HUB-01 .. HUB-17): one process shared by every client of a service.
 * Off unless `--hub` names a protocol; the per-client session (CORE-01) stays the default.
 */
import type { Options } from 'yargs';
import { integer } from './option-rules.js';

export type HubMode = 'broadcast' | 'addressed';
export type SlowPolicy = 'drop' | 'disconnect';

export interface HubSettings {
  mode: HubMode;
  /** Start the child when the daemon starts, not with the first client (HUB-03). */
  eager: boolean;
  /** Restart the child when it exits, after a backoff, keeping its clients (HUB-04). */
  respawn: boolean;
  /** What a client whose queue is full gets (HUB-11). */
  slow: SlowPolicy;
  /** Broadcast lines a new client is given first (HUB-13). */
  replay: number;
  /** Bytes of output one client may have waiting (HUB-11). */
  queueBytes: number;
}

export interface HubCliOptions {
  hub?: string | undefined;
  hubEager?: boolean;
  respawn?: boolean;
  slow?: string;
  replay?: number;
  hubQueue?: number;
}

export const hubOptions: Record<string, Options> = {
  hub: { choices: ['broadcast', 'addressed'], describe: 'one process for every client: broadcast (any script) or addressed (client ids on each line)', group: 'Hub:' },
  'hub-eager': { type: 'boolean', default: false, describe: 'with --hub: start the process with the daemon, not with the first client', group: 'Hub:' },
  respawn: { type: 'boolean', default: false, describe: 'with --hub: restart the process when it exits (backoff 0.1 s doubling to 10 s), clients stay', group: 'Hub:' },
  slow: { choices: ['drop', 'disconnect'], default: 'drop', describe: 'with --hub: a client whose queue is full misses lines (told how many), or is disconnected', group: 'Hub:' },
  replay: integer({ default: 0, describe: 'with --hub: a new client first gets the last N lines sent to everyone', group: 'Hub:' }, 0, 100_000),
  'hub-queue': integer({ default: 1048576, describe: 'with --hub: bytes of output one client may have waiting', group: 'Hub:' }, 1024, 1 << 30),
};

/** The hub settings the options ask for, or undefined without --hub. */
export function hubSettings(o: HubCliOptions): HubSettings | undefined {
  if (o.hub !== 'broadcast' && o.hub !== 'addressed') return undefined;
  return {
    mode: o.hub,
    eager: o.hubEager === true,
    respawn: o.respawn === true,
    slow: o.slow === 'disconnect' ? 'disconnect' : 'drop',
    replay: Math.floor(o.replay ?? 0),
    queueBytes: Math.floor(o.hubQueue ?? 1048576),
  };
}
