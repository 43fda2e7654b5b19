/*
 * mydocker-shim: the hands of the engine.
 *
 * Node cannot run code between clone() and execve() (it is multi-threaded from its
 * first instruction), so this small single-threaded program does exactly that part.
 * It reads a plan the TypeScript engine wrote into a file on fd 4, clones the
 * container with the requested namespaces, performs the plan's steps in order inside
 * them, and execve()s the user's command as PID 1. It then stays behind as the
 * container's monitor: it relays the pty, forwards signals, waits for the exit,
 * records it, reports on fd 3 (a socket), and makes sure the engine's cleanup runs
 * even if the CLI died.
 *
 * No policy lives here. Every path, flag, mask and program comes from the plan; an
 * operation that fails is reported back as one JSON line naming the operation, its
 * arguments and errno, and the TypeScript side decides what the user reads.
 *
 * Plan wire format: "<decimal length>\n" then <length> bytes of records. A record is
 * "<n>\0<field 1>\0...<field n>\0"; field 1 is the op name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CTL_FD 3  /* socket to the engine: JSON lines out, "ok" in */
#define PLAN_FD 4 /* the plan, an unlinked file the engine wrote before starting us */

/* ---------- plan ---------- */

typedef struct {
  int n;
  char **f;
} rec_t;

static rec_t *recs;
static int nrecs;

static void die_json(const char *op, int err, int nargs, char **args);

static char *read_all(int fd, size_t len) {
  char *buf = malloc(len + 1);
  size_t got = 0;
  if (!buf) return NULL;
  while (got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { free(buf); return NULL; }
    got += (size_t)r;
  }
  buf[len] = 0;
  return buf;
}

static int read_plan(void) {
  char hdr[32];
  size_t i = 0;
  while (i < sizeof(hdr) - 1) {
    ssize_t r = read(PLAN_FD, hdr + i, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r != 1) return -1;
    if (hdr[i] == '\n') break;
    i++;
  }
  hdr[i] = 0;
  size_t len = strtoul(hdr, NULL, 10);
  char *buf = read_all(PLAN_FD, len);
  close(PLAN_FD);
  if (!buf) return -1;
  int cap = 64;
  recs = calloc(cap, sizeof(rec_t));
  char *p = buf, *end = buf + len;
  while (p < end) {
    int n = atoi(p);
    p += strlen(p) + 1;
    if (n <= 0 || n > 100000) return -1;
    if (nrecs == cap) { cap *= 2; recs = realloc(recs, cap * sizeof(rec_t)); }
    rec_t *r = &recs[nrecs++];
    r->n = n;
    r->f = calloc(n + 1, sizeof(char *));
    for (int k = 0; k < n; k++) {
      if (p >= end) return -1;
      r->f[k] = p;
      p += strlen(p) + 1;
    }
  }
  return 0;
}

static rec_t *find(const char *op) {
  for (int i = 0; i < nrecs; i++)
    if (strcmp(recs[i].f[0], op) == 0) return &recs[i];
  return NULL;
}

static unsigned long long num(const char *s) { return strtoull(s, NULL, 0); }

/* ---------- reporting ---------- */

static int report_fd = CTL_FD; /* the child reports on the sync socket instead */

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static void send_line(const char *line, size_t len) {
  while (len > 0) {
    ssize_t w = write(report_fd, line, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    line += w;
    len -= (size_t)w;
  }
}

/* {"error":{"op":"...","errno":N,"args":[...]}} */
static void report_error(const char *op, int err, int nargs, char **args) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fprintf(f, "{\"error\":{\"op\":");
  json_str(f, op);
  fprintf(f, ",\"errno\":%d,\"args\":[", err);
  for (int i = 0; i < nargs; i++) {
    if (i) fputc(',', f);
    json_str(f, args[i] ? args[i] : "");
  }
  fprintf(f, "]}}\n");
  fclose(f);
  send_line(buf, len);
  free(buf);
}

static void die_json(const char *op, int err, int nargs, char **args) {
  report_error(op, err, nargs, args);
  _exit(125);
}

static void die_rec(rec_t *r, int err) { die_json(r->f[0], err, r->n - 1, r->f + 1); }

static void die1(const char *op, int err, const char *arg) {
  char *a[1] = {(char *)arg};
  die_json(op, err, arg ? 1 : 0, a);
}

/* ---------- path resolution inside the rootfs ---------- */

/*
 * Paths inside the container are resolved by the kernel with openat2(RESOLVE_IN_ROOT):
 * ".." is clamped at the root and absolute symlinks are re-rooted, so an image's
 * symlink can never lead a mount or a mknod onto the host.
 */
static int root_fd = -1;

static int open_in_root(const char *path, int flags, int nofollow) {
  struct open_how how = {0};
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (nofollow) how.resolve |= RESOLVE_NO_SYMLINKS;
  while (*path == '/') path++;
  if (!*path) path = ".";
  int fd;
  do fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

/* Split "a/b/c" into a parent fd (resolved in root) and base name "c". */
static int open_parent(const char *path, char *base, size_t basesz, int nofollow) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof(tmp), "%s", path);
  size_t l = strlen(tmp);
  while (l > 1 && tmp[l - 1] == '/') tmp[--l] = 0;
  char *slash = strrchr(tmp, '/');
  const char *b = slash ? slash + 1 : tmp;
  snprintf(base, basesz, "%s", b);
  if (!*base || strcmp(base, "..") == 0 || strcmp(base, ".") == 0) { errno = EINVAL; return -1; }
  if (slash) *slash = 0; else tmp[0] = 0;
  return open_in_root(tmp, O_PATH | O_DIRECTORY, nofollow);
}

/* The parent of a path inside the root, as a directory fd usable with *at() calls
 * (an O_PATH fd cannot create entries), and the base name. */
static int open_parent_dir(const char *path, char *base, size_t basesz, int nofollow) {
  int pfd = open_parent(path, base, basesz, nofollow);
  if (pfd < 0) return -1;
  char fdpath[64];
  snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pfd);
  int dfd = open(fdpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int e = errno;
  close(pfd);
  errno = e;
  return dfd;
}

