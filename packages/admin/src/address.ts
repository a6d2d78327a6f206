/** `--admin HOST:PORT | unix:PATH` and `--agent PORT | HOST:PORT` as listen targets. */
import { parsePort, StartupError, type ListenTarget } from '@hamelin/core';

/** HOST:PORT (`[::1]:9100` for IPv6) or unix:PATH; a bare PORT means 127.0.0.1 (loopback by default). */
export function parseAdminAddress(option: string, text: string): ListenTarget {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (!path) throw new StartupError(`--${option} unix: needs a path`);
    return { kind: 'unix', path };
  }
  if (/^\d+$/.test(text)) return { kind: 'tcp', host: '127.0.0.1', port: parsePort(text) };
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!m) throw new StartupError(`--${option} must be HOST:PORT, PORT or unix:PATH, not ${JSON.stringify(text)}`);
  return { kind: 'tcp', host: m[1] ?? m[2]!, port: parsePort(m[3]) };
}
