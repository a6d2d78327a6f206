/** The shapes shared by the runner, the bindings and the checks. */

export type Level = 'MUST' | 'SHOULD' | 'MAY';
export type Status = 'pass' | 'fail' | 'skip' | 'info';

/** Daemon options a check may need. Their spelling differs between implementations; the user
 * gives it with `--opt NAME=TEMPLATE` (see cli.ts), or `--hamelin` for hamelin's own. */
export type OptionName =
  | 'kill-after'
  | 'max-clients'
  | 'idle-timeout'
  | 'timeout'
  | 'max-line'
  | 'cwd'
  | 'tls'
  // ws: text/binary mode, the allowed Origins, the ping interval, a directory of programs
  | 'binary'
  | 'origin'
  | 'ping-interval'
  | 'dir'
  // http: the body limit; http and ws: the header timeout
  | 'max-body'
  | 'header-timeout'
  // ws: how many connections may be waiting for their handshake request at once
  | 'max-handshakes'
  // http long-poll sessions: how long a poll waits, how long a session nobody names lives
  | 'poll-timeout'
  | 'abandon-timeout'
  // irc: a prefix that addresses the bot in a channel; the variable holding the server password
  | 'trigger'
  | 'password-env'
  // tty: begin each session on the first line typed; a line written before each session
  | 'wait'
  | 'banner'
  // tty: serve this terminal device instead of the daemon's own
  | 'device'
  // the front door (spec/front-door.md), opt-in: PROXY protocol from a trusted proxy (the value
  // is its CIDR), its header timeout, a denied range, sessions per source, an htpasswd file
  | 'proxy-protocol'
  | 'proxy-timeout'
  | 'deny'
  | 'max-per-source'
  | 'auth-basic'
  // hub mode (spec/hub.md), opt-in: one shared process in either protocol (flags), replayed lines,
  // the slow-client policy, the per-client queue in bytes, restarting the process when it exits
  | 'hub-broadcast'
  | 'hub-addressed'
  | 'replay'
  | 'slow'
  | 'hub-queue'
  | 'respawn'
  // the hub's process starts with the daemon, not with its first client (HUB-03)
  | 'hub-eager'
  // http: CGI-style answers (a header section first), and ws and http: a directory of files
  | 'cgi'
  | 'static'
  // the child's stdout a terminal in raw mode (CORE-39)
  | 'unbuffer';

/** Where a daemon listens: what fills {host}, {port} and {path}. */
export interface Address {
  host: string;
  port: number;
  path: string;
  tls: boolean;
  /** Binding-specific placeholders (irc: nick, channel, server). */
  extra?: Record<string, string>;
}

/** One client connection, seen from the client. */
export interface Conn {
  /** The client's own end, as the daemon should report it in H-CLIENT (e.g. `127.0.0.1:40512`). */
  readonly label: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Write and wait until the bytes are handed to the kernel. */
  write(data: Buffer | string): Promise<void>;
  /** Write without waiting; false when the client's own buffer is full (see drained()). */
  tryWrite(data: Buffer): boolean;
  drained(): Promise<void>;
  /** The client's input ends (TCP FIN) but it keeps reading. */
  halfClose(): void;
  /** Abort: TCP RST. */
  reset(): void;
  /** Close both directions. */
  close(): void;
  pause(): void;
  resume(): void;
  received(): Buffer;
  /** How many bytes have arrived (cheap: no copy). */
  receivedLength(): number;
  /** Wait until the received bytes satisfy `pred`. */
  waitFor(pred: (b: Buffer) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Time the daemon's FIN arrived, if it has. */
  endedAt(): number | undefined;
  /** Resolves when the connection is fully closed. */
  readonly closed: Promise<void>;
  /** The first socket error (e.g. ECONNRESET), if any. */
  error(): string | undefined;
  /** Message bindings: send one message as it is (no line splitting). */
  sendMessage?(data: Buffer | string, binary?: boolean): void;
  /** Message bindings: every message received, as sent (no newline added). */
  messages?(): Buffer[];
  /** Message bindings: the close code and reason the daemon sent, once closed. */
  closeFrame?(): { code: number; reason: string } | undefined;
}

export interface Binding {
  readonly name: string;
  readonly summary: string;
  /** Placeholders this binding's daemon command line must contain (at least one of each group). */
  readonly placeholders: string[][];
  readonly transport: 'tcp' | 'unix';
  /** `stream`: bytes both ways (TCP). `message`: one message is one line (WebSocket, IRC); the
   * connection then shows received messages as lines (each followed by a newline), and sends
   * each complete written line as one message. */
  readonly framing: 'stream' | 'message';
  /** False when a client's session starts with its first line rather than with its connection
   * (IRC): the generic CORE checks then do not apply, the binding's own checks cover them. */
  readonly sessionOnConnect?: boolean;
  /** Run the daemon inside something (tty: on a new pseudo-terminal, via ptyrun.py). */
  wrap?(argv: string[], addr: Address): string[];
  /** The daemon's stdin is a pipe the checks write to (tty: the keyboard). */
  readonly stdinPipe?: boolean;
  /** Release what allocate() set up besides the daemon (an observer connection). */
  release?(addr: Address): void;
  /** Pick a free address (port or socket path) for one daemon run. */
  allocate(dir: string, host?: string): Promise<Address>;
  /** True once the daemon (pid, or a process it started) listens at addr. */
  listening(addr: Address, pid: number): boolean;
  dial(addr: Address): Promise<Conn>;
  /** The exact H-TYPE this binding's daemon must set. */
  hType(addr: Address): string;
  /** The H-CLIENT the daemon must set for this connection. */
  hClient(conn: Conn, addr: Address): string;
}
