/**
 * The Prometheus metrics (OPS-06), counted from the daemons' observer events, the same events
 * their log lines name. Gauges read the daemons' read-only views at scrape time.
 */
import type { Registry } from 'prom-client';
import { spawnLayer, type Daemon, type ProcessControl, type SessionResult } from '@hamelin/core';
import { promClient } from './prom-client.js';

const { Counter, Gauge, Histogram, collectDefaultMetrics } = promClient;

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600, 86400];

/** `ok` (status 0), `error` (another status), `signal`, `spawn-failed`. */
export function exitClass(result: SessionResult): string {
  const e = result.exit;
  if (e.spawnError) return 'spawn-failed';
  if (e.signal) return 'signal';
  return e.code === 0 ? 'ok' : 'error';
}

export function frontEnd(daemon: Daemon): string {
  return daemon.config.name.replace(/^hamelin-/, '');
}

export function createMetrics(control: ProcessControl): Registry {
  const register = new promClient.Registry();
  collectDefaultMetrics({ register });
  // Three of prom-client's defaults are gauges named like counters, which `promtool check
  // metrics` rejects; the process_* and nodejs_heap/eventloop/gc ones stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) register.removeSingleMetric(name);
  const L = ['service', 'frontend'] as const;
  const started = new Counter({ name: 'hamelin_sessions_started_total', help: 'Sessions whose child was spawned.', labelNames: L, registers: [register] });
  const ended = new Counter({ name: 'hamelin_sessions_ended_total', help: 'Sessions ended, by what ended them (exit, timeout, client-closed, shutdown...).', labelNames: [...L, 'reason'], registers: [register] });
  const refused = new Counter({ name: 'hamelin_refusals_total', help: 'Clients refused before any process ran, by reason.', labelNames: [...L, 'reason'], registers: [register] });
  const spawnFailed = new Counter({ name: 'hamelin_spawn_failures_total', help: 'Commands that could not be started, by errno.', labelNames: [...L, 'errno'], registers: [register] });
  const exits = new Counter({ name: 'hamelin_exits_total', help: 'Session ends by exit status class (ok, error, signal, spawn-failed).', labelNames: [...L, 'class'], registers: [register] });
  const bytesIn = new Counter({ name: 'hamelin_client_bytes_in_total', help: 'Bytes from clients, counted when their session ends.', labelNames: L, registers: [register] });
  const bytesOut = new Counter({ name: 'hamelin_client_bytes_out_total', help: 'Bytes from children to clients, counted when their session ends.', labelNames: L, registers: [register] });
  const longLines = new Counter({ name: 'hamelin_long_lines_total', help: 'Sessions in which a line over --max-line was passed on in pieces (once per session and direction).', labelNames: [...L, 'direction'], registers: [register] });
  const duration = new Histogram({ name: 'hamelin_session_duration_seconds', help: 'Session length, from spawn to the end of its output.', labelNames: L, buckets: DURATION_BUCKETS, registers: [register] });
  const daemons = (): Daemon[] => control.served.map((h) => h.daemon);
  new Gauge({
    name: 'hamelin_sessions_active',
    help: 'Sessions running now.',
    labelNames: L,
    registers: [register],
    collect() {
      for (const d of daemons()) this.set({ service: d.view.service, frontend: frontEnd(d) }, d.view.active);
    },
  });
  new Gauge({
    name: 'hamelin_max_clients',
    help: 'The --max-clients limit (0: none).',
    labelNames: L,
    registers: [register],
    collect() {
      for (const d of daemons()) this.set({ service: d.view.service, frontend: frontEnd(d) }, d.view.maxClients);
    },
  });
  new Gauge({
    name: 'hamelin_sessions_blocked',
    help: "Sessions whose child's output is paused until a slow client takes more.",
    labelNames: L,
    registers: [register],
    collect() {
      for (const d of daemons()) this.set({ service: d.view.service, frontend: frontEnd(d) }, d.view.queued.blocked);
    },
  });
  new Gauge({
    name: 'hamelin_backlog_lines',
    help: 'Output lines queued for slow clients (message front-ends), all sessions together.',
    labelNames: L,
    registers: [register],
    collect() {
      for (const d of daemons()) this.set({ service: d.view.service, frontend: frontEnd(d) }, d.view.queued.lines);
    },
  });
  new Gauge({
    name: 'hamelin_state',
    help: 'The process state: 1 for the current one of accepting, draining, stopping.',
    labelNames: ['state'],
    // --workers: 1 if any worker is in that state, not the number of workers (OPS-13).
    aggregator: 'max',
    registers: [register],
    collect() {
      for (const s of ['accepting', 'draining', 'stopping'] as const) this.set({ state: s }, control.state === s ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hamelin_spawn_layer',
    help: 'The spawn layer the next session will use (1 for the one in use).',
    labelNames: ['layer'],
    aggregator: 'max',
    registers: [register],
    async collect() {
      const layer = await spawnLayer();
      for (const l of ['prebuilt', 'compiled', 'child_process'] as const) this.set({ layer: l }, layer === l ? 1 : 0);
    },
  });

  control.onServe(({ daemon: d }) => {
    const labels = (): { service: string; frontend: string } => ({ service: d.view.service, frontend: frontEnd(d) });
    d.observe({
      sessionStarted: () => started.inc(labels()),
      sessionEnded: (r) => {
        const l = labels();
        ended.inc({ ...l, reason: r.exit.spawnError ? 'spawn-failed' : r.endedBy });
        exits.inc({ ...l, class: exitClass(r) });
        if (r.exit.spawnError) spawnFailed.inc({ ...l, errno: r.exit.spawnError.code });
        else duration.observe(l, r.durationMs / 1000);
        bytesIn.inc(l, r.bytesIn);
        bytesOut.inc(l, r.bytesOut);
      },
      refused: (reason) => refused.inc({ ...labels(), reason }),
      longLine: (direction) => longLines.inc({ ...labels(), direction }),
    });
  });
  return register;
}
