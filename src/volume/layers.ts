/**
 * Read-only view of a container's rootfs as the overlay will show it, computed from the
 * host directories that make it up (the container's upper dir, then the image layers,
 * topmost first), without mounting anything.
 *
 * Overlay semantics kept:
 *  - a name is looked up top-down; the first layer that has it decides, except that a
 *    directory merges with the directories of the same name below it (until a layer
 *    below has a non-directory or a whiteout at that name);
 *  - a whiteout (a character device 0/0) hides the name in every layer below;
 *  - an opaque directory (xattr trusted.overlay.opaque=y) hides the layers below it.
 *
 * Paths inside the rootfs are resolved as the kernel does with RESOLVE_IN_ROOT: `..` stops
 * at the root and a symbolic link is followed re-rooted (an absolute target restarts at the
 * rootfs root), whatever its text says; a host path outside the layer directories is never
 * touched. Every host path this module builds is a layer directory followed by components
 * that were each checked (lstat) to be a real directory in that layer, so no symbolic link
 * on the host is ever followed.
 */
import fs = require('node:fs');
import path = require('node:path');
import { UsageError } from '../common/errors';
import { fsx } from '../sys/fsx';

const MAX_SYMLINK_HOPS = 40;
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface LayerOptions {
  /** is this host directory opaque? (tests may fake it; defaults to reading the xattr) */
  isOpaque?: (hostDir: string) => boolean;
}

/** One entry of the merged tree. */
export type LayerEntry =
  | { kind: 'none' }
  | { kind: 'dir'; dir: MergedDir; st: fs.Stats }
  | { kind: 'symlink'; host: string; st: fs.Stats }
  | { kind: 'other'; host: string; st: fs.Stats };