static int mkdir_p_in_root(const char *path, mode_t mode, int nofollow) {
  int fd = open_in_root(path, O_PATH | O_DIRECTORY, nofollow);
  if (fd >= 0) return fd;
  if (errno != ENOENT) return -1;
  char parent[PATH_MAX];
  snprintf(parent, sizeof(parent), "%s", path);
  size_t l = strlen(parent);
  while (l > 1 && parent[l - 1] == '/') parent[--l] = 0;
  char *slash = strrchr(parent, '/');
  const char *base;
  int pfd;
  if (slash) {
    *slash = 0;
    base = slash + 1;
    pfd = mkdir_p_in_root(parent, mode, nofollow);
  } else {
    base = parent;
    pfd = open_in_root(".", O_PATH | O_DIRECTORY, 0);
  }
  if (pfd < 0) return -1;
  if (mkdirat(pfd, base, mode) < 0 && errno != EEXIST) { close(pfd); return -1; }
  close(pfd);
  return open_in_root(path, O_PATH | O_DIRECTORY, nofollow);
}

static int mkfile_in_root(const char *path, int nofollow) {
  int fd = open_in_root(path, O_PATH, nofollow);
  if (fd >= 0) return fd;
  if (errno != ENOENT) return -1;
  char base[NAME_MAX + 1];
  char parent[PATH_MAX];
  snprintf(parent, sizeof(parent), "%s", path);
  char *slash = strrchr(parent, '/');
  if (slash) *slash = 0; else parent[0] = 0;
  int pfd = mkdir_p_in_root(parent[0] ? parent : ".", 0755, nofollow);
  if (pfd < 0) return -1;
  close(pfd);
  int dfd = open_parent_dir(path, base, sizeof(base), nofollow);
  if (dfd < 0) return -1;
  int f = openat(dfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (f < 0 && errno != EEXIST) { close(dfd); return -1; }
  if (f >= 0) close(f);
  close(dfd);
  return open_in_root(path, O_PATH, nofollow);
}

/* ---------- container-side operations ---------- */

/*
 * mount SRC DST FSTYPE FLAGS DATA
 *   DST is a host path (used for the rootfs itself, before any root is set).
 * mountin SRC DST FSTYPE FLAGS DATA CREATE NOFOLLOW
 *   DST is resolved inside the current root; CREATE is d (mkdir -p), f (create file) or -.
 *   SRC is a host path for binds, or a path inside the root when it starts with "root:".
 * A bind with flags beyond MS_BIND|MS_REC is followed by a remount that applies them:
 * the kernel ignores most flags on the initial MS_BIND.
 */
static void do_mount(rec_t *r, int in_root) {
  if (r->n < 6 || (in_root && r->n < 8)) die_rec(r, EINVAL);
  const char *src = r->f[1], *dst = r->f[2], *fstype = r->f[3], *data = r->f[5];
  unsigned long flags = (unsigned long)num(r->f[4]);
  char target[64];
  const char *tpath = dst;
  int tfd = -1, sfd = -1;
  char spath[64];
  if (in_root) {
    char create = r->f[6][0];
    int nofollow = r->f[7][0] == '1';
    if (create == 'd') tfd = mkdir_p_in_root(dst, 0755, nofollow);
    else if (create == 'f') tfd = mkfile_in_root(dst, nofollow);
    else tfd = open_in_root(dst, O_PATH, nofollow);
    if (tfd < 0) die_rec(r, errno);
    snprintf(target, sizeof(target), "/proc/self/fd/%d", tfd);
    tpath = target;
    if (strncmp(src, "root:", 5) == 0) {
      sfd = open_in_root(src + 5, O_PATH, 0);
      if (sfd < 0) die_rec(r, errno);
      snprintf(spath, sizeof(spath), "/proc/self/fd/%d", sfd);
      src = spath;
    }
  }
  const char *s = *src ? src : NULL;
  const char *t = *fstype ? fstype : NULL;
  const char *d = *data ? data : NULL;
  unsigned long prop = flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE);
  if (prop && !(flags & MS_BIND) && !t) {
    if (mount(NULL, tpath, NULL, flags, NULL) < 0) die_rec(r, errno);
  } else if (flags & MS_BIND) {
    if (mount(s, tpath, NULL, flags & (MS_BIND | MS_REC), NULL) < 0) die_rec(r, errno);
    unsigned long rest = flags & ~(MS_BIND | MS_REC | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE);
    if (rest) {
      /* Re-open the target: the fd above points at the covered directory, not the new mount. */
      if (in_root) {
        close(tfd);
        tfd = open_in_root(dst, O_PATH, r->f[7][0] == '1');
        if (tfd < 0) die_rec(r, errno);
        snprintf(target, sizeof(target), "/proc/self/fd/%d", tfd);
      }
      if (mount(NULL, tpath, NULL, MS_REMOUNT | MS_BIND | rest, NULL) < 0) die_rec(r, errno);
    }
    if (prop) {
      if (mount(NULL, tpath, NULL, prop | (flags & MS_REC), NULL) < 0) die_rec(r, errno);
    }
  } else {
    if (mount(s, tpath, t, flags & ~(MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE), d) < 0)
      die_rec(r, errno);
    if (prop) {
      if (in_root) {
        close(tfd);
        tfd = open_in_root(dst, O_PATH, r->f[7][0] == '1');
        if (tfd < 0) die_rec(r, errno);
        snprintf(target, sizeof(target), "/proc/self/fd/%d", tfd);
      }
      if (mount(NULL, tpath, NULL, prop, NULL) < 0) die_rec(r, errno);
    }
  }
  if (tfd >= 0) close(tfd);
  if (sfd >= 0) close(sfd);
}

