/*
 * The bench's load client, compiled by `npm run bench` with `cc -O2 -pthread`.
 *
 * Why C: the churn figures of the fastest peer (tcpserver -RHl0: ~640 conn/s at c=1, ~1,300 at
 * c=8 on the 2-core CI machine) must not be capped by the client. A Node client spends most of
 * a core on its own event loop at those rates and shares the 2 cores with the daemon under
 * test, so it measures itself; a thread per connection slot in C costs a few microseconds per
 * connection.
 *
 *   loadgen churn HOST PORT CONC SECONDS     connect, one line, read its echo, close; CONC threads
 *   loadgen latency HOST PORT COUNT          COUNT round trips of one line on one open connection
 *   loadgen throughput HOST PORT MEGABYTES   send MB of 100-byte lines through one connection,
 *                                            read them all back, then close
 *   loadgen idle HOST PORT COUNT             open COUNT connections, each answers one line (so
 *                                            its child is running), print "ready", hold them until
 *                                            stdin ends, then close them
 *   loadgen ws-churn HOST PORT CONC SECONDS  the same as churn over WebSocket: handshake, one text
 *                                            message, its echo, then the closing handshake (our
 *                                            close frame, the server's, the TCP close)
 *   loadgen ws-latency HOST PORT COUNT       COUNT round trips of one text message
 *   loadgen http-churn HOST PORT CONC SECONDS [PATH]
 *                                            the same as churn over HTTP/1.1: one POST of one line
 *                                            to PATH (default /) with Connection: close, its answer
 *                                            read to the end (it must be a 200 that carries the
 *                                            line back), close
 *   loadgen http-ka HOST PORT CONC SECONDS [PATH [TEXT]]
 *                                            GETs of PATH on CONC keep-alive connections, each
 *                                            answer (a 200 with a Content-Length or chunked body,
 *                                            holding TEXT if given) read to its end before the
 *                                            next request; a server that closes is dialled again
 *
 * The WebSocket modes speak just enough RFC 6455 for an echo server: a fixed key, masked text
 * frames of under 126 bytes out, unmasked frames of any length in. They exist so that the ws
 * rows, like the net ones, do not measure a Node client sharing the 2 cores.
 *
 * Every mode prints one JSON object on stdout. Times are in milliseconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clientlib.h"
#include "wsclient.h"

static struct sockaddr_in addr;

static int dial(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Read until a newline arrives; 0 on success. */
static int read_line(int fd) {
  char buf[256];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    if (memchr(buf, '\n', (size_t)r)) return 0;
  }
}

/* ---- WebSocket (the ws-* modes) ---- */
static int ws_mode;
/* http-churn: the churn loop, one HTTP request per connection */
static int http_mode;

/* One churn connection over WebSocket; 0 when it went through. */
static int ws_session(int fd) {
  struct wsbuf w;
  if (ws_handshake(fd, &w, ntohs(addr.sin_port)) < 0) return -1;
  if (ws_send(fd, 1, "hello", 5) < 0 || ws_read_message(fd, &w) < 0) return -1;
  return ws_close(fd, &w);
}

/* One churn connection over HTTP: POST one line to a daemon running `cat`, read the answer until
 * the server closes (Connection: close), and check it is a 200 with the line in its body. The
 * answer is small (headers, one chunk, the trailer), so a fixed buffer holds all of it. */
