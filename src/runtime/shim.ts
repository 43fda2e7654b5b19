/**
 * The only code that talks to the C helper. It starts the helper with the plan, and
 * turns its JSON lines into typed results.
 */
import { spawn, ChildProcess } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import type { Socket } from 'node:net';
import { encodePlan, Op, ShimError, ShimMessage } from './protocol';
import { mark } from '../common/trace';

export interface ExitStatus {
  /** exit code, or -1 when killed by a signal */
  exit: number;
  signal: number;
  /** unix time in nanoseconds, as a decimal string */
  finishedAt: string;
}

/** Where the helper binary lives: next to the bundle (dist/ -> native/build/) or the sources. */
export function shimPath(): string {
  if (process.env.MYDOCKER_SHIM) return process.env.MYDOCKER_SHIM;
  const candidates = [
    path.join(__dirname, '..', 'native', 'build', 'mydocker-shim'),
    path.join(__dirname, '..', '..', 'native', 'build', 'mydocker-shim'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return candidates[0];
}

export class RunningContainer {
  private lines: string[] = [];
  private waiters: Array<(line: string | null) => void> = [];
  private buf = '';
  private closed = false;

  constructor(readonly child: ChildProcess, private readonly ctl: Socket) {
    ctl.setEncoding('utf8');
    ctl.on('data', (d: string) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
    const end = () => {
      if (this.closed) return;
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    };
    ctl.on('end', end);
    ctl.on('close', end);
    ctl.on('error', end);
  }

  private next(): Promise<string | null> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async message(): Promise<ShimMessage | null> {
    const line = await this.next();
    if (line === null) return null;
    return JSON.parse(line) as ShimMessage;
  }

  /** Send a signal to the monitor, which passes it on to the container. */
  signal(sig: NodeJS.Signals): void {
    try {
      this.child.kill(sig);
    } catch {
      /* already gone */
    }
  }

  /** Tell the monitor that the engine has cleaned up, so it need not run the cleanup command. */
  ack(): void {
    try {
      this.ctl.end('ok');
    } catch {
      /* the monitor is gone */
    }
  }

  /**
   * After its exit report: tell the monitor we cleaned up, and stop waiting for it. It
   * exits by itself at once; whoever started us (a shell, a test) may see it for a moment
   * longer, and we skip the event-loop turns of reaping it (~2-3 ms).
   */
  dismiss(): void {
    this.ack();
    this.ctl.unref();
    this.child.unref();
  }

  /** Let the monitor go on alone (run -d): we neither wait for it nor hold it. */
  release(): void {
    this.ctl.destroy();
    this.child.unref();
  }

  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }
}

export class ShimStartError extends Error {
  constructor(readonly shimError: ShimError) {
    super(`${shimError.op}: errno ${shimError.errno}`);
  }
}

// O_TMPFILE (Linux's generic value; x86-64 and arm64 share it): a file with no name.
const O_TMPFILE = 0o20000000 | fs.constants.O_DIRECTORY;

/**
 * The plan in a file that has no name, open for the helper to read from offset 0: it is
 * there before the helper starts, so the helper never waits for us to set up the socket.
 * (Only root can reach it, through /proc/<pid>/fd: it may hold the container's env.)
 */
export function planFile(dir: string, plan: Buffer): number {
  let fd: number;
  try {
    fd = fs.openSync(dir, O_TMPFILE | fs.constants.O_RDWR, 0o600);
  } catch {
    // a file system without O_TMPFILE: a named file, unlinked at once
    const name = path.join(dir, `.plan.${process.pid}.${Date.now()}`);
    fd = fs.openSync(name, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    fs.unlinkSync(name);
  }
  try {
    // at position 0, which leaves the file offset (shared with the helper) at 0
    if (fs.writeSync(fd, plan, 0, plan.length, 0) !== plan.length) throw new Error('short write of the plan');
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return fd;
}

/**
 * Starts the helper with the plan and waits until the container's process has exec'd
 * (returns its pid) or failed (throws ShimStartError). `planDir` is a directory of the
 * engine's for the plan's unnamed file.
 */
export async function start(ops: readonly Op[], opts: { detach?: boolean; planDir: string }): Promise<{ pid: number; startedAt: string; rc: RunningContainer }> {
  // A detached monitor must hold none of the caller's descriptors: whoever reads our
  // output would otherwise wait for the container's end.
  const stdio = opts.detach ? ['ignore', 'ignore', 'ignore'] : ['inherit', 'inherit', 'inherit'];
  const plan = planFile(opts.planDir, encodePlan(ops));
  let child: ChildProcess;
  try {
    child = spawn(shimPath(), [], { stdio: [...stdio, 'pipe', plan] as any });
  } finally {
    fs.closeSync(plan);
  }
  mark('helper spawned');
  const ctl = child.stdio[3] as Socket;
  const rc = new RunningContainer(child, ctl);
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  const msg = await Promise.race([rc.message(), spawnError]);
  if (msg && 'pid' in msg) return { pid: msg.pid, startedAt: msg.startedAt, rc };
  await rc.exited();
  if (msg && 'error' in msg) throw new ShimStartError(msg.error);
  throw new Error(`the runtime helper exited without reporting (exit ${child.exitCode}, signal ${child.signalCode})`);
}
