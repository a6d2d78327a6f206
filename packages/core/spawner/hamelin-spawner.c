/*
 * hamelin's spawn helper (see packages/core/src/spawn-server.ts for why it exists). Built by
 * spawner/build.sh into prebuilt/hamelin-spawner-linux-{x64,arm64} (static), or compiled on
 * first use from this file on other architectures.
 *
 *   hamelin-spawner SOCKET_PATH
 *
 * stdin: requests from the daemon, each `u32 length` + payload (little-endian):
 *   'S' u32 id, u32 argc, u32 envc, u32 grace_ms, u32 stdin_slot, u32 stdout_slot,
 *       file NUL, cwd NUL (empty: inherit), argv[0..argc) NUL each, env[0..envc) NUL each
 *   'U' the same as 'S', but the child's stdout is a pseudo-terminal in raw mode (--unbuffer),
 *       whose master this helper relays to the stdout slot's connection (see `struct relay`)
 *   'A' u32 pgid, u32 grace_ms   adopt a group an earlier helper started (it died): it is
 *                                ended with the others should the daemon die (CORE-22)
 *   'F' u32 pgid                 forget an adopted group (its session is over)
 * It listens on the unix socket SOCKET_PATH (in the daemon's private 0700 directory) and
 * says `R pid subreaper` when it does. The daemon connects to it and writes an 8-byte header
 * `u32 slot, u32 MAGIC` on each connection, ahead of time (it keeps a few connected, so a
 * request never waits for a connect); a request names the two slots that become the child's
 * stdin and stdout (stdin slot 0: /dev/null, for a client that sends nothing). The helper
 * accepts connections until it has both (keeping the others for their own requests), then
 * vfork()s and execs the child as the leader of a new session (setsid) with every signal at
 * its default and none blocked, stderr inherited from this process (= the daemon's stderr). A
 * file the kernel cannot execute (ENOEXEC: a script with no `#!` line) is run with /bin/sh, as
 * execvp(3) and so child_process do.
 * stdout: one text line per event:
 *   `S id pid`          spawned
 *   `E id errno`        not spawned (accept, setsid, chdir or exec failed)
 *   `X pid code signal left` a child ended (code -1 when killed by `signal`); left is 1 when
 *                       processes remain in its group (a backgrounded grandchild), else 0
 *   `G pgid`            the group of a child reported with left=1 has no process left
 *
 * The helper is a child subreaper (PR_SET_CHILD_SUBREAPER): a process orphaned anywhere below
 * it, including one that left its group with setsid (a "detached" daemon), becomes its child
 * instead of init's. So it reaps every orphan (no zombies under an init that does not), it sees
 * each group empty (a group's last process is its child when it dies: `G`), and it can find
 * every process the daemon's children left behind.
 *
 * It ignores SIGINT/SIGTERM/SIGHUP/SIGQUIT (the daemon decides when sessions end, and must
 * still learn every exit status while it shuts down) and ends when its stdin ends, or when its
 * stdout is gone (EPIPE). Either means the daemon has shut down or died (SIGKILL, a crash, the
 * OOM killer): nobody will signal what is left, so the helper does (CORE-22, CORE-28): SIGTERM
 * to every group it started or adopted and to every orphan it inherited, SIGKILL after the
 * longest grace period among them, again until it has no child left, and only then exits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char out[1 << 16];
static int orphaned; /* the daemon is gone: nothing more is reported */
static size_t out_len;

/* A write error (EPIPE: the daemon's end is closed) means the daemon is gone. The orphan
   cleanup must still run, so this only marks it; the main loop then leaves for end_orphans. */
static void flush_out(void) {
  size_t off = 0;
  while (off < out_len && !orphaned) {
    ssize_t w = write(1, out + off, out_len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      orphaned = 1;
      break;
    }
    off += (size_t)w;
  }
  out_len = 0;
}

static void emit(const char *fmt, long a, long b, long c, long d) {
  if (orphaned) return;
  if (out_len > sizeof out - 100) flush_out();
  out_len += (size_t)snprintf(out + out_len, sizeof out - out_len, fmt, a, b, c, d);
}

