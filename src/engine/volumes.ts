/**
 * Container mounts: the -v/--mount/--tmpfs requests recorded in HostConfig (and the image's
 * VOLUME list) -> volumes, the recorded `Mounts`, and the helper's planned mounts.
 *
 *  - create (setupMounts): every request is checked against the image first (a directory
 *    onto a file and the like are refused), and only then is anything made: named volumes on
 *    first use, anonymous ones, the copy-up of the image's content into an empty volume,
 *    missing `-v` source directories. A failure undoes the volumes this call made.
 *  - start (plannedMounts): the binds and tmpfs mounts the helper makes inside the
 *    container's own mount namespace, parents first. Destinations are resolved here through
 *    the image layers (symbolic links re-rooted, `..` clamped) and again by the kernel in the
 *    helper (openat2 RESOLVE_IN_ROOT), so an image can never lead a mount onto the host.
 *  - removal (releaseMounts): with --rm or rm -v, the container's anonymous volumes go;
 *    named ones never do.
 */
import fs = require('node:fs');
import path = require('node:path');
import { ConflictError, MydockerError, NotFoundError, UsageError } from '../common/errors';
import type { PlannedMount } from '../spec/plan';
import type { Image } from '../image/types';
import type { ContainerRecord, MountPoint } from './containers';
import type { Engine } from './engine';
import { LayeredRootfs, Resolved } from '../volume/layers';
import { MountRequest, requestsFromHostConfig } from '../volume/hostconfig';
import { inspectMount, propagationFlag, tmpfsMountArgs } from '../volume/mountplan';
import { destinationProblem, normalizeDestination, sortMounts } from '../volume/validate';
import { ANONYMOUS_LABEL, openVolumeStore, randomVolumeName, Volume, VolumeStore } from '../volume/store';
import { copyUp } from '../volume/copyup';
import { writeErr } from '../common/stdio';

/** Where the helper mounts other file systems before the user's mounts: resolution stops there. */
const KERNEL_MOUNTS = ['/proc', '/dev', '/sys'];
/** Files the helper bind-mounts onto /etc before the user's mounts. */
const ETC_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

function depth(p: string): number {
  return p.split('/').filter((c) => c !== '' && c !== '.').length;
}

/**
 * Resolves every destination inside the rootfs. A destination whose path passes through
 * another mount's destination (or a kernel file system) is resolved only up to that point:
 * what lies beyond is the other mount's content, which the helper's kernel-side resolution
 * will see at mount time.
 */
function resolveAll(view: LayeredRootfs, targets: readonly string[], precise: boolean): Resolved[] {
  const kernel = new Set(KERNEL_MOUNTS);
  const first = targets.map((t) => view.resolve(t, { stopAt: kernel, symlinkOnlyOpacity: !precise }));
  if (targets.length < 2) return first;
  const finals = first.map((r) => r.path);
  // A second pass is needed only if some destination can lie under another one.
  const nested = finals.some((p, i) => finals.some((q, j) => i !== j && (q === '/' || p.startsWith(q + '/'))));
  const viaLinks = first.some((r, i) => r.path !== targets[i]);
  if (!nested && !viaLinks) return first;
  return targets.map((t, i) => {
    const stopAt = new Set(kernel);
    finals.forEach((p, j) => {
      if (j !== i && p !== finals[i]) stopAt.add(p);
    });
    return view.resolve(t, { stopAt, symlinkOnlyOpacity: !precise });
  });
}

function typeMismatch(source: string, target: string): UsageError {
  return new UsageError(
    `error mounting "${source}" to rootfs at "${target}": not a directory: ` +
      'Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type',
  );
}

/** Refuses a destination that resolves (through the image's symbolic links) to a forbidden place. */
function checkResolved(target: string, r: Resolved): void {
  const problem = destinationProblem(r.kind === 'under' ? r.path : normalizeDestination(r.path));
  if (problem !== null) {
    throw new UsageError(r.path === target ? problem : `${problem} (${target} resolves to ${r.path} in the image)`);
  }
}

/** The kind of thing at a resolved destination when the helper mounts onto it. */
function kindAt(r: Resolved): 'dir' | 'file' | 'missing' | 'unknown' {
  if (r.kind === 'under') return 'unknown';
  if (ETC_FILES.has(r.path) || r.kind === 'notdir') return 'file';
  return r.kind;
}