/* mknod PATH TYPE(c|b) MAJOR MINOR MODE UID GID — inside the root, no symlinks followed. */
static void do_mknod(rec_t *r) {
  if (r->n < 8) die_rec(r, EINVAL);
  char base[NAME_MAX + 1];
  int dfd = open_parent_dir(r->f[1], base, sizeof(base), 1);
  if (dfd < 0) die_rec(r, errno);
  mode_t type = r->f[2][0] == 'b' ? S_IFBLK : S_IFCHR;
  mode_t mode = (mode_t)num(r->f[5]);
  dev_t dev = makedev((unsigned)num(r->f[3]), (unsigned)num(r->f[4]));
  if (mknodat(dfd, base, type | mode, dev) < 0 && errno != EEXIST) die_rec(r, errno);
  /* mknod is subject to the umask; set the exact mode and owner. */
  if (fchmodat(dfd, base, mode, 0) < 0) die_rec(r, errno);
  if (fchownat(dfd, base, (uid_t)num(r->f[6]), (gid_t)num(r->f[7]), AT_SYMLINK_NOFOLLOW) < 0)
    die_rec(r, errno);
  close(dfd);
}

/* symlink TARGET PATH — PATH inside the root. */
static void do_symlink(rec_t *r) {
  if (r->n < 3) die_rec(r, EINVAL);
  char base[NAME_MAX + 1];
  int dfd = open_parent_dir(r->f[2], base, sizeof(base), 1);
  if (dfd < 0) die_rec(r, errno);
  if (symlinkat(r->f[1], dfd, base) < 0 && errno != EEXIST) die_rec(r, errno);
  close(dfd);
}

/* mkdir PATH MODE — mkdir -p inside the root. */
static void do_mkdir(rec_t *r) {
  if (r->n < 3) die_rec(r, EINVAL);
  int fd = mkdir_p_in_root(r->f[1], (mode_t)num(r->f[2]), 0);
  if (fd < 0) die_rec(r, errno);
  close(fd);
}

/* mask PATH — hide a file behind /dev/null or a directory behind an empty read-only tmpfs. */
static void do_mask(rec_t *r) {
  if (r->n < 2) die_rec(r, EINVAL);
  int fd = open_in_root(r->f[1], O_PATH, 1);
  if (fd < 0) {
    if (errno == ENOENT) return; /* nothing to hide */
    die_rec(r, errno);
  }
  struct stat st;
  if (fstat(fd, &st) < 0) die_rec(r, errno);
  char target[64];
  snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=755") < 0)
      die_rec(r, errno);
  } else {
    /* The /dev/null of the container's own /dev, checked to really be the null device. */
    int nfd = open_in_root("/dev/null", O_PATH, 1);
    struct stat ns;
    if (nfd < 0 || fstat(nfd, &ns) < 0) die_rec(r, errno);
    if (!S_ISCHR(ns.st_mode) || major(ns.st_rdev) != 1 || minor(ns.st_rdev) != 3) die_rec(r, EPERM);
    char src[64];
    snprintf(src, sizeof(src), "/proc/self/fd/%d", nfd);
    if (mount(src, target, NULL, MS_BIND, NULL) < 0) die_rec(r, errno);
    close(nfd);
  }
  close(fd);
}

/* readonly PATH — bind a path onto itself read-only (if it exists). */
static void do_readonly(rec_t *r) {
  if (r->n < 2) die_rec(r, EINVAL);
  int fd = open_in_root(r->f[1], O_PATH, 1);
  if (fd < 0) {
    if (errno == ENOENT) return;
    die_rec(r, errno);
  }
  char target[64];
  snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
  if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0) die_rec(r, errno);
  close(fd);
  fd = open_in_root(r->f[1], O_PATH, 1);
  snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
  if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
    die_rec(r, errno);
  close(fd);
}

/*
 * pivot — make the assembled root the process's root. pivot_root(".", ".") stacks the
 * old root on top of the new one; unmounting it lazily detaches the whole host tree
 * from this namespace, so nothing of the host stays reachable.
 */
static void do_pivot(rec_t *r) {
  if (fchdir(root_fd) < 0) die_rec(r, errno);
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_rec(r, errno);
  if (umount2(".", MNT_DETACH) < 0) die_rec(r, errno);
  if (chdir("/") < 0) die_rec(r, errno);
  close(root_fd);
  root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) die_rec(r, errno);
}

static void do_ifup(rec_t *r) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die_rec(r, errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", r->f[1]);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die_rec(r, errno);
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die_rec(r, errno);
  close(s);
}

/* ---------- process attributes ---------- */

static void do_rlimit(rec_t *r) {
  struct rlimit rl = {(rlim_t)num(r->f[2]), (rlim_t)num(r->f[3])};
  if (setrlimit((int)num(r->f[1]), &rl) < 0) die_rec(r, errno);
}

static void do_user(rec_t *r) {
  /* user UID GID [GID...] — keep capabilities across the uid change; they are set afterwards. */
  uid_t uid = (uid_t)num(r->f[1]);
  gid_t gid = (gid_t)num(r->f[2]);
  int ng = r->n - 3;
  gid_t *groups = calloc(ng > 0 ? ng : 1, sizeof(gid_t));
  for (int i = 0; i < ng; i++) groups[i] = (gid_t)num(r->f[3 + i]);
  if (prctl(PR_SET_KEEPCAPS, 1) < 0) die_rec(r, errno);
  if (setgroups(ng, groups) < 0) die_rec(r, errno);
  if (setresgid(gid, gid, gid) < 0) die_rec(r, errno);
  if (setresuid(uid, uid, uid) < 0) die_rec(r, errno);
  free(groups);
}

/*
 * caps BOUNDING EFFECTIVE PERMITTED INHERITABLE AMBIENT (64-bit masks), in two steps:
 * the bounding set is dropped while we are still root (PR_CAPBSET_DROP needs
 * CAP_SETPCAP in the effective set, which a switch to another uid clears), the other
 * sets are set after the switch (PR_SET_KEEPCAPS kept the permitted ones across it).
 */
