/**
 * Reading containers: the state made true, sizes, and listing with Docker's filters.
 *
 * State truth: every read first repairs what a crash left (collectGarbage) and checks
 * each container recorded as running against the kernel (its pid must still be alive
 * and in the container's cgroup), so that a container whose processes are gone is
 * never shown as running.
 */
import fs = require('node:fs');
import path = require('node:path');
import { MydockerError, NotFoundError, UsageError } from '../common/errors';
import { readJson } from '../state/store';
import type { ContainerRecord, ContainerState, ContainerStatus, MountPoint } from './containers';
import { ZERO_TIME } from './containers';
import type { Engine } from './engine';
import { collectGarbage } from './teardown';
import { refresh } from './lifecycle';

// ---------------------------------------------------------------------------------------
// State truth

/** All containers, their recorded state checked against the kernel first. */
export async function freshRecords(engine: Engine): Promise<ContainerRecord[]> {
  collectGarbage(engine);
  const out: ContainerRecord[] = [];
  for (const rec of engine.containers.list()) {
    const r = rec.State.Running ? await refresh(engine, rec) : rec;
    // --rm containers may be gone once their end is recorded.
    if (engine.containers.get(r.Id)) out.push(r);
  }
  return out;
}

/**
 * A container by full id, name or unique id prefix. A reference that cannot be a name
 * (a path, "..") is not looked up at all: names are files under names/.
 */
