/**
 * `start`: everything the helper needs is derived from the container's record, then the
 * helper clones the container and reports its pid or the step that failed.
 */
import path = require('node:path');
import { unlinkIfExists } from '../state/store';
import { getSystemErrorMap } from 'node:util';
import { MydockerError, StartError } from '../common/errors';
import { buildPlan } from '../spec/plan';
import { log } from '../common/log';
import { processEnv } from '../spec/process';
import type { Op, ShimError } from '../runtime/protocol';
import type { RunningContainer } from '../runtime/shim';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';
import { cgroupLimitsOf } from './resources';
import { plannedMounts } from './volumes';
import { nsToIso, releaseCgroups } from './teardown';
import { securityOf, setupDeviceCgroup, deviceProgramOf } from './security';
import { mark } from '../common/trace';
import { writeErr } from '../common/stdio';

function strerror(errno: number): string {
  const e = getSystemErrorMap().get(-errno);
  return e ? e[1].toLowerCase() : `errno ${errno}`;
}

const KERNEL_FS = ['/proc', '/dev', '/sys', '/dev/pts', '/dev/shm', '/dev/mqueue'];

/** Policy for helper failures: the user-facing line and Docker's exit code. */
export function startErrorOf(e: ShimError, cwd: string): MydockerError {
  const [a0 = '', a1 = ''] = e.args;
  const ENOENT = 2, ENOEXEC = 8, EACCES = 13, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, ELOOP = 40;
  const fail = (msg: string, exitCode: number) => new StartError(`failed to start container: ${msg}`, { exitCode });
  switch (e.op) {
    case 'lookpath':
      return fail(`exec: "${a0}": executable file not found in $PATH`, 127);
    case 'exec':
      if (e.errno === ENOENT) return fail(`exec: "${a0}": stat ${a1 || a0}: no such file or directory`, 127);
      if (e.errno === EACCES || e.errno === EISDIR) return fail(`exec: "${a0}": permission denied`, 126);
      if (e.errno === ENOEXEC) return fail(`exec: "${a0}": exec format error`, 126);
      return fail(`exec: "${a0}": ${strerror(e.errno)}`, 126);
    case 'mkdir':
    case 'chdir':
      if (e.op === 'chdir' || a0 === cwd) {
        const why = e.errno === ENOTDIR || e.errno === EEXIST ? 'not a directory' : strerror(e.errno);
        return fail(`cannot use working directory "${cwd}": ${why}`, 125);
      }
      break;
    case 'mask':
      if (e.errno === 1 /* EPERM: the helper's own check */) {
        return fail(`/dev/null in the container is not the null device: refusing to mask ${a0} with it`, 125);
      }
      break;
    case 'devices':
      return fail(`cannot attach the device program to ${a0}: ${strerror(e.errno)}`, 125);
    case 'mountin':
      if (e.errno === ELOOP && KERNEL_FS.includes(a1)) {
        return fail(`the image's ${a1} is a symbolic link: refusing to mount over it`, 125);
      }
      return fail(`mount ${a0} on ${a1}: ${strerror(e.errno)}`, 125);
  }
  return fail(`${e.op} ${e.args.filter(Boolean).join(' ')}: ${strerror(e.errno)}`, 125);
}

/**
 * Starts the helper with a plan (a container's, or an exec's) and waits until the
 * process has exec'd; a step the helper reports as failed becomes the user's error.
 * `dir` is the container's directory (the plan's unnamed file is made there).
 */
export async function launch(plan: readonly Op[], detach: boolean, cwd: string, dir: string): Promise<{ pid: number; startedAt: string; rc: RunningContainer }> {
  const { start, ShimStartError } = await import('../runtime/shim');
  try {
    return await start(plan, { detach, planDir: dir });
  } catch (e) {
    if (e instanceof ShimStartError) throw startErrorOf(e.shimError, cwd);
    throw e;
  }
}

export interface StartIO {
  /** the terminal size for -t, if the caller has one */
  winsize?: { rows: number; cols: number };
  /** relay the caller's stdio (foreground run, start -a) */
  attach: boolean;
  /** the monitor leaves the caller's session (run -d, start without -a) */
  detach: boolean;
}

export function logFileOf(engine: Engine, id: string): string {
  return engine.containers.file(id, `${id}-json.log`);
}

/**
 * Starts a created (or exited) container. On any failure nothing of the start is left:
 * the cgroup is removed and the error says which step failed.
 */
export async function startContainer(engine: Engine, rec: ContainerRecord, io: StartIO): Promise<{ pid: number; monitor: RunningContainer }> {
  const id = rec.Id;
  const dir = engine.containers.dir(id);
  const cwd = rec.Config.WorkingDir || '/';
  // What a previous run of this container left is not this run's.
  unlinkIfExists(path.join(dir, 'exit.json'));
  const cg = engine.cgroups().create(id, cgroupLimitsOf(rec.HostConfig));
  mark('cgroups');
  // Limits this host cannot apply were dropped; say so, as Docker does.
  for (const w of cg.warnings ?? []) writeErr(`WARNING: ${w}\n`);
  try {
    const procs = [...cg.procsFiles, ...setupDeviceCgroup(engine, rec)];
    mark('device cgroup');
    const security = securityOf(engine, rec);
    mark('security');
    const plan = buildPlan({
      rootfs: path.join(dir, 'merged'),
      lowerDirs: rec.LayerDirs,
      upperDir: path.join(dir, 'upper'),
      workDir: path.join(dir, 'work'),
      readonlyRootfs: !!rec.HostConfig.ReadonlyRootfs,
      hostname: rec.Config.Hostname,
      env: processEnv(rec.Config.Env, rec.Config.Hostname, rec.Config.Tty, security.home),
      argv: [rec.Path, ...rec.Args],
      cwd,
      tty: rec.Config.Tty,
      stdin: rec.Config.OpenStdin,
      winsize: io.winsize,
      etcFiles: { hostname: path.join(dir, 'hostname'), hosts: path.join(dir, 'hosts'), resolvConf: path.join(dir, 'resolv.conf') },
      mounts: plannedMounts(engine, rec),
      security,
      cgroupProcs: procs,
      devices: deviceProgramOf(rec, cg),
      exitFile: path.join(dir, 'exit.json'),
      cleanup: engine.cleanupCommand(id),
      logFile: logFileOf(engine, id),
      attach: io.attach,
      detach: io.detach,
    });
    if (log.enabled('debug')) log.debug('starting container', { id, plan: plan.map((op) => op.join(' ')) });
    mark('plan built');
    const started = await launch(plan, io.detach, cwd, dir);
    mark('exec reported');
    const { pid, rc } = started;
    engine.markRunning(id, pid, rc.pid, io.detach);
    rec.State = { ...rec.State, Status: 'running', Running: true, Pid: pid, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: started.startedAt ? nsToIso(started.startedAt) : new Date().toISOString(), FinishedAt: rec.State.FinishedAt };
    engine.containers.save(rec);
    return { pid, monitor: rc };
  } catch (e) {
    releaseCgroups(engine, id);
    throw e;
  }
}
