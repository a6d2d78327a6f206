/** The settings of one hamelin-http daemon, after the command line has been checked. */
import type { FrontDoorConfig, ListenTarget, OriginPolicy, TlsServerOptions } from '@hamelin/core';

export interface HttpConfig {
  target: ListenTarget;
  tls: TlsServerOptions | undefined;
  /** Who may connect, and who the client really is (FD-01 .. FD-20). */
  frontDoor: FrontDoorConfig;
  /** `--dir DIR`: URL paths name executables in DIR; the daemon's CMD is unused. */
  dir: string | undefined;
  /** `--static DIR`: files for GET and HEAD, after --dir scripts (HTTP-41). */
  static: string | undefined;
  /** `--cors ORIGIN` (repeatable; `*` for any origin). Empty: no CORS headers. */
  cors: string[];
  /** Which pages may run the command or use a session (HTTP-34): `--origin`, plus `--cors`. */
  origin: OriginPolicy;
  /** Largest request body in bytes; 0 for no limit (HTTP-12). */
  maxBody: number;
  /** Longest a client may take to send the request line and headers (HTTP-13). */
  headerTimeoutMs: number;
  /** Longest gap between two pieces of a request body while it is being read; 0 for never
   * (HTTP-13). */
  readTimeoutMs: number;
  /** The core's `--timeout` (the session ends it); only quoted in the 504 answer (HTTP-15). */
  timeoutMs: number;
  /** Longest a long-poll GET waits for output (HTTP-26). */
  pollTimeoutMs: number;
  /** Gap between SSE heartbeat comments (HTTP-20). */
  heartbeatMs: number;
  /** `--abandon-timeout`: a long-poll session no request has named for this long ends;
   * 0 for never (HTTP-28). Not `--idle-timeout`, which is the core's byte-idle limit. */
  abandonMs: number;
  /** `--console`: serve the browser console page (HTTP-30). */
  console: boolean;
  /** Lower-case header names that `--pass-header` lets through despite HTTP-09. */
  passHeaders: Set<string>;
  /** Longest line, from the common options: POST bodies are cut into messages this long. */
  maxLine: number;
  /** `--cgi`: a plain request's output starts with a CGI header section (HTTP-37 .. HTTP-40). */
  cgi: boolean;
  /** `--max-cgi-header`: the largest header section in bytes (HTTP-38). */
  maxCgiHeader: number;
}

/** The URL prefix the daemon keeps for itself (HTTP-22). A `--dir` route never starts with a dot. */
export const PREFIX = '/.hamelin/';