export function resolveRef(engine: Engine, ref: string): ContainerRecord {
  const name = ref.replace(/^\//, '');
  if (name === '' || name.includes('/') || name === '.' || name === '..' || name.includes('\0')) throw noSuchContainer(ref);
  return engine.containers.resolve(ref);
}

/** One container by full id, name or unique id prefix, its state made true. */
export async function resolveFresh(engine: Engine, ref: string): Promise<ContainerRecord> {
  collectGarbage(engine);
  const rec = resolveRef(engine, ref);
  return rec.State.Running ? refresh(engine, rec) : rec;
}

/** Docker's State.StateString(). */
export function stateString(s: ContainerState & { RemovalInProgress?: boolean }): ContainerStatus {
  if (s.Running) {
    if (s.Paused) return 'paused';
    if (s.Restarting) return 'restarting';
    return 'running';
  }
  if (s.RemovalInProgress || s.Status === 'removing') return 'removing';
  if (s.Dead) return 'dead';
  if (!s.StartedAt || s.StartedAt === ZERO_TIME) return 'created';
  return 'exited';
}

/** The COMMAND of `ps` as the daemon builds it: arguments with a space in single quotes. */
export function commandString(rec: Pick<ContainerRecord, 'Path' | 'Args'>): string {
  if (!rec.Args?.length) return rec.Path;
  return `${rec.Path} ${rec.Args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

// ---------------------------------------------------------------------------------------
// Sizes

/**
 * Bytes of a directory tree as Docker counts a writable layer: the sizes of everything
 * but directories (a symbolic link counts its own length), hard links once.
 */
export function treeSize(dir: string): number {
  let size = 0;
  const seen = new Set<bigint>();
  const walk = (p: string) => {
    let entries: string[];
    try {
      entries = fs.readdirSync(p);
    } catch {
      return;
    }
    for (const e of entries) {
      const child = path.join(p, e);
      let st: fs.BigIntStats;
      try {
        st = fs.lstatSync(child, { bigint: true });
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        walk(child);
        continue;
      }
      if (st.size === 0n) continue;
      if (seen.has(st.ino)) continue;
      seen.add(st.ino);
      size += Number(st.size);
    }
  };
  walk(dir);
  return size;
}

/** The bytes of the image's layers a container was created from. */
export function imageLayersSize(rec: ContainerRecord): number {
  let total = 0;
  for (const dir of rec.LayerDirs ?? []) {
    const meta = readJson<{ size?: number }>(path.join(path.dirname(dir), 'meta.json'));
    if (meta?.size) total += meta.size;
  }
  return total;
}

export interface ContainerSize {
  /** the writable layer */
  SizeRw: number;
  /** the writable layer and the image below it */
  SizeRootFs: number;
}

export function containerSize(engine: Engine, rec: ContainerRecord): ContainerSize {
  const rw = treeSize(path.join(engine.containers.dir(rec.Id), 'upper'));
  return { SizeRw: rw, SizeRootFs: rw + imageLayersSize(rec) };
}

// ---------------------------------------------------------------------------------------
// Filters

/** `--filter` values by key, as Docker's filters.Args. */
export class Filters {
  readonly fields = new Map<string, Set<string>>();

  add(key: string, value: string): void {
    let s = this.fields.get(key);
    if (!s) this.fields.set(key, (s = new Set()));
    s.add(value);
  }

  get(key: string): string[] {
    return [...(this.fields.get(key) ?? [])];
  }

  contains(key: string): boolean {
    return this.fields.has(key);
  }

  get size(): number {
    return this.fields.size;
  }

  /** True if no value is set for `key`, or `source` equals one of them. */
  exactMatch(key: string, source: string): boolean {
    const vals = this.fields.get(key);
    if (!vals || vals.size === 0) return true;
    return vals.has(source);
  }

  /** exactMatch, or one of the values, as a regular expression, matches `source`. */
  match(key: string, source: string): boolean {
    if (this.exactMatch(key, source)) return true;
    for (const v of this.fields.get(key) ?? []) {
      try {
        if (new RegExp(goRegexp(v)).test(source)) return true;
      } catch {
        /* not a valid expression: no match, as Docker */
      }
    }
    return false;
  }

  /** label=key or label=key=value: every one must be present in `sources`. */
  matchKVList(key: string, sources: Record<string, string> | null | undefined): boolean {
    const vals = this.fields.get(key);
    if (!vals || vals.size === 0) return true;
    if (!sources || Object.keys(sources).length === 0) return false;
    for (const v of vals) {
      const i = v.indexOf('=');
      const k = i < 0 ? v : v.slice(0, i);
      if (!Object.prototype.hasOwnProperty.call(sources, k)) return false;
      if (i >= 0 && sources[k] !== v.slice(i + 1)) return false;
    }
    return true;
  }
}

/** Go's RE2 syntax mostly reads the same in JavaScript; its inline flags do not. */
function goRegexp(s: string): string {
  return s.replace(/^\(\?i\)/, '');
}

/**
 * The `--filter` flags, parsed as the docker CLI does (a value without "=" is a flag
 * error: exit 125). Keys are lower-cased, values trimmed.
 */
export function parseFilterFlags(values: readonly string[], flag = '-f, --filter'): Filters {
  const f = new Filters();
  for (const value of values) {
    if (value === '') continue;
    const i = value.indexOf('=');
    if (i < 0) throw new UsageError(`invalid argument "${value}" for "${flag}" flag: bad format of filter (expected name=value)`);
    f.add(value.slice(0, i).trim().toLowerCase(), value.slice(i + 1).trim());
  }
  return f;
}

/** An invalid filter as the daemon reports it: one line, exit 1. */
export function invalidFilter(what: string, detail?: string): MydockerError {
  return new MydockerError(`Error response from daemon: invalid filter '${what}'${detail ? `: ${detail}` : ''}`, { exitCode: 1 });
}

export const PS_FILTERS = ['ancestor', 'before', 'exited', 'id', 'isolation', 'label', 'name', 'status', 'health', 'since', 'volume', 'network', 'is-task', 'publish', 'expose'];
const STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
const HEALTHS = ['none', 'starting', 'healthy', 'unhealthy'];

/** Rejects unknown keys and bad values, with the daemon's words. */
export function validateFilters(filters: Filters, accepted: readonly string[]): void {
  for (const key of filters.fields.keys()) if (!accepted.includes(key)) throw invalidFilter(key);
}

// ---------------------------------------------------------------------------------------
// Listing

/** A row of `ps`: Docker's container summary, with the raw state for the STATUS text. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  /** the reference the user typed, or the image id when it no longer names that image */
  Image: string;
  ImageID: string;
  Command: string;
  /** unix seconds */
  Created: number;
  State: ContainerStatus;
  /** the recorded state, for the status text ("Up 3 seconds") */
  StateDetail: ContainerState;
  Labels: Record<string, string>;
  Mounts: MountPoint[];
  Networks: string[];
  SizeRw?: number;
  SizeRootFs?: number;
}

export interface ListOptions {
  all?: boolean;
  /** -n: the last n created (all states); -1 or undefined for no limit */
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

function createdMs(rec: ContainerRecord): number {
  const t = Date.parse(rec.Created);
  return Number.isNaN(t) ? 0 : t;
}

/** Image ids that are the named image or images built on it (its layers are a prefix of theirs). */
function ancestorImages(engine: Engine, refs: string[]): Set<string> {
  const ids = new Set<string>();
  let all: ReturnType<Engine['images']['list']> | undefined;
  for (const ref of refs) {
    let img;
    try {
      img = engine.images.lookup(ref);
    } catch {
      img = undefined;
    }
    if (!img) continue; // Docker only warns: no container matches
    ids.add(img.id);
    const base = img.config.rootfs.diff_ids;
    all ??= engine.images.list();
    for (const other of all) {
      const d = other.config.rootfs.diff_ids;
      if (d.length > base.length && base.every((x, i) => d[i] === x)) ids.add(other.id);
    }
  }
  return ids;
}

/** The image column: the typed reference while it still names the container's image. */
function displayedImage(engine: Engine, rec: ContainerRecord): string {
  const ref = rec.Config.Image;
  if (!ref || ref === rec.Image) return rec.Image;
  try {
    const img = engine.images.lookup(ref);
    return img && img.id === rec.Image ? ref : rec.Image;
  } catch {
    return rec.Image;
  }
}

export function networksOf(rec: ContainerRecord): string[] {
  const ns = (rec as unknown as { NetworkSettings?: { Networks?: Record<string, unknown> } }).NetworkSettings;
  if (ns?.Networks) return Object.keys(ns.Networks);
  const mode = rec.HostConfig.NetworkMode;
  return mode ? [mode] : [];
}

function summaryOf(engine: Engine, rec: ContainerRecord): ContainerSummary {
  return {
    Id: rec.Id,
    Names: [rec.Name],
    Image: displayedImage(engine, rec),
    ImageID: rec.Image,
    Command: commandString(rec),
    Created: Math.floor(createdMs(rec) / 1000),
    State: stateString(rec.State),
    StateDetail: rec.State,
    Labels: rec.Config.Labels ?? {},
    Mounts: rec.Mounts ?? [],
    Networks: networksOf(rec),
  };
}

/**
 * `ps`: newest first, filtered as Docker's daemon does (name, id and status match as
 * regular expressions too; status= implies --all; -n counts every state).
 */
export async function listContainers(engine: Engine, opts: ListOptions = {}): Promise<ContainerSummary[]> {
  const filters = opts.filters ?? new Filters();
  validateFilters(filters, PS_FILTERS);
  let all = !!opts.all;
  const limit = opts.limit ?? -1;

  const exitAllowed: number[] = [];
  for (const v of filters.get('exited')) {
    if (!/^[+-]?\d+$/.test(v)) throw invalidFilter(`exited=${v}`, `strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    exitAllowed.push(Number(v));
  }
  for (const v of filters.get('status')) {
    if (!STATES.includes(v)) throw invalidFilter(`status=${v}`, `invalid value for state (${v}): must be one of ${STATES.join(', ')}`);
    all = true;
  }
  for (const v of filters.get('health')) {
    if (!HEALTHS.includes(v)) throw invalidFilter(`health=${v}`, `invalid value for health (${v}): must be one of ${HEALTHS.join(', ')}`);
  }
  const isTask = filters.get('is-task');
  if (isTask.some((v) => !['true', 'false', '1', '0'].includes(v.toLowerCase()))) {
    throw new MydockerError(`Error response from daemon: invalid filter 'is-task=${isTask[0]}'`, { exitCode: 1 });
  }
  for (const key of ['publish', 'expose']) {
    for (const v of filters.get(key)) {
      if (v.includes(':')) throw new MydockerError(`Error response from daemon: filter for '${key}' should not contain ':': ${v}`, { exitCode: 1 });
    }
  }

  const records = (await freshRecords(engine)).sort((a, b) => createdMs(b) - createdMs(a) || (a.Id < b.Id ? -1 : 1));
  const byRef = (v: string): ContainerRecord => {
    const r = resolveRef(engine, v);
    return records.find((x) => x.Id === r.Id) ?? r;
  };
  let before: ContainerRecord | undefined;
  let since: ContainerRecord | undefined;
  for (const v of filters.get('before')) before = byRef(v);
  for (const v of filters.get('since')) since = byRef(v);
  const ancestors = filters.contains('ancestor') ? ancestorImages(engine, filters.get('ancestor')) : undefined;

  const out: ContainerSummary[] = [];
  for (const rec of records) {
    if (before) {
      if (rec.Id === before.Id) before = undefined;
      continue;
    }
    if (since && rec.Id === since.Id) break;
    const s = rec.State;
    if (!s.Running && !all && limit <= 0) continue;
    const name = rec.Name;
    if (!filters.match('name', name) && !filters.match('name', name.replace(/^\//, ''))) continue;
    if (!filters.match('id', rec.Id)) continue;
    if (isTask.length && isTask.every((v) => ['true', '1'].includes(v.toLowerCase()))) continue; // no swarm tasks here
    if (!filters.matchKVList('label', rec.Config.Labels)) continue;
    // isolation= is accepted and, on Linux, matches every container (as docker's).
    if (limit > 0 && out.length === limit) break;
    if (exitAllowed.length > 0) {
      const ok = !s.Running && s.StartedAt !== ZERO_TIME && exitAllowed.includes(s.ExitCode);
      if (!ok) continue;
    }
    if (!filters.match('status', stateString(s))) continue;
    if (!filters.exactMatch('health', 'none')) continue;
    if (filters.contains('volume')) {
      const vols = filters.get('volume');
      const mounts = rec.Mounts ?? [];
      if (!mounts.some((m) => vols.includes(m.Destination) || vols.includes(m.Name || m.Source))) continue;
    }
    if (ancestors && !ancestors.has(rec.Image)) continue;
    if (filters.contains('network')) {
      const nets = networksOf(rec);
      if (!filters.get('network').some((n) => nets.includes(n))) continue;
    }
    if (filters.contains('publish') || filters.contains('expose')) continue; // no port is published
    const row = summaryOf(engine, rec);
    if (opts.size) Object.assign(row, containerSize(engine, rec));
    out.push(row);
  }
  return out;
}

/** `No such container` as the daemon says it (exit 1). */
export function noSuchContainer(ref: string): NotFoundError {
  return new NotFoundError(`Error response from daemon: No such container: ${ref}`, { exitCode: 1 });
}

/**
 * The pids of a running container: those in its cgroup, or its PID 1 alone when the
 * cgroup cannot be read.
 */
export function containerPids(engine: Engine, rec: ContainerRecord): number[] {
  const cg = engine.cgroups() as ReturnType<Engine['cgroups']> & { procs?: (id: string) => number[] };
  let pids: number[] = [];
  try {
    pids = cg.procs?.(rec.Id) ?? [];
  } catch {
    pids = [];
  }
  if (pids.length === 0 && rec.State.Pid) pids = [rec.State.Pid];
  return pids;
}