static void do_bounding(rec_t *r) {
  unsigned long long bnd = num(r->f[1]);
  for (int c = 0; c < 64; c++) {
    if (bnd & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      die_rec(r, errno);
    }
  }
}

static void do_caps(rec_t *r) {
  unsigned long long eff = num(r->f[2]), prm = num(r->f[3]), inh = num(r->f[4]), amb = num(r->f[5]);
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  d[0].effective = (uint32_t)eff; d[1].effective = (uint32_t)(eff >> 32);
  d[0].permitted = (uint32_t)prm; d[1].permitted = (uint32_t)(prm >> 32);
  d[0].inheritable = (uint32_t)inh; d[1].inheritable = (uint32_t)(inh >> 32);
  if (syscall(SYS_capset, &h, d) < 0) die_rec(r, errno);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int c = 0; c < 64; c++)
    if (amb & (1ULL << c))
      if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) die_rec(r, errno);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The bytes of a hex field, in whole units of `unit` bytes; NULL if it is not that. */
static unsigned char *unhex(const char *hex, size_t unit, size_t *len) {
  size_t hl = strlen(hex);
  if (hl == 0 || hl % (2 * unit)) return NULL;
  unsigned char *bytes = malloc(hl / 2);
  if (!bytes) return NULL;
  for (size_t i = 0; i < hl / 2; i++) {
    int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);
    if (a < 0 || b < 0) { free(bytes); return NULL; }
    bytes[i] = (unsigned char)(a * 16 + b);
  }
  *len = hl / 2;
  return bytes;
}

/* seccomp HEX — install a classic BPF program built by the engine. */
static void do_seccomp(rec_t *r) {
  size_t len;
  struct sock_filter *prog = (struct sock_filter *)unhex(r->f[1], sizeof(struct sock_filter), &len);
  if (!prog) die_rec(r, EINVAL);
  struct sock_fprog fp = {(unsigned short)(len / sizeof(struct sock_filter)), prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0) die_rec(r, errno);
  free(prog);
}

/*
 * devices DIR HEX — cgroup v2's device controller: load the eBPF program the engine built
 * (BPF_PROG_TYPE_CGROUP_DEVICE) and attach it to the container's cgroup DIR. The kernel
 * then asks it on every open and mknod of a device node by a task of that cgroup. The
 * attachment holds the program; it goes with the cgroup. Returns 0 or an errno.
 */
static int load_devices(rec_t *r) {
  if (r->n < 3) return EINVAL;
  size_t len;
  struct bpf_insn *insns = (struct bpf_insn *)unhex(r->f[2], sizeof(struct bpf_insn), &len);
  if (!insns) return EINVAL;
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uint64_t)(uintptr_t)insns;
  a.insn_cnt = (uint32_t)(len / sizeof(struct bpf_insn));
  a.license = (uint64_t)(uintptr_t) "Apache-2.0"; /* it calls no kernel helper: any license */
  int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
  int err = prog < 0 ? errno : 0;
  free(insns);
  if (prog < 0) return err;
  int dir = open(r->f[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    err = errno;
    close(prog);
    return err;
  }
  memset(&a, 0, sizeof(a));
  a.target_fd = (uint32_t)dir;
  a.attach_bpf_fd = (uint32_t)prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a)) < 0) err = errno;
  close(dir);
  close(prog);
  return err;
}

/* ---------- exec ---------- */

static char **env_list(void) {
  int n = 0;
  for (int i = 0; i < nrecs; i++) if (!strcmp(recs[i].f[0], "env")) n++;
  char **env = calloc(n + 1, sizeof(char *));
  n = 0;
  for (int i = 0; i < nrecs; i++) if (!strcmp(recs[i].f[0], "env")) env[n++] = recs[i].f[1];
  return env;
}

static const char *env_get(char **env, const char *key) {
  size_t kl = strlen(key);
  for (; *env; env++) if (!strncmp(*env, key, kl) && (*env)[kl] == '=') return *env + kl + 1;
  return NULL;
}

/*
 * Run argv[0] as the image's PATH would find it. Like a LookPath: a candidate must be a
 * regular executable file; errors name the command so the engine can map them to
 * Docker's 126 (cannot execute) and 127 (not found).
 */
