/**
 * The cgroup file system seen through a narrow interface, so that the drivers run unchanged
 * on the real kernel and on fixture trees in unit tests (where a fake plays the kernel's part:
 * populating interface files on mkdir, refusing rmdir of a busy cgroup).
 *
 * Everything is synchronous: a handful of small reads and writes on a pseudo file system,
 * where the cost of a promise would exceed the cost of the syscall.
 */
import fs = require('node:fs');
import { MydockerError } from '../common/errors';

export interface CgroupFs {
  /** Creates a directory; returns false when it already existed as a directory. */
  mkdir(dir: string): boolean;
  /** Removes an (empty of child cgroups) cgroup directory. Throws the errno error. */
  rmdir(dir: string): void;
  read(file: string): string;
  /** Writes to an existing file, never creating it (cgroupfs cannot create files). */
  write(file: string, value: string): void;
  exists(file: string): boolean;
  /** Names of the subdirectories (child cgroups). Throws ENOENT when dir is missing. */
  subdirs(dir: string): string[];
}

export const realCgroupFs: CgroupFs = {
  mkdir(dir) {
    try {
      fs.mkdirSync(dir);
      return true;
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
      if (!fs.statSync(dir).isDirectory()) throw e;
      return false;
    }
  },
  rmdir(dir) {
    fs.rmdirSync(dir);
  },
  read(file) {
    return fs.readFileSync(file, 'utf8');
  },
  write(file, value) {
    // O_WRONLY without O_CREAT or O_TRUNC: cgroupfs files exist or the controller is absent,
    // and several of them are write-only (O_RDWR would be refused).
    const fd = fs.openSync(file, fs.constants.O_WRONLY);
    try {
      fs.writeSync(fd, value);
    } finally {
      fs.closeSync(fd);
    }
  },
  exists(file) {
    return fs.existsSync(file);
  },
  subdirs(dir) {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  },
};

export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied',
  EAGAIN: 'Resource temporarily unavailable',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EINVAL: 'Invalid argument',
  EIO: 'Input/output error',
  ENODEV: 'No such device',
  ENOENT: 'No such file or directory',
  ENOMEM: 'Cannot allocate memory',
  ENOSPC: 'No space left on device',
  ENOTDIR: 'Not a directory',
  ENOTEMPTY: 'Directory not empty',
  EOPNOTSUPP: 'Operation not supported',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  ERANGE: 'Numerical result out of range',
};

/** The kernel's wording for an errno error ("Invalid argument"), as strerror(3) gives it. */
export function kernelMessage(e: unknown): string {
  const code = errnoCode(e);
  if (code && STRERROR[code]) return STRERROR[code];
  if (code) return code;
  return e instanceof Error ? e.message : String(e);
}

/** A cgroup operation the kernel refused. Names the file; exit 125 like any start failure. */
export class CgroupError extends MydockerError {
  readonly path: string;
  readonly code?: string;
  constructor(message: string, path: string, cause?: unknown) {
    super(message, { cause });
    this.path = path;
    this.code = errnoCode(cause);
  }
}

export function writeError(file: string, value: string, e: unknown): CgroupError {
  return new CgroupError(
    `cgroups: cannot write ${JSON.stringify(value)} to ${file}: ${kernelMessage(e)}`,
    file,
    e,
  );
}

export function opError(op: string, p: string, e: unknown): CgroupError {
  return new CgroupError(`cgroups: cannot ${op} ${p}: ${kernelMessage(e)}`, p, e);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread for ms milliseconds (the driver interface is synchronous). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/**
 * Removes a cgroup directory and any child cgroups below it (a container may create its own),
 * deepest first. ENOENT counts as done. EBUSY is retried until the deadline: the kernel still
 * lists a task for a moment after it has exited and been reaped.
 */
export function removeCgroupDir(cfs: CgroupFs, dir: string, deadline: number): void {
  let delay = 1;
  for (;;) {
    try {
      cfs.rmdir(dir);
      return;
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' && code !== 'ENOTEMPTY') throw opError('remove', dir, e);
      let children: string[] = [];
      try {
        children = cfs.subdirs(dir);
      } catch (e2) {
        if (errnoCode(e2) === 'ENOENT') return;
      }
      if (Date.now() >= deadline) throw opError('remove', dir, e);
      if (children.length > 0) {
        for (const c of children) removeCgroupDir(cfs, `${dir}/${c}`, deadline);
        continue;
      }
      sleepSync(delay);
      delay = Math.min(delay * 2, 50);
    }
  }
}

/** Names valid as a cgroup directory of ours: no path separators, no dot-files, bounded. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

export function checkName(kind: string, name: string): void {
  if (!NAME_RE.test(name)) {
    throw new MydockerError(`cgroups: invalid ${kind} name ${JSON.stringify(name)}`);
  }
}

/** Parses "key value" lines (cpu.stat, memory.stat, memory.events, memory.oom_control). */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1).trim());
    if (Number.isFinite(v)) out.set(line.slice(0, sp), v);
  }
  return out;
}

/**
 * Block I/O bytes from v1 blkio.throttle.io_service_bytes_recursive ("8:0 Read 4096" lines
 * and a "Total" line) or v2 io.stat ("8:0 rbytes=4096 wbytes=0 ..." lines), summed over the
 * devices as Docker's `stats` sums them.
 */
export function parseBlockIo(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2 || !/^\d+:\d+$/.test(f[0])) continue;
    if (f.length === 3 && !f[2].includes('=')) {
      const v = Number(f[2]);
      if (!Number.isFinite(v)) continue;
      const op = f[1].toLowerCase();
      if (op === 'read') read += v;
      else if (op === 'write') write += v;
      continue;
    }
    for (const kv of f.slice(1)) {
      const eq = kv.indexOf('=');
      const v = Number(kv.slice(eq + 1));
      if (eq < 0 || !Number.isFinite(v)) continue;
      if (kv.startsWith('rbytes=')) read += v;
      else if (kv.startsWith('wbytes=')) write += v;
    }
  }
  return { read, write };
}

/** Parses a single-number cgroup file; "max" and empty become undefined. */
export function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}
