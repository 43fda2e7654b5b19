/**
 * Checks over a container's whole mount list, and the order to mount it in. PURE.
 */
import path = require('node:path');
import { UsageError } from '../common/errors';
import type { MountSpec } from './parse';

/** path.Clean of an absolute container path: no `.`/`..`/`//`, no trailing slash. */
export function normalizeDestination(p: string): string {
  let c = path.posix.normalize(p);
  if (c.length > 1 && c.endsWith('/')) c = c.slice(0, -1);
  return c;
}

function isAtOrUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir + '/');
}

/**
 * The reason a (normalized, absolute) destination is refused, or null.
 * Refused: `/`, `/proc` and anything inside it, `/sys` and anything inside it.
 */
export function destinationProblem(dst: string): string | null {
  if (!dst.startsWith('/')) return `invalid mount path: '${dst}' mount path must be absolute`;
  if (dst === '/') return "invalid specification: destination can't be '/'";
  for (const reserved of ['/proc', '/sys']) {
    if (isAtOrUnder(dst, reserved)) {
      return `invalid mount destination '${dst}': mounting on or inside ${reserved} is not allowed`;
    }
  }
  return null;
}

/**
 * Validates the list as a whole and returns copies with normalized destinations (and bind
 * sources). Throws a one-line UsageError for a refused destination or for the same
 * destination twice, whatever flags the two came from: `Duplicate mount point: <dst>`.
 */
export function validateMounts(list: readonly MountSpec[]): MountSpec[] {
  const seen = new Set<string>();
  const out: MountSpec[] = [];
  for (const m of list) {
    const target = normalizeDestination(m.target);
    const problem = destinationProblem(target);
    if (problem !== null) throw new UsageError(problem);
    if (seen.has(target)) throw new UsageError(`Duplicate mount point: ${target}`);
    seen.add(target);
    out.push(m.type === 'bind' ? { ...m, target, source: normalizeDestination(m.source) } : { ...m, target });
  }
  return out;
}

/** Number of components of a destination: `/` 0, `/m` 1, `/m/foo` 2. */
export function destinationDepth(dst: string): number {
  return normalizeDestination(dst).split('/').filter((s) => s !== '').length;
}

/**
 * Parents first: sorted by the number of path components, stable otherwise, so that
 * `-v B:/m/foo -v A:/m` mounts /m before /m/foo (and /m/foo stays visible). Returns a new array.
 */
export function sortMounts<T extends { target: string }>(list: readonly T[]): T[] {
  return list
    .map((m, i) => ({ m, i, d: destinationDepth(m.target) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map((x) => x.m);
}
