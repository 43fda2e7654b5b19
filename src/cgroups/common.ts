/** What the v1 and v2 drivers share: options, rollback, removal. */
import os = require('node:os');
import path = require('node:path');
import {
  type CgroupFs,
  CgroupError,
  checkName,
  errnoCode,
  opError,
  realCgroupFs,
  removeCgroupDir,
  writeError,
} from './fs';
import type { CgroupWrite } from './plan';

export const DEFAULT_PARENT = 'mydocker';

export interface DriverOptions {
  /** name of the engine's parent cgroup under each hierarchy root (default "mydocker") */
  parent?: string;
  /** file system access (default: the real one); tests pass a fake over a fixture tree */
  fs?: CgroupFs;
  /** the host's memory in bytes, reported as the limit of an unlimited cgroup (default os.totalmem) */
  hostMemory?: () => number;
  /** how long remove() retries while the kernel still lists exiting tasks (default 1000 ms) */
  removeTimeoutMs?: number;
}

export interface ResolvedOptions {
  parent: string;
  fs: CgroupFs;
  hostMemory: () => number;
  removeTimeoutMs: number;
}

export function resolveOptions(opts: DriverOptions): ResolvedOptions {
  const parent = opts.parent ?? DEFAULT_PARENT;
  checkName('parent cgroup', parent);
  return {
    parent,
    fs: opts.fs ?? realCgroupFs,
    hostMemory: opts.hostMemory ?? (() => os.totalmem()),
    removeTimeoutMs: opts.removeTimeoutMs ?? 1000,
  };
}

/** Directories created by one create() call, undone in reverse on failure. */
export class Created {
  readonly dirs: string[] = [];
  constructor(private readonly cfs: CgroupFs) {}

  mkdir(dir: string): boolean {
    let made: boolean;
    try {
      made = this.cfs.mkdir(dir);
    } catch (e) {
      throw opError('create', dir, e);
    }
    if (made) this.dirs.push(dir);
    return made;
  }

  /** Removes what this call created, deepest first; a parent still in use stays (EBUSY). */
  rollback(): void {
    for (const dir of this.dirs.slice().reverse()) {
      try {
        this.cfs.rmdir(dir);
      } catch {
        // best effort: a parent shared with a concurrent create() is busy and stays
      }
    }
    this.dirs.length = 0;
  }
}

export function writeFile(cfs: CgroupFs, file: string, value: string): void {
  try {
    cfs.write(file, value);
  } catch (e) {
    throw writeError(file, value, e);
  }
}

export function readFile(cfs: CgroupFs, file: string): string {
  try {
    return cfs.read(file);
  } catch (e) {
    throw opError('read', file, e);
  }
}

/** Reads a file, or undefined when it does not exist (a controller or feature absent). */
export function readOptional(cfs: CgroupFs, file: string): string | undefined {
  try {
    return cfs.read(file);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw opError('read', file, e);
  }
}

export function applyWrites(cfs: CgroupFs, writes: CgroupWrite[], dirOf: (controller: string) => string): void {
  for (const w of writes) writeFile(cfs, path.join(dirOf(w.controller), w.file), w.value);
}

/** Removes the container's directory in each hierarchy; reports the first failure after trying all. */
export function removeAll(cfs: CgroupFs, dirs: string[], timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  let first: unknown;
  for (const dir of dirs) {
    try {
      removeCgroupDir(cfs, dir, deadline);
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/** Union of the child cgroup names of several directories, sorted. */
export function listChildren(cfs: CgroupFs, dirs: string[]): string[] {
  const names = new Set<string>();
  for (const dir of dirs) {
    try {
      for (const n of cfs.subdirs(dir)) names.add(n);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw opError('list', dir, e);
    }
  }
  return [...names].sort();
}

/** Removes the engine's parent directory itself (only when empty of containers). */
export function removeParentDirs(cfs: CgroupFs, dirs: string[]): void {
  for (const dir of dirs) {
    try {
      cfs.rmdir(dir);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw opError('remove', dir, e);
    }
  }
}

export function parsePids(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** The limit as Docker reports it: the host's memory when the cgroup's is larger (unlimited). */
export function effectiveLimit(limit: number | undefined, hostMemory: number): number {
  if (limit === undefined || !Number.isFinite(limit) || limit > hostMemory) return hostMemory;
  return limit;
}

export { CgroupError, checkName };
