/**
 * Which groups, and which parts of a group, a bench run measures:
 *   npm run bench -- ws                         the ws group only
 *   npm run bench -- ws:pipelined,bursts,idle   three parts of it
 *   npm run bench -- net ws:idle                the net group and one ws part
 * or the same words in BENCH_ONLY (comma- or space-separated). A part is a piece of a suite
 * that the suite can measure on its own (a suite lists them as `parts`); a group without parts
 * is run whole. Words are checked before anything runs, so a typo costs no minutes.
 */

/** group -> the parts asked for, or null for the whole group. */
export type Selection = Map<string, Set<string> | null>;

/**
 * Parse the words; `groups` maps each group to the parts its suite can run alone (empty: only
 * whole). Returns null for "everything", or throws with one line naming the bad word.
 */
export function parseSelection(words: readonly string[], groups: ReadonlyMap<string, readonly string[]>): Selection | null {
  const tokens = words.flatMap((w) => w.split(/\s+/)).filter(Boolean);
  if (tokens.length === 0) return null;
  const sel: Selection = new Map();
  const known = (g: string): readonly string[] => {
    const parts = groups.get(g);
    if (!parts) throw new Error(`unknown bench group "${g}" (groups: ${[...groups.keys()].join(', ')})`);
    return parts;
  };
  for (const tok of tokens) {
    const colon = tok.indexOf(':');
    if (colon < 0) {
      // `net,spawn`: whole groups (BENCH_ONLY's old form)
      for (const g of tok.split(',').filter(Boolean)) {
        known(g);
        sel.set(g, null);
      }
      continue;
    }
    const group = tok.slice(0, colon);
    const parts = known(group);
    for (const part of tok.slice(colon + 1).split(',').filter(Boolean)) {
      if (!parts.includes(part)) {
        throw new Error(
          parts.length
            ? `unknown part "${part}" of bench group ${group} (parts: ${parts.join(', ')})`
            : `bench group ${group} has no parts to choose from: name the whole group`,
        );
      }
      const have = sel.get(group);
      if (have === null) continue; // the whole group was asked for already
      sel.set(group, (have ?? new Set<string>()).add(part));
    }
    if (!sel.has(group)) sel.set(group, null); // `ws:` alone
  }
  return sel;
}
