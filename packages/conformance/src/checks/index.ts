/** Every check, in report order. */
import type { Check, OptInGroup } from '../runner.js';
import { bindings } from '../bindings/index.js';
import { processChecks } from './processes.js';
import { dataChecks } from './data.js';
import { flowChecks } from './flow.js';
import { envChecks } from './env.js';
import { stderrChecks } from './stderr.js';
import { signalChecks } from './signals.js';
import { exitChecks } from './exit.js';
import { lifeChecks } from './life.js';
import { limitChecks } from './limits.js';
import { listenChecks } from './listen.js';
import { httpChecks } from './http.js';
import { wsChecks } from './ws.js';
import { wsGuardChecks } from './ws-guard.js';
import { httpGuardChecks } from './http-guard.js';
import { httpSessionChecks } from './http-session.js';
import { ircChecks } from './irc.js';
import { ircLogChecks, ircMoreChecks, ircOwnChecks, ircReconnectChecks, ircSecretChecks } from './irc-more.js';
import { ircWireChecks } from './irc-wire.js';
import { ttyChecks } from './tty.js';
import { opsChecks } from './ops.js';
import { frontDoorChecks } from './front-door.js';
import { hubChecks } from './hub.js';
import { hubIrcChecks } from './hub-irc.js';
import { hubTtyChecks } from './hub-tty.js';
import { cgiChecks } from './cgi.js';
import { staticChecks } from './static.js';
import { unbufferChecks } from './unbuffer.js';

const ORDER = (id: string): [number, number] => {
  const [area, n] = id.split('-') as [string, string];
  return [['CORE', 'NET', 'WS', 'HTTP', 'IRC', 'TTY', 'OPS', 'FD', 'HUB'].indexOf(area), Number(n)];
};

export const allChecks: Check[] = [
  ...processChecks,
  ...dataChecks,
  ...flowChecks,
  ...envChecks,
  ...stderrChecks,
  ...signalChecks,
  ...exitChecks,
  ...lifeChecks,
  ...limitChecks,
  ...listenChecks,
  ...httpChecks,
  ...wsChecks,
  ...wsGuardChecks,
  ...httpGuardChecks,
  ...httpSessionChecks,
  ...ircChecks,
  ...ircMoreChecks,
  ...ircOwnChecks,
  ...ircReconnectChecks,
  ...ircSecretChecks,
  ...ircLogChecks,
  ...ircWireChecks,
  ...ttyChecks,
  ...opsChecks,
  ...frontDoorChecks,
  ...hubChecks,
  ...hubIrcChecks,
  ...hubTtyChecks,
  ...cgiChecks,
  ...staticChecks,
  ...unbufferChecks,
].sort((a, b) => {
  const [x1, y1] = ORDER(a.id);
  const [x2, y2] = ORDER(b.id);
  return x1 - x2 || y1 - y2;
});

/** The checks of one binding: CORE checks apply everywhere unless they say otherwise; a
 * binding's own checks (NET-, WS-) apply to it (NET- to both net and unix). The opt-in ones
 * (OPS-, FD-) only when their group is in `withOptIn` (true: every group). */
export function checksFor(binding: string, withOptIn: boolean | OptInGroup[] = false): Check[] {
  const owner = (id: string): string[] | undefined =>
    id.startsWith('NET-') ? ['net', 'unix'] : id.startsWith('WS-') ? ['ws'] : id.startsWith('HTTP-') ? ['http'] : id.startsWith('IRC-') ? ['irc'] : id.startsWith('TTY-') ? ['tty'] : undefined;
  const connectStarts = bindings[binding]?.sessionOnConnect !== false;
  return allChecks.filter((c) => {
    if (c.optIn && !(withOptIn === true || (Array.isArray(withOptIn) && withOptIn.includes(c.optIn)))) return false;
    const to = c.bindings ?? owner(c.id);
    if (!to && !connectStarts) return false; // generic CORE checks need a session per connection
    return !to || to.includes(binding);
  });
}
