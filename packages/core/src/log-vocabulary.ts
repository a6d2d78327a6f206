/**
 * The one vocabulary of the daemons' log (LOG-01 .. LOG-06, spec/hamelin.md section 5.1): every
 * event any daemon logs, the levels it may have and the fields it must carry, and every field
 * name with its one type. A new event or field is added here first; the test that runs every
 * daemon with --log-format json checks each line it sees against these tables.
 */
export type FieldType = 'string' | 'number' | 'boolean';

/** Every field name, with its type. The same name never means two things (LOG-02). */
export const LOG_FIELDS: Readonly<Record<string, FieldType>> = {
  // Who and what.
  client: 'string', // the client as the binding describes it (H-CLIENT's form), LOG-03
  pid: 'number', // the child's pid, which is its process group id
  command: 'string', // the command as given (the full path: the log keeps it, CORE-37)
  address: 'string',
  port: 'number',
  tls: 'boolean',
  file: 'string',
  // How things ended.
  status: 'number', // an exit status, and nothing else (LOG-04)
  signal: 'string', // a signal name, SIGTERM
  http_status: 'number', // an HTTP status (LOG-04)
  reason: 'string', // why, in a word or a phrase of the daemon's (LOG-05)
  detail: 'string', // the transport's own words for it (a close code, an errno code)
  ended_by: 'string',
  code: 'string', // an errno code, ENOENT
  error: 'string',
  message: 'string',
  // Amounts. A duration's unit is in its name.
  bytes_in: 'number',
  bytes_out: 'number',
  ms: 'number',
  after_ms: 'number',
  after_s: 'number',
  in_ms: 'number',
  within_ms: 'number',
  pause_ms: 'number',
  limit: 'number',
  open: 'number',
  sessions: 'number',
  session: 'number',
  max_clients: 'number',
  attempt: 'number',
  held: 'number',
  pauses: 'number',
  peak_queue: 'number',
  discarded: 'number',
  direction: 'string', // in (client to child) or out
  // HTTP.
  method: 'string',
  path: 'string',
  mode: 'string',
  ran: 'string',
  last_event_id: 'string',
  // IRC.
  server: 'string',
  network: 'string',
  nick: 'string',
  was: 'string',
  trying: 'string',
  channel: 'string',
  by: 'string',
  account: 'string',
  // The spawn layer (CORE-28, CORE-30).
  spawn: 'string', // prebuilt, compiled or child_process, on the listening line
  layer: 'string',
  from: 'string',
  to: 'string',
  restarts: 'number',
  // Operations (spec/operations.md).
  why: 'string', // what began a drain or a stop: a signal name, POST /drain, drain-timeout
  timeout_ms: 'number',
  keeping: 'string',
  services: 'number',
  tls_cert: 'string',
  uid: 'number',
  gid: 'number',
  fd: 'number',
  fd_name: 'string',
  worker: 'number', // --workers: which worker, 1..N (OPS-12)
  workers: 'number',
  pids: 'string', // the workers' pids, comma-separated
  // Hub mode (spec/hub.md).
  hub: 'string', // the room: the command word, an IRC channel
  id: 'number', // a hub client's id (HUB-08)
  clients: 'number', // clients in the hub
  count: 'number',
  bytes: 'number',
  // Terminal.
  respawn: 'boolean',
  wait: 'boolean',
  had_session: 'boolean',
};

export interface EventRule {
  levels: readonly ('info' | 'warn' | 'error')[];
  /** Fields every line of this event carries. */
  required: readonly string[];
}

const info = ['info'] as const;
const warn = ['warn'] as const;
const error = ['error'] as const;

