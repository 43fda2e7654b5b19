/**
 * The life of an existing container: stop, kill, start, restart, wait, exec, logs.
 *
 * A container's process is addressed by its host pid, but a pid is only trusted after
 * checking that it still belongs to the container's cgroup: pids are reused.
 */
import fs = require('node:fs');
import { constants as osConstants } from 'node:os';
import { MydockerError, UsageError } from '../common/errors';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';
import { finalizeContainer, collectGarbage, ownsPid, isMonitor, detachedMonitor } from './teardown';
import { startContainer, logFileOf, launch } from './start';
import { callerWinsize, checkTtyInput, exitCodeOf, SignalProxy, waitAttached } from './run';
import { processEnv, mergeEnv, expandEnvFlags } from '../spec/process';
import { deviceCgroupProcs, securityOf } from './security';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { ownsPid } from './teardown';

function monitorAlive(engine: Engine, id: string): boolean {
  const info = engine.runInfo(id);
  return !!info && isMonitor(info.monitor, id);
}

/**
 * The record, made true: a container recorded as running whose process is gone is
 * finalized now (its monitor is given a moment to do it first).
 */
export async function refresh(engine: Engine, rec: ContainerRecord): Promise<ContainerRecord> {
  if (!rec.State.Running || ownsPid(rec.Id, rec.State.Pid)) return rec;
  for (let i = 0; i < 50 && monitorAlive(engine, rec.Id); i++) await sleep(20);
  const now = engine.containers.get(rec.Id);
  if (now?.State.Running) finalizeContainer(engine, rec.Id);
  return engine.containers.get(rec.Id) ?? rec;
}

export async function resolveFresh(engine: Engine, ref: string): Promise<ContainerRecord> {
  collectGarbage(engine);
  return refresh(engine, engine.containers.resolve(ref));
}

/** Signal names as Docker accepts them: KILL, SIGKILL, 9. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n > 0 && n < 65) return n;
  } else {
    const name = (s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`) as keyof typeof osConstants.signals;
    const n = osConstants.signals[name];
    if (n !== undefined) return n;
  }
  throw new UsageError(`Invalid signal: ${s}`);
}

function notRunning(rec: ContainerRecord, verb: string): MydockerError {
  const msg = verb ? `Error response from daemon: cannot ${verb} container: ${rec.Id}: container ${rec.Id} is not running` : `Error response from daemon: container ${rec.Id} is not running`;
  return new MydockerError(msg, { exitCode: 1 });
}

export async function killContainer(engine: Engine, ref: string, signal = 'KILL'): Promise<void> {
  const sig = parseSignal(signal);
  const rec = await resolveFresh(engine, ref);
  if (!rec.State.Running) throw notRunning(rec, 'kill');
  process.kill(rec.State.Pid, sig);
}

/** Waits until the container is no longer running; returns its record. */
export async function waitStopped(engine: Engine, id: string, timeoutMs = Infinity): Promise<ContainerRecord | undefined> {
  const end = Date.now() + timeoutMs;
  let step = 10;
  for (;;) {
    const rec = engine.containers.get(id);
    if (!rec) return undefined;
    const fresh = await refresh(engine, rec);
    if (!fresh.State.Running) return fresh;
    if (Date.now() >= end) return fresh;
    await sleep(step);
    step = Math.min(step * 2, 100);
  }
}

/**
 * stop: the image's stop signal (SIGTERM by default), then SIGKILL after the timeout —
 * a PID 1 without a handler ignores SIGTERM, so the kill must follow.
 */
export async function stopContainer(engine: Engine, ref: string, timeoutSec?: number): Promise<void> {
  const rec = await resolveFresh(engine, ref);
  if (!rec.State.Running) return;
  const stopSignal = parseSignal((rec.Config as { StopSignal?: string }).StopSignal || 'TERM');
  const timeout = timeoutSec ?? 10;
  // A detached monitor is told that we record the end (it then exits without starting the
  // engine's cleanup command, a whole Node process): waitStopped finalizes from exit.json.
  const monitor = detachedMonitor(engine, rec.Id, rec.State.Pid);
  if (monitor !== undefined) process.kill(monitor, 'SIGURG');
  if (ownsPid(rec.Id, rec.State.Pid)) process.kill(rec.State.Pid, stopSignal);
  let after = await waitStopped(engine, rec.Id, Math.max(0, timeout) * 1000);
  if (after?.State.Running && ownsPid(rec.Id, after.State.Pid)) {
    process.kill(after.State.Pid, 'SIGKILL');
    after = await waitStopped(engine, rec.Id);
  }
}

export interface StartOptions {
  attach: boolean;
  interactive: boolean;
}

/** start: an existing container again, with its writable layer and volumes as they were. */
export async function startExisting(engine: Engine, ref: string, opts: StartOptions): Promise<number> {
  const rec = await resolveFresh(engine, ref);
  if (rec.State.Running) return 0;
  if (opts.attach) checkTtyInput(rec.Config.Tty, opts.interactive && rec.Config.OpenStdin);
  const proxy = opts.attach ? new SignalProxy(rec.Config.Tty) : undefined;
  let monitor;
  try {
    ({ monitor } = await startContainer(engine, rec, { attach: opts.attach, detach: !opts.attach, winsize: callerWinsize(rec.Config.Tty) }));
  } catch (e) {
    proxy?.close();
    throw e;
  }
  if (!proxy) {
    monitor.release();
    return 0;
  }
  return waitAttached(engine, engine.containers.get(rec.Id) ?? rec, monitor, proxy);
}

