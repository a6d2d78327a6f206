/*
 * hamelin-probe: the program the daemon under test runs for each client, in C.
 *
 *     hamelin-probe REPORT_DIR MODE [EXTRA ARGS...]
 *
 * It is src/probe.ts (and probe-hub.ts) written again: the same modes, the same report
 * (REPORT_DIR/p<pid>.jsonl, one JSON event per line), the same order of what it does. probe.ts
 * documents both; it stays the probe where no binary of this one runs (probe-binary.ts).
 *
 * Why a second one: a check starts a probe for every session it makes, and the suite makes
 * thousands. Node spends about 150 ms of CPU starting one (250 under the suite's load, two
 * thirds of a conformance run's CPU, measured with a /proc sampler over three test files); this
 * starts in about a millisecond.
 *
 * What it keeps of Node's behaviour, on purpose:
 * - signals (TERM, INT, HUP, USR1, PIPE) are recorded when the main loop gets to them, not
 *   inside a write: a probe blocked writing to a full pipe records a SIGTERM once the write
 *   completes, as probe.ts does (its handlers run on the event loop). They are blocked and read
 *   from a signalfd; SIGTERM, SIGINT and SIGHUP then end the probe by the same signal (SIGTERM
 *   not with `ignoreterm` or `termsay`), SIGUSR1 is only recorded, SIGPIPE once, and writes see
 *   EPIPE (Node ignores SIGPIPE);
 * - stdout is written with blocking writes, waiting out EAGAIN (fd 1 may share a non-blocking
 *   description with stdin);
 * - strings in the report are JSON of the bytes decoded as UTF-8 the way Node decodes them
 *   (WHATWG: each maximal invalid subpart becomes one U+FFFD);
 * - a grandchild it starts is reaped (libuv reaps; a zombie would look like a live process).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"

/* ---- a growable byte buffer ---- */

typedef struct {
  char *p;
  size_t n, cap;
} buf_t;

static void buf_need(buf_t *b, size_t more) {
  if (b->n + more <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->n + more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) _exit(70);
  b->p = p;
  b->cap = cap;
}

static void buf_add(buf_t *b, const void *s, size_t n) {
  buf_need(b, n);
  memcpy(b->p + b->n, s, n);
  b->n += n;
}

static void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_fmt(buf_t *b, const char *fmt, long long v) {
  char t[32];
  int n = snprintf(t, sizeof t, fmt, v);
  buf_add(b, t, (size_t)n);
}

/* ---- the report ---- */

static int report = -1;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A JSON string of these bytes read as UTF-8, as JSON.stringify writes a string Node decoded. */
static void json_str(buf_t *b, const unsigned char *s, size_t n) {
  static const char fffd[] = "\xef\xbf\xbd";
  buf_add(b, "\"", 1);
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"': buf_str(b, "\\\""); break;
        case '\\': buf_str(b, "\\\\"); break;
        case '\b': buf_str(b, "\\b"); break;
        case '\f': buf_str(b, "\\f"); break;
        case '\n': buf_str(b, "\\n"); break;
        case '\r': buf_str(b, "\\r"); break;
        case '\t': buf_str(b, "\\t"); break;
        default:
          if (c < 0x20) buf_fmt(b, "\\u%04llx", c);
          else buf_add(b, &s[i], 1);
      }
      i++;
      continue;
    }
    size_t need;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      buf_add(b, fffd, 3);
      i++;
      continue;
    }
    size_t j = 1;
    for (; j <= need && i + j < n; j++) {
      unsigned d = s[i + j];
      if (d < lo || d > hi) break;
      lo = 0x80;
      hi = 0xbf;
    }
    if (j <= need) { /* a maximal invalid subpart: one U+FFFD, then the byte that broke it again */
      buf_add(b, fffd, 3);
      i += j;
      continue;
    }
    buf_add(b, &s[i], need + 1);
    i += need + 1;
  }
  buf_add(b, "\"", 1);
}