static const char *http_path = "/";
static int http_session(int fd) {
  static const char body[] = "hello hamelin\n";
  char req[512];
  int n = snprintf(req, sizeof req,
                   "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s",
                   http_path, ntohs(addr.sin_port), sizeof body - 1, body);
  if (n < 0 || (size_t)n >= sizeof req) return -1;
  if (write_all(fd, req, (size_t)n) < 0) return -1;
  char buf[4096];
  size_t len = 0;
  for (;;) {
    if (len == sizeof buf) return -1;
    ssize_t r = read(fd, buf + len, sizeof buf - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    len += (size_t)r;
  }
  if (len < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) return -1;
  return memmem(buf, len, body, sizeof body - 1) ? 0 : -1;
}

/* http-ka: one GET on an open connection, its answer read to the end. Returns 0 when it was a
 * 200 and the connection may carry the next request, 1 when it was a 200 but the server closes,
 * -1 on anything else. Bodies are small (a one-line script), so one buffer holds the answer. */
static int http_ka_mode;
static const char *http_expect; /* http-ka: text the body must hold */
static int http_ka_get(int fd) {
  char req[256];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", http_path, ntohs(addr.sin_port));
  if (n < 0 || (size_t)n >= sizeof req || write_all(fd, req, (size_t)n) < 0) return -1;
  char buf[8192];
  size_t len = 0;
  char *body = NULL;
  for (;;) {
    if (len == sizeof buf - 1) return -1;
    ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    len += (size_t)r;
    buf[len] = 0;
    if (!body) {
      char *e = strstr(buf, "\r\n\r\n");
      if (!e) continue;
      body = e + 4;
      if (memcmp(buf, "HTTP/1.1 200", 12) != 0) return -1;
    }
    size_t have = len - (size_t)(body - buf);
    char *cl = strcasestr(buf, "\r\ncontent-length:");
    if (cl && cl < body) {
      if (have < strtoul(cl + 17, NULL, 10)) continue;
    } else {
      /* chunked: walk the chunks; done at the zero chunk's trailer section end */
      char *p = body, *end = buf + len;
      int done = 0;
      for (;;) {
        char *nl = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!nl) break;
        size_t size = strtoul(p, NULL, 16);
        if (size == 0) {
          done = memmem(nl, (size_t)(end - nl), "\r\n\r\n", 4) != NULL; /* the trailer section's end */
          break;
        }
        if ((size_t)(end - nl) < 2 + size + 2) break;
        p = nl + 2 + size + 2;
      }
      if (!done) continue;
    }
    if (http_expect && !memmem(body, (size_t)(buf + len - body), http_expect, strlen(http_expect))) return -1;
    char *conn = strcasestr(buf, "\r\nconnection: close");
    return conn && conn < body ? 1 : 0;
  }
}

static int ws_latency(int count) {
  int fd = dial();
  struct wsbuf w;
  if (fd < 0 || ws_handshake(fd, &w, ntohs(addr.sin_port)) < 0) {
    fprintf(stderr, "loadgen: WebSocket handshake failed\n");
    return 1;
  }
  static const char msg[] = "ping 0123456789 abcdefghijklmnopqrstuvwxyz";
  double *lat = malloc((size_t)count * sizeof(double));
  for (int i = 0; i < 20; i++) /* warm-up: the child may still be starting */
    if (ws_send(fd, 1, msg, sizeof msg - 1) < 0 || ws_read_message(fd, &w) < 0) return 1;
  for (int i = 0; i < count; i++) {
    double t0 = now_ms();
    if (ws_send(fd, 1, msg, sizeof msg - 1) < 0 || ws_read_message(fd, &w) < 0) {
      fprintf(stderr, "loadgen: connection lost after %d round trips\n", i);
      return 1;
    }
    lat[i] = now_ms() - t0;
  }
  ws_close(fd, &w);
  close(fd);
  qsort(lat, (size_t)count, sizeof(double), cmp_double);
  printf("{\"mode\":\"ws-latency\",\"count\":%d,\"p50_ms\":%.4f,\"p99_ms\":%.4f}\n", count, pct(lat, (size_t)count, 0.5),
         pct(lat, (size_t)count, 0.99));
  return 0;
}

/* ---- churn ---- */
struct churn_slot {
  pthread_t t;
  double deadline;
  size_t ok, errors, cap;
  double *lat;
};

/* One connection (or keep-alive request) done: its latency kept for the percentiles. */
static void record(struct churn_slot *s, double t0) {
  if (s->ok == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 4096;
    s->lat = realloc(s->lat, s->cap * sizeof(double));
  }
  s->lat[s->ok++] = now_ms() - t0;
}

static void *churn_thread(void *arg) {
  struct churn_slot *s = arg;
  static const char line[] = "hello hamelin\n";
  int kept = -1; /* http-ka: the open connection */
  while (now_ms() < s->deadline) {
    double t0 = now_ms();
    if (http_ka_mode) {
      if (kept < 0) kept = dial();
      int r = kept < 0 ? -1 : http_ka_get(kept);
      if (r != 0 && kept >= 0) {
        close(kept);
        kept = -1;
      }
      if (r < 0) {
        s->errors++;
        usleep(1000);
        continue;
      }
      record(s, t0);
      continue;
    }
    int fd = dial();
    if (fd < 0) {
      s->errors++;
      usleep(1000);
      continue;
    }
    if (http_mode ? http_session(fd) < 0 : ws_mode ? ws_session(fd) < 0 : write_all(fd, line, sizeof line - 1) < 0 || read_line(fd) < 0) {
      s->errors++;
      close(fd);
      continue;
    }
    close(fd);
    record(s, t0);
  }
  if (kept >= 0) close(kept);
  return NULL;
}

