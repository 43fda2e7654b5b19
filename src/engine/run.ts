/**
 * `run`: create a container record, start it through the helper, wait, clean up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { MydockerError, StartError, UsageError } from '../common/errors';
import { Paths } from '../state/paths';
import { ContainerRecord, ContainerStore, ZERO_TIME } from './containers';
import { buildPlan, PlannedMount } from '../spec/plan';
import { resolveProcess, ProcessFlags, ResolvedProcess } from '../spec/process';
import { etcHosts, resolvConf } from '../spec/etc';
import type { Image } from '../image/types';
import { ShimError } from '../runtime/protocol';
import type { ExitStatus, RunningContainer } from '../runtime/shim';
import { finalizeContainer, removeContainer, collectGarbage } from './teardown';
import type { Engine } from './engine';

export interface RunOptions extends ProcessFlags {
  image: string;
  interactive: boolean;
  tty: boolean;
  rm: boolean;
  name?: string;
  hostname?: string;
  readOnly?: boolean;
  mounts?: PlannedMount[];
}

/** The exit code `mydocker run` returns for a container's end, as Docker: 128+n for a signal. */
export function exitCodeOf(s: ExitStatus): number {
  if (s.signal) return 128 + s.signal;
  return s.exit;
}

function strerror(errno: number): string {
  const e = getSystemErrorMap().get(-errno);
  return e ? e[1] : `errno ${errno}`;
}

/** Policy for helper failures: the user-facing line and Docker's exit code. */
export function startErrorOf(e: ShimError, cwd: string): MydockerError {
  const [a0 = '', a1 = ''] = e.args;
  const ENOENT = 2, EACCES = 13, ENOTDIR = 20, EISDIR = 21, ENOEXEC = 8, EEXIST = 17;
  switch (e.op) {
    case 'lookpath':
      return new StartError(`failed to start container: exec: "${a0}": executable file not found in $PATH`, { exitCode: 127 });
    case 'exec': {
      const target = a1 || a0;
      if (e.errno === ENOENT) return new StartError(`failed to start container: exec: "${a0}": stat ${target}: no such file or directory`, { exitCode: 127 });
      if (e.errno === EACCES || e.errno === EISDIR) return new StartError(`failed to start container: exec: "${a0}": permission denied`, { exitCode: 126 });
      if (e.errno === ENOEXEC) return new StartError(`failed to start container: exec: "${a0}": exec format error`, { exitCode: 126 });
      return new StartError(`failed to start container: exec: "${a0}": ${strerror(e.errno).toLowerCase()}`, { exitCode: 126 });
    }
    case 'mkdir':
    case 'chdir':
      if (a0 === cwd || e.op === 'chdir') {
        const why = e.errno === ENOTDIR || e.errno === EEXIST ? 'not a directory' : strerror(e.errno).toLowerCase();
        return new StartError(`failed to start container: cannot use working directory "${cwd}": ${why}`, { exitCode: 125 });
      }
      break;
    case 'mountin':
      if (e.errno === 40 /* ELOOP */ && ['/proc', '/dev', '/sys', '/dev/pts', '/dev/shm', '/dev/mqueue'].includes(a1)) {
        return new StartError(`failed to start container: the image's ${a1} is a symbolic link: refusing to mount over it`, { exitCode: 125 });
      }
      return new StartError(`failed to start container: mount ${a0} on ${a1}: ${strerror(e.errno).toLowerCase()}`, { exitCode: 125 });
  }
  void ENOENT;
  return new StartError(`failed to start container: ${e.op} ${e.args.filter(Boolean).join(' ')}: ${strerror(e.errno).toLowerCase()}`, { exitCode: 125 });
}

