/**
 * The compiled default program loaded into the real kernel: a tiny C program installs it
 * (no_new_privs + seccomp(SECCOMP_SET_MODE_FILTER)) and reports what each system call
 * returns. Runs only as root with a C compiler (it first moves into a private mount
 * namespace, so nothing a broken filter lets through can reach the host's mount table).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, release } from 'node:os';
import path from 'node:path';
import { buildSecurityPlan } from '../../../src/spec/security';

const SOURCE = String.raw`
#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
static void show(const char *name, long r) { printf("%s %d\n", name, r < 0 ? errno : 0); }
int main(int argc, char **argv) {
  static struct sock_filter buf[4096];
  FILE *f = fopen(argv[1], "rb");
  size_t n = fread(buf, sizeof buf[0], 4096, f);
  fclose(f);
  struct sock_fprog prog = { .len = (unsigned short)n, .filter = buf };
  if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) { perror("private"); return 2; }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("nnp"); return 2; }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) { perror("seccomp"); return 3; }
  setvbuf(stdout, NULL, _IONBF, 0);
  show("getpid", getpid());
  show("mount", mount("none", "/mnt", "tmpfs", 0, NULL));
  show("unshare", unshare(CLONE_NEWNS));
  show("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
  show("fsopen", syscall(430, "tmpfs", 0));
  show("clone3", syscall(435, 0, 0));
  show("socket_inet", socket(AF_INET, SOCK_DGRAM, 0));
  show("socket_vsock", socket(40, SOCK_STREAM, 0));
  show("syscall_1000", syscall(1000));
  long r = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
  if (r == 0) _exit(0);
  int e = errno, st;
  if (r > 0) waitpid(r, &st, 0);
  errno = e;
  show("clone_newns", r);
  pid_t p = fork();
  if (p == 0) _exit(0);
  show("fork", p);
  if (p > 0) waitpid(p, &st, 0);
  return 0;
}
`;

const canRun =
  process.platform === 'linux' &&
  (process.arch === 'x64' || process.arch === 'arm64') &&
  process.getuid?.() === 0 &&
  spawnSync('cc', ['--version']).status === 0;

test('the kernel accepts the default program and enforces it', { skip: !canRun && 'needs root, Linux and cc' }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mydocker-seccomp-'));
  try {
    writeFileSync(path.join(dir, 't.c'), SOURCE);
    execFileSync('cc', ['-O1', '-o', path.join(dir, 't'), path.join(dir, 't.c')]);
    const results = (capAdd: string[]) => {
      const plan = buildSecurityPlan({ lastCap: 40, arch: process.arch, kernelRelease: release(), capAdd });
      writeFileSync(path.join(dir, 'p.bpf'), plan.seccomp!);
      const out = execFileSync(path.join(dir, 't'), [path.join(dir, 'p.bpf')], { encoding: 'utf8', timeout: 10_000 });
      return Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
    };
    const EPERM = 1;
    const ENOSYS = 38;
    assert.deepEqual(results([]), {
      getpid: 0,
      mount: EPERM,
      unshare: EPERM,
      keyctl: EPERM,
      fsopen: EPERM,
      clone3: ENOSYS,
      socket_inet: 0,
      socket_vsock: EPERM,
      syscall_1000: ENOSYS,
      clone_newns: EPERM,
      fork: 0,
    });
    const admin = results(['SYS_ADMIN']);
    assert.equal(admin.mount, 0);
    assert.equal(admin.unshare, 0);
    assert.equal(admin.fsopen, 0);
    assert.equal(admin.clone_newns, 0);
    assert.equal(admin.keyctl, EPERM);
    assert.notEqual(admin.clone3, ENOSYS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
