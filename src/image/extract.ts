/**
 * Safe extraction of a layer tar into a directory that becomes an overlay lower dir.
 *
 * A hostile archive must never write outside `root`:
 *  - names are cleaned; a relative name that climbs above the root with `..` rejects the
 *    whole archive (as Docker does), an absolute name is taken relative to the root;
 *  - parent directories are resolved inside the root: every component is checked with
 *    lstat, a symbolic link met on the way is followed *re-rooted* (an absolute target
 *    restarts at the root, `..` stops at the root), as if the archive were extracted in a
 *    chroot; the last component is never followed (an existing entry there is replaced);
 *  - hard links may only point at entries inside the root, resolved the same way;
 *  - files are created with O_EXCL|O_NOFOLLOW.
 * Only this process writes into the (private, freshly made) directory while it extracts,
 * so a check made with lstat still holds when the entry is created.
 *
 * Kept: modes (including setuid/setgid/sticky), owners (as root), mtimes, symbolic and hard
 * links, character and block devices (skipped when not permitted), fifos, and `user.*` /
 * `security.*` extended attributes carried in PAX headers.
 * Docker whiteouts become overlay whiteouts: `.wh.NAME` a 0/0 character device at NAME,
 * `.wh..wh..opq` the xattr trusted.overlay.opaque=y on its directory.
 */
import fs = require('node:fs');
import path = require('node:path');
import { MydockerError } from '../common/errors';
import { fsx as realFsx, Fsx, S_IFBLK, S_IFCHR, S_IFIFO } from '../sys/fsx';
import { EntrySink, TarFormatError, TarHeader, TarParser } from './tar';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

const MAX_SYMLINK_HOPS = 40;

/** An archive that cannot be extracted safely or at all. Exit 125. */
export class LayerError extends MydockerError {}

export interface ExtractOptions {
  /** Low-level calls (mknod, xattrs); a fake may be given in tests. */
  fsx?: Fsx;
  /** Apply owners from the archive; defaults to running as root. */
  chown?: boolean;
}

export interface ExtractResult {
  /** Sum of the sizes of the regular files of the archive. */
  size: number;
  /** Number of entries applied. */
  entries: number;
}

/**
 * Cleans an archive name into path components. A relative name must not climb above the
 * root; an absolute one is clamped at the root (like filepath.Join(root, Clean(name))).
 */
export function cleanName(name: string): string[] {
  const absolute = name.startsWith('/');
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) {
        if (absolute) continue;
        throw new LayerError(`invalid tar entry "${name}": path escapes the layer directory`);
      }
      out.pop();
      continue;
    }
    out.push(c);
  }
  return out;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}


function modeOf(h: TarHeader): number {
  return h.mode & 0o7777;
}

function atimeOf(h: TarHeader): number {
  return h.atime ?? h.mtime;
}

class Extractor {
  private readonly fsx: Fsx;
  private readonly chown: boolean;
  /** logical parent path -> resolved host dir; cleared whenever an existing entry is removed */
  private readonly dirCache = new Map<string, { host: string; rel: string[] }>();
  /** directories whose times are set at the end (their children change them meanwhile) */
  private readonly dirTimes: Array<{ rel: string[]; atime: number; mtime: number }> = [];
  /** the file being written, closed by abort() if the archive fails half-way */
  private openFd: number | undefined;
  size = 0;
  entries = 0;

  constructor(
    private readonly root: string,
    opts: ExtractOptions,
  ) {
    this.fsx = opts.fsx ?? realFsx;
    this.chown = opts.chown ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  }

