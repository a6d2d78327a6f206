/**
 * hamelin-http's --cgi (HTTP-37..HTTP-40): the script's output starts with a header section.
 * One daemon per check runs a shell script that answers with the file named by the query
 * (`?NAME` prints out-NAME), so each case is one request and one exact output, and a case's
 * answer is asserted whole: the status line, the header lines in order, the body, the trailer.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { b64, expectVars, showBytes, within } from './common.js';
import { dialHttp } from '../bindings/http.js';
import { header, rawAnswer, showAnswer, values, type RawAnswer } from './raw-answer.js';

/** Start the daemon with --cgi on a script that prints out-NAME for the query NAME, and when
 * there is a then-NAME, reads a line of input and prints that too. */
async function startCgi(ctx: Ctx, outputs: Record<string, string>, then: Record<string, string> = {}): Promise<DaemonRun> {
  return ctx.start({
    options: { cgi: '' },
    commandFor: (runDir) => {
      for (const [name, text] of Object.entries(outputs)) writeFileSync(join(runDir, `out-${name}`), text, 'latin1');
      for (const [name, text] of Object.entries(then)) writeFileSync(join(runDir, `then-${name}`), text, 'latin1');
      const script = join(runDir, 'cgi.sh');
      // H_QUERY is CORE-11's alias of H-QUERY: a shell cannot name a variable with a dash.
      writeFileSync(script, `#!/bin/sh\ncat "${runDir}/out-$H_QUERY"\n[ -f "${runDir}/then-$H_QUERY" ] || exit 0\nread line\nexec cat "${runDir}/then-$H_QUERY"\n`);
      chmodSync(script, 0o755);
      return [script];
    },
  });
}

const get = (ctx: Ctx, d: DaemonRun, name: string): Promise<RawAnswer> =>
  rawAnswer(d.addr, 'GET', `/?${name}`, [], ctx.ms(5000)).catch((e: Error) => ctx.fail(`an answer to GET /?${name}`, e.message));

export const BAD_GATEWAY = 'hamelin: bad gateway: invalid CGI header section from the script';

/** Each case's output must be refused: 502, the exact body, and no byte of the script's output
 * (every case carries SECRET, and "evil" in what it tries to inject). */
async function expectRefused(ctx: Ctx, d: DaemonRun, cases: Record<string, string>, rule: string): Promise<string> {
  for (const name of Object.keys(cases)) {
    const a = await get(ctx, d, name);
    ctx.expect(a.status === 502 && a.body.toString().trim() === BAD_GATEWAY, `${rule} (${name}): 502 with the body "${BAD_GATEWAY}"`, () => showAnswer(a));
    const leak = ['SECRET', 'evil'].find((w) => a.raw.includes(w));
    ctx.expect(leak === undefined, `${rule} (${name}): nothing the script wrote reaches the client`, () => `${JSON.stringify(leak)} in ${showAnswer(a)}`);
  }
  return `${Object.keys(cases).length} sections refused with 502 and nothing of the script's output`;
}