/* The groups this helper answers for, with their sessions' grace periods:
   LIVE    a child of ours that has not been reaped (its pid is its pgid);
   LINGER  its leader was reaped with processes left in the group: `G` is owed;
   ADOPTED a group an earlier helper started ('A'), not our child. */
enum kind { LIVE, LINGER, ADOPTED };
static struct group { pid_t pgid; uint32_t grace_ms; enum kind kind; } *groups;
static size_t ngroups, groups_cap;
static uint32_t max_grace_ms = 5000; /* for orphans of no known group */

static void group_add(pid_t pgid, uint32_t grace_ms, enum kind kind) {
  if (ngroups == groups_cap) {
    size_t cap = groups_cap ? groups_cap * 2 : 64;
    struct group *n = realloc(groups, cap * sizeof *groups);
    if (!n) return; /* not tracked: the daemon still signals it while it lives */
    groups = n;
    groups_cap = cap;
  }
  groups[ngroups].pgid = pgid;
  groups[ngroups].grace_ms = grace_ms;
  groups[ngroups].kind = kind;
  ngroups++;
}

static struct group *group_find(pid_t pgid) {
  for (size_t i = 0; i < ngroups; i++)
    if (groups[i].pgid == pgid) return &groups[i];
  return NULL;
}

static void group_remove(struct group *g) { *g = groups[--ngroups]; }

static int listen_fd = -1;
#define MAGIC 0x4e4c4d48u /* "HMLN": a connection that is not the daemon's is closed */

/* Connections accepted before the request that names them. Small: the daemon uses its
   connections in about the order it made them, so the one wanted is almost always next. */
#define STASH 64
static struct {
  uint32_t slot;
  int fd;
} stash[STASH];
static size_t nstash;

/* The stdin slot that means /dev/null: the daemon never numbers a connection 0. */
#define NO_INPUT_SLOT 0

static int open_null(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

/* The connection whose header names this slot. The daemon connected it and wrote its header
   before sending the request, so it is queued already; a broken one is closed. Waits at most
   2 s (SO_RCVTIMEO on the listener, then on the socket). */
static int take(uint32_t slot) {
  for (size_t i = 0; i < nstash; i++)
    if (stash[i].slot == slot) {
      int fd = stash[i].fd;
      stash[i] = stash[--nstash];
      return fd;
    }
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return -errno;
    }
    uint32_t hdr[2];
    /* The daemon writes the header as soon as it connects, so it is almost always here: only
       when it is not does the socket get a timeout for the wait (and lose it again after). */
    ssize_t first = recv(fd, hdr, sizeof hdr, MSG_DONTWAIT);
    size_t got = first > 0 ? (size_t)first : 0;
    if (got < sizeof hdr && (first > 0 || (first < 0 && (errno == EAGAIN || errno == EINTR)))) {
      struct timeval tv = {2, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      while (got < sizeof hdr) {
        ssize_t r = read(fd, (char *)hdr + got, sizeof hdr - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
      }
      struct timeval zero = {0, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof zero); /* the child must not inherit it */
    }
    if (got != sizeof hdr || hdr[1] != MAGIC) {
      close(fd);
      continue;
    }
    if (hdr[0] == slot) return fd;
    if (nstash == STASH) { /* full of connections nobody asked for: drop one */
      close(stash[0].fd);
      stash[0] = stash[--nstash];
    }
    stash[nstash].slot = hdr[0];
    stash[nstash].fd = fd;
    nstash++;
  }
}

static uint32_t rd32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* --unbuffer (CORE-39): the child's stdout is the slave of a pseudo-terminal, so its C library
   line-buffers as on a terminal; the master is read here and written to the connection the
   daemon reads as the child's stdout. Raw mode (cfmakeraw): no echo, no CR added, no line
   discipline, 8-bit clean. A pty and not stdbuf(1): stdbuf's LD_PRELOAD reaches only
   dynamically linked programs that use glibc's stdio, and python, static binaries and musl do not
   listen to it. Backpressure holds: a relay reads the master only once its buffer has gone out,
   so a daemon that stops reading fills the pty and blocks the child's write, as a full pipe
   would. The relay ends when the master reports EIO (every holder of the slave has closed it;
   the kernel hands over what it still buffers first), writing what it holds, then closing the
   connection: that is the daemon's end of output. It also ends when the daemon closes its end. */
struct relay {
  int master, out;
  int reading; /* the master is in the epoll set (waiting for output), else out is (for POLLOUT) */
  int eof;
  size_t len, off;
  char buf[16384];
};
static int epfd = -1;
/* Which relay an fd belongs to (each relay's master and out), indexed by fd. */
static struct relay **by_fd;
static size_t by_fd_cap;

static int relay_index(int fd, struct relay *r) {
  if ((size_t)fd >= by_fd_cap) {
    size_t cap = by_fd_cap ? by_fd_cap : 256;
    while (cap <= (size_t)fd) cap *= 2;
    struct relay **n = realloc(by_fd, cap * sizeof *n);
    if (!n) return -1;
    memset(n + by_fd_cap, 0, (cap - by_fd_cap) * sizeof *n);
    by_fd = n;
    by_fd_cap = cap;
  }
  by_fd[fd] = r;
  return 0;
}

static void relay_end(struct relay *r) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, r->master, NULL);
  epoll_ctl(epfd, EPOLL_CTL_DEL, r->out, NULL);
  by_fd[r->master] = by_fd[r->out] = NULL;
  close(r->master);
  close(r->out);
  free(r);
}