/** Every event, by name (LOG-01). */
export const LOG_EVENTS: Readonly<Record<string, EventRule>> = {
  // Every daemon: its own life (core).
  listening: { levels: info, required: ['address'] },
  'spawn-layer': { levels: warn, required: ['layer', 'reason'] },
  'spawn-helper-died': { levels: error, required: ['pid', 'reason'] },
  'spawn-helper-restarted': { levels: warn, required: ['pid', 'layer'] },
  'spawn-layer-changed': { levels: warn, required: ['from', 'to', 'reason'] },
  'protocol-dropped': { levels: warn, required: ['command', 'limit'] },
  'accept-error': { levels: error, required: ['error'] },
  'fd-limit': { levels: warn, required: ['limit', 'open', 'sessions', 'max_clients', 'message'] },
  signal: { levels: info, required: ['signal'] },
  'log-reopen': { levels: ['info', 'error'], required: ['file'] },
  'reload-failed': { levels: error, required: ['error'] },
  shutdown: { levels: info, required: ['sessions'] },
  'forced-exit': { levels: warn, required: ['signal'] },
  // Every daemon: operations (OPS-04 .. OPS-10).
  admin: { levels: info, required: ['address'] }, // where the admin endpoint listens
  agent: { levels: info, required: ['address'] },
  'admin-drain': { levels: info, required: [] },
  draining: { levels: info, required: ['why', 'sessions', 'timeout_ms'] },
  'drain-timeout': { levels: warn, required: ['after_ms', 'sessions'] },
  stopping: { levels: info, required: ['why'] },
  reloaded: { levels: info, required: [] },
  'reload-refused': { levels: warn, required: ['error'] },
  privileges: { levels: info, required: ['uid', 'gid'] },
  // --workers (OPS-12 .. OPS-16), from the primary.
  'worker-start': { levels: info, required: ['worker', 'pid'] },
  'worker-exit': { levels: warn, required: ['worker', 'pid', 'in_ms'] },
  workers: { levels: info, required: ['workers', 'pids'] },
  // Every daemon: a client and its session (core).
  refused: { levels: warn, required: ['client', 'reason'] },
  start: { levels: info, required: ['client', 'pid'] },
  end: { levels: info, required: ['client', 'pid', 'ended_by', 'bytes_in', 'bytes_out', 'ms'] },
  exit: { levels: warn, required: ['client', 'pid', 'ended_by', 'bytes_in', 'bytes_out', 'ms'] },
  'spawn-failed': { levels: error, required: ['client', 'command', 'code'] },
  terminate: { levels: info, required: ['client', 'pid', 'reason'] },
  kill: { levels: warn, required: ['client', 'pid', 'after_ms'] },
  'client-gone': { levels: info, required: ['client', 'reason'] },
  'long-line': { levels: warn, required: ['client', 'direction', 'limit'] },
  // Hub mode (HUB-16).
  'hub-join': { levels: info, required: ['client', 'hub', 'id', 'clients'] },
  'hub-leave': { levels: info, required: ['client', 'hub', 'id', 'reason', 'clients'] },
  'hub-start': { levels: info, required: ['hub', 'pid', 'mode', 'clients'] },
  'hub-end': { levels: info, required: ['hub', 'clients'] },
  'hub-exit': { levels: warn, required: ['hub', 'clients'] },
  'hub-respawn': { levels: info, required: ['hub', 'in_ms'] },
  'hub-bad-line': { levels: warn, required: ['hub', 'why', 'bytes', 'count'] },
  // Socket front-ends (net, ws, http).
  'tls-error': { levels: warn, required: ['client', 'error'] },
  // hamelin-http.
  request: { levels: info, required: ['client', 'method', 'path', 'http_status'] },
  'bad-request': { levels: info, required: ['client', 'http_status', 'error'] },
  'request-error': { levels: error, required: ['client', 'error'] },
  'session-open': { levels: info, required: ['client', 'mode', 'path'] },
  'sse-reconnect': { levels: info, required: ['client', 'path'] },
  // hamelin-irc: the connection to the server.
  connecting: { levels: info, required: ['server', 'attempt'] },
  connected: { levels: info, required: ['server'] },
  registered: { levels: info, required: ['server', 'nick'] },
  reconnecting: { levels: info, required: ['server', 'attempt', 'in_ms'] },
  'connect-failed': { levels: warn, required: ['server'] },
  disconnected: { levels: warn, required: ['server', 'sessions', 'discarded'] },
  'ping-timeout': { levels: warn, required: ['server', 'after_s'] },
  'server-closed': { levels: info, required: [] },
  'irc-error': { levels: warn, required: ['error'] },
  'sasl-failed': { levels: error, required: [] },
  'logged-in': { levels: info, required: ['account'] },
  'nick-fallback': { levels: warn, required: ['nick', 'reason', 'trying'] },
  'nick-changed': { levels: info, required: ['nick', 'was'] },
  'nick-reclaimed': { levels: info, required: ['nick', 'was'] },
  joined: { levels: info, required: ['channel', 'nick'] },
  kicked: { levels: warn, required: ['channel'] },
  parted: { levels: warn, required: ['channel'] },
  'rejoin-scheduled': { levels: info, required: ['channel', 'in_ms', 'attempt'] },
  unsendable: { levels: ['warn', 'error'], required: ['error'] },
  // hamelin-irc: one conversation.
  'client-nick': { levels: info, required: ['client', 'was'] },
  'input-dropped': { levels: warn, required: ['client', 'reason', 'held'] },
  throttled: { levels: info, required: ['client', 'pauses', 'peak_queue', 'limit'] },
  // hamelin-tty: the line.
  waiting: { levels: info, required: ['client', 'session'] },
  hangup: { levels: info, required: ['client', 'signal', 'had_session'] },
  reopened: { levels: info, required: ['client'] },
  'line-gone': { levels: warn, required: ['client', 'status'] },
  // The hamelin command: a tty front-end without respawn has served its line (OPS-03).
  'line-done': { levels: info, required: ['client', 'status'] },
  'stty-failed': { levels: warn, required: ['client', 'error'] },
  'respawn-too-fast': { levels: warn, required: ['client', 'sessions', 'within_ms', 'pause_ms'] },
};

/** The keys every JSON line has besides its fields (CORE-17). */
const BASE = new Set(['hamelin', 'time', 'level', 'event']);

/** What is wrong with one parsed JSON log line, against the tables; empty when nothing. */
export function checkLogLine(line: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const event = String(line.event);
  const rule = LOG_EVENTS[event];
  if (typeof line.hamelin !== 'string' || typeof line.time !== 'string') problems.push('no "hamelin" or "time"');
  if (!rule) return [...problems, `unknown event ${JSON.stringify(event)}`];
  if (!rule.levels.includes(line.level as 'info')) problems.push(`${event}: level ${String(line.level)}, not ${rule.levels.join(' or ')}`);
  for (const f of rule.required) if (line[f] === undefined) problems.push(`${event}: no ${f}`);
  for (const [k, v] of Object.entries(line)) {
    if (BASE.has(k)) continue;
    const type = LOG_FIELDS[k];
    if (!type) problems.push(`${event}: unknown field ${k}`);
    else if (typeof v !== type) problems.push(`${event}: ${k} is ${v === null ? 'null' : typeof v}, not ${type}`);
    // LOG-05: a reason is the daemon's words, never a quoted string inside the string.
    if (k === 'reason' && typeof v === 'string' && /^".*"$/.test(v)) problems.push(`${event}: reason is quoted twice`);
  }
  return problems;
}
