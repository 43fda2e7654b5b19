/*
 * mydocker.node: the few calls the CLI makes into the kernel that Node only offers through
 * heavy modules. Starting the helper through child_process loads child_process, net,
 * dgram and the stream modules and wraps a socket in a net.Socket, and libuv forks the
 * whole CLI: together 5-10 ms of every `run`. Here it is one posix_spawn (a vfork: no copy
 * of the CLI's page tables) and a socketpair, whose end the CLI reads with plain fs calls.
 * isatty and the window size spare `run -t` the tty module (which loads net). And the
 * file-system calls Node lacks (mknod, extended attributes, flock): each returns 0 or
 * -errno (a value where there is one), and src/sys/fsx.ts turns that into Node's errors.
 *
 * Node-API only (ABI-stable across Node versions), built with the system cc against the
 * node-api-headers package. No policy lives here either.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

extern char **environ;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof(msg), "%s: %s", what, strerror(err));
  napi_value code, text, e;
  napi_create_int32(env, -err, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, NULL, text, &e);
  napi_set_named_property(env, e, "errno", code);
  napi_throw(env, e);
  return NULL;
}

/*
 * spawnHelper(file, planFd, detach) -> { pid, ctl }
 * The helper gets fd 3 (our socket's other end) and fd 4 (planFd); stdio is ours, or
 * /dev/null when detached. Signal mask empty and every disposition default, as libuv does.
 */
static napi_value SpawnHelper(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char file[4096];
  size_t len = 0;
  int32_t plan = -1;
  bool detach = false;
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], file, sizeof(file), &len) != napi_ok || len >= sizeof(file) - 1 ||
      napi_get_value_int32(env, argv[1], &plan) != napi_ok || napi_get_value_bool(env, argv[2], &detach) != napi_ok) {
    napi_throw_type_error(env, NULL, "spawnHelper(file: string, planFd: number, detach: boolean)");
    return NULL;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return throw_errno(env, "socketpair", errno);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  for (int fd = 0; fd < 3; fd++) {
    if (detach) posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_RDWR, 0);
    /* Node keeps its stdio close-on-exec; dup2 of a descriptor onto itself clears that */
    else posix_spawn_file_actions_adddup2(&fa, fd, fd);
  }
  /* dup2 clears close-on-exec on the copy: only 0-4 reach the helper */
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  posix_spawn_file_actions_adddup2(&fa, plan, 4);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char *args[] = {file, NULL};
  pid_t pid;
  int err = posix_spawn(&pid, file, &fa, &at, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  close(sv[1]);
  if (err) {
    close(sv[0]);
    return throw_errno(env, file, err);
  }
  napi_value out, p, c;
  napi_create_object(env, &out);
  napi_create_int32(env, pid, &p);
  napi_create_int32(env, sv[0], &c);
  napi_set_named_property(env, out, "pid", p);
  napi_set_named_property(env, out, "ctl", c);
  return out;
}

/* reap(pid) -> true once the (exited) child is reaped, false while it runs */
static napi_value Reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t pid = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "reap(pid: number)");
    return NULL;
  }
  int st;
  pid_t r = waitpid(pid, &st, WNOHANG);
  napi_value out;
  napi_get_boolean(env, r == pid || (r < 0 && errno == ECHILD), &out);
  return out;
}

static int fd_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) fd = -1;
  return fd;
}

/* isatty(fd) -> boolean */
static napi_value IsTty(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_get_boolean(env, isatty(fd_arg(env, info)) == 1, &out);
  return out;
}

/* winsize(fd) -> { rows, cols } of a terminal, or null */
static napi_value Winsize(napi_env env, napi_callback_info info) {
  struct winsize ws;
  napi_value out;
  if (ioctl(fd_arg(env, info), TIOCGWINSZ, &ws) < 0) {
    napi_get_null(env, &out);
    return out;
  }
  napi_value r, c;
  napi_create_object(env, &out);
  napi_create_int32(env, ws.ws_row, &r);
  napi_create_int32(env, ws.ws_col, &c);
  napi_set_named_property(env, out, "rows", r);
  napi_set_named_property(env, out, "cols", c);
  return out;
}