/* Wait for output from the child (reading = 1) or for room on the daemon's side. The master
   leaves the set while the relay waits to write: its EPOLLHUP (the child is done) cannot be
   masked, and would wake the loop for nothing until the buffer is out. out stays in the set with
   no events while reading, so that the daemon closing it (EPOLLHUP) is still seen. */
static void relay_wait(struct relay *r, int reading) {
  struct epoll_event ev = {0};
  if (reading && !r->reading) {
    ev.events = EPOLLIN;
    ev.data.fd = r->master;
    epoll_ctl(epfd, EPOLL_CTL_ADD, r->master, &ev);
    ev.events = 0;
    ev.data.fd = r->out;
    epoll_ctl(epfd, EPOLL_CTL_MOD, r->out, &ev);
  } else if (!reading && r->reading) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, r->master, NULL);
    ev.events = EPOLLOUT;
    ev.data.fd = r->out;
    epoll_ctl(epfd, EPOLL_CTL_MOD, r->out, &ev);
  }
  r->reading = reading;
}

/* Move bytes until one side would block; at most 16 buffers a turn, so one busy session cannot
   hold up the others or the helper's own requests (epoll is level-triggered: it comes back). */
static void relay_run(struct relay *r) {
  for (int turn = 0; turn < 16; turn++) {
    if (r->off < r->len) {
      ssize_t w = write(r->out, r->buf + r->off, r->len - r->off);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) relay_wait(r, 0);
        else relay_end(r); /* EPIPE: the daemon is done with this session */
        return;
      }
      r->off += (size_t)w;
      if (r->off < r->len) continue;
      r->off = r->len = 0;
    }
    if (r->eof) {
      relay_end(r);
      return;
    }
    ssize_t n = read(r->master, r->buf, sizeof r->buf);
    if (n > 0) {
      r->len = (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      relay_wait(r, 1);
      return;
    }
    r->eof = 1; /* EIO: no process holds the slave any more */
  }
  relay_wait(r, r->off >= r->len);
}

/* A pty pair for one child: the master (non-blocking, close-on-exec) and the raw slave. */
static int open_pty(int *master, int *slave) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return errno;
  int unlock = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
    int e = errno;
    close(m);
    return e;
  }
  /* TIOCGPTPEER (Linux 4.13) opens the slave without a path, so a /dev/pts of another mount
     namespace cannot be confused for ours; ptsname is the fallback on older kernels. */
  int s = -1;
