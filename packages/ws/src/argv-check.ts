/**
 * An option given last without its value (`hamelin-ws --dir`) must say so. The CLI appends a
 * stand-in for CMD (so that `--dir DIR` needs none), and the parser takes that stand-in as the
 * option's value, so all it could report was `missing CMD`. This walks the options the way
 * the parser will, up to where CMD begins, before the parser sees them.
 */
/** The name of the option that is last and lacks its value, or undefined. */
export function optionMissingValue(argv: readonly string[], options: Record<string, { type?: string }>): string | undefined {
  const takesValue = (name: string): boolean | undefined => {
    const o = options[name];
    if (o) return o.type !== 'boolean';
    if (name.startsWith('no-') && options[name.slice(3)]?.type === 'boolean') return false;
    if (name === 'help' || name === 'version') return false;
    return undefined;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // CMD begins at the first word that is not an option; `--` only ends the options.
    if (a === '--' || !a.startsWith('--') || a.includes('=')) {
      if (a.startsWith('--') && a !== '--') continue; // --name=value
      return undefined;
    }
    const value = takesValue(a.slice(2));
    if (value === undefined) return undefined; // unknown: the parser's own error says so
    if (!value) continue;
    if (i === argv.length - 1) return a.slice(2);
    i++;
  }
  return undefined;
}
