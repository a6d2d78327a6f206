/*
 * What the bench's two C load clients (loadgen.c, hubgen.c) share: the clock, whole writes,
 * percentiles and the descriptor limit. Included by each; both are compiled as one file, so
 * these are static.
 */
#ifndef HAMELIN_BENCH_CLIENTLIB_H
#define HAMELIN_BENCH_CLIENTLIB_H
#include <errno.h>
#include <stddef.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Room for n connections and a few more descriptors, as far as the hard limit allows. */
static void raise_nofile(int n) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)n + 64) {
    rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The p-th quantile (0..1) of n sorted values. */
static double pct(double *v, size_t n, double p) {
  if (n == 0) return 0;
  return v[(size_t)(p * (double)(n - 1) + 0.5)];
}
#endif
