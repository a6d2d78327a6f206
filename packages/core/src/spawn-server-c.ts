/**
 * The C source of hamelin's spawn server (see spawn-server.ts for why it exists), compiled
 * with `cc` the first time a daemon needs it and cached by a hash of this text.
 *
 *   hamelin-spawner SOCKET_PATH
 *
 * stdin: requests from the daemon, each `u32 length` + payload (little-endian):
 *   'S' u32 id, u32 argc, u32 envc, u32 grace_ms, u32 stdin_slot, u32 stdout_slot,
 *       file NUL, cwd NUL (empty: inherit), argv[0..argc) NUL each, env[0..envc) NUL each
 * It listens on the unix socket SOCKET_PATH (in the daemon's private 0700 directory) and
 * says `R 0 0` when it does. The daemon connects to it and writes an 8-byte header
 * `u32 slot, u32 MAGIC` on each connection, ahead of time (it keeps a few connected, so a
 * request never waits for a connect); a request names the two slots that become the child's
 * stdin and stdout. The server accepts connections until it has both (keeping the others for
 * their own requests), then vfork()s and execs the child as the leader of a new session
 * (setsid) with every signal at its default and none blocked, stderr inherited from this
 * process (= the daemon's stderr).
 * stdout: one text line per event:
 *   `S id pid`          spawned
 *   `E id errno`        not spawned (accept, setsid, chdir or exec failed)
 *   `X pid code signal left` a child ended (code -1 when killed by `signal`); left is 1 when
 *                       processes remain in its group (a backgrounded grandchild), else 0, so
 *                       the daemon need not look for itself
 * It ignores SIGINT/SIGTERM/SIGHUP (the daemon decides when sessions end, and must still
 * learn every exit status while it shuts down) and exits when its stdin ends.
 *
 * Its stdin ending while children still run means the daemon died without shutting down
 * (SIGKILL, a crash, the OOM killer). Nobody would ever signal those children's groups
 * again, so the server does what the daemon would have done (CORE-22: no process left
 * behind): SIGTERM to every group it started, SIGKILL after the longest grace period among
 * them, and only then exits.
 */