function hostResolvConf(): string {
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/**
 * Creates the container record and its directories. Nothing is mounted here: every
 * mount is made by the helper inside the container's own mount namespace.
 */
export function createContainer(engine: Engine, image: Image, opts: RunOptions): { rec: ContainerRecord; proc: ResolvedProcess } {
  const store = engine.containers;
  const id = store.newId();
  const proc = resolveProcess(image.config.config, opts, id);
  const name = store.reserveName(opts.name, id);
  const dir = store.dir(id);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const d of ['upper', 'work', 'merged']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'hostname'), proc.hostname + '\n');
    fs.writeFileSync(path.join(dir, 'hosts'), etcHosts(null, proc.hostname));
    fs.writeFileSync(path.join(dir, 'resolv.conf'), resolvConf(hostResolvConf()));
    const now = new Date().toISOString();
    const rec: ContainerRecord = {
      Id: id,
      Created: now,
      Path: proc.argv[0],
      Args: proc.argv.slice(1),
      State: {
        Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
      },
      Image: image.id,
      Name: '/' + name,
      Config: {
        Hostname: proc.hostname,
        Domainname: '',
        User: opts.user ?? image.config.config.User ?? '',
        AttachStdin: opts.interactive,
        AttachStdout: true,
        AttachStderr: true,
        Tty: opts.tty,
        OpenStdin: opts.interactive,
        StdinOnce: opts.interactive,
        Env: proc.configEnv,
        Cmd: proc.cmd,
        Image: opts.image,
        Volumes: image.config.config.Volumes ?? null,
        WorkingDir: proc.cwd === '/' && !opts.workdir && !image.config.config.WorkingDir ? '' : proc.cwd,
        Entrypoint: proc.entrypoint,
        Labels: image.config.config.Labels ?? {},
      },
      HostConfig: {
        AutoRemove: opts.rm,
        ReadonlyRootfs: !!opts.readOnly,
        NetworkMode: 'none',
      },
      Mounts: [],
      LayerDirs: image.layerDirs,
    };
    store.save(rec);
    return { rec, proc };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    store.releaseName(name, id);
    throw e;
  }
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Runs a container in the foreground; resolves to the exit code `mydocker run` returns. */
export async function runForeground(engine: Engine, opts: RunOptions): Promise<number> {
  collectGarbage(engine);
  const image = engine.resolveImage(opts.image);
  const { rec, proc } = createContainer(engine, image, opts);
  return startAndWait(engine, rec, proc, opts);
}

async function startAndWait(engine: Engine, rec: ContainerRecord, proc: ResolvedProcess, opts: RunOptions): Promise<number> {
  const store = engine.containers;
  const id = rec.Id;
  const dir = store.dir(id);
  let started = false;
  let rc: RunningContainer | undefined;
  try {
    const cg = engine.cgroups().create(id, {});
    const plan = buildPlan({
      rootfs: path.join(dir, 'merged'),
      lowerDirs: rec.LayerDirs,
      upperDir: path.join(dir, 'upper'),
      workDir: path.join(dir, 'work'),
      readonlyRootfs: opts.readOnly,
      hostname: proc.hostname,
      env: proc.env,
      argv: proc.argv,
      cwd: proc.cwd,
      tty: opts.tty,
      stdin: opts.interactive,
      winsize: opts.tty && process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined,
      etcFiles: { hostname: path.join(dir, 'hostname'), hosts: path.join(dir, 'hosts'), resolvConf: path.join(dir, 'resolv.conf') },
      mounts: opts.mounts ?? [],
      cgroupProcs: cg.procsFiles,
      pidFile: path.join(dir, 'pid'),
      exitFile: path.join(dir, 'exit.json'),
      cleanup: engine.cleanupCommand(id),
    });
    const { start, ShimStartError } = await import('../runtime/shim');
    let pid: number;
    try {
      ({ pid, rc } = await start(plan));
    } catch (e) {
      if (e instanceof ShimStartError) throw startErrorOf(e.shimError, proc.cwd);
      throw e;
    }
    started = true;
    engine.markRunning(id, pid, rc!.child.pid ?? 0);
    rec.State = { ...rec.State, Status: 'running', Running: true, Pid: pid, StartedAt: new Date().toISOString() };
    store.save(rec);
  } catch (e) {
    // A start that fails at any step leaves nothing behind: no record, cgroup, or dirs.
    if (!started) {
      engine.cgroups().remove(id);
      removeContainer(engine, rec);
    }
    throw e;
  }

  const monitor = rc!;
  // Signals sent to `mydocker run` go to the container. Terminal-generated ones already
  // reach the helper, which shares our process group; with -t the terminal is raw and
  // sends none.
  const fromTerminal = !opts.tty && process.stdin.isTTY;
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of FORWARDED) {
    const h = () => {
      if (fromTerminal && (sig === 'SIGINT' || sig === 'SIGQUIT')) return;
      monitor.signal(sig);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  process.on('SIGWINCH', noop);
  let status: ExitStatus;
  try {
    const msg = await monitor.message();
    if (!msg || !('exit' in msg)) {
      // The monitor died before the container's end: reconcile from what is on disk.
      await monitor.exited();
      status = { exit: 255, signal: 0, finishedAt: String(BigInt(Date.now()) * 1000000n) };
    } else {
      status = msg;
    }
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off('SIGWINCH', noop);
  }
  finalizeContainer(engine, id, status);
  monitor.ack();
  await monitor.exited();
  return exitCodeOf(status);
}

function noop(): void {}

export { UsageError };
