/**
 * Copy-up: the first time an empty volume is mounted on a directory that has content in
 * the image, that content is copied into the volume (Docker's default; `nocopy` turns it
 * off). The image is read through its layer directories (see ./layers), nothing is mounted.
 *
 * Kept: file types (directories, regular files, symbolic links, hard links within the copy,
 * devices and fifos), modes (setuid/setgid/sticky included), owners, extended attributes
 * (except the overlay's own `trusted.overlay.*`), access and modification times.
 *
 * A volume that is not empty is never written to. Two containers populating one volume at
 * the same time are serialized by an flock on the volume's directory; the second one finds
 * the volume no longer empty and copies nothing.
 */
import fs = require('node:fs');
import path = require('node:path');
import { fsx as realFsx, Fsx, llistxattr as realListxattr, S_IFBLK, S_IFCHR, S_IFIFO } from '../sys/fsx';
import type { MergedDir } from './layers';

export interface CopyUpDeps {
  fsx?: Fsx;
  llistxattr?: (p: string) => string[];
}

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff & 0xfffff);
}

class Copier {
  private readonly links = new Map<string, string>();
  private readonly fsx: Fsx;
  private readonly listxattr: (p: string) => string[];

  constructor(deps: CopyUpDeps) {
    this.fsx = deps.fsx ?? realFsx;
    this.listxattr = deps.llistxattr ?? realListxattr;
  }

  private copyXattrs(src: string, dst: string): void {
    let names: string[];
    try {
      names = this.listxattr(src);
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith('trusted.overlay.')) continue;
      const v = this.fsx.lgetxattr(src, n);
      if (v !== undefined) this.fsx.lsetxattr(dst, n, v);
    }
  }

  /** Owner, xattrs, mode, times: chown first (it clears setuid bits), chmod after. */
  private applyAttrs(src: string, dst: string, st: fs.Stats): void {
    fs.lchownSync(dst, st.uid, st.gid);
    this.copyXattrs(src, dst);
    if (st.isSymbolicLink()) {
      fs.lutimesSync(dst, st.atime, st.mtime);
      return;
    }
    fs.chmodSync(dst, st.mode & 0o7777);
    fs.utimesSync(dst, st.atime, st.mtime);
  }

  copyDir(src: MergedDir, dst: string): void {
    for (const [name, e] of src.list()) {
      const to = path.join(dst, name);
      switch (e.kind) {
        case 'dir':
          fs.mkdirSync(to, { mode: 0o700 });
          this.copyDir(e.dir, to);
          this.applyAttrs(e.dir.members[0], to, e.st);
          break;
        case 'symlink':
          fs.symlinkSync(fs.readlinkSync(e.host), to);
          this.applyAttrs(e.host, to, e.st);
          break;
        case 'other':
          this.copyOther(e.host, to, e.st);
          break;
      }
    }
  }

  private copyOther(src: string, to: string, st: fs.Stats): void {
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1) {
      const first = this.links.get(key);
      if (first !== undefined) {
        fs.linkSync(first, to);
        return;
      }
    }
    if (st.isFile()) {
      fs.copyFileSync(src, to, fs.constants.COPYFILE_EXCL);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const type = st.isCharacterDevice() ? S_IFCHR : S_IFBLK;
      this.fsx.mknod(to, type | (st.mode & 0o7777), major(st.rdev), minor(st.rdev));
    } else if (st.isFIFO()) {
      this.fsx.mknod(to, S_IFIFO | (st.mode & 0o7777), 0, 0);
    } else {
      return; // sockets are not content
    }
    this.applyAttrs(src, to, st);
    if (st.nlink > 1) this.links.set(key, to);
  }

  /** The volume's root takes the image directory's owner and mode, as Docker does. */
  rootAttrs(st: fs.Stats, dst: string): void {
    fs.chownSync(dst, st.uid, st.gid);
    fs.chmodSync(dst, st.mode & 0o7777);
  }
}

function isEmptyDir(dir: string): boolean {
  return fs.readdirSync(dir).length === 0;
}

/**
 * Copies the merged image directory `src` into the volume data directory `dataDir` if, and
 * only if, `dataDir` is empty and `src` is not; `lockDir` (the volume's directory) is
 * flocked meanwhile. Returns whether anything was copied.
 */
export function copyUp(src: MergedDir, srcSt: fs.Stats, dataDir: string, lockDir: string, deps: CopyUpDeps = {}): boolean {
  if (src.isEmpty() || !isEmptyDir(dataDir)) return false;
  const f = deps.fsx ?? realFsx;
  const fd = fs.openSync(lockDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    f.flock(fd, 'ex');
    if (!isEmptyDir(dataDir)) return false;
    const c = new Copier(deps);
    c.copyDir(src, dataDir);
    c.rootAttrs(srcSt, dataDir);
    return true;
  } finally {
    fs.closeSync(fd);
  }
}
