/*
 * dn-launch: the root server's one-exec way into a sandbox run, and its mount helper.
 *
 * Without it a run as root starts through four programs, each a process start of its own:
 * `sh` (writes its pid into the run's cgroups), `nsenter` (joins the principal's network
 * namespace), `setpriv` (drops to the run's uid) and `prlimit` (sets the rlimits), and every
 * workspace costs a `mount` and an `umount`. Doing the same system calls here, in one small
 * static program, keeps the defences and drops those starts (docs/resource-limits.md).
 *
 *   dn-launch exec [--cgroup PROCS_FILE]... [--netns PATH] [--rlimit NAME=VALUE]...
 *                  [--uid N] -- PROGRAM [ARG]...
 *       Joins every cgroup (before anything else, so nothing of the run is ever outside them),
 *       joins the network namespace, sets the rlimits (NAME: data, fsize, core, nproc), drops
 *       supplementary groups, gid and uid to N, then execs PROGRAM (an absolute path).
 *   dn-launch mount-tmpfs DIR SIZE_BYTES NR_INODES
 *       Mounts a tmpfs (mode 0755, nosuid, nodev) of that size at DIR.
 *   dn-launch umount DIR...
 *       Detaches each mount lazily (a process still inside cannot keep it busy).
 *   dn-launch serve
 *       The two mount commands above without a process start each: reads one request per line
 *       on stdin, its fields separated by tabs ("mount-tmpfs\tDIR\tSIZE\tINODES" or
 *       "umount\tDIR..."), and answers each with one line on stdout, "ok" or "error MESSAGE".
 *       Ends at the end of its input. A reset mounts a workspace, so this keeps a process start
 *       (milliseconds, more under load) out of every reset.
 *
 * Exit status 125 and a message on stderr when the launcher itself fails; otherwise the exec'd
 * program's own status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#define FAIL 125

/* In serve mode a failure is answered on stdout instead of ending the process. */
static int serving = 0;

static int die(const char *what, const char *arg) {
  fprintf(serving ? stdout : stderr, "%s%s%s%s: %s\n", serving ? "error " : "dn-launch: ", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  return FAIL;
}

static int usage(const char *msg) {
  fprintf(serving ? stdout : stderr, "%s%s (see the header of dn-launch.c)\n", serving ? "error " : "dn-launch: ", msg);
  return 2;
}

static int parse_u64(const char *s, unsigned long long *out) {
  char *end;
  errno = 0;
  *out = strtoull(s, &end, 10);
  return errno == 0 && end != s && *end == '\0';
}

static int join_cgroup(const char *procs) {
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return die("cannot open", procs);
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  int ok = write(fd, pid, (size_t)n) == n;
  int saved = errno;
  close(fd);
  errno = saved;
  return ok ? 0 : die("cannot join cgroup", procs);
}

static int join_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return die("cannot open network namespace", path);
  int rc = setns(fd, CLONE_NEWNET);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc == 0 ? 0 : die("cannot join network namespace", path);
}

static int set_rlimit(const char *spec) {
  static const struct { const char *name; int resource; } known[] = {
    { "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE }, { "core", RLIMIT_CORE }, { "nproc", RLIMIT_NPROC },
  };
  const char *eq = strchr(spec, '=');
  unsigned long long value;
  if (!eq || !parse_u64(eq + 1, &value)) return usage("--rlimit takes NAME=VALUE");
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (strlen(known[i].name) == (size_t)(eq - spec) && strncmp(spec, known[i].name, (size_t)(eq - spec)) == 0) {
      struct rlimit rl = { (rlim_t)value, (rlim_t)value };
      return setrlimit(known[i].resource, &rl) == 0 ? 0 : die("cannot set rlimit", spec);
    }
  }
  return usage("--rlimit NAME is one of data, fsize, core, nproc");
}

static int drop_to(uid_t uid) {
  if (setgroups(0, NULL) != 0) return die("cannot clear supplementary groups", NULL);
  if (setresgid(uid, uid, uid) != 0) return die("cannot set gid", NULL);
  if (setresuid(uid, uid, uid) != 0) return die("cannot set uid", NULL);
  return 0;
}

