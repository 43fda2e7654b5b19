/**
 * Deleting a directory tree without ever deleting through a mount.
 *
 * Two independent guards, both before anything is unlinked or while walking:
 *  1. /proc/self/mountinfo: if anything is mounted at or under the directory (a bind of a
 *     volume, a file bind, a tmpfs, an overlay), nothing at all is deleted.
 *  2. st_dev: the walk never follows a symlink and never enters (or unlinks) an entry whose
 *     device differs from the directory's own: such an entry is another file system that
 *     mountinfo did not show us (another mount namespace's view, a race). It is left as it
 *     is, the rest is deleted, and the call throws.
 *
 * Used for volume data and, by the engine, for container directories.
 */
import fs = require('node:fs');
import path = require('node:path');
import { MydockerError } from '../common/errors';

/** Something is mounted under a directory we were asked to delete; its data is untouched. */
export class MountedUnderError extends MydockerError {
  readonly dir: string;
  readonly mountPoints: string[];
  constructor(dir: string, mountPoints: string[], why: string) {
    super(`refusing to remove ${dir}: ${why}`);
    this.dir = dir;
    this.mountPoints = mountPoints;
  }
}

export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  /** major:minor of the mounted file system */
  dev: string;
  /** path inside the mounted file system that is mounted (for binds) */
  root: string;
  /** where it is mounted, unescaped */
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Undoes the kernel's octal escapes in mountinfo paths (`\040` space, `\011`, `\012`, `\134`). */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** Parses /proc/<pid>/mountinfo text. Malformed lines are skipped. */
export function parseMountinfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({
      mountId: Number(f[0]),
      parentId: Number(f[1]),
      dev: f[2],
      root: unescapeMountPath(f[3]),
      mountPoint: unescapeMountPath(f[4]),
      fsType: f[sep + 1] ?? '',
      source: unescapeMountPath(f[sep + 2] ?? ''),
    });
  }
  return out;
}

function readOwnMountinfo(): string {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8');
}

/**
 * The real path of `p` without following its last component (so a symlink is judged by
 * where it sits, not where it points).
 */
function realPathOf(p: string): string {
  const abs = path.resolve(p);
  let parent: string;
  try {
    parent = fs.realpathSync(path.dirname(abs));
  } catch {
    parent = path.dirname(abs);
  }
  return path.join(parent, path.basename(abs));
}

/**
 * Mount points at or under `dir` according to mountinfo (the given text, or this
 * process's /proc/self/mountinfo), deepest last as listed.
 */
export function mountsUnder(dir: string, mountinfoText?: string): string[] {
  const real = realPathOf(dir);
  const text = mountinfoText ?? readOwnMountinfo();
  const prefix = real === '/' ? '/' : real + '/';
  return parseMountinfo(text)
    .map((e) => e.mountPoint)
    .filter((mp) => mp === real || mp.startsWith(prefix));
}

export interface RemoveResult {
  /** bytes of the files removed (sizes of non-directories, hard links counted once) */
  bytes: number;
}

function isErrno(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}

function lstatOrNull(p: string): fs.BigIntStats | null {
  try {
    return fs.lstatSync(p, { bigint: true });
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return null;
    throw e;
  }
}

/**
 * Deletes `dir` and everything under it, refusing to delete through a mount (see the module
 * comment). A missing `dir` is not an error. A symlink `dir` is unlinked, never followed.
 *
 * @param mountinfoText the mount table to check against; read from /proc/self/mountinfo
 *   when omitted (tests pass a fake one).
 * @throws MountedUnderError when something is mounted at or under `dir` (nothing deleted),
 *   or when the walk met another file system (everything else deleted, that one untouched).
 */
export function removeTreeNoCross(dir: string, mountinfoText?: string): RemoveResult {
  const top = lstatOrNull(dir);
  if (top === null) return { bytes: 0 };
  if (!top.isDirectory()) {
    const mounted = mountsUnder(dir, mountinfoText);
    if (mounted.length > 0) throw new MountedUnderError(dir, mounted, `${mounted[0]} is a mount point`);
    fs.unlinkSync(dir);
    return { bytes: top.isSymbolicLink() ? 0 : Number(top.size) };
  }

  const mounted = mountsUnder(dir, mountinfoText);
  if (mounted.length > 0) {
    throw new MountedUnderError(dir, mounted, `${mounted[0]} is mounted under it`);
  }

  const rootDev = top.dev;
  const crossings: string[] = [];
  const seenInodes = new Set<string>();
  let bytes = 0;

  // Iterative post-order walk: a frame lists a directory's entries once, deletes the
  // non-directories, descends into directories, and removes the directory on the way back.
  interface Frame {
    dir: string;
    entries: string[];
    next: number;
    /** false once something under it had to be left in place */
    complete: boolean;
  }
  const listDir = (p: string): string[] | null => {
    try {
      return fs.readdirSync(p);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    }
  };
  const rootEntries = listDir(dir);
  if (rootEntries === null) return { bytes: 0 };
  const stack: Frame[] = [{ dir, entries: rootEntries, next: 0, complete: true }];

  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next < frame.entries.length) {
      const child = path.join(frame.dir, frame.entries[frame.next++]);
      const st = lstatOrNull(child);
      if (st === null) continue;
      if (st.dev !== rootDev) {
        // Another file system: never enter it, never unlink it.
        crossings.push(child);
        frame.complete = false;
        continue;
      }
      if (st.isDirectory()) {
        const entries = listDir(child);
        if (entries !== null) stack.push({ dir: child, entries, next: 0, complete: true });
        continue;
      }
      if (!st.isSymbolicLink()) {
        const key = `${st.dev}:${st.ino}`;
        // A hard link seen before is counted once (by then its nlink has dropped to 1).
        if (!seenInodes.has(key)) bytes += Number(st.size);
        if (st.nlink > 1n) seenInodes.add(key);
      }
      try {
        fs.unlinkSync(child);
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
      continue;
    }
    stack.pop();
    if (!frame.complete) {
      const parent = stack[stack.length - 1];
      if (parent) parent.complete = false;
      continue;
    }
    try {
      fs.rmdirSync(frame.dir);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
  }

  if (crossings.length > 0) {
    throw new MountedUnderError(dir, crossings, `${crossings[0]} is on another file system`);
  }
  return { bytes };
}
