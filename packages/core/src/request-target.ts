/**
 * The path and query of an HTTP request target (HTTP-08, WS-15). An origin-form target
 * (`/p?q`) is taken as sent. An absolute-form one (`GET http://host:8080/p?q HTTP/1.1`), which a
 * server must accept (RFC 9112 §3.2.2) and which proxies send, drops its scheme and authority:
 * H-PATH is the path, and a `--dir` route is looked up by the path alone.
 */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

export function requestTarget(url: string): { path: string; query: string } {
  let target = url;
  const abs = ABSOLUTE.exec(url);
  if (abs) {
    target = url.slice(abs[0].length);
    if (!target.startsWith('/')) target = `/${target}`;
  }
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}