static int cmd_exec(int argc, char **argv) {
  const char *netns = NULL;
  long long uid = -1;
  int i = 0;
  /* cgroups first: everything after, this process included, is charged to the run */
  for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
    if (i + 1 >= argc) return usage("an option lacks its value");
    if (strcmp(argv[i], "--cgroup") == 0) {
      if (join_cgroup(argv[i + 1])) return FAIL;
    } else if (strcmp(argv[i], "--netns") == 0) {
      netns = argv[i + 1];
    } else if (strcmp(argv[i], "--uid") == 0) {
      unsigned long long v;
      if (!parse_u64(argv[i + 1], &v) || v == 0 || v > 0x7fffffff) return usage("--uid takes a uid other than 0");
      uid = (long long)v;
    } else if (strcmp(argv[i], "--rlimit") != 0) {
      return usage("unknown option");
    }
  }
  if (i >= argc - 1 || argv[i + 1][0] != '/') return usage("exec needs -- and an absolute program path");
  if (netns && join_netns(netns)) return FAIL;
  for (int j = 0; j < i; j += 2) {
    int rc = strcmp(argv[j], "--rlimit") == 0 ? set_rlimit(argv[j + 1]) : 0;
    if (rc) return rc;
  }
  if (uid > 0 && drop_to((uid_t)uid)) return FAIL;
  execv(argv[i + 1], &argv[i + 1]);
  return die("cannot exec", argv[i + 1]);
}

static int cmd_mount_tmpfs(int argc, char **argv) {
  unsigned long long size, inodes;
  if (argc != 3 || !parse_u64(argv[1], &size) || !parse_u64(argv[2], &inodes)) return usage("mount-tmpfs DIR SIZE_BYTES NR_INODES");
  char opts[128];
  snprintf(opts, sizeof opts, "size=%llu,nr_inodes=%llu,mode=0755", size, inodes);
  return mount("dn-workspace", argv[0], "tmpfs", MS_NOSUID | MS_NODEV, opts) == 0 ? 0 : die("cannot mount a tmpfs at", argv[0]);
}

static int cmd_umount(int argc, char **argv) {
  int status = 0;
  for (int i = 0; i < argc; i++) {
    /* one message, for the first failure: in serve mode a request gets exactly one answer line */
    if (umount2(argv[i], MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT && status == 0) status = die("cannot detach", argv[i]);
  }
  return status;
}

#define MAX_LINE 16384
#define MAX_FIELDS 64

/*
 * Reads one request line into `line` (its newline dropped). Returns 0, or -1 at the end of the
 * input; `*problem` names what is wrong with the line, if anything. Read a byte at a time rather
 * than with fgets, whose result cannot tell a NUL byte in the line from its end.
 */
static int read_request(char *line, size_t cap, const char **problem) {
  size_t len = 0;
  int c;
  *problem = NULL;
  while ((c = getchar()) != EOF && c != '\n') {
    if (c == '\0' && *problem == NULL) *problem = "request holds a NUL byte";
    /* the same bound as a line of cap - 1 bytes with its newline */
    if (len < cap - 2) line[len++] = (char)c;
    else if (*problem == NULL) *problem = "request too long";
  }
  line[len] = '\0';
  if (c != EOF) return 0;
  if (len == 0 && *problem == NULL) return -1;
  /* a last request cut off by the end of the input is not an over-long one */
  if (*problem == NULL) *problem = "request not ended by a newline";
  return 0;
}

static int cmd_serve(void) {
  static char line[MAX_LINE];
  const char *problem;
  serving = 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (read_request(line, sizeof line, &problem) == 0) {
    if (problem != NULL) {
      printf("error %s\n", problem);
      continue;
    }
    char *fields[MAX_FIELDS];
    int n = 0;
    for (char *f = strtok(line, "\t"); f != NULL && n < MAX_FIELDS; f = strtok(NULL, "\t")) fields[n++] = f;
    int rc;
    if (n > 0 && strcmp(fields[0], "mount-tmpfs") == 0) rc = cmd_mount_tmpfs(n - 1, fields + 1);
    else if (n > 0 && strcmp(fields[0], "umount") == 0) rc = cmd_umount(n - 1, fields + 1);
    else rc = usage("serve: expected mount-tmpfs or umount");
    if (rc == 0) printf("ok\n");
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage("expected a command: exec, mount-tmpfs or umount");
  if (strcmp(argv[1], "exec") == 0) return cmd_exec(argc - 2, argv + 2);
  if (strcmp(argv[1], "mount-tmpfs") == 0) return cmd_mount_tmpfs(argc - 2, argv + 2);
  if (strcmp(argv[1], "umount") == 0) return cmd_umount(argc - 2, argv + 2);
  if (strcmp(argv[1], "serve") == 0 && argc == 2) return cmd_serve();
  return usage("unknown command");
}