export async function restartContainer(engine: Engine, ref: string, timeoutSec?: number): Promise<void> {
  await stopContainer(engine, ref, timeoutSec);
  await startExisting(engine, ref, { attach: false, interactive: false });
}

export async function waitContainer(engine: Engine, ref: string): Promise<number> {
  const rec = await resolveFresh(engine, ref);
  const end = await waitStopped(engine, rec.Id);
  return end?.State.ExitCode ?? rec.State.ExitCode;
}

export interface ExecOptions {
  command: string[];
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  env: string[];
  workdir?: string;
  user?: string;
}

/** exec: a new process in the running container's namespaces and cgroup. */
export async function execInContainer(engine: Engine, ref: string, o: ExecOptions): Promise<number> {
  if (!o.command.length) throw new UsageError('"exec" requires at least 2 arguments.');
  const rec = await resolveFresh(engine, ref);
  if (!rec.State.Running || !ownsPid(rec.Id, rec.State.Pid)) throw notRunning(rec, '');
  if (!o.detach) checkTtyInput(o.tty, o.interactive);
  if (o.workdir !== undefined && !o.workdir.startsWith('/')) {
    throw new UsageError(`the working directory '${o.workdir}' is invalid, it needs to be an absolute path`);
  }
  const cwd = o.workdir ?? (rec.Config.WorkingDir || '/');
  const user = o.user !== undefined ? { ...rec, Config: { ...rec.Config, User: o.user } } : rec;
  const security = securityOf(engine, user);
  const env = mergeEnv(processEnv(rec.Config.Env, rec.Config.Hostname, o.tty, security.home), expandEnvFlags(o.env, process.env));
  const { buildExecPlan } = await import('../spec/plan');
  const plan = buildExecPlan({
    pid: rec.State.Pid,
    env,
    argv: o.command,
    cwd,
    tty: o.tty,
    stdin: o.interactive,
    winsize: callerWinsize(o.tty),
    security,
    cgroupProcs: [...engine.cgroups().create(rec.Id, {}).procsFiles, ...deviceCgroupProcs(engine, rec.Id)],
    attach: !o.detach,
    detach: o.detach,
  });
  if (o.detach) {
    (await launch(plan, true, cwd, engine.containers.dir(rec.Id))).rc.release();
    return 0;
  }
  // An exec passes on the signals a caller sends it (SIGINT and SIGQUIT stay with the terminal),
  // from before the start, as `run` does.
  const proxy = new SignalProxy(o.tty, ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']);
  try {
    const { rc } = await launch(plan, false, cwd, engine.containers.dir(rec.Id));
    proxy.attach(rc);
    const msg = await rc.message();
    if (msg && 'exit' in msg) {
      // the monitor has relayed the last output and restored the terminal: no need to wait for its exit
      rc.dismiss();
      return exitCodeOf(msg);
    }
    rc.ack();
    await rc.exited();
    return 255;
  } finally {
    proxy.close();
  }
}

export interface LogOptions {
  follow: boolean;
  tail?: string;
  timestamps: boolean;
  since?: string;
  until?: string;
}

interface LogEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

/** Docker's --since/--until: RFC 3339, a unix time, or a duration before now (10m, 1h30m). */
export function parseTimeArg(s: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const dur = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(s);
  if (dur) {
    let ms = 0;
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
    for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * unit[m[2]];
    return now - ms;
  }
  const t = Date.parse(s);
  if (!Number.isNaN(t)) return t;
  throw new UsageError(`invalid value for "since": failed to parse value as time or duration: "${s}"`);
}

/** logs: the container's json-file log, each stream to its own, optionally followed. */
export async function streamLogs(engine: Engine, ref: string, o: LogOptions, out: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<void> {
  const rec = await resolveFresh(engine, ref);
  const file = logFileOf(engine, rec.Id);
  let tail: number | undefined;
  if (o.tail !== undefined && o.tail !== 'all') {
    if (!/^\d+$/.test(o.tail)) throw new UsageError(`invalid value for "tail": "${o.tail}"`);
    tail = Number(o.tail);
  }
  const since = o.since ? parseTimeArg(o.since) : undefined;
  const until = o.until ? parseTimeArg(o.until) : undefined;
  const emit = (e: LogEntry) => {
    const t = Date.parse(e.time);
    if (since !== undefined && t < since) return;
    if (until !== undefined && t > until) return;
    const text = o.timestamps ? `${e.time} ${e.log}` : e.log;
    (e.stream === 'stderr' ? out.stderr : out.stdout)(text);
  };
  let offset = 0;
  let pending = '';
  const readNew = (): LogEntry[] => {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return [];
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return [];
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const text = pending + buf.toString('utf8');
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      return lines.filter(Boolean).map((l) => JSON.parse(l) as LogEntry);
    } finally {
      fs.closeSync(fd);
    }
  };
  let entries = readNew();
  if (tail !== undefined) entries = tail === 0 ? [] : entries.slice(-tail);
  entries.forEach(emit);
  if (!o.follow) return;
  for (;;) {
    const cur = engine.containers.get(rec.Id);
    const running = !!cur && (await refresh(engine, cur)).State.Running;
    readNew().forEach(emit);
    if (!running) {
      readNew().forEach(emit);
      return;
    }
    await sleep(50);
  }
}