static int churn(int conc, double seconds) {
  struct churn_slot *slots = calloc((size_t)conc, sizeof *slots);
  double start = now_ms();
  for (int i = 0; i < conc; i++) {
    slots[i].deadline = start + seconds * 1e3;
    pthread_create(&slots[i].t, NULL, churn_thread, &slots[i]);
  }
  size_t ok = 0, errors = 0;
  for (int i = 0; i < conc; i++) {
    pthread_join(slots[i].t, NULL);
    ok += slots[i].ok;
    errors += slots[i].errors;
  }
  double elapsed = now_ms() - start;
  double *all = malloc((ok ? ok : 1) * sizeof(double));
  size_t k = 0;
  for (int i = 0; i < conc; i++)
    for (size_t j = 0; j < slots[i].ok; j++) all[k++] = slots[i].lat[j];
  qsort(all, ok, sizeof(double), cmp_double);
  printf("{\"mode\":\"%s\",\"concurrency\":%d,\"connections\":%zu,\"errors\":%zu,\"elapsed_ms\":%.1f,"
         "\"per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f}\n",
         http_ka_mode ? "http-ka" : http_mode ? "http-churn" : ws_mode ? "ws-churn" : "churn", conc, ok, errors, elapsed, ok * 1e3 / elapsed, pct(all, ok, 0.5), pct(all, ok, 0.9), pct(all, ok, 0.99));
  return ok > 0 ? 0 : 1;
}

/* ---- latency ---- */
static int latency(int count) {
  int fd = dial();
  if (fd < 0) {
    perror("loadgen: connect");
    return 1;
  }
  static const char line[] = "ping 0123456789 abcdefghijklmnopqrstuvwxyz\n";
  double *lat = malloc((size_t)count * sizeof(double));
  /* warm-up: the child may still be starting */
  for (int i = 0; i < 20; i++)
    if (write_all(fd, line, sizeof line - 1) < 0 || read_line(fd) < 0) return 1;
  for (int i = 0; i < count; i++) {
    double t0 = now_ms();
    if (write_all(fd, line, sizeof line - 1) < 0 || read_line(fd) < 0) {
      fprintf(stderr, "loadgen: connection lost after %d round trips\n", i);
      return 1;
    }
    lat[i] = now_ms() - t0;
  }
  close(fd);
  qsort(lat, (size_t)count, sizeof(double), cmp_double);
  printf("{\"mode\":\"latency\",\"count\":%d,\"p50_ms\":%.4f,\"p99_ms\":%.4f}\n", count, pct(lat, (size_t)count, 0.5),
         pct(lat, (size_t)count, 0.99));
  return 0;
}

/* ---- throughput ---- */
struct tp {
  int fd;
  size_t total;
};

