/**
 * After a container's end: record how it ended, free its cgroup, and (with --rm)
 * delete it. Also the repair of what a crash left behind.
 *
 * Every mount of a container lives in its own mount namespace and died with it, so
 * teardown is only deleting directories — and still only after proving from
 * /proc/self/mountinfo that nothing is mounted under them, without crossing file
 * systems: a volume's data is never reachable from here.
 */
import fs = require('node:fs');
import path = require('node:path');
import { removeTreeNoCross } from '../volume/saferm';
import { readJson, unlinkIfExists } from '../state/store';
import { releaseMounts } from './volumes';
import { removeDeviceCgroup } from './security';
import type { ExitStatus } from '../runtime/shim';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';

/** Unix nanoseconds (a decimal string, as the helper reports) -> RFC 3339 with nanoseconds. */
export function nsToIso(ns: string): string {
  const n = BigInt(ns);
  const ms = Number(n / 1000000n);
  const frac = (n % 1000000000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d+Z$/, `.${frac}Z`);
}

/** True if `pid` is alive and in this container's cgroup (a pid alone may have been reused). */
export function ownsPid(id: string, pid: number): boolean {
  if (!pid) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${id}`);
  } catch {
    return false;
  }
}

/** The fields of /proc/<pid>/stat after the command name (the state first), or undefined when gone. */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * True if `pid` runs the helper binary. A prefix, not the whole name: a monitor whose
 * binary was rebuilt since it started shows `mydocker-shim (deleted)`.
 */
export function isHelperProcess(pid: number): boolean {
  try {
    return path.basename(fs.readlinkSync(`/proc/${pid}/exe`)).startsWith('mydocker-shim');
  } catch {
    return false;
  }
}

/**
 * True if `pid` is still the monitor of container `id`: the helper binary, or the same
 * process after it exec'd the engine's cleanup for that container (exec keeps the pid).
 * Anything else is a reused pid.
 */
export function isMonitor(pid: number, id: string): boolean {
  if (!pid) return false;
  if (isHelperProcess(pid)) return true;
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = argv.indexOf('cleanup');
    return i > 0 && argv[i - 1] === 'container' && argv[i + 1] === id;
  } catch {
    return false;
  }
}

/** Removes the container's cgroups (resources and devices), if there are any. Idempotent. */
export function releaseCgroups(engine: Engine, id: string): void {
  engine.cgroups().remove(id);
  removeDeviceCgroup(engine, id);
}

/**
 * The monitor of a running container, proven: the parent of its living PID 1 (in the
 * container's cgroup), and the helper binary itself (not yet the cleanup command it
 * becomes at the end). A recorded monitor pid alone may have been reused.
 */
export function monitorOf(id: string, pid: number): number | undefined {
  if (!ownsPid(id, pid)) return undefined;
  const ppid = Number(procStat(pid)?.[1]);
  return ppid > 0 && isHelperProcess(ppid) ? ppid : undefined;
}

/**
 * The monitor of a detached run (nobody waits for its exit report), proven as monitorOf
 * does and matching the recorded one: a command that records the end itself (stop,
 * rm -f) may tell it, or kill it, so that it does not start the cleanup command.
 */
export function detachedMonitor(engine: Engine, id: string, pid: number): number | undefined {
  const info = engine.runInfo(id);
  if (!info?.detached) return undefined;
  const m = monitorOf(id, pid);
  return m !== undefined && m === info.monitor ? m : undefined;
}

/** Deletes a stopped container: its directory, its name. Refuses if anything is mounted under it. */
export function removeContainer(engine: Engine, rec: ContainerRecord, opts: { removeAnonymousVolumes: boolean }): void {
  const dir = engine.containers.dir(rec.Id);
  removeTreeNoCross(dir);
  releaseMounts(engine, rec, { removeAnonymous: opts.removeAnonymousVolumes });
  engine.containers.releaseName(rec.Name.replace(/^\//, ''), rec.Id);
  unlinkIfExists(path.join(engine.paths.root, 'running', rec.Id));
}

/**
 * Records the end of a container and releases what it held. Idempotent: the CLI, the
 * monitor's fallback and garbage collection may all call it.
 */
export function finalizeContainer(engine: Engine, id: string, status?: ExitStatus, opts: { monitor?: number } = {}): void {
  const rec = engine.containers.get(id);
  if (!rec) return;
  if (opts.monitor !== undefined) {
    // A monitor finalizes only its own run: if the container was started again since,
    // the record belongs to the new run's monitor. (With no run recorded, finalizing
    // again is harmless: it is idempotent.)
    const info = engine.runInfo(id);
    if (info && info.monitor !== opts.monitor) return;
  }
  const st = status ?? readJson<ExitStatus>(engine.containers.file(id, 'exit.json'));
  let oom = false;
  try {
    oom = engine.cgroups().oomKilled(id);
  } catch {
    /* no cgroup left to ask */
  }
  releaseCgroups(engine, id);
  unlinkIfExists(path.join(engine.paths.root, 'running', id));
  const code = st ? (st.signal ? 128 + st.signal : st.exit) : 255;
  rec.State = {
    ...rec.State,
    Status: 'exited',
    Running: false,
    Pid: 0,
    ExitCode: code,
    OOMKilled: oom,
    FinishedAt: st ? nsToIso(st.finishedAt) : new Date().toISOString(),
  };
  // The end is recorded before anything is deleted: if the removal is refused (something
  // is mounted under the container), the record is true and a later rm can finish it.
  engine.containers.save(rec);
  if (rec.HostConfig.AutoRemove) removeContainer(engine, rec, { removeAnonymousVolumes: true });
}

/**
 * The next command repairs what a crash left: a container recorded as running whose
 * processes and monitor are both gone is finalized now.
 */
export function collectGarbage(engine: Engine): void {
  const runDir = path.join(engine.paths.root, 'running');
  let ids: string[];
  try {
    ids = fs.readdirSync(runDir);
  } catch {
    return;
  }
  for (const id of ids) {
    const info = engine.runInfo(id);
    if (info && (ownsPid(id, info.pid) || isMonitor(info.monitor, id))) continue;
    finalizeContainer(engine, id);
    unlinkIfExists(path.join(runDir, id));
  }
}
