/*
 * The client side of RFC 6455 that loadgen.c's ws-* modes need against an echo server: the
 * upgrade, masked frames of under 126 bytes out, frames of any length in (read whole, or
 * counted as a stream arrives). Static, like clientlib.h: loadgen.c is compiled as one file.
 */
#ifndef HAMELIN_BENCH_WSCLIENT_H
#define HAMELIN_BENCH_WSCLIENT_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clientlib.h"

/* The upgrade request, for the Host header's port. A fixed key: the server's accept value is
 * not checked, only its 101. */
static int ws_request(char *out, size_t cap, int port) {
  return snprintf(out, cap,
                  "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                  port);
}

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

/* Blocking upgrade; what came after the 101 head stays in w. */
static int ws_handshake(int fd, struct wsbuf *w, int port) {
  char req[256];
  int n = ws_request(req, sizeof req, port);
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

/* One masked client frame (RFC 6455 5.3) into out (room for 6 + n bytes); its length, or 0
 * when the payload is 126 bytes or more. */
static size_t ws_frame(unsigned char *out, int opcode, const char *p, size_t n) {
  static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (n > 125) return 0;
  out[0] = (unsigned char)(0x80 | opcode);
  out[1] = (unsigned char)(0x80 | n);
  memcpy(out + 2, key, 4);
  for (size_t i = 0; i < n; i++) out[6 + i] = (unsigned char)p[i] ^ key[i % 4];
  return 6 + n;
}

static int ws_send(int fd, int opcode, const char *p, size_t n) {
  unsigned char f[6 + 125];
  size_t len = ws_frame(f, opcode, p, n);
  return len ? write_all(fd, f, len) : -1;
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

/*
 * Server frames counted as they arrive, in chunks of any size (for a non-blocking reader or
 * one with a deadline): whole data messages, their payload bytes, and whether a close came.
 */
struct wscount {
  unsigned char head[14];
  size_t hlen;
  uint64_t left; /* payload bytes of the current frame still to come */
  int in_payload, op, fin;
  long messages;
  uint64_t bytes;
  int closed;
  /* the last ping's payload (at most 125 bytes), owed a pong while ping_owed is set */
  unsigned char ping[125];
  size_t ping_len;
  int ping_owed;
};

static void ws_count_end_frame(struct wscount *c) {
  if (c->op == 8) c->closed = 1;
  else if (c->op == 9) c->ping_owed = 1;
  else if (c->fin && c->op <= 2) c->messages++; /* text, binary, or the last continuation */
  c->in_payload = 0;
}

static void ws_count(struct wscount *c, const unsigned char *p, size_t n) {
  while (n > 0) {
    if (c->in_payload) {
      size_t take = c->left < n ? (size_t)c->left : n;
      if (c->op <= 2) c->bytes += take;
      if (c->op == 9 && c->ping_len + take <= sizeof c->ping) {
        memcpy(c->ping + c->ping_len, p, take);
        c->ping_len += take;
      }
      c->left -= take;
      p += take;
      n -= take;
      if (c->left == 0) ws_count_end_frame(c);
      continue;
    }
    c->head[c->hlen++] = *p++;
    n--;
    if (c->hlen < 2) continue;
    size_t len7 = c->head[1] & 0x7f;
    size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((c->head[1] & 0x80) ? 4 : 0);
    if (c->hlen < need) continue;
    uint64_t len = len7;
    if (len7 == 126) len = ((uint64_t)c->head[2] << 8) | c->head[3];
    if (len7 == 127) {
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | c->head[2 + i];
    }
    c->op = c->head[0] & 0x0f;
    c->fin = (c->head[0] & 0x80) != 0;
    c->hlen = 0;
    c->left = len;
    c->in_payload = 1;
    if (c->op == 9) c->ping_len = 0;
    if (len == 0) ws_count_end_frame(c);
  }
}
#endif
