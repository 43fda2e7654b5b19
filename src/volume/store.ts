/**
 * Named and anonymous volumes of the local driver.
 *
 *   <volumesDir>/<name>/_data       the data, bind-mounted into containers
 *   <volumesDir>/<name>/meta.json   {Name, Driver, Mountpoint, CreatedAt, Labels, Scope, Options, Anonymous}
 *
 * A volume appears all at once: it is built in `<volumesDir>/.staging-*` (same file system)
 * and renamed into place, so a crash never leaves a half-made volume under its name, and
 * two concurrent creates of one name both end with the same volume. Removal renames the
 * volume to `<volumesDir>/.trash-*` first (the name is free at once), then deletes it with
 * `removeTreeNoCross`, which refuses to delete through a mount. `gc()` finishes what a crash
 * left in `.staging-*` and `.trash-*`.
 *
 * Messages follow Docker's volume service: `get <name>: no such volume`,
 * `remove <name>: volume is in use - [<id>, ...]`, `create <name>: "<name>" includes
 * invalid characters ...`.
 */
import { randomHex } from '../sys/random';
import fs = require('node:fs');
import path = require('node:path');
import { ConflictError, NotFoundError, UsageError } from '../common/errors';
import type { Paths } from '../state/paths';
import { volumeNameProblem } from './parse';
import { MountedUnderError, mountsUnder, removeTreeNoCross } from './saferm';

/** Docker 23+ marks the volumes it creates for `-v /path` with this label; prune keys on it. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** What meta.json holds. */
export interface Volume {
  Name: string;
  Driver: 'local';
  /** absolute path of the data directory (`<volumesDir>/<name>/_data`) */
  Mountpoint: string;
  /** RFC 3339, UTC, whole seconds */
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Scope: 'local';
  Options: Record<string, string> | null;
  /** created for a container's `-v /path` / `--mount type=volume` without a source */
  Anonymous: boolean;
}

/** `docker volume inspect`'s object, keys in Docker's order. */
export interface VolumeInspect {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
}

export interface CreateOptions {
  labels?: Record<string, string>;
  /** driver options (`--opt`, `volume-opt`); the local driver here supports none yet */
  driverOptions?: Record<string, string>;
  /** only "local" (the default) exists */
  driver?: string;
  /**
   * Mark the volume anonymous (label `com.docker.volume.anonymous`, `Anonymous: true`): what
   * the engine does for `-v /path`. A `volume create` without a name is not anonymous, as in
   * Docker: it only gets a random name.
   */
  anonymous?: boolean;
}

export interface StoreOptions {
  /** /proc/self/mountinfo text (tests inject a fake one); read fresh on every use when omitted */
  mountinfo?: () => string;
  /** clock for CreatedAt */
  now?: () => Date;
  /** leftovers in .staging-* / .trash-* older than this are collected by gc() (ms, default 10 min) */
  staleAfterMs?: number;
}

/** Returns the ids of the containers (running or stopped) that use the named volume. */
export type InUseBy = (name: string) => string[];

export interface PruneResult {
  removed: string[];
  reclaimedBytes: number;
  /** volumes that could not be removed (kept whole), with the reason */
  failed: Array<{ name: string; error: string }>;
}

/** A random 64-hex volume name, as Docker generates for anonymous volumes. */
export function randomVolumeName(): string {
  return randomHex(32);
}

export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function toInspect(v: Volume): VolumeInspect {
  return {
    CreatedAt: v.CreatedAt,
    Driver: v.Driver,
    Labels: v.Labels,
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Options: v.Options,
    Scope: v.Scope,
  };
}

function isErrno(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}

