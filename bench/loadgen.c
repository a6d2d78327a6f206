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
 *   loadgen http-churn HOST PORT CONC SECONDS the same as churn over HTTP/1.1: one POST of one line
 *                                            with Connection: close, its answer read to the end
 *                                            (it must be a 200 that carries the line back), close
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
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clientlib.h"

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

/* Bytes read past the 101 response or past a frame, for the next frame. One per thread. */
struct wsbuf {
  unsigned char b[4096];
  size_t len;
};

static int ws_fill(int fd, struct wsbuf *w, size_t want) {
  while (w->len < want) {
    ssize_t r = read(fd, w->b + w->len, sizeof w->b - w->len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    w->len += (size_t)r;
  }
  return 0;
}

static void ws_consume(struct wsbuf *w, size_t n) {
  memmove(w->b, w->b + n, w->len - n);
  w->len -= n;
}

static int ws_handshake(int fd, struct wsbuf *w) {
  char req[256];
  int n = snprintf(req, sizeof req,
                   "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   ntohs(addr.sin_port));
  if (write_all(fd, req, (size_t)n) < 0) return -1;
  w->len = 0;
  for (;;) {
    if (w->len == sizeof w->b) return -1;
    ssize_t r = read(fd, w->b + w->len, sizeof w->b - w->len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    w->len += (size_t)r;
    unsigned char *end = memmem(w->b, w->len, "\r\n\r\n", 4);
    if (!end) continue;
    if (w->len < 12 || memcmp(w->b, "HTTP/1.1 101", 12) != 0) return -1;
    ws_consume(w, (size_t)(end + 4 - w->b));
    return 0;
  }
}

/* One masked frame from the client (RFC 6455 5.3); payloads here are under 126 bytes. */
static int ws_send(int fd, int opcode, const char *p, size_t n) {
  unsigned char f[6 + 125];
  static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (n > 125) return -1;
  f[0] = (unsigned char)(0x80 | opcode);
  f[1] = (unsigned char)(0x80 | n);
  memcpy(f + 2, key, 4);
  for (size_t i = 0; i < n; i++) f[6 + i] = (unsigned char)p[i] ^ key[i % 4];
  return write_all(fd, (const char *)f, 6 + n);
}

/* Read one whole frame; returns its opcode, or -1. */
static int ws_read_frame(int fd, struct wsbuf *w) {
  if (ws_fill(fd, w, 2) < 0) return -1;
  int opcode = w->b[0] & 0x0f;
  uint64_t len = w->b[1] & 0x7f;
  size_t head = 2;
  if (len == 126) {
    if (ws_fill(fd, w, 4) < 0) return -1;
    len = ((uint64_t)w->b[2] << 8) | w->b[3];
    head = 4;
  } else if (len == 127) {
    if (ws_fill(fd, w, 10) < 0) return -1;
    len = 0;
    for (int i = 0; i < 8; i++) len = (len << 8) | w->b[2 + i];
    head = 10;
  }
  if (w->b[1] & 0x80) head += 4; /* a server never masks, but skip a key if one is there */
  if (ws_fill(fd, w, head) < 0) return -1;
  ws_consume(w, head);
  while (len > 0) { /* payloads are not looked at, only counted */
    if (w->len == 0 && ws_fill(fd, w, 1) < 0) return -1;
    size_t take = w->len < len ? w->len : (size_t)len;
    ws_consume(w, take);
    len -= take;
  }
  return opcode;
}

/* The next text (or binary) message, skipping pings and pongs. */
static int ws_read_message(int fd, struct wsbuf *w) {
  for (;;) {
    int op = ws_read_frame(fd, w);
    if (op == 1 || op == 2) return 0;
    if (op == 8 || op < 0) return -1;
  }
}

/* Our close frame (1000), then wait for the server's close and the end of TCP. */
static int ws_close(int fd, struct wsbuf *w) {
  static const char code[2] = {0x03, (char)0xe8};
  if (ws_send(fd, 8, code, 2) < 0) return -1;
  for (;;) {
    int op = ws_read_frame(fd, w);
    if (op < 0) return 0; /* the TCP close */
    if (op == 8) {
      char c;
      while (read(fd, &c, 1) > 0) {
      }
      return 0;
    }
  }
}

/* One churn connection over WebSocket; 0 when it went through. */
static int ws_session(int fd) {
  struct wsbuf w;
  if (ws_handshake(fd, &w) < 0) return -1;
  if (ws_send(fd, 1, "hello", 5) < 0 || ws_read_message(fd, &w) < 0) return -1;
  return ws_close(fd, &w);
}

/* One churn connection over HTTP: POST one line to a daemon running `cat`, read the answer until
 * the server closes (Connection: close), and check it is a 200 with the line in its body. The
 * answer is small (headers, one chunk, the trailer), so a fixed buffer holds all of it. */
static int http_session(int fd) {
  static const char body[] = "hello hamelin\n";
  char req[256];
  int n = snprintf(req, sizeof req,
                   "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s",
                   ntohs(addr.sin_port), sizeof body - 1, body);
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

static int ws_latency(int count) {
  int fd = dial();
  struct wsbuf w;
  if (fd < 0 || ws_handshake(fd, &w) < 0) {
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

static void *churn_thread(void *arg) {
  struct churn_slot *s = arg;
  static const char line[] = "hello hamelin\n";
  while (now_ms() < s->deadline) {
    double t0 = now_ms();
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
    if (s->ok == s->cap) {
      s->cap = s->cap ? s->cap * 2 : 4096;
      s->lat = realloc(s->lat, s->cap * sizeof(double));
    }
    s->lat[s->ok++] = now_ms() - t0;
  }
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
         http_mode ? "http-churn" : ws_mode ? "ws-churn" : "churn", conc, ok, errors, elapsed, ok * 1e3 / elapsed, pct(all, ok, 0.5), pct(all, ok, 0.9), pct(all, ok, 0.99));
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

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: loadgen churn|latency|throughput|idle|ws-churn|ws-latency|http-churn HOST PORT ARG [SECONDS]\n");
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
  if (!strcmp(mode, "http-churn")) {
    http_mode = 1;
    return churn(atoi(argv[4]), argc > 5 ? atof(argv[5]) : 3.0);
  }
  fprintf(stderr, "loadgen: unknown mode %s\n", mode);
  return 2;
}