#ifdef TIOCGPTPEER /* headers older than Linux 4.13 lack it: the helper is compiled from here there */
  s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
#endif
  if (s < 0) {
    char name[64];
    if (ptsname_r(m, name, sizeof name) == 0) s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  struct termios t;
  if (s < 0 || tcgetattr(s, &t) < 0) {
    int e = errno;
    if (s >= 0) close(s);
    close(m);
    return e;
  }
  cfmakeraw(&t);
  struct winsize ws = {0, 0, 0, 0}; /* no size: a serial line's, spec CORE-39 */
  if (tcsetattr(s, TCSANOW, &t) < 0 || ioctl(s, TIOCSWINSZ, &ws) < 0 || fcntl(m, F_SETFL, O_NONBLOCK) < 0) {
    int e = errno;
    close(s);
    close(m);
    return e;
  }
  *master = m;
  *slave = s;
  return 0;
}

/* Start relaying `master` to `out`; both are the relay's from here on, whatever happens. */
static void relay_start(int master, int out) {
  struct relay *r = malloc(sizeof *r);
  struct epoll_event ev = {0};
  ev.data.fd = out;
  if (!r || fcntl(out, F_SETFL, O_NONBLOCK) < 0 || relay_index(master, r) < 0 || relay_index(out, r) < 0 ||
      epoll_ctl(epfd, EPOLL_CTL_ADD, out, &ev) < 0) {
    /* No relay: the child's writes fail with EIO and the daemon sees its stdout end. */
    if (r && (size_t)master < by_fd_cap) by_fd[master] = NULL;
    if (r && (size_t)out < by_fd_cap) by_fd[out] = NULL;
    free(r);
    close(master);
    close(out);
    return;
  }
  r->master = master;
  r->out = out;
  r->reading = 0;
  r->eof = 0;
  r->len = r->off = 0;
  relay_wait(r, 1);
}

/* The signals whose disposition is not the default here, read once at startup (this program
   installs no handler and changes no disposition after that): a child resets these, where a
   loop over every signal cost it 62 system calls before its exec (about 1.1 us each here). */
static int not_default[NSIG];
static int n_not_default;

static void note_dispositions(void) {
  for (int sig = 1; sig < NSIG; sig++) {
    struct sigaction old;
    if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_DFL) not_default[n_not_default++] = sig;
  }
}

/* vfork + exec, not posix_spawn: glibc's posix_spawn leaves its two internal signals (32, 33)
   ignored in the child, and a child must start with every signal at its default. The vfork
   child shares our memory until it execs: it only makes system calls and leaves with _exit,
   its errno written to `report` (close-on-exec) when it cannot exec. */
static pid_t start_child(const char *file, char **argv, char **shargv, char **envp, const char *cwd, int in, int outfd,
                         int report) {
  pid_t pid = vfork();
  if (pid != 0) return pid;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int i = 0; i < n_not_default; i++) sigaction(not_default[i], &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (setsid() >= 0 && (!cwd || chdir(cwd) >= 0) && dup2(in, 0) >= 0 && dup2(outfd, 1) >= 0) {
    execve(file, argv, envp);
    if (errno == ENOEXEC) execve(shargv[0], shargv, envp);
  }
  int e = errno;
  ssize_t w = write(report, &e, sizeof e);
  (void)w;
  _exit(127);
}