/** ids of the containers (running or stopped) using each volume. */
export function volumeUsers(engine: Engine, exclude?: string): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const rec of engine.containers.list()) {
    if (rec.Id === exclude) continue;
    for (const m of rec.Mounts ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const ids = users.get(m.Name) ?? [];
      if (!ids.includes(rec.Id)) ids.push(rec.Id);
      users.set(m.Name, ids);
    }
  }
  return users;
}

/** The `inUseBy` callback of the volume store, from the container records. */
export function inUseBy(engine: Engine, exclude?: string): (name: string) => string[] {
  let users: Map<string, string[]> | undefined;
  return (name) => (users ??= volumeUsers(engine, exclude)).get(name) ?? [];
}

function isAnonymous(v: Volume): boolean {
  return v.Anonymous || (v.Labels !== null && ANONYMOUS_LABEL in v.Labels);
}

/** The image's VOLUMEs that no request of the user covers: anonymous volumes, as Docker. */
function imageVolumeRequests(image: Image, taken: Set<string>): MountRequest[] {
  const out: MountRequest[] = [];
  for (const v of Object.keys(image.config.config.Volumes ?? {})) {
    const target = normalizeDestination(v);
    if (!target.startsWith('/') || taken.has(target) || destinationProblem(target) !== null) continue;
    taken.add(target);
    out.push({ spec: { type: 'volume', name: null, target, readonly: false, nocopy: false }, origin: 'image', mode: '' });
  }
  return out;
}

/** At create: resolve -v/--mount/--tmpfs, create named/anonymous volumes, fill rec.Mounts. */
export function setupMounts(engine: Engine, rec: ContainerRecord, image: Image): void {
  const requests = requestsFromHostConfig(rec.HostConfig);
  requests.push(...imageVolumeRequests(image, new Set(requests.map((r) => r.spec.target))));
  if (requests.length === 0) return;

  const upper = path.join(engine.containers.dir(rec.Id), 'upper');
  const view = LayeredRootfs.fromLayers(rec.LayerDirs, upper);
  const resolved = resolveAll(view, requests.map((r) => r.spec.target), true);
  const store = openVolumeStore(engine.paths);

  // 1. Check everything; change nothing.
  const plans = requests.map((req, i) => {
    const r = resolved[i];
    checkResolved(req.spec.target, r);
    const s = req.spec;
    if (r.kind === 'notdir') throw typeMismatch(s.type === 'bind' ? s.source : s.type, s.target);
    const at = kindAt(r);
    if (s.type === 'bind') {
      const st = statOrNull(s.source);
      if (st === null && !s.createSource) {
        throw new UsageError(`invalid mount config for type "bind": bind source path does not exist: ${s.source}`);
      }
      const isDir = st === null || st.isDirectory();
      if ((isDir && at === 'file') || (!isDir && at === 'dir')) throw typeMismatch(s.source, s.target);
      return { req, r, createSource: st === null, volumeName: undefined as string | undefined };
    }
    if (s.type === 'volume') {
      const name = s.name ?? randomVolumeName();
      if (at === 'file') throw typeMismatch(store.dataDir(name), s.target);
      return { req, r, createSource: false, volumeName: name };
    }
    if (at === 'file') throw typeMismatch('tmpfs', s.target);
    return { req, r, createSource: false, volumeName: undefined };
  });

  // 2. Make volumes (and copy the image's content into new empty ones), then bind sources.
  const made: string[] = [];
  const points: MountPoint[] = [];
  try {
    for (const p of plans) {
      const s = p.req.spec;
      if (s.type === 'volume') {
        const name = p.volumeName!;
        let vol = store.find(name);
        if (!vol) {
          vol = store.create(name, { anonymous: s.name === null, labels: s.labels, driverOptions: s.driverOptions });
          made.push(vol.Name);
        }
        if (!s.nocopy && p.r.kind === 'dir') copyUp(p.r.dir, p.r.st, vol.Mountpoint, store.volumeDir(vol.Name));
        points.push(inspectMount(p.req, { name: vol.Name, source: vol.Mountpoint }) as MountPoint);
      } else {
        points.push(inspectMount(p.req) as MountPoint);
      }
    }
    for (const p of plans) {
      const s = p.req.spec;
      if (s.type === 'bind' && p.createSource) fs.mkdirSync(s.source, { recursive: true, mode: 0o755 });
    }
  } catch (e) {
    const users = inUseBy(engine, rec.Id);
    for (const name of made) {
      try {
        store.remove(name, { force: true, inUseBy: users });
      } catch {
        /* in use by now, or not removable safely: kept */
      }
    }
    throw e;
  }

  // --tmpfs is not listed in Docker's Mounts; anonymous -v volumes are listed in Config.Volumes.
  rec.Mounts = points.filter((_, i) => plans[i].req.origin !== 'tmpfs');
  for (const p of plans) {
    const s = p.req.spec;
    if (p.req.origin === 'volume' && s.type === 'volume' && s.name === null) {
      rec.Config.Volumes = { ...(rec.Config.Volumes ?? {}), [s.target]: {} };
    }
  }
}