  /**
   * Resolves logical components to a host directory inside the root, following symbolic
   * links re-rooted, creating missing directories (0755) when `create` is set.
   * Returns the host path and the resolved components relative to the root.
   */
  private resolveDir(comps: string[], create: boolean, what: string): { host: string; rel: string[] } {
    const key = comps.join('/');
    const cached = this.dirCache.get(key);
    if (cached !== undefined) return cached;
    let stack: string[] = [];
    const queue = [...comps];
    let hops = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        stack.pop();
        continue;
      }
      const p = path.join(this.root, ...stack, c);
      const st = lstatOrUndefined(p);
      if (!st) {
        if (!create) throw new LayerError(`invalid tar entry "${what}": ${[...stack, c].join('/')} does not exist`);
        fs.mkdirSync(p, 0o755);
        fs.chmodSync(p, 0o755);
        stack.push(c);
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new LayerError(`invalid tar entry "${what}": too many levels of symbolic links`);
        }
        const target = fs.readlinkSync(p);
        if (target.startsWith('/')) stack = [];
        queue.unshift(...target.split('/'));
        continue;
      }
      if (!st.isDirectory()) {
        throw new LayerError(`invalid tar entry "${what}": ${[...stack, c].join('/')} is not a directory`);
      }
      stack.push(c);
    }
    const resolved = { host: path.join(this.root, ...stack), rel: stack };
    this.dirCache.set(key, resolved);
    return resolved;
  }

  /** Removes whatever is at `p` (never following a link), unless both are directories. */
  private clear(p: string, keepDir: boolean): void {
    const st = lstatOrUndefined(p);
    if (!st) return;
    if (keepDir && st.isDirectory()) return;
    this.dirCache.clear();
    if (st.isDirectory()) fs.rmSync(p, { recursive: true, force: true });
    else fs.unlinkSync(p);
  }

  private owner(p: string, h: TarHeader): void {
    if (this.chown) fs.lchownSync(p, h.uid, h.gid);
  }

  private xattrs(p: string, h: TarHeader): void {
    for (const [name, value] of Object.entries(h.xattrs)) {
      // trusted.* (overlay's own attributes among them) is never taken from an image
      if (!(name.startsWith('user.') || name.startsWith('security.'))) continue;
      try {
        this.fsx.lsetxattr(p, name, value);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EPERM') throw e;
      }
    }
  }

  /** Applies one entry; returns a sink for the data of a regular file. */
  begin(h: TarHeader): EntrySink | undefined {
    const comps = cleanName(h.name);
    if (comps.length === 0) {
      // the archive's root entry ("./"): metadata of the layer directory itself
      if (h.type === 'directory') {
        this.owner(this.root, h);
        fs.chmodSync(this.root, modeOf(h));
        this.dirTimes.push({ rel: [], atime: atimeOf(h), mtime: h.mtime });
      }
      return undefined;
    }
    const base = comps[comps.length - 1];
    const parent = this.resolveDir(comps.slice(0, -1), true, h.name);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      if (base === WHITEOUT_OPAQUE) {
        this.fsx.lsetxattr(parent.host, OVERLAY_OPAQUE_XATTR, 'y');
      } else if (!base.startsWith(WHITEOUT_META_PREFIX)) {
        const hidden = base.slice(WHITEOUT_PREFIX.length);
        if (hidden === '' || hidden === '.' || hidden === '..') throw new LayerError(`invalid whiteout "${h.name}"`);
        const p = path.join(parent.host, hidden);
        this.clear(p, false);
        this.fsx.mknod(p, S_IFCHR, 0, 0);
        this.owner(p, h);
      }
      this.entries++;
      return undefined;
    }

    const target = path.join(parent.host, base);
    switch (h.type) {
      case 'directory': {
        this.clear(target, true);
        if (!lstatOrUndefined(target)) fs.mkdirSync(target, 0o700);
        this.owner(target, h);
        fs.chmodSync(target, modeOf(h));
        this.xattrs(target, h);
        this.dirTimes.push({ rel: [...parent.rel, base], atime: atimeOf(h), mtime: h.mtime });
        break;
      }
      case 'file':
      case 'contiguous-file': {
        this.clear(target, false);
        const fd = fs.openSync(
          target,
          fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
          0o600,
        );
        this.openFd = fd;
        this.entries++;
        return {
          write: (chunk) => {
            let off = 0;
            while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
            this.size += chunk.length;
          },
          end: () => {
            this.openFd = undefined;
            try {
              if (this.chown) fs.fchownSync(fd, h.uid, h.gid);
              fs.fchmodSync(fd, modeOf(h)); // after chown, which clears setuid/setgid
              fs.futimesSync(fd, atimeOf(h), h.mtime);
            } finally {
              fs.closeSync(fd);
            }
            this.xattrs(target, h);
          },
        };
      }
      case 'symlink': {
        this.clear(target, false);
        fs.symlinkSync(h.linkname, target);
        this.owner(target, h);
        this.xattrs(target, h);
        fs.lutimesSync(target, atimeOf(h), h.mtime);
        break;
      }
      case 'link': {
        const linkComps = cleanName(h.linkname);
        if (linkComps.length === 0) throw new LayerError(`invalid hard link "${h.name}": empty target`);
        const lp = this.resolveDir(linkComps.slice(0, -1), false, h.name);
        const src = path.join(lp.host, linkComps[linkComps.length - 1]);
        if (src === target) break; // a link to itself: nothing to do
        const st = lstatOrUndefined(src);
        if (!st) throw new LayerError(`invalid hard link "${h.name}": target "${h.linkname}" is not in the layer`);
        if (st.isDirectory()) {
          throw new LayerError(`invalid hard link "${h.name}": target "${h.linkname}" is a directory`);
        }
        this.clear(target, false);
        fs.linkSync(src, target);
        break;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        this.clear(target, false);
        const ft = h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR;
        try {
          this.fsx.mknod(target, ft | (modeOf(h) & 0o777), h.devmajor, h.devminor);
        } catch (e) {
          // without the right to make devices (not root, user namespace), skip them as Docker does
          if ((e as NodeJS.ErrnoException).code === 'EPERM' && h.type !== 'fifo') return undefined;
          throw e;
        }
        this.owner(target, h);
        fs.chmodSync(target, modeOf(h));
        this.xattrs(target, h);
        fs.lutimesSync(target, atimeOf(h), h.mtime);
        break;
      }
      default:
        return undefined; // unsupported entry types (e.g. GNU sparse files) are skipped
    }
    this.entries++;
    return undefined;
  }

  /** Sets the times of the directories, on those still reachable without a symbolic link. */
  finish(): void {
    for (const d of this.dirTimes) {
      let p = this.root;
      let ok = true;
      for (const c of d.rel) {
        p = path.join(p, c);
        const st = lstatOrUndefined(p);
        if (!st || !st.isDirectory()) {
          ok = false;
          break;
        }
      }
      if (ok) fs.lutimesSync(p, d.atime, d.mtime);
    }
  }

  abort(): void {
    if (this.openFd !== undefined) {
      try {
        fs.closeSync(this.openFd);
      } catch {
        /* already closed */
      }
      this.openFd = undefined;
    }
  }
}

