#!/usr/bin/env python3
"""Run a command on a new pseudo-terminal and relay it over this process's stdio.

    ptyrun.py [--rows R] [--cols C] [--term NAME] [--] CMD [ARGS...]
    ptyrun.py --hold [--rows R] [--cols C]

With --hold no command runs: the pty is opened and held for another program to serve (a
daemon's --device), and relayed the same way; its status line is `ptyrun: hold tty=/dev/pts/N`.

The command becomes a session leader whose controlling terminal is the pty, with the pty
as its stdin, stdout and stderr: exactly what it gets in a terminal window.
Bytes on our stdin are typed into the terminal as they are (keystrokes: \\r, \\x7f, \\x04 ...).
Bytes the terminal shows are written to our stdout as they are (after the line discipline,
so \\n from the command shows up as \\r\\n).
EOF on our stdin hangs the terminal up: the pty master is closed, as when a terminal
window closes. --term sets the command's TERM. Our stderr carries status lines:
    ptyrun: pid=PID tty=/dev/pts/N held=FD held-flags=OCTAL
    ptyrun: termios=IFLAG:OFLAG:CFLAG:LFLAG      (hex: the settings the command starts with)
    ptyrun: termios-after=IFLAG:OFLAG:CFLAG:LFLAG (the settings it left; not after a hangup)
    ptyrun: exit code=N | ptyrun: exit signal=NAME
and we exit with the command's status (128+N for a signal).
We keep the command's terminal descriptor open (held=FD, the same open file description the
command gets as stdin, stdout and stderr, as a shell that started it would) until the command
exits, so that /proc/OURPID/fdinfo/FD shows what the command did to it; held-flags is its
`flags:` there before the command ran (TTY-01: a daemon opens its terminal anew instead of
switching that description to non-blocking).
Only the standard library: no native Node module is needed to drive a real terminal.
"""
import errno
import fcntl
import os
import select
import signal
import struct
import sys
import termios


def flags(fd):
    """The terminal's mode flags, as `IFLAG:OFLAG:CFLAG:LFLAG` in hex. The master reports the
    slave's settings, even after the command has closed every slave descriptor."""
    a = termios.tcgetattr(fd)
    return '%x:%x:%x:%x' % (a[0], a[1], a[2], a[3])


def fdinfo_flags(fd):
    """The `flags:` line of /proc/self/fdinfo/FD (octal), '' where there is none."""
    try:
        with open('/proc/self/fdinfo/%d' % fd) as f:
            for line in f:
                if line.startswith('flags:'):
                    return line.split()[1]
    except OSError:
        pass
    return ''


class Held:
    """The command's terminal description, held until the command has exited; then closed, so
    the terminal ends, as before, when the last other descriptor of it is closed."""

    def __init__(self, pid, fd):
        self.pid = pid
        self.fd = fd
        self.status = None

    def poll(self):
        if self.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = status
        if self.status is not None:
            self.close()

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def wait(self):
        self.close()
        if self.status is None:
            _, self.status = os.waitpid(self.pid, 0)
        return self.status


def relay(master, held=None):
    """Relay our stdin to the terminal and its output to our stdout until it is done; True
    when our stdin is still open (the terminal closed first)."""
    stdin = sys.stdin.fileno()
    stdout = sys.stdout.fileno()
    stdin_open = True
    master_open = True
    pending = b''  # typed bytes not yet accepted by the terminal
    while master_open:
        rd = [master]
        if stdin_open and not pending:
            rd.append(stdin)
        wr = [master] if pending else []
        try:
            r, w, _ = select.select(rd, wr, [], 0.5 if held is None or held.fd is None else 0.05)
        except InterruptedError:
            continue
        if held is not None:
            held.poll()
        if master in r:
            try:
                data = os.read(master, 65536)
            except OSError as e:
                if e.errno != errno.EIO:
                    raise
                data = b''
            if not data:
                master_open = False  # every slave descriptor is closed: the command is done
                break
            os.write(stdout, data)
        if stdin in r:
            data = os.read(stdin, 65536)
            if data:
                pending += data
            else:
                stdin_open = False
                # Hang up: close the master. The kernel sends SIGHUP to the session leader
                # and every read of the slave returns EOF, every write EIO.
                os.close(master)
                master_open = False
                break
        if pending and master in w:
            n = os.write(master, pending)
            pending = pending[n:]
    return stdin_open


def main(argv):
    rows, cols = 24, 80
    term = None
    hold = False
    while argv and argv[0].startswith('--'):
        opt = argv.pop(0)
        if opt == '--':
            break
        if opt == '--rows':
            rows = int(argv.pop(0))
        elif opt == '--cols':
            cols = int(argv.pop(0))
        elif opt == '--term':
            term = argv.pop(0)
        elif opt == '--hold':
            hold = True
        else:
            sys.stderr.write('ptyrun: unknown option %s\n' % opt)
            return 2
    if not argv and not hold:
        sys.stderr.write('usage: ptyrun.py [--rows R] [--cols C] [--term NAME] [--] CMD [ARGS...]\n')
        return 2

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    name = os.ttyname(slave)
    before = flags(slave)
    if hold:
        # The slave stays open here, so the line lives until the serving daemon opens it.
        sys.stderr.write('ptyrun: hold tty=%s\n' % name)
        sys.stderr.flush()
        relay(master)
        return 0
    # Read before the fork: a command that starts fast could change them before we look.
    held_flags = fdinfo_flags(slave)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            if term is not None:
                os.environ['TERM'] = term
            os.execvp(argv[0], argv)
        except OSError as e:
            os.write(2, ('ptyrun: cannot run %s: %s\n' % (argv[0], e.strerror)).encode())
        os._exit(127)
    held = Held(pid, slave)
    sys.stderr.write('ptyrun: pid=%d tty=%s held=%d held-flags=%s\n' % (pid, name, slave, held_flags))
    sys.stderr.write('ptyrun: termios=%s\n' % before)
    sys.stderr.flush()

    stdin_open = relay(master, held)
    if stdin_open:
        # The command closed the terminal (it exited): what did it leave the settings at?
        try:
            sys.stderr.write('ptyrun: termios-after=%s\n' % flags(master))
        except termios.error:
            pass
        os.close(master)
    status = held.wait()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        sys.stderr.write('ptyrun: exit signal=%s\n' % signal.Signals(sig).name)
        return 128 + sig
    code = os.WEXITSTATUS(status)
    sys.stderr.write('ptyrun: exit code=%d\n' % code)
    return code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
