/**
 * The browser console (`--console`): one self-contained HTML page, no external assets.
 * A person connects, types lines, sees output as it arrives, and sees how the session
 * ended (close code and reason, which carry the exit status).
 *
 * The page's script talks to the server through a small transport object, so each
 * front-end plugs in its own: `ws` (a WebSocket to the page's own URL) is here; an SSE
 * transport (EventSource for output + POST for input) goes beside it, see TRANSPORTS.
 *
 * Element ids are a stable contract for tests: #url, #connect, #disconnect, #input, #send,
 * #log (one child per line: .out for output, .in for what was sent, .sys for status), #status.
 */

export interface ConsolePageOptions {
  title: string;
  transport: 'ws' | 'sse';
  /** ws --binary: the server does no framing, so the page sends each line with its newline
   * and decodes binary messages as UTF-8 text. */
  binary?: boolean;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,sans-serif;background:#f6f6f4;color:#222;display:flex;flex-direction:column;height:100vh}
header{padding:8px 12px;background:#2d3b45;color:#fff;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
header h1{font-size:15px;margin:0 12px 0 0;font-weight:600}
header input{flex:1;min-width:200px;font:13px monospace;padding:4px}
button{font:inherit;padding:4px 12px;cursor:pointer}
#status{padding:4px 12px;font-size:13px;background:#e4e4e0;border-bottom:1px solid #ccc}
#status.open{background:#d8efd8}#status.closed{background:#f3dfd0}
#log{flex:1;overflow:auto;margin:0;padding:8px 12px;font:13px/1.35 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all;background:#fff}
#log .in{color:#1d5fa8}#log .in::before{content:"> ";color:#999}
#log .sys{color:#8a4b0f;font-style:italic}
form{display:flex;gap:8px;padding:8px 12px;background:#e4e4e0}
form input{flex:1;font:13px monospace;padding:6px}
`;

/** The page's script. Plain ES2017, no build step; placeholders are JSON-encoded values. */
const SCRIPT = `
(function () {
  'use strict';
  var CONFIG = __CONFIG__;
  var $ = function (id) { return document.getElementById(id); };
  var log = $('log'), status = $('status'), input = $('input');
  var current = null;

  function line(text, cls) {
    var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    var div = document.createElement('div');
    div.className = cls;
    div.textContent = text === '' ? '\\u200b' : text; // keep empty lines visible
    log.appendChild(div);
    if (atBottom) log.scrollTop = log.scrollHeight;
  }
  function setStatus(text, cls) { status.textContent = text; status.className = cls; }
  function setConnected(on) {
    $('connect').disabled = on; $('disconnect').disabled = !on;
    input.disabled = !on; $('send').disabled = !on;
    if (on) input.focus();
  }

  // A transport connects to the server and reports through three callbacks:
  //   open(), output(text) once per output line, closed(description).
  // The description is the server's own words for the end (exit-description.ts, CORE-38):
  // a WebSocket close reason, an SSE exit event's description; both consoles show it alike.
  // It returns { send(line), close() }. Add new transports to this table.
  var TRANSPORTS = {
    ws: function (url, cb) {
      var sock = new WebSocket(url);
      sock.binaryType = 'arraybuffer';
      var decoder = new TextDecoder();
      var partial = '';
      sock.onopen = function () { cb.open(); };
      sock.onmessage = function (ev) {
        if (typeof ev.data === 'string') { cb.output(ev.data); return; }
        // --binary: raw bytes, split into lines here.
        partial += decoder.decode(ev.data, { stream: true });
        var parts = partial.split('\\n');
        partial = parts.pop();
        parts.forEach(function (p) { cb.output(p); });
      };
      sock.onclose = function (ev) {
        if (partial) { cb.output(partial); partial = ''; }
        cb.closed(ev.reason || 'connection closed (code ' + ev.code + ')');
      };
      return {
        send: function (text) { sock.send(CONFIG.binary ? text + '\\n' : text); },
        close: function () { sock.close(1000, 'closed by user'); }
      };
    },
    // hamelin-http (spec/bindings/http.md): an EventSource on the page's URL opens a session;
    // its first event ("session") carries the id, each line is a message event, "exit" ends
    // it. Lines go in by POST to /.hamelin/session/ID, in order; Disconnect is a DELETE.
    sse: function (url, cb) {
      var u = new URL(url, window.location.href);
      if (/\\/\\.hamelin\\/console$/.test(u.pathname)) u.pathname = '/';
      var base = u.origin + '/.hamelin/session/';
      var es = new EventSource(u.href);
      var id = null, done = false, queue = Promise.resolve();
      function end(description) {
        if (done) return;
        done = true;
        es.close();
        cb.closed(description);
      }
      es.addEventListener('session', function (ev) { id = ev.data; cb.open(); });
      es.onmessage = function (ev) { cb.output(ev.data); };
      es.addEventListener('exit', function (ev) {
        var info = {};
        try { info = JSON.parse(ev.data); } catch (e) { /* keep {} */ }
        end(info.description || 'ended');
      });
      // No reconnects: a finished stream would only answer 204 (HTTP-21).
      es.onerror = function () { end('event stream lost'); };
      return {
        send: function (text) {
          if (id === null || done) return;
          queue = queue.then(function () {
            return fetch(base + id, { method: 'POST', headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: text + '\\n' });
          }).catch(function () {});
        },
        close: function () {
          if (id === null) { end('closed by user'); return; }
          // The session's exit event (sent before the DELETE is answered, HTTP-27) says how it
          // ended; the answer only ends a page whose stream is already gone.
          fetch(base + id, { method: 'DELETE' }).then(function () {
            setTimeout(function () { end('closed by user'); }, 1000);
          }, function () { end('closed by user'); });
        }
      };
    }
  };

  function defaultUrl() {
    var l = window.location;
    if (CONFIG.transport === 'ws') return (l.protocol === 'https:' ? 'wss://' : 'ws://') + l.host + l.pathname + l.search;
    return l.href;
  }

  function connect() {
    var url = $('url').value;
    setStatus('connecting to ' + url + ' ...', '');
    setConnected(true);
    input.disabled = true; $('send').disabled = true;
    var t;
    try {
      t = TRANSPORTS[CONFIG.transport](url, {
        open: function () {
          setStatus('connected to ' + url, 'open');
          line('connected', 'sys');
          input.disabled = false; $('send').disabled = false; input.focus();
        },
        output: function (text) { line(text, 'out'); },
        closed: function (description) {
          var what = 'ended: ' + description;
          setStatus(what, 'closed');
          line(what, 'sys');
          if (current === t) current = null;
          setConnected(false);
        }
      });
    } catch (e) {
      setStatus('cannot connect: ' + e.message, 'closed');
      setConnected(false);
      return;
    }
    current = t;
  }

  $('url').value = defaultUrl();
  $('connect').onclick = connect;
  $('disconnect').onclick = function () { if (current) current.close(); };
  $('clear').onclick = function () { log.textContent = ''; };
  $('form').onsubmit = function (ev) {
    ev.preventDefault();
    if (!current) return;
    current.send(input.value);
    line(input.value, 'in');
    input.value = '';
  };
  setConnected(false);
  if (!/[?&]noconnect\\b/.test(window.location.search)) connect();
})();
`;

export function consolePage(opts: ConsolePageOptions): string {
  const config = JSON.stringify({ transport: opts.transport, binary: opts.binary === true })
    // Safe inside <script>: no way to close the element or open a comment.
    .replace(/</g, '\\u003c');
  const title = escapeHtml(opts.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${title}</h1><input id="url" aria-label="URL" spellcheck="false"><button id="connect">Connect</button><button id="disconnect">Disconnect</button><button id="clear">Clear</button></header>
<div id="status">not connected</div>
<div id="log" role="log" aria-live="polite"></div>
<form id="form" autocomplete="off"><input id="input" placeholder="type a line, Enter sends it" aria-label="line to send"><button id="send" type="submit">Send</button></form>
<script>${SCRIPT.replace('__CONFIG__', () => config)}</script>
</body>
</html>
`;
}
