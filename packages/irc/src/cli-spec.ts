/** hamelin-irc's command line: the table --help and hamelin-irc(1) are both made from. */
import { cliManPage, seconds, commonOptions, type CliSpec } from '@hamelin/core';

const C = 'Connection:';
const B = 'Bot:';
const F = 'Flow:';

export const cliSpec: CliSpec = {
  name: 'hamelin-irc',
  summary: 'turn any script into an IRC bot, one process per conversation',
  description: [
    'hamelin-irc connects to an IRC server as a bot and starts CMD with its ARGS for each conversation: a (channel, nick) pair, or a private chat. A line addressed to the bot ("nick: text", or any line starting with --trigger, or every line with --listen-all) goes to the conversation\'s standard input without the address; each line of its standard output is sent back as a PRIVMSG, prefixed with the user\'s nick in a channel, paced by the flood limits.',
    'A conversation ends when the user leaves, quits or is kicked, or after --idle-timeout seconds with no line either way: the child\'s process group gets SIGTERM, then SIGKILL after --kill-after. The bot reconnects after a lost connection and reclaims its nick.',
    'The child sees H-TYPE (IRC-0.2-TLS or IRC-0.2-INSECURE), H-CLIENT (SERVER/NICK/CHANNEL), H-IRC-SERVER, H-IRC-NICK, H-IRC-CHANNEL, H-IRC-BOT-NICK and, when the server says, H-IRC-ACCOUNT; each also as H_NAME. See hamelin(7).',
  ],
  usage: "[options] --server HOST[:PORT] --nick NICK --channel '#chan' [--channel ...] CMD [ARGS...]",
  options: {
    server: { type: 'string', describe: 'IRC server, HOST[:PORT] ([V6]:PORT for IPv6); port 6667, or 6697 with --tls', group: C },
    nick: { type: 'string', describe: "the bot's nick; if in use it falls back to NICK_ and reclaims NICK later", group: C },
    // Not `array: true`: yargs would then swallow the command after the last channel.
    channel: { type: 'string', describe: 'join this channel (repeatable); none: private messages only', group: C },
    'channel-keys-file': { type: 'string', describe: 'keys of keyed (+k) channels: lines "#chan KEY"', group: C },
    tls: { type: 'boolean', default: false, describe: 'connect with TLS, verifying the certificate (extra CAs: NODE_EXTRA_CA_CERTS)', group: C },
    'tls-insecure': { type: 'boolean', default: false, describe: 'TLS without certificate verification (implies --tls)', group: C },
    'password-file': { type: 'string', describe: 'server password (PASS): first line of this file', group: C },
    'password-env': { type: 'string', describe: 'server password (PASS): from this environment variable', group: C },
    'sasl-account': { type: 'string', describe: 'log in with SASL PLAIN as this account', group: C },
    'sasl-password-file': { type: 'string', describe: 'SASL password: first line of this file', group: C },
    'sasl-password-env': { type: 'string', describe: 'SASL password: from this environment variable', group: C },
    username: { type: 'string', describe: 'user name (ident) sent at registration (default: the nick)', group: C },
    realname: { type: 'string', default: 'hamelin-irc bot', describe: 'real name (gecos)', group: C },
    'ping-timeout': seconds({ default: 120, describe: 'seconds without a line from the server before reconnecting', group: C }, 1),
    'reconnect-max': seconds({ default: 300, describe: 'longest wait between reconnect attempts, in seconds', group: C }, 1),
    'nick-retry': seconds({ default: 60, describe: 'seconds between attempts to reclaim the nick', group: C }, 1),
    trigger: { type: 'string', describe: 'also take channel lines starting with this prefix, such as "!"; one ending in a letter or digit ("!quote") only as a whole word', group: B },
    'listen-all': { type: 'boolean', default: false, describe: 'take every channel line, addressed or not', group: B },
    'hub-room': { choices: ['channel', 'service'], default: 'channel', describe: "with --hub: each channel is its own room (channel), or every channel joins the service's one room (service), as net, ws and http clients do", group: B },
    prefix: { type: 'boolean', default: true, describe: 'start channel replies with "nick: " (--no-prefix: do not)', group: B },
    // Every line counts, PINGs, PONGs and registration included, JOIN and NICK as two (IRC-21).
    // 0.8/s stays under InspIRCd's default allowance (1/s, 10 in hand), with room to spare.
    'flood-burst': { type: 'number', default: 4, describe: 'lines the bot may send at once (JOIN, PART and NICK count as two)', group: F },
    'flood-rate': { type: 'number', default: 0.8, describe: 'lines per second after the burst, every line the bot sends', group: F },
    queue: { type: 'number', default: 16, describe: "messages held per session before the script's output is paused", group: F },
    'idle-timeout': { ...commonOptions['idle-timeout'], default: 600, describe: 'seconds with no line either way before the session ends (0: never)' },
    // A few messages' worth: the core hands a longer line over whole, so one line of a script
    // would otherwise sit in the queue as thousands of PRIVMSGs, past --queue (IRC-15).
    'max-line': { ...commonOptions['max-line'], default: 2048, describe: 'longest output line held, in bytes; longer lines are sent in pieces' },
  },
  examples: [
    ["hamelin-irc --server irc.example.net:6697 --tls --nick calc --channel '#math' bc -l", 'a calculator bot: "calc: 2+2"'],
    ["hamelin-irc --server 127.0.0.1:6667 --nick quotebot --channel '#test' --trigger '!quote' examples/irc/quote.sh examples/irc/quotes.txt", 'answers "!quote WORD"'],
    ["hamelin-irc --hub broadcast --listen-all --server 127.0.0.1:6667 --nick feed --channel '#ops' tail -f /var/log/syslog", 'one process for the channel: each line said once to it'],
  ],
  epilog: "Passwords are never taken from the command line (it is visible in ps). Everything from CMD on is passed to the command untouched. Its stderr goes to this daemon's stderr, not to IRC: use sh -c 'CMD 2>&1' to show errors to users.",
};

export const manPage = cliManPage(cliSpec, {
  exitStatus: [
    ['0', 'after SIGTERM or SIGINT, once every conversation has ended; and after --help or --version.'],
    ['1', 'the system refused at startup (an unreadable file), or a second signal during shutdown.'],
    ['2', 'a bad command line or command: one line on stderr before connecting.'],
  ],
});
