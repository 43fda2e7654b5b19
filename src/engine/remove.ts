/**
 * `rm` and `container prune`: removing containers, running ones too with force.
 *
 * A forced removal kills the container's PID 1 with SIGKILL — only after checking that
 * the recorded pid is still in the container's cgroup, since pids are reused — and
 * then waits for the container's monitor to record the end and run the cleanup (the
 * monitor either acknowledges a foreground `run` or execs the engine's cleanup command,
 * so its exit means the end is recorded). A monitor that was killed leaves nobody to
 * record the end: then the pid is waited for and the end recorded here. Only then is
 * the container's directory deleted, so that no cleanup can write into a container that
 * is being removed. `rm -f` therefore works whatever state a crash left.
 *
 * A detached container's monitor is killed first, then its PID 1: the end is recorded
 * here, without the monitor starting the engine's cleanup command, a whole Node process
 * per container, for a record that is about to be deleted. A foreground `run` keeps its monitor: it reports
 * the exit code (137) to the waiting CLI.
 */
import fs = require('node:fs');
import path = require('node:path');
import { MydockerError, NotFoundError } from '../common/errors';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';
import { detachedMonitor, finalizeContainer, isHelperProcess, procStat, releaseCgroups, removeContainer } from './teardown';
import { ownsPid } from './lifecycle';
import { freshRecords, resolveFresh, treeSize } from './query';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a forced removal waits for the container's end to be recorded. */
const END_TIMEOUT_MS = 10_000;

export interface RemoveOptions {
  /** -f: kill a running container first; an unknown name is not an error */
  force: boolean;
  /** -v: remove the container's anonymous volumes too */
  volumes: boolean;
}

/** The running container's refusal, as docker (25 to 28) words it; exit 1. */
export function runningError(name: string): MydockerError {
  return new MydockerError(
    `Error response from daemon: cannot remove container "${name}": container is running: stop the container before removing or force remove`,
    { exitCode: 1 },
  );
}

/** Alive, not a zombie. */
function running(pid: number): boolean {
  const st = procStat(pid)?.[0];
  return st !== undefined && st !== 'Z' && st !== 'X';
}

/** The container's process, alive (not a zombie) and still the container's. */
function containerAlive(id: string, pid: number): boolean {
  return ownsPid(id, pid) && running(pid);
}

/** The recorded monitor pid, if that process is still the container's monitor or its cleanup. */
function liveMonitor(id: string, monitor: number | undefined): number | undefined {
  if (!monitor) return undefined;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${monitor}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  if (!running(monitor)) return undefined;
  // The helper (its exe is the monitor binary), or the cleanup command it exec'd.
  return isHelperProcess(monitor) || cmdline.includes(id) ? monitor : undefined;
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  let step = 5;
  while (!cond()) {
    if (Date.now() >= end) return cond();
    await sleep(step);
    step = Math.min(step * 2, 50);
  }
  return true;
}

/**
 * Kills a running container and waits until its end is recorded. Returns its record
 * afterwards, or undefined when it is gone (a --rm container removes itself).
 */
export async function killAndSettle(engine: Engine, rec: ContainerRecord): Promise<ContainerRecord | undefined> {
  const id = rec.Id;
  const info = engine.runInfo(id);
  const pid = rec.State.Pid || info?.pid || 0;
  // A detached monitor first, so that it cannot start the cleanup command in between
  // (PID 1 is killed as well: PDEATHSIG does not survive an exec of a set-id program).
  const helper = containerAlive(id, pid) ? detachedMonitor(engine, id, pid) : undefined;
  if (helper !== undefined) {
    try {
      process.kill(helper, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (containerAlive(id, pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  // PID 1's death ends its pid namespace; anything else still in the cgroup (a process
  // that joined without it) is killed as well.
  const cg = engine.cgroups() as ReturnType<Engine['cgroups']> & { procs?: (id: string) => number[] };
  const killRest = () => {
    for (const p of cg.procs?.(id) ?? []) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  await waitUntil(() => !containerAlive(id, pid), END_TIMEOUT_MS);
  killRest();
  // The monitor records the end and runs the cleanup (or hands it to a foreground run).
  const monitor = liveMonitor(id, info?.monitor);
  if (monitor) await waitUntil(() => liveMonitor(id, monitor) === undefined, END_TIMEOUT_MS);
  const now = engine.containers.get(id);
  if (!now) return undefined;
  if (now.State.Running) {
    // Nobody recorded the end (the monitor was killed): wait for the kernel to reap the
    // process, then record it here.
    await waitUntil(() => !ownsPid(id, pid) && (cg.procs?.(id) ?? []).length === 0, END_TIMEOUT_MS);
    finalizeContainer(engine, id);
  }
  return engine.containers.get(id);
}

/**
 * Removes one container (rm). Throws MydockerError with docker's words and exit code 1:
 * unknown name, ambiguous prefix, running without force. With force an unknown name
 * is silently done (returns false), as docker.
 */
export async function removeByRef(engine: Engine, ref: string, opts: RemoveOptions): Promise<boolean> {
  let rec: ContainerRecord;
  try {
    rec = await resolveFresh(engine, ref);
  } catch (e) {
    if (opts.force && e instanceof NotFoundError) return false;
    if (e instanceof MydockerError && e.exitCode === 125) throw new MydockerError(e.message, { exitCode: 1 });
    throw e;
  }
  if (rec.State.Running) {
    if (!opts.force) throw runningError(rec.Name);
    const after = await killAndSettle(engine, rec);
    if (!after) return true;
    rec = after;
  }
  // A start that crashed between creating the cgroups and recording the run left them
  // behind, with no run for crash repair to finalize: they go with the container.
  releaseCgroups(engine, rec.Id);
  removeContainer(engine, rec, { removeAnonymousVolumes: opts.volumes });
  return true;
}

export interface PruneReport {
  deleted: string[];
  /** bytes of the writable layers removed */
  reclaimed: number;
}

/** `container prune`: every container that is not running (and that `accept` takes). */
export async function pruneContainers(engine: Engine, accept: (rec: ContainerRecord) => boolean = () => true): Promise<PruneReport> {
  const report: PruneReport = { deleted: [], reclaimed: 0 };
  const recs = (await freshRecords(engine)).filter((r) => !r.State.Running && accept(r));
  for (const rec of recs) {
    // Re-read: it may have been started or removed since it was listed.
    const now = engine.containers.get(rec.Id);
    if (!now || now.State.Running) continue;
    const size = treeSize(path.join(engine.containers.dir(rec.Id), 'upper'));
    releaseCgroups(engine, now.Id);
    removeContainer(engine, now, { removeAnonymousVolumes: false });
    report.deleted.push(rec.Id);
    report.reclaimed += size;
  }
  return report;
}
