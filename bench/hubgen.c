/*
 * The hub rows' load client (bench/suites/hub.ts), compiled with `cc -O2`. C for the reason
 * loadgen.c gives: 10,000 WebSocket clients in a Node process would take the cores the daemon
 * under test needs, and measure themselves.
 *
 *   hubgen ws-hold HOST PORT N         open N WebSocket connections one after another, print one
 *                                      JSON line, then obey stdin: "fanout R" runs R rounds in which
 *                                      connection 0 sends a message and the time until all N have
 *                                      a message is taken (the daemon serves `cat` as a broadcast
 *                                      hub); at the end of stdin, close everything
 *   hubgen ws-fanin HOST PORT N LINES  N connections each send LINES messages; the hub's child
 *                                      prints "done" when it has read them all; the time from
 *                                      the first send to "done" at connection 0
 *
 * Just enough RFC 6455: a fixed key, masked text frames of under 126 bytes out, frames of under
 * 126 bytes in (what a hub relays here). Every result is one JSON line on stdout; times in ms.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clientlib.h"

static struct sockaddr_in addr;

/* Connect and upgrade; the fd, or -1. Nothing after the 101 head is expected yet. */
static int ws_open(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) goto fail;
  char req[256];
  int n = snprintf(req, sizeof req,
                   "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   ntohs(addr.sin_port));
  if (write_all(fd, req, (size_t)n) < 0) goto fail;
  char head[1024];
  size_t len = 0;
  for (;;) {
    /* byte by byte: the head must not swallow a frame that follows it */
    ssize_t r = read(fd, head + len, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || ++len == sizeof head) goto fail;
    if (len >= 4 && !memcmp(head + len - 4, "\r\n\r\n", 4)) break;
  }
  if (len < 12 || memcmp(head, "HTTP/1.1 101", 12)) goto fail;
  return fd;
fail:
  close(fd);
  return -1;
}

static int ws_send(int fd, const char *p, size_t n) {
  unsigned char f[6 + 125];
  static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (n > 125) return -1;
  f[0] = 0x81;
  f[1] = (unsigned char)(0x80 | n);
  memcpy(f + 2, key, 4);
  for (size_t i = 0; i < n; i++) f[6 + i] = (unsigned char)p[i] ^ key[i % 4];
  return write_all(fd, f, 6 + n);
}

/* Per connection: bytes of a frame not yet whole, and text messages seen. */
struct conn {
  int fd;
  unsigned char b[256];
  size_t len;
  long messages;
  int done; /* ws-fanin: the message "done" came */
};

/* Read what is there; count whole text frames. -1 when the connection is gone. */
static int drain_conn(struct conn *c) {
  for (;;) {
    ssize_t r = read(c->fd, c->b + c->len, sizeof c->b - c->len);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (r <= 0) return -1;
    c->len += (size_t)r;
    for (;;) {
      if (c->len < 2) break;
      size_t plen = c->b[1] & 0x7f;
      if (plen >= 126) return -1; /* not what these rows relay */
      if (c->len < 2 + plen) break;
      int op = c->b[0] & 0x0f;
      if (op == 1) {
        c->messages++;
        if (plen == 4 && !memcmp(c->b + 2, "done", 4)) c->done = 1;
      }
      if (op == 8) return -1;
      memmove(c->b, c->b + 2 + plen, c->len - 2 - plen);
      c->len -= 2 + plen;
    }
  }
}

static struct conn *open_all(int n, int *open_ok, double *setup_ms) {
  raise_nofile(n);
  struct conn *cs = calloc((size_t)n, sizeof *cs);
  double t0 = now_ms();
  int k = 0;
  for (; k < n; k++) {
    cs[k].fd = ws_open();
    if (cs[k].fd < 0) break;
  }
  *open_ok = k;
  *setup_ms = now_ms() - t0;
  return cs;
}

static int epoll_all(struct conn *cs, int n) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < n; i++) {
    fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
  }
  return ep;
}