static void json_cstr(buf_t *b, const char *s) { json_str(b, (const unsigned char *)s, strlen(s)); }

static void base64(buf_t *b, const unsigned char *s, size_t n) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  buf_need(b, (n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
    char q[4] = {A[v >> 18 & 63], A[v >> 12 & 63], i + 1 < n ? A[v >> 6 & 63] : '=', i + 2 < n ? A[v & 63] : '='};
    buf_add(b, q, 4);
  }
}

/* Buffer.from(s, 'base64url'): either alphabet, anything else skipped, stops at '='. */
static buf_t unbase64(const char *s) {
  buf_t out = {0};
  unsigned v = 0;
  int bits = 0;
  for (; *s && *s != '='; s++) {
    int d;
    char c = *s;
    if (c >= 'A' && c <= 'Z') d = c - 'A';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
    else if (c >= '0' && c <= '9') d = c - '0' + 52;
    else if (c == '-' || c == '+') d = 62;
    else if (c == '_' || c == '/') d = 63;
    else continue;
    v = v << 6 | (unsigned)d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      unsigned char byte = (unsigned char)(v >> bits);
      buf_add(&out, &byte, 1);
    }
  }
  return out;
}

/* An event: ev_open("sig"), fields, ev_close() appends the time and writes it whole. */
static buf_t ev;

static void ev_open(const char *name) {
  ev.n = 0;
  buf_str(&ev, "{\"e\":");
  json_cstr(&ev, name);
}

static void ev_num(const char *key, long long v) {
  buf_str(&ev, ",\"");
  buf_str(&ev, key);
  buf_fmt(&ev, "\":%lld", v);
}

static void ev_str(const char *key, const char *v) {
  buf_str(&ev, ",\"");
  buf_str(&ev, key);
  buf_str(&ev, "\":");
  json_cstr(&ev, v);
}

static void ev_close(void) {
  buf_fmt(&ev, ",\"t\":%lld}\n", now_ms());
  /* One write, appended: a SIGKILL loses nothing already recorded; a missing directory
   * (the suite is done with us) is not an error. */
  if (report >= 0 && write(report, ev.p, ev.n) < 0) { /* ignored */ }
}

static const char *errno_name(int e) {
  switch (e) {
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case EBADF: return "EBADF";
    case EIO: return "EIO";
    case EINVAL: return "EINVAL";
    case ENOTCONN: return "ENOTCONN";
    case ENOSPC: return "ENOSPC";
    case EAGAIN: return "EAGAIN";
    case EISDIR: return "EISDIR";
    case EFAULT: return "EFAULT";
    default: return NULL;
  }
}

static void ev_errno(const char *key, int e) {
  const char *name = errno_name(e);
  if (name) ev_str(key, name);
  else {
    char t[16];
    snprintf(t, sizeof t, "E%d", e);
    ev_str(key, t);
  }
}

/* ---- the mode ---- */

#define MAX_PARTS 32
static struct {
  char *name, *value;
} parts[MAX_PARTS];
static int nparts;

static const char *mode_get(const char *name) {
  for (int i = nparts - 1; i >= 0; i--)
    if (!strcmp(parts[i].name, name)) return parts[i].value;
  return NULL;
}

static int has(const char *name) { return mode_get(name) != NULL; }

/* Number(mode.get(name)) with a default: '' is 0, as in JavaScript. */
static long long num(const char *name, long long dflt) {
  const char *v = mode_get(name);
  return v ? strtoll(v, NULL, 10) : dflt;
}

/* ---- writing ---- */

static int sigfd = -1;
static unsigned char write_failed[3];

static void finish(int code) __attribute__((noreturn));
static void finish(int code) {
  ev_open("exit");
  ev_num("code", code);
  ev_close();
  _exit(code);
}

