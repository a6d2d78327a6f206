/** curl as a test client: the status line, the head and the body, exactly as curl got them. */
import { execFile } from 'node:child_process';
import { requireTool } from './tools.js';

const CURL = requireTool('curl', 'curl');

export interface Curled {
  status: string;
  head: string;
  body: string;
}

/** `curl -i`: the status line, the head, and the body as curl got it. `--path-as-is` sends
 * dot segments as written. */
export function curl(port: number, path: string, args: string[] = []): Promise<Curled> {
  return new Promise((resolve, reject) => {
    execFile(CURL, ['-sS', '-i', '--path-as-is', '--max-time', '30', ...args, `http://127.0.0.1:${port}${path}`], { encoding: 'latin1' }, (err, out) => {
      if (err) return reject(err);
      const cut = out.indexOf('\r\n\r\n');
      const head = out.slice(0, cut);
      resolve({ status: head.split('\r\n')[0]!, head, body: out.slice(cut + 4) });
    });
  });
}

export const header = (head: string, name: string): string | undefined =>
  head
    .split('\r\n')
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    ?.slice(name.length + 1)
    .trim();

/** The traversal list of HTTP-31's --dir test, against --static: every one is a 404. */
export const TRAVERSAL = ['/../outside.sh', '/sub/../../outside.sh', '/%2e%2e/outside.sh', '/sub%2f..%2f..%2foutside.sh', '/sub%5cpage.html', '/escape', '/.secret', '/hidden-link', '/%2esecret', '/sub', '/missing'];

