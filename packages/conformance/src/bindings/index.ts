/** The bindings the suite knows, by the name given on its command line. */
import type { Binding } from '../types.js';
import { net, unix } from './net.js';
import { ws } from './ws.js';
import { http } from './http.js';
import { irc } from './irc.js';
import { tty } from './tty.js';

export const bindings: Record<string, Binding> = { net, unix, ws, http, irc, tty };