static void spawn_one(const unsigned char *p, size_t n, int unbuffered) {
  if (n < 24) return;
  uint32_t id = rd32(p), argc = rd32(p + 4), envc = rd32(p + 8), grace_ms = rd32(p + 12);
  uint32_t in_slot = rd32(p + 16), out_slot = rd32(p + 20);
  const char *s = (const char *)p + 24, *end = (const char *)p + n;
  size_t count = 2 + (size_t)argc + envc;
  const char **strs = malloc(count * sizeof *strs);
  char **argv = malloc(((size_t)argc + 1) * sizeof *argv);
  /* For ENOEXEC: /bin/sh FILE ARGS..., as glibc's execvp builds it (argv[0] is dropped). */
  char **shargv = malloc(((size_t)argc + 2) * sizeof *shargv);
  char **envp = malloc(((size_t)envc + 1) * sizeof *envp);
  int in = -1, outfd = -1, master = -1, slave = -1, report[2] = {-1, -1};
  if (!strs || !argv || !shargv || !envp || argc == 0) {
    emit("E %ld %ld\n", (long)id, argc == 0 ? EINVAL : ENOMEM, 0, 0);
    goto done;
  }
  for (size_t i = 0; i < count; i++) {
    const char *z = memchr(s, 0, (size_t)(end - s));
    if (!z) {
      emit("E %ld %ld\n", (long)id, EINVAL, 0, 0);
      goto done;
    }
    strs[i] = s;
    s = z + 1;
  }
  for (uint32_t i = 0; i < argc; i++) argv[i] = (char *)strs[2 + i];
  argv[argc] = NULL;
  shargv[0] = (char *)"/bin/sh";
  shargv[1] = (char *)strs[0];
  for (uint32_t i = 1; i < argc; i++) shargv[i + 1] = argv[i];
  shargv[argc + 1] = NULL;
  for (uint32_t i = 0; i < envc; i++) envp[i] = (char *)strs[2 + argc + i];
  envp[envc] = NULL;

  in = in_slot == NO_INPUT_SLOT ? open_null() : take(in_slot);
  if (in < 0) {
    emit("E %ld %ld\n", (long)id, -in, 0, 0);
    goto done;
  }
  outfd = take(out_slot);
  if (outfd < 0) {
    emit("E %ld %ld\n", (long)id, -outfd, 0, 0);
    goto done;
  }
  if (unbuffered) {
    int e = open_pty(&master, &slave);
    if (e != 0) {
      emit("E %ld %ld\n", (long)id, e, 0, 0);
      goto done;
    }
  }
  /* A failure in the child comes back as its errno on a close-on-exec pipe: a successful exec
     closes it empty. (Not through shared memory: where vfork is emulated by fork, as under
     qemu-user, the child's memory is its own.) */
  if (pipe2(report, O_CLOEXEC) < 0) {
    emit("E %ld %ld\n", (long)id, errno, 0, 0);
    goto done;
  }
  const char *cwd = strs[1][0] ? strs[1] : NULL;
  pid_t pid = start_child(strs[0], argv, shargv, envp, cwd, in, unbuffered ? slave : outfd, report[1]);
  int rc = pid < 0 ? errno : 0;
  close(report[1]);
  if (pid > 0) {
    int e = 0;
    ssize_t r;
    while ((r = read(report[0], &e, sizeof e)) < 0 && errno == EINTR) {
    }
    if (r == (ssize_t)sizeof e) {
      rc = e ? e : EINVAL;
      waitpid(pid, NULL, 0); /* never exec'd: not a child to report */
    }
  }
  close(report[0]);
  if (rc != 0) emit("E %ld %ld\n", (long)id, rc, 0, 0);
  else {
    group_add(pid, grace_ms, LIVE);
    if (grace_ms > max_grace_ms) max_grace_ms = grace_ms;
    emit("S %ld %ld\n", (long)id, (long)pid, 0, 0);
    if (unbuffered) {
      relay_start(master, outfd);
      master = outfd = -1;
    }
  }
done:
  if (slave >= 0) close(slave);
  if (master >= 0) close(master);
  if (in >= 0) close(in);
  if (outfd >= 0) close(outfd);
  free(strs);
  free(argv);
  free(shargv);
  free(envp);
}

static void adopt(const unsigned char *p, size_t n) {
  if (n < 8) return;
  pid_t pgid = (pid_t)rd32(p);
  uint32_t grace_ms = rd32(p + 4);
  if (pgid <= 1 || group_find(pgid)) return;
  group_add(pgid, grace_ms, ADOPTED);
  if (grace_ms > max_grace_ms) max_grace_ms = grace_ms;
}