export const SPAWN_SERVER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char out[1 << 16];
static int orphaned; /* the daemon is gone: nothing more is reported */
static size_t out_len;

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t w = write(1, out + off, out_len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(0); /* the daemon is gone */
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

/* The children not yet reaped, with their sessions' grace periods, for the orphan cleanup. */
static struct live_child { pid_t pid; uint32_t grace_ms; } *live;
static size_t live_len, live_cap;

static void live_add(pid_t pid, uint32_t grace_ms) {
  if (live_len == live_cap) {
    size_t cap = live_cap ? live_cap * 2 : 64;
    struct live_child *n = realloc(live, cap * sizeof *live);
    if (!n) return; /* not tracked: the daemon still signals it while it lives */
    live = n;
    live_cap = cap;
  }
  live[live_len].pid = pid;
  live[live_len].grace_ms = grace_ms;
  live_len++;
}

static void live_remove(pid_t pid) {
  for (size_t i = 0; i < live_len; i++)
    if (live[i].pid == pid) {
      live[i] = live[--live_len];
      return;
    }
}

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
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint32_t hdr[2];
    size_t got = 0;
    while (got < sizeof hdr) {
      ssize_t r = read(fd, (char *)hdr + got, sizeof hdr - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    struct timeval zero = {0, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof zero); /* the child must not inherit it */
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

static void spawn_one(const unsigned char *p, size_t n) {
  if (n < 24) return;
  uint32_t id = rd32(p), argc = rd32(p + 4), envc = rd32(p + 8), grace_ms = rd32(p + 12);
  uint32_t in_slot = rd32(p + 16), out_slot = rd32(p + 20);
  const char *s = (const char *)p + 24, *end = (const char *)p + n;
  size_t count = 2 + (size_t)argc + envc;
  const char **strs = malloc(count * sizeof *strs);
  char **argv = malloc(((size_t)argc + 1) * sizeof *argv);
  char **envp = malloc(((size_t)envc + 1) * sizeof *envp);
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
  for (uint32_t i = 0; i < envc; i++) envp[i] = (char *)strs[2 + argc + i];
  envp[envc] = NULL;

  int in = take(in_slot);
  if (in < 0) {
    emit("E %ld %ld\n", (long)id, -in, 0, 0);
    goto done;
  }
  int outfd = take(out_slot);
  if (outfd < 0) {
    close(in);
    emit("E %ld %ld\n", (long)id, -outfd, 0, 0);
    goto done;
  }
  /* vfork + exec, not posix_spawn: glibc's posix_spawn leaves its two internal signals
     (32, 33) ignored in the child, and a child must start with every signal at its default.
     The vfork child shares our memory until it execs: it only makes system calls, reports a
     failure through spawn_errno and leaves with _exit. */
  volatile int spawn_errno = 0;
  const char *cwd = strs[1][0] ? strs[1] : NULL;
  pid_t pid = vfork();
  if (pid == 0) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL); /* EINVAL for KILL, STOP */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (setsid() < 0 || (cwd && chdir(cwd) < 0) || dup2(in, 0) < 0 || dup2(outfd, 1) < 0) {
      spawn_errno = errno;
      _exit(127);
    }
    execve(strs[0], argv, envp);
    spawn_errno = errno;
    _exit(127);
  }
  int rc = pid < 0 ? errno : spawn_errno;
  if (pid > 0 && rc != 0) waitpid(pid, NULL, 0); /* never exec'd: not a child to report */
  close(in);
  close(outfd);
  if (rc != 0) emit("E %ld %ld\n", (long)id, rc, 0, 0);
  else {
    live_add(pid, grace_ms);
    emit("S %ld %ld\n", (long)id, (long)pid, 0, 0);
  }
done:
  free(strs);
  free(argv);
  free(envp);
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    live_remove(pid);
    long left = kill(-pid, 0) == 0; /* zombies count too: the daemon then looks closer */
    if (WIFEXITED(st)) emit("X %ld %ld %ld %ld\n", (long)pid, WEXITSTATUS(st), 0, left);
    else if (WIFSIGNALED(st)) emit("X %ld %ld %ld %ld\n", (long)pid, -1, WTERMSIG(st), left);
  }
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The daemon is gone (see the top of this file): end every group it left running. A group
   outlives its leader when a grandchild ignores SIGTERM, so the SIGKILL goes to every group
   that was live at the start, reaped leader or not. */
static void end_orphans(int sfd) {
  orphaned = 1;
  size_t n = live_len;
  if (n == 0) return;
  pid_t *groups = malloc(n * sizeof *groups);
  uint32_t grace = 0;
  for (size_t i = 0; i < n; i++) {
    groups[i] = live[i].pid;
    if (live[i].grace_ms > grace) grace = live[i].grace_ms;
    kill(-live[i].pid, SIGTERM);
  }
  long deadline = now_ms() + grace;
  for (;;) {
    reap();
    int any = 0;
    for (size_t i = 0; i < n && !any; i++) any = kill(-groups[i], 0) == 0;
    if (!any) break;
    long left = deadline - now_ms();
    if (left <= 0) {
      for (size_t i = 0; i < n; i++) kill(-groups[i], SIGKILL);
      break;
    }
    /* woken by SIGCHLD, or every 50 ms for grandchildren, whose exits we are not told of */
    struct pollfd pfd = {sfd, POLLIN, 0};
    if (poll(&pfd, 1, left < 50 ? (int)left : 50) > 0) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
    }
  }
  reap();
  free(groups);
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
  emit("R %ld %ld\n", 0, 0, 0, 0);
  flush_out();
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("hamelin-spawner: signalfd");
    return 1;
  }
  size_t cap = 1 << 16, len = 0;
  unsigned char *buf = malloc(cap);
  int open_in = 1;
  while (open_in) {
    struct pollfd fds[2] = {{0, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
      reap();
    }
    if (fds[0].revents) {
      if (cap - len < 4096) {
        cap *= 2;
        buf = realloc(buf, cap);
      }
      ssize_t r = read(0, buf + len, cap - len);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        open_in = 0;
      } else {
        len += (size_t)r;
        size_t off = 0;
        while (len - off >= 4) {
          uint32_t n = rd32(buf + off);
          if (len - off - 4 < n) {
            if (n + 4 > cap) {
              cap = n + 4 + 4096;
              buf = realloc(buf, cap);
            }
            break;
          }
          if (n > 0 && buf[off + 4] == 'S') spawn_one(buf + off + 5, n - 1);
          off += 4 + n;
        }
        memmove(buf, buf + off, len - off);
        len -= off;
      }
    }
    reap();
    flush_out();
  }
  end_orphans(sfd);
  return 0;
}
`;
