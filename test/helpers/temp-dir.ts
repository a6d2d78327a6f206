/** Test directories that do not outlive the test file that made them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/**
 * A fresh directory under the system's temp dir, removed when this test file's process exits:
 * each file runs in its own process, so a developer's /tmp does not gather fifty directories of
 * certificates, sockets and scripts per run, whether the test passed or failed.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0)
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true, maxRetries: 2 });
    });
  made.push(dir);
  return dir;
}
