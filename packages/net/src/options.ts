/**
 * hamelin-net's own options, checked in one place for the command line and the `hamelin`
 * command alike (OPS-01). The table itself is cli-spec.ts's, with `host` and `port` as config
 * keys for the positionals.
 */
import { parseUnixMode, readFrontDoorOptions, readTlsFiles, StartupError, type FrontDoorArgs, type FrontDoorConfig, type ListenTarget, type TlsServerOptions } from '@hamelin/core';
import { parseListen } from './address.js';

export { netOptions } from './cli-spec.js';

export interface NetOptions extends FrontDoorArgs {
  tlsCert?: string;
  tlsKey?: string;
  unixMode?: string;
  raw?: boolean;
}

export interface NetServeOptions {
  target: ListenTarget;
  tls: TlsServerOptions | undefined;
  /** No line framing (CORE-33). */
  raw: boolean;
  /** Who may connect, and who the client really is (FD-01 .. FD-14, FD-20). */
  frontDoor: FrontDoorConfig;
}

/** HOST (an address, a name, `[::1]` or `unix:PATH`) and PORT (none after unix:). */
export function normalizeNet(host: string, port: string | undefined, options: NetOptions): NetServeOptions {
  if (options.unixMode !== undefined && !host.startsWith('unix:')) throw new StartupError('--unix-mode is for a unix:PATH listener');
  const target = parseListen(host, port ?? '', parseUnixMode(options.unixMode));
  const frontDoor = readFrontDoorOptions(options, 'hamelin-net', { unix: target.kind === 'unix' });
  return {
    target,
    tls: readTlsFiles(options.tlsCert, options.tlsKey, frontDoor.tlsCa),
    raw: options.raw ?? false,
    frontDoor,
  };
}
