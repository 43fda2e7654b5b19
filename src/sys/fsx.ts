/**
 * Low-level file-system calls that Node does not offer: mknod, extended attributes and flock.
 *
 * They go through the CLI's own Node-API addon (native/addon.c), a few microseconds to load
 * (koffi, a general FFI, took ~20 ms: paid by every `exec` or `start` whose rootfs needed
 * an xattr read).
 *
 * Errors are thrown as Node-style errors (`code`, `errno`, `syscall`, `path`) so callers can
 * treat them like the ones of `node:fs`.
 */
import os = require('node:os');
import { native } from '../runtime/native';

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

/** The real implementation, on the CLI's addon (native/addon.c). */
export const fsx: Fsx = {
  mknod(path, mode, major, minor) {
    const r = native().mknod(path, mode >>> 0, major >>> 0, minor >>> 0);
    if (r < 0) throw errnoError(-r, 'mknod', path);
  },

  lsetxattr(path, name, value) {
    const r = native().lsetxattr(path, name, typeof value === 'string' ? Buffer.from(value) : value);
    if (r < 0) throw errnoError(-r, 'lsetxattr', path);
  },

  lgetxattr(path, name) {
    const r = native().lgetxattr(path, name);
    if (typeof r !== 'number') return r;
    if (-r === os.constants.errno.ENODATA) return undefined;
    throw errnoError(-r, 'lgetxattr', path);
  },

  flock(fd, op) {
    const r = native().flock(fd, op === 'ex');
    if (r < 0) throw errnoError(-r, 'flock');
  },
};

/** The names of the extended attributes of `p` (never following a symbolic link there). */
export function llistxattr(p: string): string[] {
  const r = native().llistxattr(p);
  if (typeof r === 'number') {
    if (-r === os.constants.errno.ENOTSUP) return [];
    throw errnoError(-r, 'llistxattr', p);
  }
  return r
    .toString('latin1')
    .split('\0')
    .filter((n) => n !== '')
    .map((n) => Buffer.from(n, 'latin1').toString('utf8'));
}
