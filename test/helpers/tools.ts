/** Real external tools for a test: present, or the test fails (it never passes without them). */
import { execFileSync } from 'node:child_process';

export function requireTool(name: string, apt: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} is not installed: this test needs it (Debian package ${apt}; CI installs it in .ci/run)`);
  }
}
