/**
 * The header section a script writes before its body under hamelin-http `--cgi` (HTTP-37 ..
 * HTTP-39): the response form of RFC 3875 section 6. This is framing of the child's output, so
 * it lives in the core; the front-end only applies the result.
 *
 * Header lines end with LF (a CR before it is dropped); an empty line ends the section. Bytes
 * are read as latin1, one character per byte, so that a value's bytes reach the client as the
 * script wrote them.
 */

export interface CgiHead {
  status: number;
  /** The reason phrase from `Status:`, when the script gave one. */
  reason: string | undefined;
  /** In the order written; a name may repeat (Set-Cookie). */
  headers: [string, string][];
}

export type CgiHeadStep = { head: CgiHead; rest: Buffer } | { error: string } | undefined;

/** RFC 9110 section 5.6.2 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Field value characters (RFC 9110 section 5.5): no CR, LF, NUL or other controls. */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS = /^([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;

/** Headers the daemon owns (HTTP-39): framing, the connection, and its own Hamelin-* names. */
const OWNED = new Set(['transfer-encoding', 'content-length', 'trailer', 'te', 'connection', 'keep-alive', 'upgrade', 'proxy-connection']);

export function daemonOwnsHeader(lower: string): boolean {
  return OWNED.has(lower) || lower.startsWith('hamelin-');
}

const LF = 10;

/** Reads a header section from output as it comes, up to `limit` bytes (blank line included). */
export class CgiHeadReader {
  private parts: Buffer[] = [];
  private size = 0;
  /** Where the search for the blank line goes on from: a line start already checked. */
  private lineStart = 0;

  constructor(private readonly limit: number) {}

  /** Feed output; the head and the body bytes after it once the blank line is in. */
  push(chunk: Buffer): CgiHeadStep {
    this.parts.push(chunk);
    this.size += chunk.length;
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [buf];
    for (;;) {
      const lf = buf.indexOf(LF, this.lineStart);
      if (lf < 0) break;
      const blank = lf === this.lineStart || (lf === this.lineStart + 1 && buf[this.lineStart] === 13);
      if (blank) {
        if (lf + 1 > this.limit) return this.over();
        const parsed = parseCgiHead(buf.subarray(0, this.lineStart));
        return 'error' in parsed ? parsed : { head: parsed, rest: buf.subarray(lf + 1) };
      }
      this.lineStart = lf + 1;
    }
    return this.size > this.limit ? this.over() : undefined;
  }

  /** True once the script wrote anything. */
  get started(): boolean {
    return this.size > 0;
  }

  /** The output ended (the script exited) before the blank line. */
  ended(): string {
    return 'output ended before the blank line ending the header section';
  }

  private over(): { error: string } {
    return { error: `header section over ${this.limit} bytes (--max-cgi-header)` };
  }
}

/** The lines before the blank line, each ending in LF. */
export function parseCgiHead(block: Buffer): CgiHead | { error: string } {
  const text = block.toString('latin1');
  const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n');
  let status: number | undefined;
  let reason: string | undefined;
  let location = false;
  const headers: [string, string][] = [];
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) return { error: `invalid header line ${JSON.stringify(line.slice(0, 80))}` };
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!VALUE.test(value)) return { error: `invalid value for header ${name}` };
    const lower = name.toLowerCase();
    if (lower === 'status') {
      if (status !== undefined) return { error: 'Status given twice' };
      const m = STATUS.exec(value);
      const code = m ? Number(m[1]) : 0;
      // A 1xx is not a final answer (RFC 9110 section 15.2): the script can never send one.
      if (!m || code < 200 || code > 599) return { error: `invalid Status ${JSON.stringify(value.slice(0, 80))} (200-599)` };
      status = code;
      reason = m[2] || undefined;
      continue;
    }
    if (daemonOwnsHeader(lower)) return { error: `header ${name} is the daemon's` };
    if (lower === 'location') location = true;
    headers.push([name, value]);
  }
  return { status: status ?? (location ? 302 : 200), reason, headers };
}
