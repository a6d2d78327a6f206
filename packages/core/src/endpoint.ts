/**
 * The one interface a front-end implements: a client, seen from the session engine.
 * Same shape as websocketd's endpoint.go: lines in, lines out with backpressure,
 * a graceful finish, and the reason the client went away.
 */

/**
 * `stream`: the transport carries bytes (TCP, unix socket, TTY, HTTP body). The core
 * frames lines itself and hands the endpoint line-aligned byte chunks with their newlines.
 * `message`: the transport carries discrete messages (WebSocket, IRC, SSE). One message
 * in is one line to the child (the core appends the newline); one line out is one message,
 * without its newline.
 * `raw`: no line framing at all (CORE-33): each read or message from the client is written to
 * the child's stdin at once, each read of the child's stdout is one `write` at once, bytes
 * unchanged. Flow control is the same as `stream`. For binary protocols (length-prefixed
 * frames) that a newline never ends: hamelin-ws --binary, hamelin-net --raw.
 */
export type Framing = 'stream' | 'message' | 'raw';

/** Why a client can no longer receive output. Every one of these means SIGTERM now (CORE-13). */
export type GoneReason =
  | 'closed' // orderly full close seen by the transport
  | 'reset' // RST, or an abrupt drop
  | 'write-error' // a write to the client failed
  | 'timeout' // transport-level liveness check failed (ping, read timeout)
  | 'protocol'; // the client broke the transport's rules (e.g. oversized message)

export interface ExitInfo {
  /** Exit status, or null when the child died of a signal or never started. */
  code: number | null;
  /** Signal name when the child died of a signal. */
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (ENOENT, EACCES, EAGAIN, EMFILE...). */
  spawnError?: { code: string; message: string };
  /** Set when the client was refused before any process ran (max-clients). */
  refused?: string;
  /** Set when the daemon ended the session (SIGTERM to the group) rather than the child ending
   * on its own: `timeout`, `idle-timeout`, `shutdown`, `client-<reason>`. A front-end that can
   * still tell the client says so (HTTP 504 for `timeout`). */
  terminatedBy?: string;
  /** Hub mode (HUB-07, HUB-09, HUB-11): this client was ended while the shared process goes
   * on, for this reason (`too slow`, what the process gave with `close`, `shutdown`, `left`
   * when the client itself went away). */
  closed?: string;
}

/**
 * Hub mode (HUB-17): a write that is one client's copy of a line the hub sends to several clients
 * at once (every client, or every client but one). A front-end whose clients of a room share one
 * medium (an IRC channel, where one message reaches every nick) sends such a line once for them
 * all; the others ignore it.
 */
export interface FanOut {
  /** The same for every copy of one line, and increasing in the order the hub sends lines. */
  readonly seq: number;
  /** For a line to every client but one (`!ID`), that client's endpoint. */
  readonly except?: ClientEndpoint | undefined;
}

/** What the endpoint tells the core. The core passes these to `start`. */
export interface EndpointEvents {
  /** Bytes from the client (stream), or one message (message framing). */
  input(chunk: Buffer): void;
  /** The client will send nothing more but can still receive: EOF on the child's stdin. */
  inputEnd(): void;
  /** A `write` that returned false may now continue. */
  drain(): void;
  /** The client can no longer receive. */
  gone(reason: GoneReason, detail?: string): void;
  /** The endpoint cut an input line over --max-line itself (an HTTP POST's body is framed as
   * it is read): the core logs it as it logs its own cuts (CORE-06, HUB-06). */
  longLine?(): void;
}

export interface ClientEndpoint {
  readonly framing: Framing;
  /** A short description of the client for logs, e.g. `127.0.0.1:40512`. */
  readonly label: string;
  /**
   * Stream framing only: pass on a partial output line once the child has written nothing
   * more for this many ms, instead of holding it until its newline. A terminal sets it, so
   * a prompt such as `Name? ` is shown while the child waits for the answer (TTY-06).
   */
  readonly partialFlushMs?: number;
  /**
   * When the client's input ends (`inputEnd`) and the child is still running this many ms
   * later, end the session as `--timeout` does (SIGTERM, output still delivered), with the
   * reason `eof-timeout`. A terminal sets it: the user at the line is done, and a child that
   * ignores its EOF must not hold the line (TTY-08). Unset: the session goes on (TCP, NET-04).
   */
  readonly endAfterInputEndMs?: number;
  /**
   * The client sends no input at all (an HTTP request without a body, HTTP-02): the child's
   * stdin is /dev/null, so it reads EOF at once and the daemon makes no connection for it.
   * `input` and `inputEnd` are then ignored.
   */
  readonly noInput?: boolean;
  /**
   * Begin delivering events. Called once, after the process is spawned (or refused), which
   * takes a moment: anything the transport saw before (input, its end, the client going
   * away) must be held and delivered from here, never lost.
   */
  start(events: EndpointEvents): void;
  /**
   * Send output: on message framing one line (without its newline) or one piece of a longer
   * line, `piece` true when the next write continues the same line (CORE-06). Returns false
   * when the client's buffer is full: the core then writes nothing more until `drain`.
   * `copy` is set in hub mode for a line that several clients get at once (HUB-17).
   */
  write(chunk: Buffer, piece?: boolean, copy?: FanOut): boolean;
  /** Stop reading from the client (the child is not reading its stdin). */
  pauseInput(): void;
  resumeInput(): void;
  /**
   * The session is over and every output byte has been passed to `write`.
   * Close gracefully, telling the client how the child ended where the transport can.
   * Called exactly once.
   */
  finish(exit: ExitInfo): void;
  /**
   * Optional: the daemon's own answer instead of a session (CORE-19, CORE-20), called after
   * start and instead of write and finish. `line` is what to tell the client, `exit` says why
   * (`spawnError` or `refused`). Without it the line is written as output, then finish.
   */
  tell?(line: Buffer, exit: ExitInfo): void;
}