static void *tp_writer(void *arg) {
  struct tp *t = arg;
  char block[65500];
  /* 655 lines of 100 bytes (99 + newline) */
  for (size_t i = 0; i < sizeof block; i++) block[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
  size_t sent = 0;
  while (sent < t->total) {
    size_t n = t->total - sent < sizeof block ? t->total - sent : sizeof block;
    if (write_all(t->fd, block, n) < 0) break;
    sent += n;
  }
  /* no shutdown(SHUT_WR) here: ncat --exec drops the output of a half-closed connection */
  return NULL;
}

static int throughput(double megabytes) {
  int fd = dial();
  if (fd < 0) {
    perror("loadgen: connect");
    return 1;
  }
  /* a relay that deadlocks (ncat --exec does, when the client writes faster than it reads
     back) must end the run, not hang it: give up after 3 s without a byte */
  struct timeval tv = {3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct tp t = {fd, (size_t)(megabytes * 1e6)};
  t.total -= t.total % 65500; /* whole lines */
  double t0 = now_ms();
  pthread_t w;
  pthread_create(&w, NULL, tp_writer, &t);
  static char buf[1 << 17];
  size_t got = 0;
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
    if (got >= t.total) break;
  }
  double elapsed = now_ms() - t0;
  if (got < t.total) shutdown(fd, SHUT_RDWR); /* unblock the writer */
  pthread_join(w, NULL);
  close(fd);
  printf("{\"mode\":\"throughput\",\"bytes\":%zu,\"received\":%zu,\"elapsed_ms\":%.1f,\"mb_per_s\":%.1f}\n", t.total, got,
         elapsed, got / 1e6 / (elapsed / 1e3));
  return got == t.total ? 0 : 1;
}

/* ---- idle ---- */
static int idle(int count) {
  raise_nofile(count);
  int *fds = malloc((size_t)count * sizeof(int));
  int open_ok = 0;
  double t0 = now_ms();
  static const char line[] = "idle\n";
  /* one at a time: a burst of connects overflows small listen backlogs (socat's is 5) and
     the dropped SYNs cost 1 s retransmits, which would measure the kernel, not the daemon */
  int answered = 0;
  for (int i = 0; i < count; i++) {
    int fd = dial();
    if (fd < 0) break;
    fds[open_ok++] = fd;
    if (write_all(fd, line, sizeof line - 1) < 0 || read_line(fd) < 0) break;
    answered++;
  }
  printf("{\"mode\":\"idle\",\"requested\":%d,\"open\":%d,\"answered\":%d,\"setup_ms\":%.1f}\n", count, open_ok, answered,
         now_ms() - t0);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (int i = 0; i < open_ok; i++) close(fds[i]);
  return answered == count ? 0 : 1;
}

/* ---- ws-pipelined ---- */
struct pl_writer {
  int fd;
  const unsigned char *buf;
  size_t len;
};

static void *pl_write(void *arg) {
  struct pl_writer *pw = arg;
  write_all(pw->fd, pw->buf, pw->len);
  return NULL;
}

/*
 * COUNT text messages ("<i> " and 40 x's) sent at once on a fresh connection, by a writer
 * thread while this one counts the echoes, as the bench's Node `ws` client did (its send()
 * never blocks): the time from the first byte sent to the last echo, or, after LIMIT_MS, the
 * run is incomplete ("complete":0). Reading and writing at once is what lets a daemon that
 * applies backpressure finish at all. Then the closing handshake, at most 2 s of it.
 * Exit 0 when the run took place, complete or not; 1 when the connection or upgrade failed.
 */
static int ws_pipelined(int count, double limit_ms) {
  signal(SIGPIPE, SIG_IGN); /* an incomplete run ends with the writer cut off */
  int fd = dial();
  struct wsbuf w;
  if (fd < 0 || ws_handshake(fd, &w, ntohs(addr.sin_port)) < 0) {
    fprintf(stderr, "loadgen: WebSocket handshake failed\n");
    return 1;
  }
  /* every frame built before the clock starts: the client's own work is not the daemon's */
  unsigned char *buf = malloc((size_t)count * (6 + 64));
  size_t len = 0;
  uint64_t expected = 0;
  for (int i = 0; i < count; i++) {
    char msg[64];
    int n = snprintf(msg, sizeof msg, "%d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);
    len += ws_frame(buf + len, 1, msg, (size_t)n);
    expected += (uint64_t)n;
  }
  struct wscount c = {0};
  ws_count(&c, w.b, w.len);
  double t0 = now_ms(), deadline = t0 + limit_ms;
  struct pl_writer pw = {fd, buf, len};
  pthread_t writer;
  pthread_create(&writer, NULL, pl_write, &pw);
  static unsigned char rb[1 << 16];
  while (c.messages < count && !c.closed) {
    int wait = (int)(deadline - now_ms());
    if (wait <= 0) break;
    struct pollfd p = {fd, POLLIN, 0};
    int k = poll(&p, 1, wait);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    ssize_t r = read(fd, rb, sizeof rb);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    ws_count(&c, rb, (size_t)r);
  }
  double elapsed = now_ms() - t0;
  int complete = c.messages == count;
  if (!complete) shutdown(fd, SHUT_RDWR); /* unblock the writer */
  pthread_join(writer, NULL);
  if (complete) {
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    w.len = 0;
    ws_close(fd, &w);
  }
  close(fd);
  free(buf);
  printf("{\"mode\":\"ws-pipelined\",\"messages\":%d,\"received\":%ld,\"bytes_expected\":%llu,\"bytes_received\":%llu,"
         "\"complete\":%d,\"elapsed_ms\":%.1f,\"per_s\":%.1f}\n",
         count, c.messages, (unsigned long long)expected, (unsigned long long)c.bytes, complete, elapsed,
         complete ? count * 1e3 / elapsed : 0.0);
  return 0;
}

/* ---- ws-idle ---- */
enum { IC_CONNECTING, IC_UPGRADING, IC_ECHO, IC_HELD, IC_CLOSING, IC_DONE };

struct iconn {
  int fd, state;
  char head[1024];
  size_t hlen;
  struct wscount c;
};

#define IDLE_WINDOW 50        /* connections being opened at once, as the Node client's batches */
#define IDLE_STALL_MS 15000.0 /* no connection got further for this long: give up */
#define STDIN_TAG UINT32_MAX

static void ic_drop(int ep, struct iconn *ic) {
  epoll_ctl(ep, EPOLL_CTL_DEL, ic->fd, NULL);
  close(ic->fd);
  ic->state = IC_DONE;
}

/* Read what is there; -1 when the connection ended (EOF, error, a close frame). */
static int ic_read(struct iconn *ic) {
  unsigned char b[2048];
  for (;;) {
    ssize_t r = read(ic->fd, b, sizeof b);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return ic->c.closed ? -1 : 0;
    if (r <= 0) return -1;
    size_t off = 0;
    if (ic->state == IC_UPGRADING) {
      size_t take = sizeof ic->head - ic->hlen < (size_t)r ? sizeof ic->head - ic->hlen : (size_t)r;
      memcpy(ic->head + ic->hlen, b, take);
      ic->hlen += take;
      char *end = memmem(ic->head, ic->hlen, "\r\n\r\n", 4);
      if (!end) {
        if (ic->hlen == sizeof ic->head) return -1;
        continue;
      }
      if (ic->hlen < 12 || memcmp(ic->head, "HTTP/1.1 101", 12) != 0) return -1;
      size_t after = ic->hlen - (size_t)(end + 4 - ic->head); /* frame bytes read with the head */
      off = take - after;
      ic->state = IC_ECHO;
      static const char msg[] = "idle";
      if (ws_send(ic->fd, 1, msg, sizeof msg - 1) < 0) return -1;
    }
    ws_count(&ic->c, b + off, (size_t)r - off);
    /* a held connection answers pings, as a browser does: a daemon that pings (hamelin-ws's
     * --ping-interval, 30 s by default) drops a peer that misses a pong, and opening 10,000
     * takes longer than that */
    if (ic->c.ping_owed) {
      ic->c.ping_owed = 0;
      if (ws_send(ic->fd, 10, (const char *)ic->c.ping, ic->c.ping_len) < 0) return -1;
    }
  }
}

/*
 * COUNT WebSocket connections, at most 50 being opened at once; each sends one message and
 * waits for its echo, so its child is running. Then one JSON line, and the connections are
 * held in one epoll set (a few hundred bytes each here) until stdin ends, watching for any the
 * daemon drops; then each sends its close frame and waits up to 5 s for the server's, and a
 * second JSON line says how many were dropped while held.
 */
static int ws_idle(int count) {
  signal(SIGPIPE, SIG_IGN);
  raise_nofile(count);
  struct iconn *cs = calloc((size_t)count, sizeof *cs);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  char req[256];
  int reqlen = ws_request(req, sizeof req, ntohs(addr.sin_port));
  int next = 0, inflight = 0, answered = 0, failed = 0;
  double t0 = now_ms(), progress = t0;
  struct epoll_event evs[256];
  while (answered + failed < count) {
    while (inflight < IDLE_WINDOW && next < count) {
      struct iconn *ic = &cs[next];
      ic->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(ic->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (ic->fd < 0 || (connect(ic->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS)) {
        if (ic->fd >= 0) close(ic->fd);
        ic->state = IC_DONE;
        failed++;
        next++;
        continue;
      }
      ic->state = IC_CONNECTING;
      struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)next};
      epoll_ctl(ep, EPOLL_CTL_ADD, ic->fd, &ev);
      inflight++;
      next++;
    }
    if (now_ms() - progress > IDLE_STALL_MS) break;
    int k = epoll_wait(ep, evs, 256, 1000);
    for (int e = 0; e < k; e++) {
      struct iconn *ic = &cs[evs[e].data.u32];
      int bad = 0;
      if (ic->state == IC_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(ic->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        /* the request is small: a fresh socket takes it whole */
        if (err || write(ic->fd, req, (size_t)reqlen) != reqlen) bad = 1;
        else {
          ic->state = IC_UPGRADING;
          struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[e].data.u32};
          epoll_ctl(ep, EPOLL_CTL_MOD, ic->fd, &ev);
        }
      } else if (ic_read(ic) < 0) bad = 1;
      if (bad) {
        ic_drop(ep, ic);
        failed++;
        inflight--;
        progress = now_ms();
      } else if (ic->state == IC_ECHO && ic->c.messages >= 1) {
        ic->state = IC_HELD;
        answered++;
        inflight--;
        progress = now_ms();
      }
    }
  }
  printf("{\"mode\":\"ws-idle\",\"requested\":%d,\"answered\":%d,\"failed\":%d,\"setup_ms\":%.1f}\n", count, answered, failed,
         now_ms() - t0);
  fflush(stdout);

  /* hold: until stdin ends, a connection that becomes readable is one the daemon may drop */
  struct epoll_event sev = {.events = EPOLLIN, .data.u32 = STDIN_TAG};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);
  int dropped = 0, holding = 1;
  while (holding) {
    int k = epoll_wait(ep, evs, 256, -1);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) break;
    for (int e = 0; e < k; e++) {
      if (evs[e].data.u32 == STDIN_TAG) {
        char b[256];
        if (read(0, b, sizeof b) <= 0) holding = 0;
        continue;
      }
      struct iconn *ic = &cs[evs[e].data.u32];
      if (ic->state != IC_DONE && ic_read(ic) < 0) {
        if (ic->state == IC_HELD) dropped++;
        ic_drop(ep, ic);
      }
    }
  }
  epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);

  /* release: the closing handshake on each, at most 5 s for all */
  static const char code[2] = {0x03, (char)0xe8};
  int closing = 0, clean = 0;
  for (int i = 0; i < count; i++) {
    if (cs[i].state == IC_DONE) continue;
    if (ws_send(cs[i].fd, 8, code, 2) < 0) {
      ic_drop(ep, &cs[i]);
      continue;
    }
    cs[i].state = IC_CLOSING;
    closing++;
  }
  double until = now_ms() + 5000;
  while (closing > 0 && now_ms() < until) {
    int k = epoll_wait(ep, evs, 256, 200);
    for (int e = 0; e < k; e++) {
      struct iconn *ic = &cs[evs[e].data.u32];
      if (ic->state == IC_CLOSING && ic_read(ic) < 0) {
        if (ic->c.closed) clean++;
        ic_drop(ep, ic);
        closing--;
      }
    }
  }
  for (int i = 0; i < count; i++)
    if (cs[i].state != IC_DONE) close(cs[i].fd);
  printf("{\"mode\":\"ws-idle-released\",\"dropped\":%d,\"closed_by_server\":%d,\"left_open\":%d}\n", dropped, clean, closing);
  return answered == count && dropped == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: loadgen churn|latency|throughput|idle|ws-churn|ws-latency|ws-pipelined|ws-idle|http-churn|http-ka HOST PORT ARG [SECONDS]\n");
    return 2;
  }
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) {
    fprintf(stderr, "loadgen: bad IPv4 address %s\n", argv[2]);
    return 2;
  }
  const char *mode = argv[1];
  if (!strcmp(mode, "churn")) return churn(atoi(argv[4]), argc > 5 ? atof(argv[5]) : 3.0);
  if (!strcmp(mode, "latency")) return latency(atoi(argv[4]));
  if (!strcmp(mode, "throughput")) return throughput(atof(argv[4]));
  if (!strcmp(mode, "idle")) return idle(atoi(argv[4]));
  if (!strcmp(mode, "ws-churn")) {
    ws_mode = 1;
    return churn(atoi(argv[4]), argc > 5 ? atof(argv[5]) : 3.0);
  }
  if (!strcmp(mode, "ws-latency")) return ws_latency(atoi(argv[4]));
  if (!strcmp(mode, "ws-pipelined")) return ws_pipelined(atoi(argv[4]), argc > 5 ? atof(argv[5]) : 15000.0);
  if (!strcmp(mode, "ws-idle")) return ws_idle(atoi(argv[4]));
  if (!strcmp(mode, "http-churn")) {
    http_mode = 1;
    if (argc > 6) http_path = argv[6];
    return churn(atoi(argv[4]), argc > 5 ? atof(argv[5]) : 3.0);
  }
  if (!strcmp(mode, "http-ka")) {
    http_ka_mode = 1;
    if (argc > 6) http_path = argv[6];
    if (argc > 7) http_expect = argv[7];
    return churn(atoi(argv[4]), argc > 5 ? atof(argv[5]) : 3.0);
  }
  fprintf(stderr, "loadgen: unknown mode %s\n", mode);
  return 2;
}