/** Writes a file by temp + fsync + rename in the same directory. */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomHex(6)}`);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

const LOCAL_OPTION_KEYS = new Set(['type', 'device', 'o', 'size']);

export class VolumeStore {
  readonly volumesDir: string;
  private readonly readMountinfo?: () => string;
  private readonly now: () => Date;
  private readonly staleAfterMs: number;

  constructor(volumesDir: string, opts: StoreOptions = {}) {
    this.volumesDir = path.resolve(volumesDir);
    this.readMountinfo = opts.mountinfo;
    this.now = opts.now ?? (() => new Date());
    this.staleAfterMs = opts.staleAfterMs ?? 10 * 60 * 1000;
  }

  /** `<volumesDir>/<name>` (the name is not checked). */
  volumeDir(name: string): string {
    return path.join(this.volumesDir, name);
  }

  /** `<volumesDir>/<name>/_data` (the name is not checked). */
  dataDir(name: string): string {
    return path.join(this.volumesDir, name, '_data');
  }

  private mountinfoText(): string | undefined {
    return this.readMountinfo?.();
  }

  private ensureRoot(): void {
    fs.mkdirSync(this.volumesDir, { recursive: true, mode: 0o701 });
  }

  /**
   * Creates a volume, or returns the existing one of that name unchanged (as Docker does).
   * Without a name, a random 64-hex name is used.
   */
  create(name?: string, opts: CreateOptions = {}): Volume {
    const named = name !== undefined && name !== '';
    if (named) {
      const problem = volumeNameProblem(name);
      if (problem !== null) throw new UsageError(`create ${name}: ${problem}`);
    }
    const driver = opts.driver ?? 'local';
    if (driver !== 'local' && driver !== '') {
      throw new NotFoundError(`error looking up volume plugin ${driver}: plugin ${JSON.stringify(driver)} not found`);
    }
    if (named) {
      const existing = this.find(name);
      if (existing) return existing;
    }
    const label = named ? `create ${name}: ` : 'create: ';
    for (const key of Object.keys(opts.driverOptions ?? {})) {
      if (!LOCAL_OPTION_KEYS.has(key)) throw new UsageError(`${label}invalid option key: ${JSON.stringify(key)}`);
      throw new UsageError(`${label}volume option ${JSON.stringify(key)} is not supported`);
    }

    this.ensureRoot();
    for (let attempt = 0; ; attempt++) {
      const volName = named ? name : randomVolumeName();
      const labels: Record<string, string> = { ...(opts.labels ?? {}) };
      if (opts.anonymous) labels[ANONYMOUS_LABEL] = '';
      const vol: Volume = {
        Name: volName,
        Driver: 'local',
        Mountpoint: this.dataDir(volName),
        CreatedAt: rfc3339(this.now()),
        Labels: Object.keys(labels).length > 0 ? labels : null,
        Scope: 'local',
        Options: opts.driverOptions && Object.keys(opts.driverOptions).length > 0 ? { ...opts.driverOptions } : null,
        Anonymous: opts.anonymous === true,
      };

      const staging = path.join(this.volumesDir, `.staging-${randomHex(8)}`);
      fs.mkdirSync(staging, { mode: 0o755 });
      try {
        fs.mkdirSync(path.join(staging, '_data'), { mode: 0o755 });
        writeFileAtomic(path.join(staging, 'meta.json'), JSON.stringify(vol, null, 2) + '\n');
        fs.renameSync(staging, this.volumeDir(volName));
        return vol;
      } catch (e) {
        fs.rmSync(staging, { recursive: true, force: true });
        if (!isErrno(e, 'ENOTEMPTY', 'EEXIST')) throw e;
        if (!named) {
          if (attempt < 3) continue;
          throw e;
        }
        // Someone else made this name first: theirs is the volume.
        const existing = this.find(volName);
        if (existing) return existing;
        throw new ConflictError(`create ${volName}: volume name must be unique`);
      }
    }
  }

  /** The volume, or null if there is none of that (valid) name. */
  find(name: string): Volume | null {
    if (volumeNameProblem(name) !== null) return null;
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.volumeDir(name), 'meta.json'), 'utf8');
    } catch (e) {
      if (isErrno(e, 'ENOENT', 'ENOTDIR')) return null;
      throw e;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return null;
    }
    if (typeof raw !== 'object' || raw === null) return null;
    const m = raw as Partial<Volume>;
    if (m.Name !== name) return null;
    return {
      Name: name,
      Driver: 'local',
      Mountpoint: this.dataDir(name),
      CreatedAt: typeof m.CreatedAt === 'string' ? m.CreatedAt : '',
      Labels: isStringMap(m.Labels) ? m.Labels : null,
      Scope: 'local',
      Options: isStringMap(m.Options) ? m.Options : null,
      Anonymous: m.Anonymous === true,
    };
  }

  /** The volume; NotFoundError `get <name>: no such volume`. */
  get(name: string): Volume {
    const v = this.find(name);
    if (!v) throw new NotFoundError(`get ${name}: no such volume`);
    return v;
  }

  /** The names in the volumes directory (none before the first volume). */
  private entries(): string[] {
    try {
      return fs.readdirSync(this.volumesDir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
  }

  /** Every volume, sorted by name. */
  list(): Volume[] {
    const names = this.entries();
    const out: Volume[] = [];
    for (const n of names.sort()) {
      const v = this.find(n);
      if (v) out.push(v);
    }
    return out;
  }

  /** `docker volume inspect` objects, in the order asked; NotFoundError for the first missing. */
  inspect(names: readonly string[]): VolumeInspect[] {
    return names.map((n) => toInspect(this.get(n)));
  }

  /**
   * Removes a volume and its data. NotFoundError `get <name>: no such volume` when missing
   * (nothing, with `force`); ConflictError `remove <name>: volume is in use - [<ids>]` when a
   * container (running or stopped) uses it, whatever `force` says (as Docker);
   * MountedUnderError when something is mounted at or under it (nothing deleted).
   */
  remove(name: string, opts: { force?: boolean; inUseBy: InUseBy }): { removed: boolean; bytes: number } {
    const v = this.find(name);
    if (!v) {
      if (opts.force) return { removed: false, bytes: 0 };
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const refs = opts.inUseBy(name);
    if (refs.length > 0) throw new ConflictError(`remove ${name}: volume is in use - [${refs.join(', ')}]`);

    const dir = this.volumeDir(name);
    const mountinfo = this.mountinfoText();
    const mounted = mountsUnder(dir, mountinfo);
    if (mounted.length > 0) throw new MountedUnderError(dir, mounted, `${mounted[0]} is mounted under it`);

    const trash = path.join(this.volumesDir, `.trash-${randomHex(8)}`);
    try {
      fs.renameSync(dir, trash);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return { removed: false, bytes: 0 }; // removed concurrently
      throw e;
    }
    // Reclaimed bytes are the data's, as Docker counts them; then the metadata goes.
    const { bytes } = removeTreeNoCross(path.join(trash, '_data'), mountinfo);
    removeTreeNoCross(trash, mountinfo);
    return { removed: true, bytes };
  }

  /**
   * Removes unused anonymous volumes; with `all`, unused named ones too; with `filter`, only
   * those it accepts. A volume that cannot
   * be removed is kept whole and reported in `failed`; the others are still removed.
   */
  prune(opts: { all?: boolean; inUseBy: InUseBy; filter?: (v: Volume) => boolean }): PruneResult {
    const result: PruneResult = { removed: [], reclaimedBytes: 0, failed: [] };
    for (const v of this.list()) {
      const anonymous = v.Anonymous || (v.Labels !== null && ANONYMOUS_LABEL in v.Labels);
      if (!anonymous && !opts.all) continue;
      if (opts.filter && !opts.filter(v)) continue;
      if (opts.inUseBy(v.Name).length > 0) continue;
      try {
        const r = this.remove(v.Name, { force: true, inUseBy: opts.inUseBy });
        if (r.removed) {
          result.removed.push(v.Name);
          result.reclaimedBytes += r.bytes;
        }
      } catch (e) {
        result.failed.push({ name: v.Name, error: e instanceof Error ? e.message : String(e) });
      }
    }
    this.gc();
    return result;
  }

  /**
   * Finishes what a crash left: `.staging-*` and `.trash-*` entries older than the stale
   * age are deleted (never through a mount). Returns the entries removed; an entry that
   * cannot be removed safely is left for a later pass.
   */
  gc(): string[] {
    const names = this.entries();
    const removed: string[] = [];
    const cutoff = this.now().getTime() - this.staleAfterMs;
    for (const n of names) {
      if (!n.startsWith('.staging-') && !n.startsWith('.trash-')) continue;
      const p = path.join(this.volumesDir, n);
      try {
        const st = fs.lstatSync(p);
        if (Math.max(st.mtimeMs, st.ctimeMs) > cutoff) continue;
        removeTreeNoCross(p, this.mountinfoText());
        removed.push(n);
      } catch {
        // left for a later pass
      }
    }
    return removed;
  }
}

/** The store under an engine root's `volumes/`. */
export function openVolumeStore(p: Pick<Paths, 'volumesDir'>, opts?: StoreOptions): VolumeStore {
  return new VolumeStore(p.volumesDir, opts);
}
