/**
 * The parts of `--help` that yargs must not lay out: examples and the closing prose.
 *
 * yargs puts an example's command and its description side by side and wraps both to the
 * terminal, so a command could be cut across two lines at any width and copy-paste broke.
 * Here each example's command sits alone on its own line, never wrapped whatever the width;
 * its description follows on the next line.
 */

/** The width --help lays out to: the terminal's, or COLUMNS when stdout is not a terminal, at most 100. */
export function helpWidth(): number {
  const cols = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS);
  return Math.max(20, Math.min(100, Number.isFinite(cols) && cols > 0 ? cols : 80));
}

/** `Examples:`, then per example its command alone on one line and its description below. */
export function examplesBlock(examples: readonly (readonly [string, string])[]): string {
  if (examples.length === 0) return '';
  const lines = ['Examples:'];
  for (const [command, description] of examples) lines.push(`  ${command}`, `      ${description}`);
  return `${lines.join('\n')}\n`;
}

/** Prose cut into lines of at most `width` characters at spaces (a longer word stays whole). */
export function wrapProse(text: string, width: number): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return `${out.join('\n')}\n`;
}

/** The last words of every --help: where the whole manual is (the man pages every package installs). */
export const manualPointer = (name: string): string => `Manual: man ${name}; what a script can count on: man 7 hamelin.`;
