/**
 * `run` in the foreground: create, start, pass signals on, wait, clean up.
 */
import type { ExitStatus } from '../runtime/shim';
import type { Engine } from './engine';
import { createContainer, CreateOptions } from './create';
import { startContainer } from './start';
import { finalizeContainer, removeContainer, collectGarbage } from './teardown';

export type RunOptions = CreateOptions;

/** The exit code `mydocker run` returns for a container's end, as Docker: 128+n for a signal. */
export function exitCodeOf(s: ExitStatus): number {
  return s.signal ? 128 + s.signal : s.exit;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

function noop(): void {}

/** Runs a container in the foreground; resolves to the exit code `mydocker run` returns. */
export async function runForeground(engine: Engine, opts: RunOptions): Promise<number> {
  collectGarbage(engine);
  const image = engine.resolveImage(opts.image);
  const rec = createContainer(engine, image, opts);
  let started;
  try {
    const winsize = opts.tty && process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
    started = await startContainer(engine, rec, { winsize });
  } catch (e) {
    // A run whose start fails leaves no container behind (not even without --rm).
    removeContainer(engine, rec, { removeAnonymousVolumes: true });
    throw e;
  }
  const { monitor } = started;

  // Signals sent to `mydocker run` go to the container. Terminal-generated ones already
  // reach the helper, which shares our process group; with -t the terminal is raw and
  // generates none.
  const fromTerminal = !opts.tty && !!process.stdin.isTTY;
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of FORWARDED) {
    const h = () => {
      if (fromTerminal && (sig === 'SIGINT' || sig === 'SIGQUIT')) return;
      monitor.signal(sig);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  // The helper follows the terminal's size itself.
  process.on('SIGWINCH', noop);
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
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off('SIGWINCH', noop);
  }
  finalizeContainer(engine, rec.Id, status);
  monitor.ack();
  await monitor.exited();
  return exitCodeOf(status);
}
