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
 *   'A' u32 pgid, u32 grace_ms   adopt a group an earlier helper started (it died): it is
 *                                ended with the others should the daemon die (CORE-22)
 *   'F' u32 pgid                 forget an adopted group (its session is over)
 * It listens on the unix socket SOCKET_PATH (in the daemon's private 0700 directory) and
 * says `R pid subreaper` when it does. The daemon connects to it and writes an 8-byte header
 * `u32 slot, u32 MAGIC` on each connection, ahead of time (it keeps a few connected, so a
 * request never waits for a connect); a request names the two slots that become the child's
 * stdin and stdout. The helper accepts connections until it has both (keeping the others for
 * their own requests), then vfork()s and execs the child as the leader of a new session
 * (setsid) with every signal at its default and none blocked, stderr inherited from this
 * process (= the daemon's stderr). A file the kernel cannot execute (ENOEXEC: a script with
 * no `#!` line) is run with /bin/sh, as execvp(3) and so child_process do.
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
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
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
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL); /* EINVAL for KILL, STOP */
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

static void spawn_one(const unsigned char *p, size_t n) {
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
  int in = -1, outfd = -1, report[2] = {-1, -1};
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

  in = take(in_slot);
  if (in < 0) {
    emit("E %ld %ld\n", (long)id, -in, 0, 0);
    goto done;
  }
  outfd = take(out_slot);
  if (outfd < 0) {
    emit("E %ld %ld\n", (long)id, -outfd, 0, 0);
    goto done;
  }
  /* A failure in the child comes back as its errno on a close-on-exec pipe: a successful exec
     closes it empty. (Not through shared memory: where vfork is emulated by fork, as under
     qemu-user, the child's memory is its own.) */
  if (pipe2(report, O_CLOEXEC) < 0) {
    emit("E %ld %ld\n", (long)id, errno, 0, 0);
    goto done;
  }
  const char *cwd = strs[1][0] ? strs[1] : NULL;
  pid_t pid = start_child(strs[0], argv, shargv, envp, cwd, in, outfd, report[1]);
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
  }
done:
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
  while (!orphaned) {
    struct pollfd fds[2] = {{0, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
      reap();
    }
    if (fds[0].revents) {
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
          if (buf[off + 4] == 'S') spawn_one(req, n - 1);
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