/* Wait until every connection has `want` messages; 0, or -1 after `limit_ms`. */
static int wait_all(int ep, struct conn *cs, int n, long want, double limit_ms) {
  int behind = 0;
  for (int i = 0; i < n; i++) behind += cs[i].messages < want;
  double deadline = now_ms() + limit_ms;
  struct epoll_event evs[512];
  while (behind > 0) {
    int left = (int)(deadline - now_ms());
    if (left <= 0) return -1;
    int k = epoll_wait(ep, evs, 512, left);
    for (int j = 0; j < k; j++) {
      struct conn *c = &cs[evs[j].data.u32];
      long before = c->messages;
      if (drain_conn(c) < 0) return -1;
      if (before < want && c->messages >= want) behind--;
    }
  }
  return 0;
}

static int hold(int n) {
  int open_ok;
  double setup;
  struct conn *cs = open_all(n, &open_ok, &setup);
  printf("{\"mode\":\"ws-hold\",\"requested\":%d,\"open\":%d,\"setup_ms\":%.1f}\n", n, open_ok, setup);
  fflush(stdout);
  if (open_ok < n) return 1;
  int ep = epoll_all(cs, n);
  char cmd[64];
  while (fgets(cmd, sizeof cmd, stdin)) {
    int rounds = 0;
    if (sscanf(cmd, "fanout %d", &rounds) != 1 || rounds <= 0) continue;
    double *t = malloc((size_t)rounds * sizeof(double));
    int ok = 0;
    for (int r = 0; r < rounds; r++) {
      long want = cs[0].messages + 1;
      for (int i = 0; i < n; i++)
        if (cs[i].messages != want - 1) want = -1;
      if (want < 0) break; /* a connection saw something else: the counts are off */
      double t0 = now_ms();
      if (ws_send(cs[0].fd, "fan-out line 0123456789", 23) < 0) break;
      if (wait_all(ep, cs, n, want, 30000) < 0) break;
      t[ok++] = now_ms() - t0;
    }
    qsort(t, (size_t)ok, sizeof(double), cmp_double);
    printf("{\"mode\":\"ws-fanout\",\"clients\":%d,\"rounds\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n", n, ok, pct(t, (size_t)ok, 0.5),
           pct(t, (size_t)ok, 0.99));
    fflush(stdout);
    free(t);
  }
  for (int i = 0; i < n; i++) close(cs[i].fd);
  return 0;
}

static int fanin(int n, int lines) {
  int open_ok;
  double setup;
  struct conn *cs = open_all(n, &open_ok, &setup);
  if (open_ok < n) {
    fprintf(stderr, "hubgen: %d of %d connections opened\n", open_ok, n);
    return 1;
  }
  static const char msg[] = "a line from one of many clients";
  double t0 = now_ms();
  /* Round-robin, blocking: each connection's writes queue in the kernel as the hub reads. */
  for (int l = 0; l < lines; l++)
    for (int i = 0; i < n; i++)
      if (ws_send(cs[i].fd, msg, sizeof msg - 1) < 0) return 1;
  int ep = epoll_all(cs, n);
  struct epoll_event evs[512];
  double deadline = now_ms() + 120000;
  while (!cs[0].done && now_ms() < deadline) {
    int k = epoll_wait(ep, evs, 512, 1000);
    for (int j = 0; j < k; j++) drain_conn(&cs[evs[j].data.u32]);
  }
  double elapsed = now_ms() - t0;
  long total = (long)n * lines;
  printf("{\"mode\":\"ws-fanin\",\"clients\":%d,\"lines\":%ld,\"done\":%d,\"elapsed_ms\":%.1f,\"lines_per_s\":%.0f}\n", n, total,
         cs[0].done, elapsed, total / (elapsed / 1e3));
  for (int i = 0; i < n; i++) close(cs[i].fd);
  return cs[0].done ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: hubgen ws-hold HOST PORT N | ws-fanin HOST PORT N LINES\n");
    return 2;
  }
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) return 2;
  if (!strcmp(argv[1], "ws-hold")) return hold(atoi(argv[4]));
  if (!strcmp(argv[1], "ws-fanin") && argc > 5) return fanin(atoi(argv[4]), atoi(argv[5]));
  fprintf(stderr, "hubgen: unknown mode %s\n", argv[1]);
  return 2;
}
