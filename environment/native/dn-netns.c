/*
 * dn-netns: a principal's network namespace with its gate sockets, in one short process.
 *
 * The server needs, per principal, a named network namespace with loopback up and listening
 * sockets inside it that the server itself accepts on. Done with `ip netns add`, `ip link set lo
 * up` and a node child that listens inside, that is three process starts, and the node start
 * alone costs around 100 ms: most of a reset when a burst of resets has used up the principals
 * kept ready (docs/isolation.md, "What the defences cost"). This does the same system calls in
 * one small program.
 *
 *   dn-netns open NAME HOST:PORT...
 *       Creates /run/netns/dn-NAME the way `ip netns add` does (so `ip netns` lists and deletes
 *       it), brings loopback up, and listens on each HOST:PORT inside (HOST a numeric IPv4 or
 *       IPv6 address). Each socket goes to the parent over the Node.js IPC channel it was started
 *       with (NODE_CHANNEL_FD), in Node's own handle message, so the parent's `message` event gets
 *       a net.Server; an address that cannot be bound is reported as {"host","port","error"}
 *       instead. It then waits until the parent closes the channel (it has taken every socket).
 *   dn-netns delete NAME
 *       Detaches and removes /run/netns/dn-NAME, as `ip netns delete` does.
 *
 * Exit status 0 on success; 125 and a message on stderr otherwise (a namespace it created is
 * removed again).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAIL 125
#define RUN_DIR "/run/netns"

static char ns_path[128];

static int die(const char *what, const char *arg) {
  fprintf(stderr, "dn-netns: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  return FAIL;
}

static int valid_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > 64) return 0;
  for (const char *c = name; *c; c++) {
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_')) return 0;
  }
  return 1;
}

/* /run/netns a shared mount, as ip makes it, so a namespace's mount there reaches other mount namespaces and its removal too. */
static int shared_run_dir(void) {
  if (mkdir(RUN_DIR, 0755) != 0 && errno != EEXIST) return die("mkdir", RUN_DIR);
  if (mount("", RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0) return 0;
  if (errno != EINVAL) return die("mount --make-rshared", RUN_DIR);
  if (mount(RUN_DIR, RUN_DIR, "none", MS_BIND | MS_REC, NULL) != 0) return die("mount --rbind", RUN_DIR);
  if (mount("", RUN_DIR, "none", MS_SHARED | MS_REC, NULL) != 0) return die("mount --make-rshared", RUN_DIR);
  return 0;
}

static int create_named_netns(void) {
  if (shared_run_dir() != 0) return FAIL;
  int fd = open(ns_path, O_RDONLY | O_CREAT | O_EXCL, 0);
  if (fd < 0) return die("create", ns_path);
  close(fd);
  if (unshare(CLONE_NEWNET) != 0 || mount("/proc/self/ns/net", ns_path, "none", MS_BIND, NULL) != 0) {
    int saved = errno;
    unlink(ns_path);
    errno = saved;
    return die("new network namespace at", ns_path);
  }
  return 0;
}

static int loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  if (fd >= 0) close(fd);
  return ok ? 0 : die("loopback up in", ns_path);
}

/* A listening socket on HOST:PORT, or -1 with errno set. */
static int listen_on(const char *host, int port) {
  struct sockaddr_storage addr;
  socklen_t len;
  memset(&addr, 0, sizeof addr);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET, v4->sin_port = htons(port), len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6, v6->sin6_port = htons(port), len = sizeof *v6;
  } else {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1;
  if (fd < 0) return -1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 || bind(fd, (struct sockaddr *)&addr, len) != 0 || listen(fd, 511) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/* One line on the IPC channel, with fd (if >= 0) attached as SCM_RIGHTS. */
static int send_line(int channel, const char *line, int fd) {
  struct iovec iov = { .iov_base = (void *)line, .iov_len = strlen(line) };
  char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control, msg.msg_controllen = sizeof control;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET, cmsg->cmsg_type = SCM_RIGHTS, cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  return sendmsg(channel, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

/* Reads the channel until a line containing `want` (0) or its end (-1); with want NULL, until its end (0). */
static int await_line(int channel, const char *want) {
  char buf[4096];
  size_t used = 0;
  for (;;) {
    ssize_t n = read(channel, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return want ? -1 : 0;
    used += (size_t)n;
    buf[used] = '\0';
    if (want && strstr(buf, want)) return 0;
    char *last = strrchr(buf, '\n');
    if (last) used -= (size_t)(last + 1 - buf), memmove(buf, last + 1, used);
    if (used == sizeof buf - 1) used = 0;
  }
}

static int hand_over(int channel, const char *spec) {
  char host[64];
  const char *colon = strrchr(spec, ':');
  if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host) return errno = EINVAL, die("address", spec);
  memcpy(host, spec, (size_t)(colon - spec));
  host[colon - spec] = '\0';
  int port = atoi(colon + 1);
  char line[256];
  int fd = listen_on(host, port);
  if (fd < 0) {
    /* an address family the namespace lacks (no ::1) only means one address fewer */
    snprintf(line, sizeof line, "{\"host\":\"%s\",\"port\":%d,\"error\":\"%s\"}\n", host, port, strerror(errno));
    return send_line(channel, line, -1) == 0 ? 0 : die("send on the IPC channel", NULL);
  }
  snprintf(line, sizeof line, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Server\",\"msg\":{\"host\":\"%s\",\"port\":%d}}\n", host, port);
  /* Node acknowledges each handle before it takes the next, as its own sender waits */
  int rc = send_line(channel, line, fd) == 0 && await_line(channel, "NODE_HANDLE_ACK") == 0 ? 0 : die("hand over", spec);
  close(fd);
  return rc;
}

static int cmd_open(int argc, char **argv) {
  const char *channel_env = getenv("NODE_CHANNEL_FD");
  if (argc < 2 || !channel_env) return fprintf(stderr, "dn-netns: open NAME HOST:PORT... with a Node.js IPC channel\n"), 2;
  int channel = atoi(channel_env);
  if (create_named_netns() != 0) return FAIL;
  int rc = loopback_up();
  for (int i = 1; rc == 0 && i < argc; i++) rc = hand_over(channel, argv[i]);
  if (rc == 0) await_line(channel, NULL);
  else umount2(ns_path, MNT_DETACH), unlink(ns_path);
  return rc;
}

static int cmd_delete(void) {
  if (umount2(ns_path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) return die("umount", ns_path);
  if (unlink(ns_path) != 0 && errno != ENOENT) return die("unlink", ns_path);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3 || !valid_name(argv[2])) return fprintf(stderr, "dn-netns: open NAME HOST:PORT... | delete NAME (see dn-netns.c)\n"), 2;
  snprintf(ns_path, sizeof ns_path, RUN_DIR "/dn-%s", argv[2]);
  if (strcmp(argv[1], "open") == 0) return cmd_open(argc - 2, argv + 2);
  if (strcmp(argv[1], "delete") == 0 && argc == 3) return cmd_delete();
  return fprintf(stderr, "dn-netns: unknown command %s\n", argv[1]), 2;
}
