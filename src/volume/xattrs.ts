/**
 * Listing the extended attributes of a path (llistxattr), which copy-up needs and the
 * shared `sys/fsx` module does not offer yet. Same conventions as fsx: libc through koffi,
 * loaded on first use only, Node-style errors. Getting and setting go through fsx.
 */
import os = require('node:os');

type ListFn = (path: string, list: Buffer | null, size: number) => number | bigint;

let listFn: ListFn | undefined;
let errnoFn: (() => number) | undefined;

function load(): ListFn {
  if (listFn) return listFn;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  errnoFn = () => koffi.errno();
  listFn = lib.func('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)') as ListFn;
  return listFn;
}

function fail(errno: number, p: string): NodeJS.ErrnoException {
  const code = Object.entries(os.constants.errno).find(([, n]) => n === errno)?.[0] ?? `E${errno}`;
  const err: NodeJS.ErrnoException = new Error(`${code}: llistxattr failed '${p}'`);
  err.code = code;
  err.errno = -errno;
  err.syscall = 'llistxattr';
  err.path = p;
  return err;
}

/** The names of the extended attributes of `p` (never following a symbolic link there). */
export function llistxattr(p: string): string[] {
  const f = load();
  for (;;) {
    const need = Number(f(p, null, 0));
    if (need < 0) {
      const e = errnoFn!();
      if (e === os.constants.errno.ENOTSUP) return [];
      throw fail(e, p);
    }
    if (need === 0) return [];
    const buf = Buffer.alloc(need);
    const got = Number(f(p, buf, need));
    if (got < 0) {
      const e = errnoFn!();
      if (e === os.constants.errno.ERANGE) continue; // grew in between: ask again
      throw fail(e, p);
    }
    return buf
      .subarray(0, got)
      .toString('latin1')
      .split('\0')
      .filter((n) => n !== '')
      .map((n) => Buffer.from(n, 'latin1').toString('utf8'));
  }
}
