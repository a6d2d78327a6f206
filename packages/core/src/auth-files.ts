/**
 * The credential files of `--auth-basic` and `--auth-bearer` (FD-15, FD-16, FD-19), read once at
 * startup. A bad file is one StartupError naming the option, the file and the line, and the
 * message never quotes the line: it holds a hash or a token.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StartupError } from './command.js';

/** user name -> bcrypt hash, as `htpasswd -B` writes them. */
export type Htpasswd = ReadonlyMap<string, string>;

export interface BearerToken {
  /** SHA-256 of the token: every comparison is over 32 bytes, whatever the tokens' lengths. */
  digest: Buffer;
  user: string;
}

/** The shortest token accepted: 128 bits of base64, so a guessable token never guards a script. */
export const MIN_TOKEN_LENGTH = 22;

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
/** RFC 6750's b64token: what can follow `Bearer ` in an Authorization header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** A user name is passed to the child as H-AUTH-USER: printable, no colon, bounded. */
const USER = /^[^\x00-\x20\x7f:]{1,256}$/u;

function readLines(option: string, file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? ' (no such file)' : code === 'EACCES' ? ' (permission denied)' : code === 'EISDIR' ? ' (a directory)' : '';
    throw new StartupError(`cannot read ${option} ${file}: ${code ?? (e as Error).message}${why}`, 1);
  }
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

const isBlank = (line: string): boolean => line.trim() === '' || line.trimStart().startsWith('#');

/** Read an htpasswd file. Only bcrypt entries are accepted: the others (`$apr1$` MD5, `{SHA}`,
 * crypt) are fast to brute-force from a leaked file, and htpasswd -B makes bcrypt ones. */
export function readHtpasswd(file: string, option = '--auth-basic'): Htpasswd {
  const users = new Map<string, string>();
  readLines(option, file).forEach((line, i) => {
    if (isBlank(line)) return;
    const where = `${option} ${file} line ${i + 1}`;
    const colon = line.indexOf(':');
    if (colon < 0) throw new StartupError(`${where}: not "user:hash"`, 1);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (!USER.test(user)) throw new StartupError(`${where}: the user name is empty, too long or has a space or control character`, 1);
    if (!BCRYPT.test(hash)) {
      const kind = hash.startsWith('$apr1$') ? 'an MD5 ($apr1$) hash' : hash.startsWith('{SHA}') ? 'a SHA-1 ({SHA}) hash' : hash.startsWith('$') ? 'an unsupported hash' : 'a crypt or plain-text entry';
      throw new StartupError(`${where}: user ${user} has ${kind}; only bcrypt is accepted (make it with htpasswd -B)`, 1);
    }
    if (users.has(user)) throw new StartupError(`${where}: user ${user} is listed twice`, 1);
    users.set(user, hash);
  });
  if (users.size === 0) throw new StartupError(`${option} ${file} has no users`, 1);
  return users;
}

/** Read a token file: one token a line, optionally followed by white space and a user name.
 * A token without a name is the user `token-LINE`, so logs can tell tokens apart without
 * showing them. */
export function readBearerTokens(file: string, option = '--auth-bearer'): BearerToken[] {
  const tokens: BearerToken[] = [];
  const seen = new Set<string>();
  readLines(option, file).forEach((line, i) => {
    if (isBlank(line)) return;
    const where = `${option} ${file} line ${i + 1}`;
    const [token, user, ...more] = line.trim().split(/[ \t]+/) as [string, string | undefined, ...string[]];
    if (more.length > 0) throw new StartupError(`${where}: more than a token and a user name`, 1);
    if (!B64TOKEN.test(token)) throw new StartupError(`${where}: the token has characters a Bearer token cannot carry (A-Z a-z 0-9 - . _ ~ + / and trailing =)`, 1);
    if (token.length < MIN_TOKEN_LENGTH) throw new StartupError(`${where}: the token is shorter than ${MIN_TOKEN_LENGTH} characters (make one with: openssl rand -base64 32)`, 1);
    if (user !== undefined && !USER.test(user)) throw new StartupError(`${where}: the user name is too long or has a colon or control character`, 1);
    const digest = createHash('sha256').update(token).digest();
    const key = digest.toString('hex');
    if (seen.has(key)) throw new StartupError(`${where}: the same token as an earlier line`, 1);
    seen.add(key);
    tokens.push({ digest, user: user ?? `token-${i + 1}` });
  });
  if (tokens.length === 0) throw new StartupError(`${option} ${file} has no tokens`, 1);
  return tokens;
}