static void do_exec(rec_t *argv_rec, char **env) {
  char **argv = argv_rec->f + 1;
  const char *cmd = argv[0];
  if (strchr(cmd, '/')) {
    execve(cmd, argv, env);
    int e = errno;
    die1("exec", e, cmd);
  }
  const char *path = env_get(env, "PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char *dup = strdup(path), *save = NULL;
  for (char *dir = strtok_r(dup, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char full[PATH_MAX];
    snprintf(full, sizeof(full), "%s/%s", *dir ? dir : ".", cmd);
    struct stat st;
    if (stat(full, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) continue;
    argv[0] = (char *)cmd;
    execve(full, argv, env);
    int e = errno;
    char *a[2] = {(char *)cmd, full};
    die_json("exec", e, 2, a);
  }
  char *a[2] = {(char *)cmd, ""};
  die_json("lookpath", ENOENT, 2, a);
}

/* ---------- the container's first process ---------- */

static int sync_child_fd = -1;
/* container ends of the stdio pipes (non-tty), set by the monitor before clone */
static int child_stdin = -1, child_stdout = -1, child_stderr = -1;
/* exec: the container's mount namespace, joined by the child itself */
static int join_mnt_fd = -1;
/* v1 `tasks` files of the container's cgroups, opened by the monitor before clone. */
#define MAX_SELF_CG 32
static int self_cg_fds[MAX_SELF_CG];
static int self_cg_n;

/* A cgroup file the child writes "0" into itself: a v1 `tasks` file. Moving a single
 * thread that is the caller skips the kernel's threadgroup lock, whose write side waits
 * for an RCU grace period (10-25 ms on this kind of host); writing a pid into
 * cgroup.procs takes it. The child is single-threaded, so the thread is the process. */
static int is_self_cgroup(const char *path) {
  size_t n = strlen(path);
  return n >= 6 && !strcmp(path + n - 6, "/tasks");
}

static void send_fd(int sock, int fd) {
  char c = 'T';
  struct iovec iov = {&c, 1};
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof(cbuf));
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  sendmsg(sock, &msg, 0);
}

static int recv_fd(int sock, char *tag) {
  struct iovec iov = {tag, 1};
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) return -2;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (cm && cm->cmsg_type == SCM_RIGHTS) {
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
  }
  return -1;
}

static void setup_console(void) {
  /* The pty comes from the container's own devpts instance, so that ttyname() and
   * /dev/console inside the container name a device the container can see. */
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die1("console", errno, "/dev/ptmx");
  if (unlockpt(master) < 0) die1("console", errno, "unlockpt");
  char name[64];
  if (ptsname_r(master, name, sizeof(name)) != 0) die1("console", errno, "ptsname");
  int slave = open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) die1("console", errno, name);
  rec_t *ws = find("winsize");
  if (ws && ws->n >= 3) {
    struct winsize w = {(unsigned short)num(ws->f[1]), (unsigned short)num(ws->f[2]), 0, 0};
    ioctl(slave, TIOCSWINSZ, &w);
  }
  int cfd = open_in_root("/dev/console", O_PATH, 1);
  if (cfd >= 0) {
    char t[64];
    snprintf(t, sizeof(t), "/proc/self/fd/%d", cfd);
    if (mount(name, t, NULL, MS_BIND, NULL) < 0) die1("console", errno, "/dev/console");
    close(cfd);
  }
  send_fd(sync_child_fd, master);
  close(master);
  if (setsid() < 0) die1("console", errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die1("console", errno, "TIOCSCTTY");
  dup2(slave, 0);
  dup2(slave, 1);
  dup2(slave, 2);
  if (slave > 2) close(slave);
}

static int child_main(void *arg) {
  (void)arg;
  report_fd = sync_child_fd;
  /* exec into a running container: the monitor joined the other namespaces (the pid
   * namespace applies to its children, so we are inside it); the mount namespace is
   * joined here so that the monitor itself keeps the host's files. setns() of a mount
   * namespace also moves root and cwd to that namespace's root. */
  if (join_mnt_fd >= 0 && setns(join_mnt_fd, CLONE_NEWNS) < 0) die1("setns", errno, "mnt");
  /* Into our cgroups first, so that everything we do from here on is accounted there. */
  for (int i = 0; i < self_cg_n; i++) {
    if (write(self_cg_fds[i], "0", 1) != 1) die1("cgroup", errno, "tasks");
    close(self_cg_fds[i]);
  }
  /* Wait until the monitor has placed us in the cgroups it writes for us (v2). */
  char go;
  if (read(sync_child_fd, &go, 1) != 1) _exit(125);

  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL);

  rec_t *argv_rec = NULL, *seccomp_rec = NULL, *caps_rec = NULL, *user_rec = NULL;
  int tty = 0, stdin_open = 0, nnp = 0;
  const char *cwd = "/";
  for (int i = 0; i < nrecs; i++) {
    rec_t *r = &recs[i];
    const char *op = r->f[0];
    if (!strcmp(op, "hostname")) {
      if (sethostname(r->f[1], strlen(r->f[1])) < 0) die_rec(r, errno);
    } else if (!strcmp(op, "domainname")) {
      if (setdomainname(r->f[1], strlen(r->f[1])) < 0) die_rec(r, errno);
    } else if (!strcmp(op, "unshare")) {
      if (unshare((int)num(r->f[1])) < 0) die_rec(r, errno);
    } else if (!strcmp(op, "private")) {
      /* Stop mount events from flowing back to the host before we mount anything. */
      if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die_rec(r, errno);
    } else if (!strcmp(op, "root")) {
      if (root_fd >= 0) close(root_fd);
      root_fd = open(r->f[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (root_fd < 0) die_rec(r, errno);
    } else if (!strcmp(op, "mount")) do_mount(r, 0);
    else if (!strcmp(op, "mountin")) do_mount(r, 1);
    else if (!strcmp(op, "mknod")) do_mknod(r);
    else if (!strcmp(op, "symlink")) do_symlink(r);
    else if (!strcmp(op, "mkdir")) do_mkdir(r);
    else if (!strcmp(op, "mask")) do_mask(r);
    else if (!strcmp(op, "readonly")) do_readonly(r);
    else if (!strcmp(op, "pivot")) do_pivot(r);
    else if (!strcmp(op, "remountro")) {
      if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) die_rec(r, errno);
    } else if (!strcmp(op, "ifup")) do_ifup(r);
    else if (!strcmp(op, "rlimit")) do_rlimit(r);
    else if (!strcmp(op, "umask")) umask((mode_t)num(r->f[1]));
    else if (!strcmp(op, "argv")) argv_rec = r;
    else if (!strcmp(op, "cwd")) cwd = r->f[1];
    else if (!strcmp(op, "tty")) tty = r->f[1][0] == '1';
    else if (!strcmp(op, "stdin")) stdin_open = r->f[1][0] == '1';
    else if (!strcmp(op, "seccomp")) seccomp_rec = r;
    else if (!strcmp(op, "caps")) caps_rec = r;
    else if (!strcmp(op, "user")) user_rec = r;
    else if (!strcmp(op, "nnp")) nnp = r->f[1][0] == '1';
    else if (!strcmp(op, "mkfile")) {
      int fd = mkfile_in_root(r->f[1], 1);
      if (fd < 0) die_rec(r, errno);
      close(fd);
    } else if (!strcmp(op, "env") || !strcmp(op, "winsize") || !strcmp(op, "ns") || !strcmp(op, "cgroup") ||
               !strcmp(op, "exitfile") || !strcmp(op, "devices") || !strcmp(op, "cleanup") || !strcmp(op, "log") ||
               !strcmp(op, "attach") || !strcmp(op, "detach") || !strcmp(op, "join")) {
      /* read elsewhere, or the monitor's business */
    } else {
      die_rec(r, ENOSYS); /* an op this helper does not know: never skip a step silently */
    }
  }
  if (!argv_rec || argv_rec->n < 2) die1("argv", EINVAL, NULL);

  /* Nothing of the user's runs before we are in the container's cgroups: the monitor
   * wrote our pid into each cgroup.procs (v2) while we built the rootfs (a migration of a
   * whole thread group waits for an RCU grace period: worth overlapping with the mounts). */
  if (read(sync_child_fd, &go, 1) != 1 || go != 'c') _exit(125);

  if (tty) setup_console();
  else {
    /* The monitor's pipes: it keeps the other ends, logs and relays what comes out. */
    if (stdin_open) dup2(child_stdin, 0);
    else {
      int nfd = open("/dev/null", O_RDONLY);
      if (nfd < 0) die1("stdin", errno, "/dev/null");
      dup2(nfd, 0);
      if (nfd > 0) close(nfd);
    }
    dup2(child_stdout, 1);
    dup2(child_stderr, 2);
  }

  /* The working directory must exist and be a directory inside the new root. */
  if (chdir(cwd) < 0) die1("chdir", errno, cwd);
  char here[PATH_MAX];
  if (!getcwd(here, sizeof(here)) || here[0] != '/') die1("chdir", EACCES, cwd);

  char **env = env_list();
  /* Without no_new_privs the kernel only accepts a filter from a CAP_SYS_ADMIN holder,
   * so it goes in before the capabilities are dropped; with it, as late as possible. */
  if (seccomp_rec && !nnp) do_seccomp(seccomp_rec);
  if (caps_rec) do_bounding(caps_rec);
  if (user_rec) do_user(user_rec);
  if (caps_rec) do_caps(caps_rec);
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die1("nnp", errno, NULL);
  if (seccomp_rec && nnp) do_seccomp(seccomp_rec);
  /* No descriptor of the engine may survive into the container (CVE-2024-21626): mark
   * everything above stderr close-on-exec; the sync socket closing tells the monitor
   * that execve succeeded. */
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  do_exec(argv_rec, env);
  return 125;
}

/* ---------- the monitor ---------- */

static struct termios saved_tio;
static int tio_saved = 0;

static void restore_tty(void) {
  if (tio_saved) tcsetattr(0, TCSADRAIN, &saved_tio);
  tio_saved = 0;
}

static void make_raw(void) {
  if (!isatty(0)) return;
  if (tcgetattr(0, &saved_tio) < 0) return;
  struct termios raw = saved_tio;
  /* The container's pty already did the output processing (\n -> \r\n): the user's
   * terminal passes bytes through untouched, both ways. */
  cfmakeraw(&raw);
  if (tcsetattr(0, TCSADRAIN, &raw) == 0) tio_saved = 1;
}

static void copy_winsize(int master) {
  struct winsize w;
  if (ioctl(0, TIOCGWINSZ, &w) == 0) ioctl(master, TIOCSWINSZ, &w);
}

static int write_full(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (w <= 0) return -1;
    buf += w;
    len -= (size_t)w;
  }
  return 0;
}

