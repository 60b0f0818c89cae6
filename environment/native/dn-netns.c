/*
 * dn-netns: principals' network namespaces with their gate sockets, made by one long-lived process.
 *
 * The server needs, per principal, a named network namespace with loopback up and listening
 * sockets inside it that the server itself accepts on. Done with `ip netns add`, `ip link set lo
 * up` and a node child that listens inside, that is three process starts, and the node start
 * alone costs around 100 ms (docs/isolation.md, "What the defences cost"). A process start from
 * the server costs too: forking a server of a few hundred MB blocks its event loop for 10-25 ms,
 * which a reset running beside a principal's creation waits out. So the server starts this
 * program once and asks it over the Node.js IPC channel it was started with (NODE_CHANNEL_FD).
 *
 *   dn-netns serve
 *       Reads requests, one at a time, each a JSON string on its own line (what the parent's
 *       `child.send("open …")` writes):
 *         "open NAME HOST:PORT..."  creates /run/netns/dn-NAME the way `ip netns add` does (so
 *             `ip netns` lists and deletes it), brings loopback up, and listens on each HOST:PORT
 *             inside (HOST a numeric IPv4 or IPv6 address). Each socket goes to the parent in
 *             Node's own handle message, so the parent's `message` event gets a net.Server; an
 *             address that cannot be bound is reported as {"host","port","error"} instead.
 *         "delete NAME"  detaches and removes /run/netns/dn-NAME, as `ip netns delete` does.
 *       Each request ends with {"done":true,"reports":N} or {"error":"…","reports":N}, N the
 *       address reports sent before it (a namespace a failed open created is removed again). The
 *       program returns to its own network namespace after each open, and ends when the channel
 *       closes or the parent dies.
 *   dn-netns delete NAME
 *       The same removal, as a command (for a server that has no channel to a serving one).
 *
 * Exit status 0 on success; 125 and a message on stderr otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
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

static char err_msg[256];

/* Like die(), for a request: the message goes back to the parent instead of ending the program. */
static int fail(const char *what, const char *arg) {
  snprintf(err_msg, sizeof err_msg, "%s%s%s: %s", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  return FAIL;
}

static int create_named_netns(void) {
  int fd = open(ns_path, O_RDONLY | O_CREAT | O_EXCL, 0);
  if (fd < 0) return fail("create", ns_path);
  close(fd);
  if (unshare(CLONE_NEWNET) != 0 || mount("/proc/self/ns/net", ns_path, "none", MS_BIND, NULL) != 0) {
    int saved = errno;
    unlink(ns_path);
    errno = saved;
    return fail("new network namespace at", ns_path);
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
  return ok ? 0 : fail("loopback up in", ns_path);
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

static int channel = -1;

/* One line on the IPC channel, with fd (if >= 0) attached as SCM_RIGHTS. */
static int send_line(const char *line, int fd) {
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

/* The channel's next line, without its newline (into a static buffer), or NULL at its end. */
static char *next_line(void) {
  static char buf[8192];
  static size_t used = 0, start = 0;
  for (;;) {
    char *nl = memchr(buf + start, '\n', used - start);
    if (nl) {
      char *line = buf + start;
      *nl = '\0';
      start = (size_t)(nl + 1 - buf);
      return line;
    }
    memmove(buf, buf + start, used - start);
    used -= start, start = 0;
    if (used == sizeof buf - 1) used = 0; /* a line longer than any request: drop it */
    ssize_t n = read(channel, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return NULL;
    used += (size_t)n;
  }
}

/* Node acknowledges each handle before it takes the next, as its own sender waits. Requests come one at a time, so only acknowledgements arrive meanwhile. */
static int await_ack(void) {
  for (char *line; (line = next_line());) {
    if (strstr(line, "NODE_HANDLE_ACK")) return 0;
  }
  return -1;
}

/* Listens on SPEC inside the current namespace and sends the socket (or the error) to the parent; `sent` counts the reports. */
static int hand_over(const char *spec, int *sent) {
  char host[64];
  const char *colon = strrchr(spec, ':');
  if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host) return errno = EINVAL, fail("address", spec);
  memcpy(host, spec, (size_t)(colon - spec));
  host[colon - spec] = '\0';
  int port = atoi(colon + 1);
  char line[256];
  int fd = listen_on(host, port);
  if (fd < 0) {
    /* an address family the namespace lacks (no ::1) only means one address fewer */
    snprintf(line, sizeof line, "{\"host\":\"%s\",\"port\":%d,\"error\":\"%s\"}\n", host, port, strerror(errno));
    if (send_line(line, -1) != 0) return fail("send on the IPC channel", NULL);
    return ++*sent, 0;
  }
  snprintf(line, sizeof line, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Server\",\"msg\":{\"host\":\"%s\",\"port\":%d}}\n", host, port);
  int rc = send_line(line, fd) == 0 && await_ack() == 0 ? 0 : fail("hand over", spec);
  close(fd);
  if (rc == 0) ++*sent;
  return rc;
}

static int set_path(const char *name) {
  if (!valid_name(name)) return errno = EINVAL, fail("namespace name", name);
  snprintf(ns_path, sizeof ns_path, RUN_DIR "/dn-%s", name);
  return 0;
}

static int remove_netns(void) {
  if (umount2(ns_path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) return fail("umount", ns_path);
  if (unlink(ns_path) != 0 && errno != ENOENT) return fail("unlink", ns_path);
  return 0;
}

/* open NAME SPEC...: the namespace, entered and left again through `home` (this program's own). */
static int do_open(int home, char **words, int n, int *sent) {
  if (n < 2) return errno = EINVAL, fail("open needs a name and addresses", NULL);
  if (set_path(words[0]) != 0) return FAIL;
  if (create_named_netns() != 0) return FAIL;
  int rc = loopback_up();
  for (int i = 1; rc == 0 && i < n; i++) rc = hand_over(words[i], sent);
  if (setns(home, CLONE_NEWNET) != 0) {
    fail("return to the program's network namespace", NULL);
    fprintf(stderr, "dn-netns: %s\n", err_msg);
    exit(FAIL); /* every later namespace would nest in this one */
  }
  if (rc != 0) {
    int saved = errno;
    char msg[sizeof err_msg];
    memcpy(msg, err_msg, sizeof msg);
    remove_netns();
    memcpy(err_msg, msg, sizeof msg), errno = saved;
  }
  return rc;
}

/* One request line: a JSON string holding words separated by single spaces (names and addresses need no escapes). */
static void serve_request(int home, char *line) {
  size_t len = strlen(line);
  if (len < 2 || line[0] != '"' || line[len - 1] != '"') return; /* not a request: an object of Node's own */
  line[len - 1] = '\0';
  char *words[40];
  int n = 0;
  for (char *w = strtok(line + 1, " "); w && n < 40; w = strtok(NULL, " ")) words[n++] = w;
  int sent = 0, rc;
  if (n >= 1 && strcmp(words[0], "open") == 0) rc = do_open(home, words + 1, n - 1, &sent);
  else if (n == 2 && strcmp(words[0], "delete") == 0) rc = set_path(words[1]) == 0 ? remove_netns() : FAIL;
  else rc = (errno = EINVAL, fail("unknown request", n ? words[0] : ""));
  char reply[512];
  if (rc == 0) snprintf(reply, sizeof reply, "{\"done\":true,\"reports\":%d}\n", sent);
  else snprintf(reply, sizeof reply, "{\"error\":\"%s\",\"reports\":%d}\n", err_msg, sent);
  if (send_line(reply, -1) != 0) exit(FAIL);
}

static int cmd_serve(void) {
  const char *channel_env = getenv("NODE_CHANNEL_FD");
  if (!channel_env) return fprintf(stderr, "dn-netns: serve needs a Node.js IPC channel\n"), 2;
  channel = atoi(channel_env);
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* nothing of it outlives the server */
  if (getppid() == 1) return FAIL;
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) return die("open", "/proc/self/ns/net");
  if (shared_run_dir() != 0) return FAIL;
  for (char *line; (line = next_line());) serve_request(home, line);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "serve") == 0) return cmd_serve();
  if (argc == 3 && strcmp(argv[1], "delete") == 0) {
    if (set_path(argv[2]) != 0 || remove_netns() != 0) return fprintf(stderr, "dn-netns: %s\n", err_msg), FAIL;
    return 0;
  }
  return fprintf(stderr, "dn-netns: serve | delete NAME (see dn-netns.c)\n"), 2;
}