/* Blocking write that waits out EAGAIN, so a full pipe blocks us as it would block `cat`. */
static int write_all(int fd, const void *p, size_t n) {
  const char *s = p;
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w >= 0) {
      s += w;
      n -= (size_t)w;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      struct pollfd pf = {.fd = fd, .events = POLLOUT};
      poll(&pf, 1, 2);
      continue;
    }
    if (fd >= 0 && fd < 3 && !write_failed[fd]) {
      write_failed[fd] = 1;
      ev_open("write-error");
      ev_num("fd", fd);
      ev_errno("code", errno);
      ev_close();
    }
    return 0;
  }
  return 1;
}

/* ---- signals ---- */

static int saw_pipe;

static void die_by(int sig) __attribute__((noreturn));
static void die_by(int sig) {
  signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  sigprocmask(SIG_UNBLOCK, &one, NULL);
  raise(sig);
  _exit(128 + sig);
}

static void reap(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static void on_signal(int sig) {
  if (sig == SIGCHLD) return reap();
  if (sig == SIGPIPE) {
    if (!saw_pipe) {
      ev_open("sig");
      ev_str("sig", "SIGPIPE");
      ev_close();
    }
    saw_pipe = 1;
    return;
  }
  ev_open("sig");
  ev_str("sig", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGUSR1");
  ev_close();
  if (sig == SIGTERM && has("ignoreterm")) return;
  if (sig == SIGTERM && has("termsay")) {
    buf_t say = unbase64(mode_get("termsay"));
    write_all(1, say.p, say.n);
    finish(0);
  }
  if (sig == SIGUSR1) return;
  die_by(sig);
}

static void take_signals(void) {
  struct signalfd_siginfo si;
  while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) on_signal((int)si.ssi_signo);
}

/* ---- what the probe writes ---- */

static void pattern(buf_t *out, long long n) {
  for (long long i = 0; (long long)out->n < n; i++) {
    char line[200];
    int len = snprintf(line, sizeof line, "line %07lld ", i);
    for (long long k = 0; k < i % 13; k++) len += snprintf(line + len, sizeof line - (size_t)len, "abcdefghij");
    line[len++] = '\n';
    size_t take = (size_t)len;
    if ((long long)(out->n + take) > n) take = (size_t)(n - (long long)out->n);
    buf_add(out, line, take);
  }
}

static int signal_by_name(const char *s) {
  static const struct {
    const char *name;
    int sig;
  } names[] = {{"SIGKILL", SIGKILL}, {"SIGTERM", SIGTERM}, {"SIGINT", SIGINT}, {"SIGHUP", SIGHUP},
               {"SIGSEGV", SIGSEGV}, {"SIGABRT", SIGABRT}, {"SIGQUIT", SIGQUIT}, {"SIGUSR1", SIGUSR1},
               {"SIGUSR2", SIGUSR2}, {"SIGPIPE", SIGPIPE}, {"SIGALRM", SIGALRM}, {"SIGBUS", SIGBUS},
               {"SIGFPE", SIGFPE},   {"SIGILL", SIGILL},   {"SIGTRAP", SIGTRAP}, {"SIGSYS", SIGSYS}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(names[i].name, s)) return names[i].sig;
  return 0;
}

static long long tick_every = -1, tick_next, tick_i;

static void act(void) {
  if (has("stderr")) {
    buf_t b = unbase64(mode_get("stderr"));
    write_all(2, b.p, b.n);
    free(b.p);
  }
  if (has("longline")) {
    long long n = num("longline", 0);
    char *l = malloc(n > 0 ? (size_t)n : 1);
    if (n > 0) {
      memset(l, 'y', (size_t)n);
      l[n - 1] = '\n';
      write_all(1, l, (size_t)n);
    }
    free(l);
    write_all(1, "short\n", 6);
  }
  if (has("lines")) {
    buf_t b = {0};
    pattern(&b, num("lines", 0));
    write_all(1, b.p, b.n);
    free(b.p);
  }
  if (has("print")) {
    buf_t b = unbase64(mode_get("print"));
    write_all(1, b.p, b.n);
    free(b.p);
  }
  if (has("flood")) {
    long long total = num("flood", 0), written = 0, next = 0;
    static char line[65536];
    memset(line, 'x', sizeof line);
    line[sizeof line - 1] = '\n';
    while (written < total) {
      long long n = total - written < (long long)sizeof line ? total - written : (long long)sizeof line;
      if (!write_all(1, line + sizeof line - n, (size_t)n)) break;
      written += n;
      if (written >= next) {
        ev_open("out");
        ev_num("n", written);
        ev_close();
        next += 1 << 20;
      }
    }
    ev_open("out");
    ev_num("n", written);
    buf_str(&ev, ",\"done\":true");
    ev_close();
  }
  if (has("exit")) finish((int)num("exit", 0));
  if (has("die")) {
    ev_open("die");
    ev_str("sig", mode_get("die"));
    ev_close();
    kill(getpid(), signal_by_name(mode_get("die")));
  }
  if (has("tick")) {
    tick_every = num("tick", 0);
    tick_next = mono_ms() + tick_every;
  }
}

/* ---- a hub's process (probe-hub.ts) ---- */

static buf_t held;

static void flood_line(buf_t *out, long long i, long long size, const char *prefix) {
  char head[64];
  int hn = snprintf(head, sizeof head, "%sf%07lld ", prefix, i);
  size_t len = size > hn + 1 ? (size_t)size : (size_t)hn + 1;
  out->n = 0;
  buf_need(out, len);
  memset(out->p, 'x', len);
  memcpy(out->p, head, (size_t)hn);
  out->p[len - 1] = '\n';
  out->n = len;
}

static void obey(char *line, size_t n, int addressed) {
  const char *prefix = addressed ? "* " : "";
  if (addressed) {
    if (n < 5 || memcmp(line, "line ", 5)) return;
    size_t i = 5;
    while (i < n && line[i] >= '0' && line[i] <= '9') i++;
    if (i == 5 || i >= n || line[i] != ' ') return;
    line += i + 1;
    n -= i + 1;
  }
  /* the words: line.split(' ') */
  char *copy = strndup(line, n);
  char *w[4] = {0};
  char *save = copy;
  for (int k = 0; k < 4 && save; k++) {
    w[k] = save;
    char *sp = strchr(save, ' ');
    if (sp) *sp = 0;
    save = sp ? sp + 1 : NULL;
  }
  if (!strcmp(w[0], "!exit")) finish(w[1] ? atoi(w[1]) : 0);
  if (!strcmp(w[0], "!partial")) {
    if (n > 9) write_all(1, line + 9, n - 9);
    finish(0);
  }
  if (!strcmp(w[0], "!flood")) {
    long long count = w[1] ? atoll(w[1]) : 0, size = w[2] ? atoll(w[2]) : 0, every = w[3] ? atoll(w[3]) : 0;
    long long written = 0;
    buf_t l = {0};
    for (long long i = 1; i <= count; i++) {
      flood_line(&l, i, size, prefix);
      if (!write_all(1, l.p, l.n)) break;
      written += (long long)l.n;
      if (i % 256 == 0) {
        ev_open("out");
        ev_num("n", written);
        ev_close();
      }
      if (every && i % every == 0) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
      }
    }
    free(l.p);
    char done[32];
    int dn = snprintf(done, sizeof done, "%sflood done\n", prefix);
    write_all(1, done, (size_t)dn);
    ev_open("out");
    ev_num("n", written);
    buf_str(&ev, ",\"done\":true");
    ev_close();
  } else {
    buf_t out = {0};
    buf_add(&out, line, n);
    buf_add(&out, "\n", 1);
    write_all(1, out.p, out.n);
    free(out.p);
  }
  free(copy);
}

