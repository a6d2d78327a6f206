/** hamelin-tty's command line: the table --help and hamelin-tty(1) are both made from. */
import { cliManPage, type CliSpec } from '@hamelin/core';

export const cliSpec: CliSpec = {
  name: 'hamelin-tty',
  summary: 'serve a script to the user at a terminal or serial line, getty-style',
  description: [
    'hamelin-tty serves CMD with its ARGS to the user at a terminal: its own (the one it runs on) or, with --device, a serial line or pty. Input is read in the kernel\'s canonical mode, so the user edits each line before it goes to the child\'s standard input; ^D at the start of a line ends that input, and the child\'s standard output is shown on the terminal. The child has no controlling terminal; a hangup or SIGHUP ends the session (SIGTERM to its process group, then SIGKILL after --kill-after). The terminal\'s settings are restored at the end.',
    'With --respawn a new session begins after each one ends, like getty; --wait starts each session on the first line typed.',
    'The child sees H-TYPE (TTY-0.2-LOCAL), H-CLIENT (the terminal device\'s path), H-TTY-SESSION, H-TTY-BAUD and, when the terminal knows its size, H-TTY-ROWS and H-TTY-COLS; each also as H_NAME. TERM is passed on even with --env-clear. See hamelin(7).',
  ],
  usage: '[options] CMD [ARGS...]',
  options: {
    device: { type: 'string', describe: 'serve this terminal device (serial line, pty) instead of the daemon\'s own terminal', group: 'Terminal:' },
    baud: { type: 'number', describe: 'set the line speed (stty speed), e.g. 9600 or 115200', group: 'Terminal:' },
    term: { type: 'string', describe: 'TERM for the child (default: the daemon\'s own TERM)', group: 'Terminal:' },
    wait: { type: 'boolean', default: false, describe: 'start each session on the first line typed, not at once', group: 'Terminal:' },
    respawn: { type: 'boolean', default: false, describe: 'start a new session after each one ends (otherwise exit with the child\'s status)', group: 'Terminal:' },
    banner: { type: 'string', describe: 'print this line on the terminal before each session', group: 'Terminal:' },
  },
  examples: [
    ['hamelin-tty --respawn ./menu.sh', 'serve a menu on this terminal, again after each exit'],
    ['hamelin-tty --device /dev/ttyUSB0 --baud 115200 --wait --respawn --log-file tty.log ./menu.sh', 'a serial line, getty style'],
  ],
  epilog:
    'Serving its own terminal, the daemon writes no log lines there: use --log-file to keep them. ' +
    'Everything from CMD on is passed to the command untouched.',
};

export const manPage = cliManPage(cliSpec, {
  exitStatus: [
    ['N', 'without --respawn: the child\'s status as a shell reports it, once its output is written and the terminal restored: its exit code, 128+N after signal N (143 after the SIGTERM of a hangup), 127 or 126 when the command could not be started, 1 for other start failures or a line that hung up before the session began.'],
    ['0', 'with --respawn, after SIGTERM or SIGINT; and after --help or --version.'],
    ['1', 'the system refused at startup (a device that cannot be opened), or with --respawn a line that hung up and cannot be opened again (line-gone).'],
    ['2', 'a bad command line or command: one line on stderr before serving.'],
  ],
});