export const cgiChecks: Check[] = [
  {
    id: 'HTTP-37',
    level: 'MUST',
    title: "--cgi: Status sets the status line, Location alone is 302, the script's headers in its order and case replace the defaults, 204 has no body",
    needs: ['cgi'],
    async run(ctx) {
      const d = await startCgi(ctx, {
        status: 'Status: 404 Not Found\nContent-Type: application/json\nSet-Cookie: a=1\nX-Script-Case: Kept\nSet-Cookie: b=2\n\n{"found":false}\n',
        location: 'Location: /elsewhere\r\n\r\nmoved\n',
        plain: 'X-One: 1\n\nhello\n',
        empty: 'Status: 204 No Content\n\nDROPPED\n',
        stream: 'Status: 201 Created\n\nfirst\n',
      }, { stream: 'second\n' });
      const a = await get(ctx, d, 'status');
      ctx.expect(a.statusLine === 'HTTP/1.1 404 Not Found', 'Status: 404 Not Found gives the status line "HTTP/1.1 404 Not Found"', () => showAnswer(a));
      ctx.expect(values(a, 'content-type').join(' | ') === 'application/json', "one Content-Type, the script's application/json", () => showAnswer(a));
      ctx.expect(values(a, 'set-cookie').join(' | ') === 'a=1 | b=2', 'Set-Cookie a=1 then b=2, as two header lines', () => showAnswer(a));
      ctx.expect(a.lines.includes('X-Script-Case: Kept'), 'the line "X-Script-Case: Kept" with the script\'s case', () => showAnswer(a));
      ctx.expect(!a.lines.some((l) => /^status:/i.test(l)), 'no Status header line in the answer (it is the status line)', () => showAnswer(a));
      ctx.expect(a.body.toString() === '{"found":false}\n', 'the body after the empty line, and only it', () => showAnswer(a));
      ctx.expect(a.trailers.includes('Hamelin-Exit: 0'), 'the trailer Hamelin-Exit: 0 after the body', () => `trailers ${JSON.stringify(a.trailers)}`);
      const l = await get(ctx, d, 'location');
      ctx.expect(l.status === 302 && header(l, 'location') === '/elsewhere', 'Location without Status: 302 and Location: /elsewhere (the CR before LF dropped)', () => showAnswer(l));
      ctx.expect(l.body.toString() === 'moved\n', 'the body "moved\\n"', () => showAnswer(l));
      const p = await get(ctx, d, 'plain');
      ctx.expect(p.status === 200 && header(p, 'x-one') === '1' && header(p, 'content-type') === 'text/plain; charset=utf-8', 'no Status: 200, X-One: 1 and the default Content-Type text/plain; charset=utf-8', () => showAnswer(p));
      ctx.expect(p.body.toString() === 'hello\n', 'the body "hello\\n"', () => showAnswer(p));
      const e = await get(ctx, d, 'empty');
      ctx.expect(e.status === 204 && !e.raw.includes('DROPPED'), 'Status: 204: a 204 with no body (the output after the section dropped)', () => showAnswer(e));
      // The body streams after the section: its first line arrives while the script waits for input.
      const c = await dialHttp(d.addr, { method: 'POST', path: '/?stream' });
      await c.waitFor((b) => b.includes('first\n'), 'first', ctx.ms(5000)).catch(() => ctx.fail("the body's first line while the script still runs (streamed, not held to the end)", `status ${c.status() ?? 'none'}, ${showBytes(c.received())}`));
      ctx.expect(c.status() === 201, 'Status: 201 Created gives 201', () => String(c.status()));
      await c.write('go\n');
      c.halfClose();
      const ended = await within(() => c.endedAt() !== undefined, ctx.ms(5000));
      c.close();
      ctx.expect(ended && c.received().toString() === 'first\nsecond\n' && c.trailers()['hamelin-exit'] === '0', 'then "second\n", the end, and the trailer Hamelin-Exit: 0', () => `${showBytes(c.received())}, trailers ${JSON.stringify(c.trailers())}`);
      return '404 with its headers and trailer, 302 for Location, 200 with the default type, 204 without body, a 201 body streamed';
    },
  },
  {
    id: 'HTTP-38',
    level: 'MUST',
    title: '--cgi: a bad line, a folded line, a bare CR, a bad or second Status, a section over --max-cgi-header or cut short is 502 with nothing of the script',
    needs: ['cgi'],
    async run(ctx) {
      const cases: Record<string, string> = {
        name: 'Bad Name: SECRET\n\nSECRET\n',
        colon: 'NoColonSECRET\n\nSECRET\n',
        folded: 'X-A: SECRET\n folded\n\nSECRET\n',
        cr: 'X-A: SECRET\rSet-Cookie: evil=1\n\nSECRET\n',
        ctl: 'X-A: SECRET\x01\n\nSECRET\n',
        informational: 'Status: 103 Early Hints\n\nSECRET\n',
        word: 'Status: found\n\nSECRET\n',
        twice: 'Status: 200 OK\nStatus: 404 Not Found\n\nSECRET\n',
        big: `X-Big: ${'SECRET'.repeat(2800)}\n\nSECRET\n`,
        short: 'X-A: SECRET\n',
      };
      const d = await startCgi(ctx, cases);
      return expectRefused(ctx, d, cases, 'HTTP-38');
    },
  },
  {
    id: 'HTTP-39',
    level: 'MUST',
    title: '--cgi: a header the daemon owns (framing, connection, Hamelin-*) in the section refuses it: 502',
    needs: ['cgi'],
    async run(ctx) {
      const names = ['Transfer-Encoding: chunked', 'Content-Length: 6', 'Trailer: X-SECRET', 'TE: trailers', 'Connection: keep-alive', 'Keep-Alive: timeout=5', 'Upgrade: websocket', 'Proxy-Connection: close', 'Hamelin-Exit: 0', 'hamelin-session: evil'];
      const cases = Object.fromEntries(names.map((h, i) => [`r${i}`, `X-Before: SECRET\n${h}\n\nSECRET\n`]));
      const d = await startCgi(ctx, cases);
      return expectRefused(ctx, d, cases, 'HTTP-39');
    },
  },
  {
    id: 'HTTP-40',
    level: 'MUST',
    title: '--cgi: each query parameter as H-QUERY-NAME, decoded, _ as -, repeated ones joined with ",", odd names left out',
    needs: ['cgi'],
    async run(ctx) {
      const d = await ctx.start({ options: { cgi: '' }, mode: `print=${b64('Status: 200\n\nok\n')}+exit=0` });
      const query = 'user_id=7&User-Id=8&q=%C3%A9+1&z=%FF&a+b=1&x__y=2&-lead=3&dot.ted=4&=5&plain';
      const a = await rawAnswer(d.addr, 'GET', `/x?${query}`, [], ctx.ms(5000)).catch((e: Error) => ctx.fail('an answer', e.message));
      ctx.expect(a.status === 200 && a.body.toString() === 'ok\n', 'the script\'s answer "ok"', () => showAnswer(a));
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      const env = p!.env;
      const want = { 'H-QUERY': query, 'H-QUERY-USER-ID': '7,8', 'H-QUERY-Q': 'é 1', 'H-QUERY-Z': '\uFFFD', 'H-QUERY-PLAIN': '' };
      expectVars(ctx, env, want);
      const made = Object.keys(env).filter((k) => /^H[-_]QUERY[-_]/.test(k)).sort();
      const expected = Object.keys(want).filter((k) => k !== 'H-QUERY').flatMap((k) => [k, k.replaceAll('-', '_')]).sort();
      ctx.expect(made.join(' ') === expected.join(' '), `exactly ${expected.join(' ')} (a b, x__y, -lead, dot.ted and the empty name left out)`, () => made.join(' '));
      return `${made.length / 2} names, repeated user_id/User-Id joined as "7,8"`;
    },
  },
];