static void hub_input(const char *chunk, size_t n, int addressed) {
  buf_add(&held, chunk, n);
  size_t start = 0;
  for (;;) {
    char *nl = memchr(held.p + start, '\n', held.n - start);
    if (!nl) break;
    size_t len = (size_t)(nl - (held.p + start));
    obey(held.p + start, len, addressed);
    start += len + 1;
  }
  memmove(held.p, held.p + start, held.n - start);
  held.n -= start;
}

/* ---- sort ---- */

static int cmp_lines(const void *a, const void *b) {
  const buf_t *x = a, *y = b;
  size_t n = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->p, y->p, n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

static void write_sorted(buf_t *all) {
  size_t count = 0, cap = 64;
  buf_t *lines = malloc(cap * sizeof *lines);
  size_t start = 0;
  while (start < all->n) {
    char *nl = memchr(all->p + start, '\n', all->n - start);
    size_t len = nl ? (size_t)(nl - (all->p + start)) : all->n - start;
    if (count == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
    lines[count++] = (buf_t){all->p + start, len, len};
    start += len + 1;
  }
  qsort(lines, count, sizeof *lines, cmp_lines);
  buf_t out = {0};
  for (size_t i = 0; i < count; i++) {
    buf_add(&out, lines[i].p, lines[i].n);
    buf_add(&out, "\n", 1);
  }
  write_all(1, out.p, out.n);
}

/* ---- main ---- */

static void record_start(int argc, char **argv, const char *mode_arg) {
  long ppid = getppid(), pgid = -1, sid = -1;
  char stat[1024];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (n > 0) {
      stat[n] = 0;
      char *close_paren = strrchr(stat, ')');
      if (close_paren) sscanf(close_paren + 2, "%*c %ld %ld %ld", &ppid, &pgid, &sid);
    }
  }
  ev_open("start");
  ev_num("pid", getpid());
  ev_num("ppid", ppid);
  ev_num("pgid", pgid);
  ev_num("sid", sid);
  ev_str("argv0", argv[0]);
  buf_str(&ev, ",\"argv\":[");
  for (int i = 1; i < argc; i++) {
    if (i > 1) buf_add(&ev, ",", 1);
    json_cstr(&ev, argv[i]);
  }
  buf_str(&ev, "],\"env\":{");
  extern char **environ;
  int first = 1;
  for (char **e = environ; *e; e++) {
    char *eq = strchr(*e, '=');
    if (!eq || eq == *e) continue;
    if (!first) buf_add(&ev, ",", 1);
    first = 0;
    json_str(&ev, (const unsigned char *)*e, (size_t)(eq - *e));
    buf_add(&ev, ":", 1);
    json_cstr(&ev, eq + 1);
  }
  buf_str(&ev, "}");
  char cwd[4096];
  ev_str("cwd", getcwd(cwd, sizeof cwd) ? cwd : "");
  ev_str("mode", mode_arg);
  ev_close();
}

int main(int argc, char **argv) {
  if (argc < 2 || !argv[1][0]) {
    static const char usage[] = "usage: hamelin-probe REPORT_DIR MODE [ARGS...]\n";
    if (write(2, usage, sizeof usage - 1) < 0) { /* nothing to do */ }
    return 64;
  }
  const char *dir = argv[1];
  const char *mode_arg = argc > 2 ? argv[2] : "echo";
  char *modes = strdup(mode_arg);
  for (char *save = NULL, *part = strtok_r(modes, "+", &save); part && nparts < MAX_PARTS; part = strtok_r(NULL, "+", &save)) {
    char *eq = strchr(part, '=');
    if (eq) *eq = 0;
    parts[nparts].name = part;
    parts[nparts++].value = eq ? eq + 1 : "";
  }

  char path[4096];
  snprintf(path, sizeof path, "%s/p%d.jsonl", dir, (int)getpid());
  report = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

  /* Signals first, then the start record: a check signals a probe as soon as it has reported,
   * and a SIGTERM before this would end it unrecorded. */
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGPIPE, SIGCHLD};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);

  record_start(argc, argv, mode_arg);

  long long life_at = mono_ms() + num("life", 90000);
  long long act_at = -1, gc_until = -1, exit_at = -1;
  char gc_report[4096] = "";

  if (has("grandchild")) {
    const char *gc_mode = has("ignoreterm") ? "gc+stay+noread+ignoreterm" : "gc+stay+noread";
    pid_t gc = fork();
    if (gc == 0) {
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) close(null);
      char *gc_argv[] = {argv[0], (char *)dir, (char *)gc_mode, NULL};
      execv("/proc/self/exe", gc_argv);
      _exit(127);
    }
    ev_open("gc");
    ev_num("pid", gc);
    ev_close();
    snprintf(gc_report, sizeof gc_report, "%s/p%d.jsonl", dir, (int)gc);
    gc_until = mono_ms() + 5000;
  } else if (num("delay", 0) > 0) act_at = mono_ms() + num("delay", 0);
  else act();

  int reading = !has("noread"), sorting = has("sort");
  int hub = has("hub"), addressed = hub && !strcmp(mode_get("hub"), "addressed");
  int echo = !sorting && !has("flood") && !has("tick") && !hub;
  long long total = 0;
  sha256_ctx hash;
  sha256_init(&hash);
  buf_t sorted = {0};
  static char chunk[65536];

  for (;;) {
    long long now = mono_ms();
    if (gc_until >= 0) {
      struct stat st;
      if (stat(gc_report, &st) == 0 || now > gc_until) {
        gc_until = -1;
        act_at = now + num("delay", 0);
      }
    }
    if (act_at >= 0 && now >= act_at) {
      act_at = -1;
      act();
    }
    if (tick_every >= 0 && now >= tick_next) {
      char t[32];
      int tn = snprintf(t, sizeof t, "tick %lld\n", tick_i++);
      write_all(1, t, (size_t)tn);
      tick_next = now + (tick_every > 0 ? tick_every : 1);
    }
    if (now >= life_at) finish(99);
    if (exit_at >= 0 && now >= exit_at) finish(0);

    long long wake = life_at;
    if (gc_until >= 0) wake = now + 5 < wake ? now + 5 : wake;
    if (act_at >= 0 && act_at < wake) wake = act_at;
    if (exit_at >= 0 && exit_at < wake) wake = exit_at;
    if (tick_every >= 0 && tick_next < wake) wake = tick_next;
    struct pollfd pf[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    int r = poll(pf, reading ? 2 : 1, (int)(wake > now ? wake - now : 0));
    if (r < 0 && errno != EINTR) _exit(71);
    if (pf[0].revents) take_signals();
    if (!reading || !pf[1].revents) continue;

    ssize_t n = read(0, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      ev_open("stdin-error");
      ev_errno("code", errno);
      ev_close();
      reading = 0;
      continue;
    }
    if (n == 0) {
      reading = 0;
      unsigned char digest[32];
      sha256_final(&hash, digest);
      ev_open("eof");
      ev_num("total", total);
      buf_str(&ev, ",\"sha256\":\"");
      for (int i = 0; i < 32; i++) buf_fmt(&ev, "%02llx", digest[i]);
      buf_str(&ev, "\"");
      ev_close();
      if (sorting) write_sorted(&sorted);
      if (!has("stay") && !has("tick")) {
        if (num("linger", 0) <= 0) finish(0);
        exit_at = mono_ms() + num("linger", 0);
      }
      continue;
    }
    total += n;
    sha256_update(&hash, (const unsigned char *)chunk, (size_t)n);
    /* Bytes are reported in full for the first MiB; after that, lengths and a digest. */
    ev_open("in");
    if (total <= 1 << 20) {
      buf_str(&ev, ",\"b64\":\"");
      base64(&ev, (const unsigned char *)chunk, (size_t)n);
      buf_str(&ev, "\"");
    } else ev_num("n", n);
    ev_close();
    if (sorting) buf_add(&sorted, chunk, (size_t)n);
    else if (echo) write_all(1, chunk, (size_t)n);
    else if (hub) hub_input(chunk, (size_t)n, addressed);
  }
}
