/**
 * `run`: create and start; in the foreground, pass signals on, wait and clean up;
 * detached, leave the container to its monitor and return its id.
 */
import { MydockerError } from '../common/errors';
import type { ExitStatus, RunningContainer } from '../runtime/shim';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';
import { createContainer, CreateOptions } from './create';
import { startContainer } from './start';
import { finalizeContainer, removeContainer, collectGarbage } from './teardown';
import { mark } from '../common/trace';
import { native } from '../runtime/native';

export interface RunOptions extends CreateOptions {
  detach?: boolean;
}

/** The exit code `mydocker run` returns for a container's end, as Docker: 128+n for a signal. */
export function exitCodeOf(s: ExitStatus): number {
  return s.signal ? 128 + s.signal : s.exit;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

function noop(): void {}

/** isatty(3) through the addon: node:tty would load net as well. */
function isatty(fd: number): boolean {
  return native().isatty(fd);
}

export function callerWinsize(tty: boolean): { rows: number; cols: number } | undefined {
  // TIOCGWINSZ through the addon: process.stdout on a terminal would load tty and net.
  return (tty && native().winsize(1)) || undefined;
}

/** Docker refuses -t with an attached stdin that is not a terminal. */
export function checkTtyInput(tty: boolean, interactive: boolean): void {
  if (tty && interactive && !isatty(0)) throw new MydockerError('the input device is not a TTY', { exitCode: 1 });
}

/**
 * Passes the signals sent to `mydocker` on to the container. It is set up before the
 * container starts: a signal that arrives while the helper is still starting it is
 * kept and delivered once the container runs, never lost and never fatal to us.
 */
export class SignalProxy {
  private monitor?: RunningContainer;
  private pending: NodeJS.Signals[] = [];
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor(tty: boolean, signals: readonly NodeJS.Signals[] = FORWARDED) {
    // Terminal-generated signals already reach the helper, which shares our process
    // group; with -t the terminal is raw and generates none.
    const fromTerminal = !tty && isatty(0);
    for (const sig of signals) {
      const h = () => {
        if (fromTerminal && (sig === 'SIGINT' || sig === 'SIGQUIT')) return;
        if (this.monitor) this.monitor.signal(sig);
        else this.pending.push(sig);
      };
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
    // The helper follows the terminal's size itself.
    process.on('SIGWINCH', noop);
  }

  attach(monitor: RunningContainer): void {
    this.monitor = monitor;
    for (const sig of this.pending.splice(0)) monitor.signal(sig);
  }

  close(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
    process.off('SIGWINCH', noop);
  }
}

/**
 * Waits for the end of an attached container (signals go to it through `proxy`), then
 * the record is finalized and the monitor told it need not clean up itself.
 */
export async function waitAttached(engine: Engine, rec: ContainerRecord, monitor: RunningContainer, proxy: SignalProxy): Promise<number> {
  proxy.attach(monitor);
  let status: ExitStatus;
  try {
    const msg = await monitor.message();
    if (msg && 'exit' in msg) status = msg;
    else {
      // The monitor died before the container's end; its exit code cannot be known.
      await monitor.exited();
      status = { exit: 255, signal: 0, finishedAt: String(BigInt(Date.now()) * 1000000n) };
    }
  } finally {
    proxy.close();
  }
  mark('exit reported');
  try {
    finalizeContainer(engine, rec.Id, status, { monitor: monitor.pid });
    mark('finalized');
  } finally {
    // Even when the cleanup failed (and says so), the monitor must be let go: it would
    // otherwise wait for us forever. It has restored the terminal and relayed the last
    // output before it reported the exit, so we need not wait for it to exit.
    monitor.dismiss();
  }
  return exitCodeOf(status);
}

/** Runs a container; resolves to the exit code `mydocker run` returns. */
export async function runContainer(engine: Engine, opts: RunOptions, print: (line: string) => void): Promise<number> {
  if (!opts.detach) checkTtyInput(opts.tty, opts.interactive);
  mark('engine loaded');
  collectGarbage(engine);
  const image = engine.resolveImage(opts.image);
  mark('image found');
  const rec = createContainer(engine, image, opts);
  mark('record created');
  const proxy = opts.detach ? undefined : new SignalProxy(opts.tty);
  let started;
  try {
    started = await startContainer(engine, rec, { winsize: callerWinsize(opts.tty), attach: !opts.detach, detach: !!opts.detach });
  } catch (e) {
    proxy?.close();
    // A run whose start fails leaves no container behind (not even without --rm).
    removeContainer(engine, rec, { removeAnonymousVolumes: true });
    throw e;
  }
  if (!proxy) {
    started.monitor.release();
    print(rec.Id);
    return 0;
  }
  mark('running');
  return waitAttached(engine, rec, started.monitor, proxy);
}