function wrap(e: unknown): Error {
  if (e instanceof MydockerError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof TarFormatError) return new LayerError(`invalid layer archive: ${msg}`, { cause: e });
  return new LayerError(`failed to extract layer: ${msg}`, { cause: e });
}

/**
 * An extraction in progress into `root` (an existing directory, normally an empty staging
 * dir private to this process): push() the uncompressed tar in chunks, then end().
 * Errors are LayerError (unsafe or broken archive, or a file-system failure).
 */
export class TarExtraction {
  private readonly x: Extractor;
  private readonly parser: TarParser;
  private failed = false;

  constructor(root: string, opts: ExtractOptions = {}) {
    this.x = new Extractor(path.resolve(root), opts);
    this.parser = new TarParser({ entry: (h) => this.x.begin(h) });
  }

  push(chunk: Buffer): void {
    if (this.failed) throw new LayerError('extraction already failed');
    try {
      this.parser.push(chunk);
    } catch (e) {
      this.fail();
      throw wrap(e);
    }
  }

  end(): ExtractResult {
    if (this.failed) throw new LayerError('extraction already failed');
    try {
      this.parser.end();
      this.x.finish();
    } catch (e) {
      this.fail();
      throw wrap(e);
    }
    return { size: this.x.size, entries: this.x.entries };
  }

  /** Releases what a half-done extraction holds (an open file). */
  fail(): void {
    this.failed = true;
    this.x.abort();
  }
}

/** Extracts a whole tar held in memory. */
export function extractTarSync(tar: Buffer, root: string, opts: ExtractOptions = {}): ExtractResult {
  const t = new TarExtraction(root, opts);
  t.push(tar);
  return t.end();
}

/** Extracts a tar stream, consuming all of it (also what follows the end-of-archive marker). */
export async function extractTar(
  input: AsyncIterable<Buffer>,
  root: string,
  opts: ExtractOptions = {},
): Promise<ExtractResult> {
  const t = new TarExtraction(root, opts);
  try {
    for await (const chunk of input) t.push(chunk);
  } catch (e) {
    t.fail();
    throw wrap(e);
  }
  return t.end();
}
