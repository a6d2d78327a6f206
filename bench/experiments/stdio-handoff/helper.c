// Experiment: pass N socketpair ends to Node over its IPC channel (NODE_HANDLE), or serve N
// unix connects (baseline). Usage: helper ipc N | helper accept PATH N
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>
static void drain(int fd) { char b[4096]; while (recv(fd, b, sizeof b, MSG_DONTWAIT) > 0) {} }
int main(int argc, char **argv) {
  if (!strcmp(argv[1], "ipc")) {
    int ch = atoi(getenv("NODE_CHANNEL_FD")); int n = atoi(argv[2]);
    char req[64];
    for (int i = 0; i < n; i++) {
      // wait for a request line from node (as the real helper would get "spawn")
      ssize_t r = read(ch, req, sizeof req); if (r <= 0) return 1;
      int sv[2]; socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
      char msg[128]; int len = snprintf(msg, sizeof msg, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{\"i\":%d},\"key\":null}\n", i);
      struct iovec iov = { msg, (size_t)len };
      char cbuf[CMSG_SPACE(sizeof(int))]; memset(cbuf, 0, sizeof cbuf);
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
      struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &sv[0], sizeof(int));
      if (sendmsg(ch, &mh, 0) < 0) { perror("sendmsg"); return 1; }
      close(sv[0]);
      write(sv[1], "x", 1); close(sv[1]);
    }
    sleep(1); return 0;
  } else {
    int n = atoi(argv[3]);
    int l = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = { .sun_family = AF_UNIX };
    strcpy(a.sun_path, argv[2]); unlink(argv[2]); bind(l, (void *)&a, sizeof a); listen(l, 128);
    printf("ready\n"); fflush(stdout);
    for (int i = 0; i < n; i++) { int s = accept(l, 0, 0); char h[8]; read(s, h, 8); write(s, "x", 1); close(s); }
    return 0;
  }
}
