/**
 * Integration-test harness: every test gets its own engine root and cgroup parent,
 * runs the real CLI, and asserts afterwards that nothing leaked.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import assert from 'node:assert/strict';

export const REPO = path.resolve(__dirname, '..', '..');
export const BIN = path.join(REPO, 'bin', 'mydocker');
export const SHIM = path.join(REPO, 'native', 'build', 'mydocker-shim');

export const isRoot = process.getuid?.() === 0;

export interface Sandbox {
  root: string;
  cgroupParent: string;
  env: NodeJS.ProcessEnv;
  /** runs `mydocker --root <root> ...args`, synchronously */
  run(args: string[], opts?: { input?: string; timeout?: number; env?: NodeJS.ProcessEnv }): SpawnSyncReturns<string>;
  /** starts it in the background */
  spawn(args: string[], opts?: { env?: NodeJS.ProcessEnv }): ReturnType<typeof spawn>;
  /** asserts no leaked mounts, cgroups, monitor processes; then deletes the root */
  cleanup(): Promise<void>;
}

function cgroupHierarchies(): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0) continue;
    if (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2') out.push(f[4]);
  }
  return out;
}

export function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
}

/**
 * pids of running helper processes (monitors); with `cgroupParent`, only those started
 * by that sandbox (they inherit its MYDOCKER_CGROUP_PARENT), so that test runs side by
 * side never count, or kill, each other's.
 */
export function shimProcesses(cgroupParent?: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.readlinkSync(`/proc/${p}/exe`) !== SHIM) continue;
      if (cgroupParent && !fs.readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`MYDOCKER_CGROUP_PARENT=${cgroupParent}`)) continue;
      out.push(Number(p));
    } catch {
      /* gone or kernel thread */
    }
  }
  return out;
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

export function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-test-'));
  const cgroupParent = `mydocker-test-${path.basename(root).slice(-6)}`;
  const env: NodeJS.ProcessEnv = { ...process.env, MYDOCKER_CGROUP_PARENT: cgroupParent };
  delete env.MYDOCKER_ROOT;
  return {
    root,
    cgroupParent,
    env,
    run(args, opts = {}) {
      return spawnSync(BIN, ['--root', root, ...args], {
        encoding: 'utf8',
        input: opts.input,
        timeout: opts.timeout ?? 30000,
        env: { ...env, ...opts.env },
      });
    },
    spawn(args, opts = {}) {
      return spawn(BIN, ['--root', root, ...args], { env: { ...env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    },
    async cleanup() {
      // Every leak is reported, and none outlives the test: a failed test must not
      // leave the machine dirty for the next one.
      const problems: string[] = [];
      try {
        const leakedShims = () => shimProcesses(cgroupParent);
        await waitFor(() => leakedShims().length === 0, 3000);
        const leaked = leakedShims();
        for (const p of leaked) {
          try {
            process.kill(p, 'SIGKILL'); // a monitor's container dies with it
          } catch {
            /* gone */
          }
        }
        if (leaked.length) {
          problems.push(`no monitor process may outlive its container: ${leaked.join(', ')}`);
          await waitFor(() => leakedShims().length === 0, 3000);
        }
        const mounts = mountsUnder(root);
        if (mounts.length) problems.push(`no mount may be left under the engine root: ${mounts.join(' | ')}`);
        for (const h of cgroupHierarchies()) {
          const dir = path.join(h, cgroupParent);
          if (!fs.existsSync(dir)) continue;
          const children = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
          if (children.length) problems.push(`no container cgroup may be left in ${dir}: ${children.join(', ')}`);
          for (const c of children) {
            await waitFor(() => {
              try {
                fs.rmdirSync(path.join(dir, c));
                return true;
              } catch {
                return false;
              }
            }, 2000);
          }
          try {
            fs.rmdirSync(dir);
          } catch (e) {
            problems.push(`cannot remove ${dir}: ${(e as Error).message}`);
          }
        }
      } finally {
        if (mountsUnder(root).length === 0) fs.rmSync(root, { recursive: true, force: true });
      }
      assert.deepEqual(problems, [], 'nothing may leak');
    },
  };
}

/** The one line a refused command printed on stderr (asserts there is exactly one). */
export function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `expected exactly one line on stderr, got: ${JSON.stringify(stderr)}`);
  return lines[0];
}

/** stdout of a command that must have succeeded. */
export function ok(r: { status: number | null; stdout: string; stderr: string }): string {
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** A container's record as the engine wrote it. */
export function record(sb: Sandbox, id: string): any {
  return JSON.parse(fs.readFileSync(path.join(sb.root, 'containers', id, 'config.json'), 'utf8'));
}

/**
 * Runs a mydocker command and watches, while it runs, for the engine's cleanup command
 * (`container cleanup <id>`) of any of `ids`: a process of tens of milliseconds, which
 * polling every few milliseconds catches.
 */
export async function runWatchingCleanups(sb: Sandbox, args: string[], ids: string[]): Promise<{ code: number | null; stdout: string; cleanups: string[] }> {
  const cleanups = new Set<string>();
  const child = sb.spawn(args);
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  let code: number | null | undefined;
  const done = new Promise<void>((r) => child.on('exit', (c) => ((code = c), r())));
  while (code === undefined) {
    for (const p of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        if (argv.includes('cleanup') && ids.some((id) => argv.includes(id))) cleanups.add(p);
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await done;
  return { code: code ?? null, stdout, cleanups: [...cleanups] };
}