static void forget(const unsigned char *p, size_t n) {
  if (n < 4) return;
  struct group *g = group_find((pid_t)rd32(p));
  if (g && g->kind == ADOPTED) group_remove(g);
}

/* Reap every child that has ended: our own children (reported with `X`), and orphans the
   kernel handed to us as subreaper (not reported; their group may be one that owes a `G`).
   Each dead child's group is read while it is still a zombie, so after reaping only those
   groups are looked at: the cost is per exit, not per exit times live groups. Returns 1 when
   its batch was full and more may wait. */
#define BATCH 256
static int reap_batch(void) {
  struct { pid_t pid, pgid; int st, ours; } dead[BATCH];
  size_t n = 0;
  while (n < BATCH) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) break;
    pid_t pid = si.si_pid;
    pid_t pgid = getpgid(pid); /* still a zombie: its group is known */
    int st;
    if (waitpid(pid, &st, 0) < 0) continue;
    struct group *g = group_find(pid);
    dead[n].pid = pid;
    dead[n].pgid = pgid;
    dead[n].st = st;
    dead[n].ours = g && g->kind == LIVE;
    if (dead[n].ours) g->kind = LINGER;
    n++;
  }
  /* Only now, with every zombie of this batch gone, is a group's emptiness known: whatever a
     leader left in its group is our child too, and was reaped in this same loop. */
  for (size_t i = 0; i < n; i++) {
    if (!dead[i].ours) continue;
    pid_t pid = dead[i].pid;
    int st = dead[i].st;
    long left = kill(-pid, 0) == 0;
    if (WIFEXITED(st)) emit("X %ld %ld %ld %ld\n", (long)pid, WEXITSTATUS(st), 0, left);
    else emit("X %ld %ld %ld %ld\n", (long)pid, -1, WIFSIGNALED(st) ? WTERMSIG(st) : 0, left);
    if (!left) {
      struct group *g = group_find(pid);
      if (g) group_remove(g);
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (dead[i].ours || dead[i].pgid <= 0) continue;
    struct group *g = group_find(dead[i].pgid);
    if (g && g->kind == LINGER && kill(-dead[i].pgid, 0) != 0) {
      emit("G %ld\n", (long)dead[i].pgid, 0, 0, 0);
      group_remove(g);
    }
  }
  return n == BATCH;
}

static void reap(void) {
  while (reap_batch()) {
  }
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Our children now, from /proc (the orphans we inherited are not in any list of ours). */
static size_t children(pid_t *buf, size_t cap) {
  size_t n = 0;
  pid_t self = getpid();
  DIR *d = opendir("/proc");
  if (!d) return 0;
  struct dirent *e;
  char path[300], stat[512];
  while ((e = readdir(d)) && n < cap) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t r = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (r <= 0) continue;
    stat[r] = 0;
    char *rp = strrchr(stat, ')'); /* pid (comm) state ppid ...: comm may hold anything */
    char state;
    int ppid;
    if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid == self && state != 'Z') buf[n++] = (pid_t)atoi(e->d_name);
  }
  closedir(d);
  return n;
}

/* Signal every group we answer for, and every child of ours with its own group. */
static void signal_all(int sig) {
  for (size_t i = 0; i < ngroups; i++) kill(-groups[i].pgid, sig);
  pid_t kids[4096];
  size_t n = children(kids, 4096);
  for (size_t i = 0; i < n; i++) {
    pid_t pg = getpgid(kids[i]);
    if (pg > 1 && pg != getpgid(0)) kill(-pg, sig);
    kill(kids[i], sig);
  }
}

static int anything_left(void) {
  for (size_t i = 0; i < ngroups; i++)
    if (kill(-groups[i].pgid, 0) == 0) return 1;
  pid_t kid;
  return children(&kid, 1) > 0;
}

/* Wait up to ms for a child to end (SIGCHLD), or 50 ms: grandchildren are not announced. */
static void nap(int sfd, long ms) {
  struct pollfd pfd = {sfd, POLLIN, 0};
  if (poll(&pfd, 1, ms < 50 ? (int)ms : 50) > 0) {
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) > 0) {
    }
  }
}