/** At start: the mounts the helper makes, parents first. */
export function plannedMounts(engine: Engine, rec: ContainerRecord): PlannedMount[] {
  const hc = rec.HostConfig;
  const points = rec.Mounts ?? [];
  if (points.length === 0 && !hc.Tmpfs) return [];

  const requests = requestsFromHostConfig(hc);
  const byTarget = new Map(requests.map((r) => [r.spec.target, r]));
  type Item = { target: string; make: (target: string, r: Resolved) => PlannedMount };
  const items: Item[] = [];

  for (const mp of points) {
    const target = normalizeDestination(mp.Destination);
    const readonly = !mp.RW;
    if (mp.Type === 'bind') {
      const req = byTarget.get(target);
      const mustExist = req?.spec.type === 'bind' && !req.spec.createSource;
      let st = statOrNull(mp.Source);
      if (st === null) {
        if (mustExist) throw new UsageError(`invalid mount config for type "bind": bind source path does not exist: ${mp.Source}`);
        fs.mkdirSync(mp.Source, { recursive: true, mode: 0o755 });
        st = fs.statSync(mp.Source);
      }
      const file = !st.isDirectory();
      const propagation = propagationFlag(mp.Propagation);
      items.push({
        target,
        make: (t) => ({ kind: 'bind', source: mp.Source, target: t, readonly, file, ...(propagation ? { propagation } : {}) }),
      });
    } else if (mp.Type === 'volume') {
      if (statOrNull(mp.Source) === null) throw new NotFoundError(`get ${mp.Name}: no such volume`);
      items.push({ target, make: (t) => ({ kind: 'bind', source: mp.Source, target: t, readonly, file: false }) });
    } else if (mp.Type === 'tmpfs') {
      const req = byTarget.get(target);
      if (req?.spec.type !== 'tmpfs') throw new MydockerError(`the record of the tmpfs mount on ${target} is incomplete`);
      const args = tmpfsMountArgs(req.spec);
      items.push({ target, make: (t) => ({ kind: 'tmpfs', target: t, ...args }) });
    }
  }
  for (const req of requests) {
    if (req.origin !== 'tmpfs' || req.spec.type !== 'tmpfs') continue;
    const args = tmpfsMountArgs(req.spec);
    items.push({ target: req.spec.target, make: (t) => ({ kind: 'tmpfs', target: t, ...args }) });
  }
  if (items.length === 0) return [];

  const sorted = sortMounts(items);
  const view = LayeredRootfs.fromLayers(rec.LayerDirs, path.join(engine.containers.dir(rec.Id), 'upper'));
  const resolved = resolveAll(view, sorted.map((i) => i.target), false);
  const out = sorted.map((item, i) => {
    const r = resolved[i];
    checkResolved(item.target, r);
    return { m: item.make(r.path, r), i, d: depth(r.path) };
  });
  // Parents first by where they land; the command line's order otherwise.
  return out.sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.m);
}

/** At removal: with removeAnonymous (--rm, rm -v), delete the container's anonymous volumes. */
export function releaseMounts(engine: Engine, rec: ContainerRecord, opts: { removeAnonymous: boolean }): void {
  if (!opts.removeAnonymous) return;
  const names = (rec.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name as string);
  if (names.length === 0) return;
  const store: VolumeStore = openVolumeStore(engine.paths);
  const users = inUseBy(engine, rec.Id);
  for (const name of names) {
    const v = store.find(name);
    if (!v || !isAnonymous(v)) continue;
    try {
      store.remove(name, { inUseBy: users });
    } catch (e) {
      if (e instanceof ConflictError || e instanceof NotFoundError) continue; // still used elsewhere, or gone
      const why = e instanceof Error ? e.message : String(e);
      writeErr(`mydocker: volume ${name} was kept, its data is whole: ${why}\n`);
    }
  }
}
