/**
 * hamelin-net's own options: the flag table (also the config keys, OPS-01, with `host` and
 * `port` for its positionals) and the one place they are checked, for the command line and
 * the `hamelin` command alike.
 */
import { readTlsFiles } from '@hamelin/core';
import { parseListen } from './address.js';
import type { ListenTarget } from '@hamelin/core';

export interface NetOptions {
  tlsCert?: string;
  tlsKey?: string;
}

export const netOptions = {
  'tls-cert': { type: 'string', describe: 'serve TLS with this PEM certificate (chain)', group: 'TLS:' },
  'tls-key': { type: 'string', describe: 'the PEM private key for --tls-cert', group: 'TLS:' },
} as const;

export interface NetServeOptions {
  target: ListenTarget;
  tls: { cert: Buffer; key: Buffer } | undefined;
}

/** HOST (an address, a name, `[::1]` or `unix:PATH`) and PORT (none after unix:). */
export function normalizeNet(host: string, port: string | undefined, options: NetOptions): NetServeOptions {
  return { target: parseListen(host, port ?? ''), tls: readTlsFiles(options.tlsCert, options.tlsKey) };
}
