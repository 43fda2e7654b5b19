/**
 * Low-level file-system calls that Node does not offer: mknod, extended attributes and flock.
 *
 * They go through libc with koffi, which is loaded on first use only: the common path of
 * `mydocker run` (an image lookup, a few small reads) never pays for loading it.
 *
 * Errors are thrown as Node-style errors (`code`, `errno`, `syscall`, `path`) so callers can
 * treat them like the ones of `node:fs`.
 */
import os = require('node:os');

/** The calls, behind one interface so that tests can substitute a fake. */
export interface Fsx {
  /** mknod(2). `mode` carries the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2): never follows a symbolic link at `path`. */
  lsetxattr(path: string, name: string, value: Buffer | string): void;
  /** lgetxattr(2): the value, or undefined when the attribute is absent. */
  lgetxattr(path: string, name: string): Buffer | undefined;
  /** flock(2) on an open file descriptor: LOCK_EX (blocking) or LOCK_UN. */
  flock(fd: number, op: 'ex' | 'un'): void;
}

export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

const LOCK_EX = 2;
const LOCK_UN = 8;

/** glibc's makedev(): the 64-bit dev_t of a major/minor pair. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return (
    ((ma & 0xfffff000n) << 32n) |
    ((ma & 0xfffn) << 8n) |
    ((mi & 0xffffff00n) << 12n) |
    (mi & 0xffn)
  );
}

let errnoNames: Map<number, string> | undefined;

function errnoError(errno: number, syscall: string, path?: string): NodeJS.ErrnoException {
  if (!errnoNames) {
    errnoNames = new Map();
    for (const [name, num] of Object.entries(os.constants.errno)) errnoNames.set(num as number, name);
  }
  const code = errnoNames.get(errno) ?? `E${errno}`;
  const err: NodeJS.ErrnoException = new Error(
    `${code}: ${syscall} failed${path === undefined ? '' : ` '${path}'`}`,
  );
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

interface Libc {
  errno(): number;
  mknod(path: string, mode: number, dev: bigint): number;
  lsetxattr(path: string, name: string, value: Buffer, size: number, flags: number): number;
  lgetxattr(path: string, name: string, value: Buffer | null, size: number): number | bigint;
  flock(fd: number, op: number): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  // Loaded here, on first use, and never at module load time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  libc = {
    errno: () => koffi.errno(),
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: lib.func(
      'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
    ),
    lgetxattr: lib.func(
      'intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)',
    ),
    flock: lib.func('int flock(int fd, int op)'),
  };
  return libc;
}

/** The real implementation, on libc. */
export const fsx: Fsx = {
  mknod(path, mode, major, minor) {
    const c = load();
    if (c.mknod(path, mode >>> 0, makedev(major, minor)) !== 0) throw errnoError(c.errno(), 'mknod', path);
  },

  lsetxattr(path, name, value) {
    const c = load();
    const buf = typeof value === 'string' ? Buffer.from(value) : value;
    if (c.lsetxattr(path, name, buf, buf.length, 0) !== 0) throw errnoError(c.errno(), 'lsetxattr', path);
  },

  lgetxattr(path, name) {
    const c = load();
    for (;;) {
      const need = Number(c.lgetxattr(path, name, null, 0));
      if (need < 0) {
        const e = c.errno();
        if (e === os.constants.errno.ENODATA) return undefined;
        throw errnoError(e, 'lgetxattr', path);
      }
      const buf = Buffer.alloc(need);
      const got = Number(c.lgetxattr(path, name, buf, need));
      if (got >= 0) return buf.subarray(0, got);
      const e = c.errno();
      if (e === os.constants.errno.ERANGE) continue; // grew in between: ask again
      if (e === os.constants.errno.ENODATA) return undefined;
      throw errnoError(e, 'lgetxattr', path);
    }
  },

  flock(fd, op) {
    const c = load();
    for (;;) {
      if (c.flock(fd, op === 'ex' ? LOCK_EX : LOCK_UN) === 0) return;
      const e = c.errno();
      if (e !== os.constants.errno.EINTR) throw errnoError(e, 'flock');
    }
  },
};