/* ---------- file-system calls Node lacks: 0 or -errno ---------- */

typedef struct {
  char path[4096];
  char name[256];
} names_t;

static int str_arg(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len = 0;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok && len < size - 1 ? 0 : -1;
}

static napi_value num(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value bad_args(napi_env env, const char *usage) {
  napi_throw_type_error(env, NULL, usage);
  return NULL;
}

/* mknod(path, mode, major, minor) */
static napi_value Mknod(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  names_t n;
  uint32_t mode, ma, mi;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || str_arg(env, argv[0], n.path, sizeof(n.path)) || napi_get_value_uint32(env, argv[1], &mode) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &ma) != napi_ok || napi_get_value_uint32(env, argv[3], &mi) != napi_ok)
    return bad_args(env, "mknod(path, mode, major, minor)");
  return num(env, mknod(n.path, mode, makedev(ma, mi)) < 0 ? -errno : 0);
}

/* lsetxattr(path, name, value: Buffer) — never follows a symbolic link at path */
static napi_value Lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  names_t n;
  void *data;
  size_t len;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || str_arg(env, argv[0], n.path, sizeof(n.path)) || str_arg(env, argv[1], n.name, sizeof(n.name)) ||
      napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok)
    return bad_args(env, "lsetxattr(path, name, value)");
  return num(env, lsetxattr(n.path, n.name, data, len, 0) < 0 ? -errno : 0);
}

/* Calls f(path, name, buf, size) until the buffer is large enough: a Buffer, or -errno. */
static napi_value sized(napi_env env, ssize_t (*get)(const names_t *, void *, size_t), const names_t *n) {
  for (;;) {
    ssize_t need = get(n, NULL, 0);
    if (need < 0) return num(env, -errno);
    void *buf = malloc(need ? (size_t)need : 1);
    if (!buf) return num(env, -ENOMEM);
    ssize_t got = get(n, buf, (size_t)need);
    if (got < 0) {
      int e = errno;
      free(buf);
      if (e == ERANGE) continue; /* it grew in between: ask again */
      return num(env, -e);
    }
    napi_value out;
    void *dst;
    napi_create_buffer_copy(env, (size_t)got, buf, &dst, &out);
    free(buf);
    return out;
  }
}

static ssize_t get_xattr(const names_t *n, void *buf, size_t size) { return lgetxattr(n->path, n->name, buf, size); }
static ssize_t list_xattr(const names_t *n, void *buf, size_t size) { return llistxattr(n->path, buf, size); }

/* lgetxattr(path, name) -> Buffer | -errno */
static napi_value Lgetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  names_t n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || str_arg(env, argv[0], n.path, sizeof(n.path)) || str_arg(env, argv[1], n.name, sizeof(n.name)))
    return bad_args(env, "lgetxattr(path, name)");
  return sized(env, get_xattr, &n);
}

/* llistxattr(path) -> Buffer of NUL-terminated names | -errno */
static napi_value Llistxattr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  names_t n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || str_arg(env, argv[0], n.path, sizeof(n.path))) return bad_args(env, "llistxattr(path)");
  return sized(env, list_xattr, &n);
}

/* flock(fd, exclusive: boolean): LOCK_EX (blocking) or LOCK_UN */
static napi_value Flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  bool ex;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bool(env, argv[1], &ex) != napi_ok)
    return bad_args(env, "flock(fd, exclusive)");
  int r;
  do r = flock(fd, ex ? LOCK_EX : LOCK_UN);
  while (r < 0 && errno == EINTR);
  return num(env, r < 0 ? -errno : 0);
}

NAPI_MODULE_INIT() {
  struct { const char *name; napi_callback fn; } fns[] = {
      {"spawnHelper", SpawnHelper}, {"reap", Reap}, {"isatty", IsTty}, {"winsize", Winsize}, {"mknod", Mknod},
      {"lsetxattr", Lsetxattr}, {"lgetxattr", Lgetxattr}, {"llistxattr", Llistxattr}, {"flock", Flock}};
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
