/**
 * The only code that talks to the C helper. It starts the helper with the plan, and
 * turns its JSON lines into typed results.
 *
 * The helper is started by the addon (posix_spawn) with fd 3 one end of a socketpair;
 * our end is read with fs.read, a read at a time and only while a message is awaited,
 * so that nothing of ours is pending once the caller lets the helper go.
 */
import fs = require('node:fs');
import path = require('node:path');
import { encodePlan, Op, ShimError, ShimMessage } from './protocol';
import { native, nativeBuildFile } from './native';
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
  return process.env.MYDOCKER_SHIM || nativeBuildFile('mydocker-shim');
}

export class RunningContainer {
  private buf = '';
  private eof = false;
  private closed = false;

  constructor(
    /** the helper's (the monitor's) pid */
    readonly pid: number,
    private readonly ctl: number,
  ) {}

  private readMore(): Promise<void> {
    return new Promise((resolve) => {
      const chunk = Buffer.allocUnsafe(65536);
      fs.read(this.ctl, chunk, 0, chunk.length, null, (err, n) => {
        if (err || n === 0) this.eof = true;
        else this.buf += chunk.toString('utf8', 0, n);
        resolve();
      });
    });
  }

  private async next(): Promise<string | null> {
    for (;;) {
      const i = this.buf.indexOf('\n');
      if (i >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        return line;
      }
      if (this.eof || this.closed) return null;
      await this.readMore();
    }
  }

  async message(): Promise<ShimMessage | null> {
    const line = await this.next();
    if (line === null) return null;
    return JSON.parse(line) as ShimMessage;
  }

  /** Send a signal to the monitor, which passes it on to the container. */
  signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** Tell the monitor that the engine has cleaned up, so it need not run the cleanup command. */
  ack(): void {
    if (this.closed) return;
    try {
      fs.writeSync(this.ctl, 'ok');
    } catch {
      /* the monitor is gone */
    }
  }

  /**
   * After its exit report: tell the monitor we cleaned up, and stop waiting for it. It
   * exits by itself at once; whoever started us (a shell, a test) may see it for a moment
   * longer.
   */
  dismiss(): void {
    this.ack();
    this.close();
  }

  /** Let the monitor go on alone (run -d): we neither wait for it nor hold it. */
  release(): void {
    this.close();
  }

  /** Waits until the monitor has closed its end: it exited. */
  async exited(): Promise<void> {
    while (!this.eof && !this.closed) await this.readMore();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.ctl);
    } catch {
      /* closed */
    }
    // reap it if it is gone already (a CLI that lives on, e.g. a test, keeps no zombie)
    native().reap(this.pid);
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
 * engine's for the plan's unnamed file. A detached monitor holds none of the caller's
 * descriptors: whoever reads our output would otherwise wait for the container's end.
 */
export async function start(ops: readonly Op[], opts: { detach?: boolean; planDir: string }): Promise<{ pid: number; startedAt: string; rc: RunningContainer }> {
  const plan = planFile(opts.planDir, encodePlan(ops));
  let helper: { pid: number; ctl: number };
  try {
    helper = native().spawnHelper(shimPath(), plan, !!opts.detach);
  } finally {
    fs.closeSync(plan);
  }
  mark('helper spawned');
  const rc = new RunningContainer(helper.pid, helper.ctl);
  const msg = await rc.message();
  if (msg && 'pid' in msg) return { pid: msg.pid, startedAt: msg.startedAt, rc };
  await rc.exited();
  if (msg && 'error' in msg) throw new ShimStartError(msg.error);
  throw new Error('the runtime helper exited without reporting');
}