static void write_file(const char *path, const char *content) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_full(fd, content, strlen(content));
  /* no fsync: readers need the rename's atomicity, not durability (after a crash of
   * the machine the container is gone either way, and its end is repaired as 255) */
  close(fd);
  rename(tmp, path);
}

/* ---------- json-file logging ---------- */

/*
 * Docker's json-file format: one object per line, {"log":"...\n","stream":"stdout",
 * "time":"RFC3339Nano"}. Output is cut at newlines; a line longer than the buffer is
 * written in pieces (without the trailing newline), as Docker does at 16 KiB.
 */
#define LOGBUF 16384

typedef struct {
  const char *name;
  char buf[LOGBUF];
  size_t len;
} stream_t;

static int log_fd = -1;

static void log_entry(const char *stream, const char *data, size_t len) {
  if (log_fd < 0) return;
  static char out[LOGBUF * 6 + 256];
  size_t o = 0;
  o += (size_t)snprintf(out, sizeof(out), "{\"log\":\"");
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)data[i];
    if (c == '"' || c == '\\') { out[o++] = '\\'; out[o++] = (char)c; }
    else if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
    else if (c == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
    else if (c == '\t') { out[o++] = '\\'; out[o++] = 't'; }
    else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, 7, "\\u%04x", c);
    else out[o++] = (char)c;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[40];
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  o += (size_t)snprintf(out + o, sizeof(out) - o, "\",\"stream\":\"%s\",\"time\":\"%s.%09ldZ\"}\n", stream, when,
                        ts.tv_nsec);
  write_full(log_fd, out, o);
}

static void log_data(stream_t *s, const char *data, size_t len) {
  if (log_fd < 0) return;
  for (size_t i = 0; i < len; i++) {
    s->buf[s->len++] = data[i];
    if (data[i] == '\n' || s->len == LOGBUF) {
      log_entry(s->name, s->buf, s->len);
      s->len = 0;
    }
  }
}

static void log_flush(stream_t *s) {
  if (s->len) log_entry(s->name, s->buf, s->len);
  s->len = 0;
}

static int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT, SIGALRM, SIGWINCH, SIGCHLD};
/* Sent to a detached monitor by an engine command (`stop`) that records the container's
 * end itself: the monitor then exits without running the cleanup command. SIGURG, whose
 * default action is to be ignored: a monitor of an older build, or the cleanup command it
 * has become, is not hurt by it. Never forwarded to the container. */
#define SIG_DISMISS SIGURG
static int dismissed;

static const char *ns_names[] = {"ipc", "uts", "net", "pid", "cgroup"};
static const int ns_types[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWCGROUP};

