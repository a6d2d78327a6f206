/**
 * Man pages in roff (man(7) macros), written from the same tables as --help: a daemon's page is
 * its CliSpec plus the shared session options, so the page and --help cannot drift apart.
 * `write-man-pages.ts` writes them at build time; each package installs its own through the
 * `man` field of its package.json.
 */
import type { Options } from 'yargs';
import { commonOptions, type CliSpec } from './cli.js';
import { VERSION } from './version.js';

export interface ManSection {
  title: string;
  /** Paragraphs of prose. */
  paragraphs?: string[];
  /** Tagged paragraphs: a term (shown bold) and what it means. */
  items?: [string, string][];
}

export interface ManPage {
  name: string;
  section: 1 | 7;
  summary: string;
  /** One line per form, after the name (section 1 only). */
  synopsis?: string[];
  description?: string[];
  options?: Record<string, Options>;
  examples?: readonly (readonly [string, string])[];
  /** Further sections after EXAMPLES (ENVIRONMENT, EXIT STATUS, NOTES...). */
  sections?: ManSection[];
  seeAlso?: string[];
}

/** What yargs adds to every daemon's option table. */
const helpAndVersion: Record<string, Options> = {
  version: { type: 'boolean', describe: 'print the version and exit 0', group: 'Options:' },
  help: { type: 'boolean', alias: 'h', describe: 'print the usage, every option and examples, and exit 0', group: 'Options:' },
};

/** What a daemon's page may add or change: tty exits with its child's status, for one. */
export interface ManExtras {
  /** EXIT STATUS items instead of the shared ones. */
  exitStatus?: [string, string][];
  sections?: ManSection[];
  seeAlso?: string[];
}

const daemonSections = (spec: CliSpec, extras: ManExtras): ManSection[] => [
  {
    title: 'ENVIRONMENT',
    paragraphs: [
      'The child gets the daemon\'s environment (only PATH and --pass-env with --env-clear) plus the H- variables of hamelin(7), each also as H_NAME.',
    ],
    items: [
      ['HAMELIN_SPAWN', 'child_process: start children with Node\'s child_process instead of the spawn helper (slower; for diagnosis).'],
      ['COLUMNS', 'the width of --help when stdout is not a terminal.'],
    ],
  },
  {
    title: 'EXIT STATUS',
    items: extras.exitStatus ?? [
      ['0', 'after SIGTERM or SIGINT, once every session has ended; and after --help or --version.'],
      ['1', 'the system refused at startup (address in use, permission denied, unreadable file), or a second signal during shutdown.'],
      ['2', 'a bad command line or command: one line on stderr before serving.'],
    ],
  },
  ...(extras.sections ?? []),
  ...(spec.epilog ? [{ title: 'NOTES', paragraphs: [spec.epilog] }] : []),
];

/** A daemon's page: its usage, its own options and the shared session options, as --help shows them. */
export function cliManPage(spec: CliSpec, extras: ManExtras = {}): ManPage {
  return {
    name: spec.name,
    section: 1,
    summary: spec.summary ?? spec.name,
    synopsis: spec.usage.split('\n').map((l) => l.trim().replace(new RegExp(`^${spec.name}\\s+`), '')),
    description: spec.description,
    options: { ...commonOptions, ...(spec.options ?? {}), ...helpAndVersion },
    examples: spec.examples,
    sections: daemonSections(spec, extras),
    seeAlso: ['hamelin(7)', ...(extras.seeAlso ?? [])],
  };
}

/** Text for roff: backslashes and dashes escaped (a dash must print as the ASCII one you can
 * paste), and a line that would start with a control character protected. */
export function roffText(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

const bold = (s: string): string => `\\fB${roffText(s)}\\fR`;
const italic = (s: string): string => `\\fI${roffText(s)}\\fR`;

/** `--kill-after N`: the option's name and the kind of value it takes. */
function optionTag(name: string, o: Options): string {
  const names = [`--${name}`, ...[o.alias ?? []].flat().map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
  const tag = names.reverse().map(bold).join(', ');
  if (o.type === 'boolean') return tag;
  const arg = o.choices ? [o.choices].flat().join('|') : o.type === 'number' ? 'N' : 'VALUE';
  return `${tag} ${italic(arg)}`;
}

function optionText(o: Options): string {
  let text = String(o.describe ?? '');
  const d: unknown = o.default;
  const shown = d !== undefined && d !== false && !(Array.isArray(d) && d.length === 0);
  if (shown) text += ` (default: ${Array.isArray(d) ? d.join(', ') : String(d)})`;
  return roffText(text);
}

/** Options grouped under their --help headings, in the order --help lists them. */
function optionGroups(options: Record<string, Options>): Map<string, [string, Options][]> {
  const groups = new Map<string, [string, Options][]>();
  for (const [name, o] of Object.entries(options)) {
    const g = (o.group ?? 'Options:').replace(/:$/, '');
    groups.set(g, [...(groups.get(g) ?? []), [name, o]]);
  }
  // yargs lists its default group (--help, --version) last.
  const own = groups.get('Options');
  if (own) {
    groups.delete('Options');
    groups.set('Options', own);
  }
  return groups;
}

export function renderMan(page: ManPage): string {
  const out: string[] = [];
  const para = (p: string): void => void out.push('.PP', roffText(p));
  const items = (list: [string, string][]): void => {
    for (const [term, text] of list) out.push('.TP', bold(term), roffText(text));
  };
  out.push(
    `.\\" Generated by @hamelin/core write-man-pages from the same tables as --help; do not edit.`,
    `.TH ${page.name.toUpperCase()} ${page.section} "" "hamelin ${VERSION}" "hamelin manual"`,
    '.nh',
    '.ad l',
    '.SH NAME',
    `${roffText(page.name)} \\- ${roffText(page.summary)}`,
  );
  if (page.synopsis?.length) {
    out.push('.SH SYNOPSIS');
    page.synopsis.forEach((form, i) => {
      if (i > 0) out.push('.br');
      out.push(`${bold(page.name)} ${roffText(form)}`);
    });
  }
  if (page.description?.length) {
    out.push('.SH DESCRIPTION');
    page.description.forEach(para);
  }
  if (page.options && Object.keys(page.options).length) {
    out.push('.SH OPTIONS');
    for (const [group, opts] of optionGroups(page.options)) {
      out.push(`.SS ${roffText(group)}`);
      for (const [name, o] of opts) out.push('.TP', optionTag(name, o), optionText(o));
    }
  }
  if (page.examples?.length) {
    out.push('.SH EXAMPLES');
    for (const [command, text] of page.examples) out.push('.PP', roffText(text), '.PP', '.RS 4', '.nf', roffText(command), '.fi', '.RE');
  }
  for (const s of page.sections ?? []) {
    out.push(`.SH ${roffText(s.title)}`);
    (s.paragraphs ?? []).forEach(para);
    items(s.items ?? []);
  }
  if (page.seeAlso?.length) {
    out.push('.SH SEE ALSO');
    out.push(page.seeAlso.map((ref) => ref.replace(/^(.*)\((\d)\)$/, (_, n: string, s: string) => `${bold(n)}(${s})`)).join(',\n'));
  }
  return `${out.join('\n')}\n`;
}

/** The file name a page installs as: `hamelin-net.1`. */
export const manFileName = (page: ManPage): string => `${page.name}.${page.section}`;
