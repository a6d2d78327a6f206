/**
 * The channels the bot is told to join (IRC-16): names from --channel, keys from
 * --channel-keys-file, and which server answers mean "not now, try again".
 *
 * A channel key is a password shared by the channel's members, so it follows IRC-02 like
 * every other secret: it is read from a file, never taken from argv, which `ps` shows.
 */
import { readFileSync } from 'node:fs';
import { StartupError } from '@hamelin/core';
import { validChannel } from './wire.js';

export interface ChannelSpec {
  name: string;
  key?: string | undefined;
}

/** A key is one IRC middle parameter: no space, comma, CR, LF or NUL, not starting with ':'. */
function validKey(key: string): boolean {
  return /^[^\s,:\0][^\s,\0]*$/.test(key);
}

/**
 * The `--channel` values, with the keys of the keys file, whose every non-blank line is
 * `CHAN KEY` (no comments: a channel name itself starts with `#`).
 */
export function channelSpecs(names: string[], keysFile: string | undefined): ChannelSpec[] {
  for (const ch of names) {
    if (validChannel(ch)) continue;
    const hint = /\s/.test(ch.trim()) ? '; a channel key goes in --channel-keys-file, never on the command line' : '';
    throw new StartupError(`invalid channel ${JSON.stringify(ch)} (it needs a # & + or ! prefix and no space or comma${hint})`);
  }
  const specs: ChannelSpec[] = names.map((name) => ({ name }));
  if (keysFile === undefined) return specs;
  let text: string;
  try {
    text = readFileSync(keysFile, 'utf8');
  } catch (e) {
    throw new StartupError(`channel keys: cannot read ${keysFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\S+)\s+(\S+)$/.exec(line);
    const where = `${keysFile} line ${i + 1}`;
    if (!m || !validChannel(m[1]!)) throw new StartupError(`channel keys: ${where} is not "CHANNEL KEY"`);
    if (!validKey(m[2]!)) throw new StartupError(`channel keys: ${where}: the key has a character IRC cannot carry`);
    // The server's CASEMAPPING is not known yet; ASCII case is what matters in practice.
    const spec = specs.find((s) => s.name.toLowerCase() === m[1]!.toLowerCase());
    // A key for a channel the bot does not join is most likely a typo in one of the names.
    if (!spec) throw new StartupError(`channel keys: ${where}: ${m[1]} is not one of the --channel options`);
    spec.key = m[2]!;
  }
  return specs;
}

/**
 * irc-framework's names for the numerics that refuse a JOIN, all worth retrying later:
 * 471 full (ngircd also uses it for +R), 473 invite-only, 474 banned, 475 bad key, 405 too many
 * channels. 477 (a registered nick is needed, as on Libera) has no name there and arrives as
 * an unknown command: see `NEED_REGISTERED`.
 */
export const JOIN_REFUSED = new Set(['channel_is_full', 'invite_only_channel', 'banned_from_channel', 'bad_channel_key', 'too_many_channels']);

/** ERR_NEEDREGGEDNICK: "you need to be identified with services to join". ngircd uses 477 for
 * other refusals too (sending to a +M channel), so a 477 counts only for a channel not joined. */
export const NEED_REGISTERED = '477';