/* exec: join every namespace of the running container but the mount one (see child_main). */
static void join_namespaces(rec_t *r) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%s/ns/mnt", r->f[1]);
  join_mnt_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (join_mnt_fd < 0) die_rec(r, errno);
  int fds[5];
  for (int i = 0; i < 5; i++) {
    snprintf(path, sizeof(path), "/proc/%s/ns/%s", r->f[1], ns_names[i]);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) die_rec(r, errno);
  }
  for (int i = 0; i < 5; i++) {
    struct stat a, b;
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_names[i]);
    /* joining the namespace we are already in is refused for some types; skip it */
    if (stat(self, &a) == 0 && fstat(fds[i], &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) continue;
    if (setns(fds[i], ns_types[i]) < 0) die1("setns", errno, ns_names[i]);
    close(fds[i]);
  }
}

/* A step of ours before the child's exec failed: the child must not go on. */
static void abort_child(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* A sync byte to the child. A child that already failed has closed its end (EPIPE): its
 * report is read after the sync. */
static void send_sync(int sock, pid_t pid, char byte) {
  if (write(sock, &byte, 1) != 1 && errno != EPIPE) {
    int e = errno;
    abort_child(pid);
    die1("sync", e, NULL);
  }
}

/* Writes the child's pid into a cgroup.procs file (v2). Returns 0 or an errno. */
static int place_pid(const char *file, pid_t pid) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%d", pid);
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = write(fd, buf, (size_t)n) < 0 ? errno : 0;
  close(fd);
  return e;
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  signal(SIGPIPE, SIG_IGN);
  if (read_plan() < 0) {
    fprintf(stderr, "mydocker-shim: no valid plan on fd 4 (this program is started by mydocker)\n");
    return 125;
  }
  rec_t *ns = find("ns"), *t;
  int flags = ns ? (int)num(ns->f[1]) : 0;
  int stdin_open = (t = find("stdin")) && t->f[1][0] == '1';
  int tty = (t = find("tty")) && t->f[1][0] == '1';
  int attach = (t = find("attach")) && t->f[1][0] == '1';
  int detach = (t = find("detach")) && t->f[1][0] == '1';
  if ((t = find("log"))) {
    log_fd = open(t->f[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (log_fd < 0) die_rec(t, errno);
  }
  /* Not dumpable: no process of the container can open our /proc/N/exe (the host's
   * helper binary, CVE-2019-5736) in the moment before the user's execve, which makes
   * the new program dumpable again. The child inherits this. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die1("dumpable", errno, NULL);
  rec_t *join = find("join");
  if (join) {
    join_namespaces(join);
    flags = 0;
  }

  for (int i = 0; i < nrecs; i++) {
    if (strcmp(recs[i].f[0], "cgroup") || !is_self_cgroup(recs[i].f[1])) continue;
    if (self_cg_n == MAX_SELF_CG) die_rec(&recs[i], E2BIG);
    int fd = open(recs[i].f[1], O_WRONLY | O_CLOEXEC);
    if (fd < 0) die_rec(&recs[i], errno);
    self_cg_fds[self_cg_n++] = fd;
  }

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die1("socketpair", errno, NULL);

  /* Non-tty stdio goes through pipes the monitor holds: it logs the output and relays it
   * to the caller when attached; stdin stays open (but silent) for a detached -i. */
  int in_w = -1, out_r = -1, err_r = -1;
  if (!tty) {
    int p[2];
    if (stdin_open) {
      if (pipe2(p, O_CLOEXEC) < 0) die1("pipe", errno, NULL);
      child_stdin = p[0];
      in_w = p[1];
    }
    if (pipe2(p, O_CLOEXEC) < 0) die1("pipe", errno, NULL);
    out_r = p[0];
    child_stdout = p[1];
    if (pipe2(p, O_CLOEXEC) < 0) die1("pipe", errno, NULL);
    err_r = p[0];
    child_stderr = p[1];
  }

  /* The monitor takes its signals through a signalfd; the child unblocks them before exec. */
  sigset_t mask;
  sigemptyset(&mask);
  for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) sigaddset(&mask, forwarded[i]);
  sigaddset(&mask, SIG_DISMISS);
  sigprocmask(SIG_BLOCK, &mask, NULL);

  pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid < 0) die1("clone", errno, ns ? ns->f[1] : "0");
  if (pid == 0) {
    close(sv[0]);
    sync_child_fd = sv[1];
    close(CTL_FD);
    _exit(child_main(NULL));
  }
  close(sv[1]);
  for (int i = 0; i < self_cg_n; i++) close(self_cg_fds[i]);
  if (child_stdin >= 0) close(child_stdin);
  if (child_stdout >= 0) close(child_stdout);
  if (child_stderr >= 0) close(child_stderr);

  /* Let the child build its rootfs while we place it in its cgroups; it waits for the
   * second byte before it runs anything of the user's. */
  send_sync(sv[0], pid, 'g');
  /* In the plan's order: the cgroups the monitor writes the pid into (v2), then the device
   * program, in place before anything of the user's runs. */
  for (int i = 0; i < nrecs; i++) {
    int e = 0;
    if (!strcmp(recs[i].f[0], "cgroup") && !is_self_cgroup(recs[i].f[1])) e = place_pid(recs[i].f[1], pid);
    else if (!strcmp(recs[i].f[0], "devices")) e = load_devices(&recs[i]);
    if (e) {
      abort_child(pid);
      die_rec(&recs[i], e);
    }
  }
  send_sync(sv[0], pid, 'c');

  /* Until execve the child reports on the socket; EOF means the exec happened. */
  int master = -1;
  char errbuf[8192];
  size_t errlen = 0;
  for (;;) {
    char tag = 0;
    int fd = recv_fd(sv[0], &tag);
    if (fd >= 0) { master = fd; continue; }
    if (fd == -2) break;
    /* plain bytes: an error line */
    if (errlen < sizeof(errbuf) - 1) errbuf[errlen++] = tag;
    ssize_t n = read(sv[0], errbuf + errlen, sizeof(errbuf) - 1 - errlen);
    if (n > 0) errlen += (size_t)n;
  }
  close(sv[0]);
  if (errlen > 0) {
    int st;
    waitpid(pid, &st, 0);
    send_line(errbuf, errlen);
    return 125;
  }

  char line[256];
  /* The start time is taken here, not by the CLI: a short command may be over before
   * the CLI reads this line. */
  struct timespec started;
  clock_gettime(CLOCK_REALTIME, &started);
  snprintf(line, sizeof(line), "{\"pid\":%d,\"startedAt\":\"%lld%09ld\"}\n", pid, (long long)started.tv_sec,
           started.tv_nsec);
  send_line(line, strlen(line));

  if (detach) {
    /* Leave the caller's session and terminal: the CLI returns at once, we stay. */
    setsid();
    int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nfd >= 0) {
      dup2(nfd, 0);
      dup2(nfd, 1);
      dup2(nfd, 2);
      close(nfd);
    }
    attach = 0;
  }

  if (master >= 0) {
    if (attach) {
      make_raw();
      copy_winsize(master);
    }
    int fl = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, fl | O_NONBLOCK);
  }

  stream_t so = {"stdout", {0}, 0}, se = {"stderr", {0}, 0};
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  int status = 0, exited = 0, ctl_open = 1;
  int in_open = attach && stdin_open; /* relay our stdin into the container */
  char buf[16384];
  struct timespec exit_at = {0, 0};
  for (;;) {
    int outputs_open = master >= 0 || out_r >= 0 || err_r >= 0;
    if (exited && !outputs_open) break;
    struct pollfd p[6];
    int np = 0, i_sig = -1, i_master = -1, i_out = -1, i_err = -1, i_in = -1, i_ctl = -1;
    if (!exited) { p[np] = (struct pollfd){sfd, POLLIN, 0}; i_sig = np++; }
    if (master >= 0) { p[np] = (struct pollfd){master, POLLIN, 0}; i_master = np++; }
    if (out_r >= 0) { p[np] = (struct pollfd){out_r, POLLIN, 0}; i_out = np++; }
    if (err_r >= 0) { p[np] = (struct pollfd){err_r, POLLIN, 0}; i_err = np++; }
    if (in_open && !exited) { p[np] = (struct pollfd){0, POLLIN, 0}; i_in = np++; }
    if (ctl_open && !exited) { p[np] = (struct pollfd){CTL_FD, POLLIN, 0}; i_ctl = np++; }
    /* After the exit, drain what is still buffered; the kernel has killed every other
     * process of the container, so the pipes reach EOF at once — but a pty's master
     * gives EIO only when drained, and we never wait more than a second. */
    int r = poll(p, np, exited ? 100 : -1);
    if (r < 0 && errno == EINTR) continue;
    if (exited) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (r == 0 || now.tv_sec - exit_at.tv_sec > 1) break;
    }
    if (i_sig >= 0 && (p[i_sig].revents & POLLIN)) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) {
          int st;
          pid_t w;
          while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            if (w == pid) {
              status = st;
              exited = 1;
              clock_gettime(CLOCK_MONOTONIC, &exit_at);
            }
        } else if (si.ssi_signo == SIGWINCH) {
          if (master >= 0 && attach) copy_winsize(master);
        } else if (si.ssi_signo == SIG_DISMISS) {
          dismissed = 1;
        } else {
          kill(pid, (int)si.ssi_signo);
        }
      }
    }
    int *srcs[3] = {&master, &out_r, &err_r};
    int idx[3] = {i_master, i_out, i_err};
    for (int k = 0; k < 3; k++) {
      if (idx[k] < 0 || !(p[idx[k]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(*srcs[k], buf, sizeof(buf));
      if (n > 0) {
        stream_t *s = k == 2 ? &se : &so;
        log_data(s, buf, (size_t)n);
        if (attach) write_full(k == 2 ? 2 : 1, buf, (size_t)n);
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        /* EOF, or EIO from a pty master whose every slave is closed */
        close(*srcs[k]);
        *srcs[k] = -1;
      }
    }
    if (i_in >= 0 && (p[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, buf, sizeof(buf));
      if (n > 0) write_full(master >= 0 ? master : in_w, buf, (size_t)n);
      else {
        in_open = 0;
        /* EOF on our stdin is EOF on the container's */
        if (in_w >= 0) { close(in_w); in_w = -1; }
      }
    }
    if (i_ctl >= 0 && (p[i_ctl].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(CTL_FD, buf, sizeof(buf));
      if (n <= 0) ctl_open = 0; /* the CLI is gone; we carry on and clean up ourselves */
    }
  }
  if (master >= 0) close(master);
  log_flush(&so);
  log_flush(&se);
  restore_tty();

  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char res[256];
  snprintf(res, sizeof(res), "{\"exit\":%d,\"signal\":%d,\"finishedAt\":\"%lld%09ld\"}\n", code, sig,
           (long long)ts.tv_sec, ts.tv_nsec);
  rec_t *ef = find("exitfile");
  if (ef) write_file(ef->f[1], res);

  /* Tell the CLI; if it acknowledges with "ok" it has done the cleanup itself. */
  int acked = 0;
  if (ctl_open) {
    send_line(res, strlen(res));
    char ack[8];
    ssize_t n;
    do n = read(CTL_FD, ack, sizeof(ack));
    while (n < 0 && errno == EINTR);
    acked = n >= 2 && ack[0] == 'o' && ack[1] == 'k';
  }
  /* a dismissal that came after the exit is still pending (the signalfd is no longer read) */
  sigset_t pend;
  if (sigpending(&pend) == 0 && sigismember(&pend, SIG_DISMISS)) dismissed = 1;
  if (!acked && !dismissed) {
    rec_t *cl = find("cleanup");
    if (cl && cl->n >= 2) {
      int nfd = open("/dev/null", O_RDWR);
      if (nfd >= 0) { dup2(nfd, 0); dup2(nfd, 1); dup2(nfd, 2); }
      sigprocmask(SIG_UNBLOCK, &mask, NULL);
      execv(cl->f[1], cl->f + 1);
      return 125;
    }
  }
  return 0;
}