/* The daemon is gone (see the top of this file): end everything it left. SIGTERM first (again
   each round, for orphans that appear as their parents die), SIGKILL after the longest grace
   period, then SIGKILL rounds until nothing is left; a process that refuses even that for
   10 s (stuck in the kernel) is given up. */
static void end_orphans(int sfd) {
  orphaned = 1;
  uint32_t grace = 0;
  for (size_t i = 0; i < ngroups; i++)
    if (groups[i].grace_ms > grace) grace = groups[i].grace_ms;
  if (ngroups == 0) grace = max_grace_ms;
  long deadline = now_ms() + grace;
  int sig = SIGTERM;
  for (;;) {
    reap();
    if (!anything_left()) break;
    long now = now_ms();
    if (sig == SIGTERM && now >= deadline) sig = SIGKILL;
    if (now >= deadline + 10000) break;
    signal_all(sig);
    nap(sfd, sig == SIGTERM ? deadline - now : 50);
  }
  reap();
}

int main(int argc, char **argv) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  if (argc != 2 || strlen(argv[1]) >= sizeof addr.sun_path) {
    fprintf(stderr, "hamelin-spawner: usage: hamelin-spawner SOCKET_PATH\n");
    return 2;
  }
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, argv[1]);
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listen_fd, 4096) < 0) {
    perror("hamelin-spawner: listen");
    return 1;
  }
  struct timeval tv = {2, 0};
  setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  long subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  note_dispositions();
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("hamelin-spawner: signalfd");
    return 1;
  }
  emit("R %ld %ld\n", (long)getpid(), subreaper, 0, 0);
  flush_out();
  size_t cap = 1 << 16, len = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) return 1;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {0};
  ev.events = EPOLLIN;
  ev.data.fd = 0;
  int ok = epfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) == 0;
  ev.data.fd = sfd;
  if (!ok || epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev) < 0) {
    perror("hamelin-spawner: epoll");
    return 1;
  }
  struct epoll_event events[64];
  while (!orphaned) {
    int nev = epoll_wait(epfd, events, 64, -1);
    if (nev < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int from_daemon = 0, chld = 0;
    for (int i = 0; i < nev; i++) {
      int fd = events[i].data.fd;
      if (fd == 0) from_daemon = 1;
      else if (fd == sfd) chld = 1;
      else if ((size_t)fd < by_fd_cap && by_fd[fd]) {
        struct relay *r = by_fd[fd];
        /* The daemon closed its end of the child's stdout: nothing more can be delivered. */
        if (fd == r->out && (events[i].events & (EPOLLHUP | EPOLLERR)) && r->reading) relay_end(r);
        else relay_run(r);
      }
    }
    if (chld) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
      reap();
    }
    if (from_daemon) {
      if (cap - len < 4096) {
        unsigned char *n = realloc(buf, cap * 2);
        if (!n) break;
        buf = n;
        cap *= 2;
      }
      ssize_t r = read(0, buf + len, cap - len);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        break; /* the daemon closed our stdin: shut down, or died */
      }
      len += (size_t)r;
      size_t off = 0;
      while (len - off >= 4) {
        uint32_t n = rd32(buf + off);
        if (len - off - 4 < n) {
          if (n + 4 > cap) {
            unsigned char *nb = realloc(buf, n + 4 + 4096);
            if (!nb) return 1;
            buf = nb;
            cap = n + 4 + 4096;
          }
          break;
        }
        if (n > 0) {
          const unsigned char *req = buf + off + 5;
          if (buf[off + 4] == 'S' || buf[off + 4] == 'U') spawn_one(req, n - 1, buf[off + 4] == 'U');
          else if (buf[off + 4] == 'A') adopt(req, n - 1);
          else if (buf[off + 4] == 'F') forget(req, n - 1);
        }
        off += 4 + n;
      }
      memmove(buf, buf + off, len - off);
      len -= off;
    }
    reap();
    flush_out();
  }
  end_orphans(sfd);
  return 0;
}
