/**
 * What the suite learns from /proc (Linux): whether a port or unix socket is listening
 * (without connecting, which would start a session), whether a pid is alive, the memory of a
 * process group, and every process that carries a check's token in its command line.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';

function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * The fields of each listening socket's line in /proc/net/tcp or tcp6. The kernel lists the
 * listening sockets before all others (tcp_get_idx: the listening hash, then the established
 * one, TIME_WAIT included) and writes the file as it is read, so the reading stops at the first
 * line in another state. The suite polls it every 20 ms while each daemon starts, and after
 * its churn checks the file is thousands of TIME_WAIT lines: with 3,940 lines a whole read cost
 * 6.9 ms of CPU, the first 16 KiB 47 µs.
 */
function listenLines(file: string): string[][] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  const out: string[][] = [];
  try {
    const buf = Buffer.allocUnsafe(16 * 1024);
    let rest = '';
    let header = true;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return out;
      const lines = (rest + buf.toString('latin1', 0, n)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (header) {
          header = false;
          continue;
        }
        const f = line.trim().split(/\s+/);
        if (f.length <= 9 || f[3] !== '0A') return out;
        out.push(f);
      }
    }
  } catch {
    return out;
  } finally {
    closeSync(fd);
  }
}

/** The inodes of the sockets listening on this TCP port (any address, v4 or v6). */
export function tcpListeners(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const f of listenLines(file)) if (f[1]!.endsWith(`:${hex}`)) inodes.push(f[9]!);
  }
  return inodes;
}

/** True when some socket listens on this TCP port (any address, v4 or v6). */
export function tcpListening(port: number): boolean {
  return tcpListeners(port).length > 0;
}

/** True when one of these socket inodes is open in `pid` or one of its descendants: the
 * listener is the daemon's, not another program's that took the same port. */
export function ownedByTree(pid: number, inodes: string[]): boolean {
  if (inodes.length === 0) return false;
  const want = new Set(inodes.map((i) => `socket:[${i}]`));
  for (const p of [pid, ...descendants(pid)]) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (want.has(readlinkSync(`/proc/${p}/fd/${fd}`))) return true;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return false;
}

/** True when a unix stream socket listens at this path. */
export function unixListening(path: string): boolean {
  for (const line of readOr('/proc/net/unix').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = listening.
    if (f.length >= 8 && f[7] === path && (parseInt(f[3]!, 16) & 0x10000) !== 0) return true;
  }
  return false;
}

/** The socket inodes open in `pid` and its descendants. */
function socketInodes(pid: number): Set<string> {
  const found = new Set<string>();
  for (const p of [pid, ...descendants(pid)]) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
        if (m) found.add(m[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return found;
}

/** A /proc/net/tcp address (hex, host byte order for IPv4) as text: `127.0.0.1:8080`, `[::1]:8080`. */
function tcpAddress(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  const n = parseInt(port, 16);
  if (ip.length === 8) return `${[3, 2, 1, 0].map((i) => parseInt(ip.slice(i * 2, i * 2 + 2), 16)).join('.')}:${n}`;
  // IPv6: four 32-bit words, each in host (little-endian) byte order.
  const bytes = [0, 1, 2, 3].flatMap((w) => [3, 2, 1, 0].map((b) => ip.slice(w * 8 + b * 2, w * 8 + b * 2 + 2)));
  const groups = Array.from({ length: 8 }, (_, g) => parseInt(bytes[g * 2]! + bytes[g * 2 + 1]!, 16).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]:${n}`;
}

/** Where `pid` and its descendants listen: `tcp 127.0.0.1:8080`, `unix:/path` (for evidence). */
export function listenersOf(pid: number): string[] {
  const mine = socketInodes(pid);
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const f of listenLines(file)) if (mine.has(f[9]!)) out.push(`tcp ${tcpAddress(f[1]!)}`);
  }
  for (const line of readOr('/proc/net/unix').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 7 && (parseInt(f[3]!, 16) & 0x10000) !== 0 && mine.has(f[6]!)) out.push(`unix:${(f[7] ?? '(unnamed)').replace(/(?<=.)@+$/, '')}`);
  }
  return out;
}

export interface ProcInfo {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  rssKb: number;
}

export function procInfo(pid: number): ProcInfo | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rss = /VmRSS:\s+(\d+)/.exec(readOr(`/proc/${pid}/status`));
  return { pid, state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), rssKb: rss ? Number(rss[1]) : 0 };
}

/** Alive and not a zombie (a zombie has died; only its parent has not reaped it). */
export function running(pid: number): boolean {
  const p = procInfo(pid);
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

export function cmdline(pid: number): string {
  return readOr(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
}

export function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

/** Every live process whose command line contains `token` (a check's report directory). */
export function pidsWithToken(token: string): number[] {
  return allPids().filter((pid) => pid !== process.pid && cmdline(pid).includes(token) && running(pid));
}

/** The argv of a process (/proc/PID/cmdline), each element as it was given. */
export function argvOf(pid: number): string[] {
  return readOr(`/proc/${pid}/cmdline`).split('\0').slice(0, -1);
}

/**
 * Resident memory of the daemon under test, in KiB: the daemon's own process and every process
 * it started (helpers, a wrapper's child), leaving out the children that run the command
 * (`isCommand`: the probes and their grandchildren, whose buffers are theirs, not the daemon's).
 * Processes are told apart by what they run, not by a token in their command line: the daemon's
 * own command line carries the probe's path and directory too.
 */
export function daemonRssKb(pid: number, isCommand: (pid: number, argv: string[]) => boolean): number {
  let kb = 0;
  for (const p of [pid, ...descendants(pid)]) {
    if (isCommand(p, argvOf(p))) continue;
    kb += procInfo(p)?.rssKb ?? 0;
  }
  return kb;
}

/** Descendants of a pid (children, grandchildren...), by parent links. */
export function descendants(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const pid of allPids()) {
    const p = procInfo(pid);
    if (!p) continue;
    const list = byParent.get(p.ppid) ?? [];
    list.push(pid);
    byParent.set(p.ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) for (const c of byParent.get(stack.pop()!) ?? []) out.push(c), stack.push(c);
  return out;
}

export function kill(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** The descriptor a process is blocked writing to (/proc/PID/syscall: write(2) is call 1 on
 * x86-64, 64 on arm64), or undefined when it is not in a write. */
export function blockedInWrite(pid: number): number | undefined {
  const f = readOr(`/proc/${pid}/syscall`).trim().split(' ');
  const write = process.arch === 'arm64' ? '64' : '1';
  return f[0] === write && f[1] !== undefined ? Number(f[1]) : undefined;
}