function lstatOrNull(p: string): fs.Stats | null {
  try {
    // throwIfNoEntry: a miss is the common case here, and a thrown error costs far more than the call
    return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function defaultIsOpaque(dir: string): boolean {
  const v = fsx.lgetxattr(dir, OVERLAY_OPAQUE_XATTR);
  return v !== undefined && v.toString() === 'y';
}

/**
 * A directory of the merged tree: the host directories that make it up, topmost first.
 * Whether a lower member is hidden by an opaque one above it (here or in a parent) is asked
 * only when a lookup actually depends on that lower member: reading an xattr loads the FFI
 * library, which the common case (a single-layer image, an empty upper dir) never needs.
 */
export class MergedDir {
  private readonly opaque: Array<boolean | undefined> = [];
  private readonly vis: Array<boolean | undefined> = [];

  constructor(
    readonly members: readonly string[],
    private readonly isOpaqueFn: (dir: string) => boolean,
    /** the parent directory and, for each member, the index of the parent member it lies in */
    private readonly origin?: { parent: MergedDir; index: readonly number[] },
  ) {}

  private opaqueAt(i: number): boolean {
    let v = this.opaque[i];
    if (v === undefined) {
      try {
        v = this.isOpaqueFn(this.members[i]);
      } catch {
        v = false;
      }
      this.opaque[i] = v;
    }
    return v;
  }

  /** Is member i part of the merged directory? (The root's members always are.) */
  visible(i: number): boolean {
    if (!this.origin) return true;
    let v = this.vis[i];
    if (v === undefined) {
      v = this.origin.parent.visible(this.origin.index[i]) && (i === 0 || (this.visible(i - 1) && !this.opaqueAt(i - 1)));
      this.vis[i] = v;
    }
    return v;
  }

  /** The members that are part of the merged directory. */
  effectiveMembers(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.members.length && this.visible(i); i++) out.push(this.members[i]);
    return out;
  }

  /**
   * Looks a name up.
   * @param symlinkOnlyOpacity when true, whether a lower member is hidden is only asked when
   *   the entry found there is a symbolic link: enough to resolve a path (only symbolic links
   *   change where it leads), while the kind of the last component may then be imprecise.
   */
  lookup(name: string, symlinkOnlyOpacity = false): LayerEntry {
    const dirs: string[] = [];
    const index: number[] = [];
    let dirSt: fs.Stats | undefined;
    for (let i = 0; i < this.members.length; i++) {
      const host = path.join(this.members[i], name);
      const st = lstatOrNull(host);
      if (st === null) continue;
      if (dirs.length === 0 && i > 0 && (!symlinkOnlyOpacity || st.isSymbolicLink()) && !this.visible(i)) break;
      if (isWhiteout(st)) break;
      if (st.isDirectory()) {
        dirs.push(host);
        index.push(i);
        dirSt ??= st;
        continue;
      }
      if (dirs.length > 0) break;
      return st.isSymbolicLink() ? { kind: 'symlink', host, st } : { kind: 'other', host, st };
    }
    if (dirs.length === 0) return { kind: 'none' };
    return { kind: 'dir', dir: new MergedDir(dirs, this.isOpaqueFn, { parent: this, index }), st: dirSt! };
  }

  /** The merged listing: every visible name and its entry, sorted by name. */
  list(): Array<[string, LayerEntry]> {
    const names = new Set<string>();
    for (const m of this.effectiveMembers()) {
      for (const n of fs.readdirSync(m)) names.add(n);
    }
    const out: Array<[string, LayerEntry]> = [];
    for (const n of [...names].sort()) {
      const e = this.lookup(n);
      if (e.kind !== 'none') out.push([n, e]);
    }
    return out;
  }

  /** True when the merged directory shows no entry at all. */
  isEmpty(): boolean {
    for (const m of this.effectiveMembers()) {
      for (const n of fs.readdirSync(m)) {
        if (this.lookup(n).kind !== 'none') return false;
      }
    }
    return true;
  }
}

/** Where a path inside the rootfs leads. `path` is the resolved absolute path inside the rootfs. */
export type Resolved =
  /** nothing there (or a parent is missing): a mount would create it */
  | { kind: 'missing'; path: string }
  | { kind: 'dir'; path: string; dir: MergedDir; st: fs.Stats }
  /** a non-directory (regular file, device, dangling nothing: never a symbolic link) */
  | { kind: 'file'; path: string; host: string; st: fs.Stats }
  /** a component before the last is not a directory: the kernel says ENOTDIR */
  | { kind: 'notdir'; path: string; host: string }
  /** reached a mount point of `stopAt`: `path` is that point plus the rest, unresolved */
  | { kind: 'under'; path: string; mountPoint: string };

export interface ResolveOptions {
  /** resolved paths where other file systems will be mounted: stop there */
  stopAt?: ReadonlySet<string>;
  /** see MergedDir.lookup */
  symlinkOnlyOpacity?: boolean;
}

export class LayeredRootfs {
  readonly root: MergedDir;

  /** @param topFirst the container's upper dir, then the image layer dirs, topmost first */
  constructor(topFirst: readonly string[], opts: LayerOptions = {}) {
    this.root = new MergedDir(topFirst, opts.isOpaque ?? defaultIsOpaque);
  }

  /** From the engine's order: image layer dirs lowest first, then the upper dir (may be omitted). */
  static fromLayers(layerDirsLowestFirst: readonly string[], upperDir?: string, opts?: LayerOptions): LayeredRootfs {
    const top = [...layerDirsLowestFirst].reverse();
    if (upperDir !== undefined) top.unshift(upperDir);
    return new LayeredRootfs(top, opts);
  }

  /**
   * Resolves an absolute path inside the rootfs, following symbolic links (also the last
   * component) re-rooted and clamping `..` at the root, as openat2(RESOLVE_IN_ROOT).
   * Throws a UsageError after 40 symbolic links (ELOOP).
   */
  resolve(target: string, opts: ResolveOptions = {}): Resolved {
    const stopAt = opts.stopAt;
    const queue = target.split('/').filter((c) => c !== '' && c !== '.');
    const names: string[] = [];
    // dirs[k] / sts[k]: the merged directory at names[0..k), or null once something is missing
    const dirs: Array<MergedDir | null> = [this.root];
    const sts: Array<fs.Stats | null> = [null];
    let hops = 0;
    const here = () => '/' + names.join('/');
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '..') {
        if (names.length > 0) {
          names.pop();
          dirs.pop();
          sts.pop();
        }
        continue;
      }
      if (stopAt && names.length > 0 && stopAt.has(here())) {
        return { kind: 'under', path: path.posix.join(here(), c, ...queue), mountPoint: here() };
      }
      const parent = dirs[dirs.length - 1];
      const e: LayerEntry = parent === null ? { kind: 'none' } : parent.lookup(c, opts.symlinkOnlyOpacity);
      switch (e.kind) {
        case 'none':
          names.push(c);
          dirs.push(null);
          sts.push(null);
          break;
        case 'dir':
          names.push(c);
          dirs.push(e.dir);
          sts.push(e.st);
          break;
        case 'symlink': {
          if (++hops > MAX_SYMLINK_HOPS) {
            throw new UsageError(`cannot resolve ${target} in the container: too many levels of symbolic links`);
          }
          const link = fs.readlinkSync(e.host);
          if (link.startsWith('/')) {
            names.length = 0;
            dirs.length = 1;
            sts.length = 1;
          }
          queue.unshift(...link.split('/').filter((x) => x !== '' && x !== '.'));
          break;
        }
        case 'other':
          names.push(c);
          if (queue.length > 0) return { kind: 'notdir', path: here(), host: e.host };
          return { kind: 'file', path: here(), host: e.host, st: e.st };
      }
    }
    const dir = dirs[dirs.length - 1];
    if (dir === null) return { kind: 'missing', path: here() };
    const st = sts[sts.length - 1] ?? fs.statSync(this.root.members[0]);
    return { kind: 'dir', path: here(), dir, st };
  }
}
