/**
 * Resource limits end to end (root): real containers through the CLI, measured from the
 * host side of their cgroups (the container does not see the host's cgroupfs). Every test
 * runs in its own engine root and cgroup parent and ends with sb.cleanup(), which asserts
 * that no cgroup, mount or monitor is left.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BIN, REPO, SHIM, type Sandbox, isRoot, sandbox, waitFor, record } from '../helpers/harness';

const MiB = 1024 * 1024;
const built = fs.existsSync(SHIM) && fs.existsSync(path.join(REPO, 'dist', 'mydocker.js')) && fs.existsSync(BIN);
const skip = !isRoot ? 'needs root' : !built ? 'needs a build (npm run build)' : false;

/** The mount point of the v1 hierarchy that holds a controller (this host: one per controller). */
function hierarchy(controller: string): string {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f[sep + 1] !== 'cgroup') continue;
    if (f[sep + 3].split(',').includes(controller)) return f[4];
  }
  throw new Error(`no v1 hierarchy holds ${controller}`);
}

const ID_RE = /^[0-9a-f]{64}$/;

/** Container cgroups under the sandbox's parent in a controller's hierarchy. */
function cgroupIds(sb: Sandbox, controller: string): string[] {
  try {
    return fs.readdirSync(path.join(hierarchy(controller), sb.cgroupParent)).filter((n) => ID_RE.test(n));
  } catch {
    return [];
  }
}

/** `<hierarchy of controller>/<parent>/<id>/<file>`, trimmed. */
function cgFile(sb: Sandbox, controller: string, id: string, file: string): string {
  return fs.readFileSync(path.join(hierarchy(controller), sb.cgroupParent, id, file), 'utf8').trim();
}

function flatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of text.split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    if (k) out[k] = Number(v);
  }
  return out;
}

function containerDirs(sb: Sandbox): string[] {
  try {
    return fs.readdirSync(path.join(sb.root, 'containers')).filter((n) => ID_RE.test(n));
  } catch {
    return [];
  }
}

interface Background {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function background(sb: Sandbox, args: string[]): Background {
  const child = sb.spawn(args);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Ends a background `run` (SIGTERM is passed on to the container) and waits for its end. */
async function stop(bg: Background): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (bg.child.exitCode === null && bg.child.signalCode === null) bg.child.kill('SIGTERM');
  const timer = setTimeout(() => bg.child.kill('SIGKILL'), 10000);
  try {
    return await bg.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the one container of the sandbox has its cgroup with a process in it. */
async function runningCgroup(sb: Sandbox, bg: Background, controller = 'pids'): Promise<string> {
  let id = '';
  const ok = await waitFor(() => {
    const ids = cgroupIds(sb, controller);
    if (ids.length !== 1) return false;
    try {
      if (cgFile(sb, controller, ids[0], 'cgroup.procs') === '') return false;
      // The pid is placed while the rootfs is built; the record says running once it exec'd.
      if (!record(sb, ids[0]).State.Running) return false;
    } catch {
      return false;
    }
    id = ids[0];
    return true;
  }, 15000);
  assert.ok(ok, `the container's cgroup appears (stderr: ${bg.stderr()})`);
  return id;
}

/** A PID 1 that stays until the `run` process passes SIGTERM on. */
const WAIT_FOR_TERM = 'trap "exit 0" TERM; while :; do sleep 0.1; done';
const BUSY_UNTIL_TERM = 'trap "exit 0" TERM; while :; do :; done';

const ALLOC_64M = 'set -o pipefail; head -c 64m /dev/zero | tail | wc -c';
const SHM_64M = 'dd if=/dev/zero of=/dev/shm/x bs=1M count=64';

test('every flag lands in the kernel\'s files, the record keeps Docker\'s fields, and PID 1 joins every hierarchy', { skip }, async () => {
  const sb = sandbox();
  let bg: Background | undefined;
  try {
    bg = background(sb, [
      'run', '--rm', '-m', '64m', '--memory-swap', '100m', '--memory-reservation', '32m', '--oom-kill-disable',
      '-c', '512', '--cpu-period', '50000', '--cpu-quota', '25000', '--cpuset-cpus', '0', '--cpuset-mems', '0',
      '--pids-limit', '100', 'busybox', 'sh', '-c', WAIT_FOR_TERM,
    ]);
    const id = await runningCgroup(sb, bg);
    assert.equal(cgFile(sb, 'memory', id, 'memory.limit_in_bytes'), String(64 * MiB));
    assert.equal(cgFile(sb, 'memory', id, 'memory.memsw.limit_in_bytes'), String(100 * MiB));
    assert.equal(cgFile(sb, 'memory', id, 'memory.soft_limit_in_bytes'), String(32 * MiB));
    assert.equal(flatKeyed(cgFile(sb, 'memory', id, 'memory.oom_control')).oom_kill_disable, 1);
    assert.equal(cgFile(sb, 'cpu', id, 'cpu.shares'), '512');
    assert.equal(cgFile(sb, 'cpu', id, 'cpu.cfs_period_us'), '50000');
    assert.equal(cgFile(sb, 'cpu', id, 'cpu.cfs_quota_us'), '25000');
    assert.equal(cgFile(sb, 'cpuset', id, 'cpuset.cpus'), '0');
    assert.equal(cgFile(sb, 'cpuset', id, 'cpuset.mems'), '0');
    assert.equal(cgFile(sb, 'pids', id, 'pids.max'), '100');

    const rec = record(sb, id);
    assert.equal(rec.State.Running, true);
    const pid1 = rec.State.Pid as number;
    assert.ok(pid1 > 0);
    for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids']) {
      const procs = cgFile(sb, c, id, 'cgroup.procs').split('\n').map(Number);
      assert.ok(procs.includes(pid1), `PID 1 (${pid1}) is in the ${c} cgroup`);
    }

    const hc = rec.HostConfig;
    assert.deepEqual(
      {
        Memory: hc.Memory, MemorySwap: hc.MemorySwap, MemoryReservation: hc.MemoryReservation, NanoCpus: hc.NanoCpus,
        CpuShares: hc.CpuShares, CpuPeriod: hc.CpuPeriod, CpuQuota: hc.CpuQuota, CpusetCpus: hc.CpusetCpus,
        CpusetMems: hc.CpusetMems, PidsLimit: hc.PidsLimit, OomKillDisable: hc.OomKillDisable,
      },
      {
        Memory: 64 * MiB, MemorySwap: 100 * MiB, MemoryReservation: 32 * MiB, NanoCpus: 0, CpuShares: 512,
        CpuPeriod: 50000, CpuQuota: 25000, CpusetCpus: '0', CpusetMems: '0', PidsLimit: 100, OomKillDisable: true,
      },
    );
    assert.deepEqual(await stop(bg), { code: 0, signal: null });
    assert.deepEqual(cgroupIds(sb, 'memory'), [], 'the cgroup is gone with the container');
  } finally {
    if (bg) await stop(bg);
    await sb.cleanup();
  }
});

test('-m 32m: a process allocating 64 MiB is OOM-killed (137, OOMKilled true); -m 128m lets it finish', { skip }, async () => {
  // ALLOC_64M: busybox tail keeps its whole input (no newline in it) in its own heap, and
  // wc -c proves it held all 64 MiB. SHM_64M: 64 MiB of tmpfs pages, charged to the cgroup.
  for (const [what, script] of [['heap', ALLOC_64M], ['tmpfs', SHM_64M]] as const) {
    const sb = sandbox();
    try {
      const killed = sb.run(['run', '-m', '32m', 'busybox', 'sh', '-c', script]);
      assert.equal(killed.status, 137, `${what}: exit 137 (stderr: ${killed.stderr})`);
      const [id] = containerDirs(sb);
      assert.ok(id, 'the container is kept (no --rm)');
      const rec = record(sb, id);
      assert.equal(rec.State.OOMKilled, true, `${what}: State.OOMKilled`);
      assert.equal(rec.State.ExitCode, 137);
      assert.equal(rec.State.Running, false);
      assert.equal(rec.HostConfig.Memory, 32 * MiB);
      assert.deepEqual(cgroupIds(sb, 'memory'), [], 'a kept container keeps no cgroup');

      const fits = sb.run(['run', '-m', '128m', 'busybox', 'sh', '-c', script]);
      assert.equal(fits.status, 0, `${what}: 128m is enough (stderr: ${fits.stderr})`);
      if (what === 'heap') assert.equal(fits.stdout.trim(), String(64 * MiB));
      else assert.match(fits.stderr, /^64\+0 records out$/m);
      const id2 = containerDirs(sb).find((d) => d !== id)!;
      assert.equal(record(sb, id2).State.OOMKilled, false);
      assert.equal(record(sb, id2).State.ExitCode, 0);
    } finally {
      await sb.cleanup();
    }
  }
});

/** CPU figures of a running container: cpuacct.usage (ns) and cpu.stat, with a host clock. */
function cpuSample(sb: Sandbox, id: string): { usageNs: number; stat: Record<string, number>; t: bigint } {
  return {
    usageNs: Number(cgFile(sb, 'cpuacct', id, 'cpuacct.usage')),
    stat: flatKeyed(cgFile(sb, 'cpu', id, 'cpu.stat')),
    t: process.hrtime.bigint(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('--cpus 0.5 throttles a busy loop to half a CPU, by the cgroup\'s own counters', { skip }, async () => {
  const sb = sandbox();
  let bg: Background | undefined;
  try {
    bg = background(sb, ['run', '--rm', '--cpus', '0.5', 'busybox', 'sh', '-c', BUSY_UNTIL_TERM]);
    const id = await runningCgroup(sb, bg, 'cpuacct');
    assert.equal(cgFile(sb, 'cpu', id, 'cpu.cfs_period_us'), '100000');
    assert.equal(cgFile(sb, 'cpu', id, 'cpu.cfs_quota_us'), '50000');
    await sleep(300);
    const a = cpuSample(sb, id);
    await sleep(2000);
    const b = cpuSample(sb, id);
    const used = b.usageNs - a.usageNs;
    const periods = b.stat.nr_periods - a.stat.nr_periods;
    const throttled = b.stat.nr_throttled - a.stat.nr_throttled;
    // CPU time per enforcement period, both counted by the kernel for this cgroup
    const perPeriod = used / (periods * 100_000_000);
    const perWall = used / Number(b.t - a.t);
    console.log(`--cpus 0.5: ${(used / 1e6).toFixed(0)} ms of CPU in ${periods} periods (${throttled} throttled): ` +
      `${perPeriod.toFixed(3)} CPU per period, ${perWall.toFixed(3)} CPU per wall second`);
    assert.ok(periods >= 15, `the quota was enforced over ~20 periods (${periods})`);
    assert.ok(perPeriod <= 0.55, `at most half a CPU per period (${perPeriod})`);
    // (lower bounds loose: on a loaded machine the loop may not get its whole quota)
    assert.ok(perPeriod >= 0.25, `the loop was busy (${perPeriod})`);
    assert.ok(throttled >= periods * 0.5, `throttled in most periods (${throttled}/${periods})`);
    assert.ok(b.stat.throttled_time > a.stat.throttled_time, 'throttled time grows');
    assert.ok(perWall <= 0.6, `and by the host's clock (${perWall})`);
    assert.deepEqual(await stop(bg), { code: 0, signal: null });

    // The same loop without a quota takes a whole CPU (the machine has at least two).
    bg = background(sb, ['run', '--rm', 'busybox', 'sh', '-c', BUSY_UNTIL_TERM]);
    const free = await runningCgroup(sb, bg, 'cpuacct');
    assert.equal(cgFile(sb, 'cpu', free, 'cpu.cfs_quota_us'), '-1');
    await sleep(300);
    const c = cpuSample(sb, free);
    await sleep(1000);
    const d = cpuSample(sb, free);
    const freeRate = (d.usageNs - c.usageNs) / Number(d.t - c.t);
    console.log(`no limit: ${freeRate.toFixed(3)} CPU per wall second, ${d.stat.nr_throttled} throttled periods`);
    assert.equal(d.stat.nr_throttled, 0);
    assert.ok(freeRate > 0.65, `unthrottled, the loop takes well over half a CPU (${freeRate})`);
    assert.deepEqual(await stop(bg), { code: 0, signal: null });
  } finally {
    if (bg) await stop(bg);
    await sb.cleanup();
  }
});

test('--cpuset-cpus pins the container to the CPUs given', { skip }, async () => {
  const sb = sandbox();
  try {
    const online = fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    const free = sb.run(['run', '--rm', 'busybox', 'grep', 'Cpus_allowed_list', '/proc/self/status']);
    assert.equal(free.status, 0, free.stderr);
    assert.equal(free.stdout, `Cpus_allowed_list:\t${online}\n`);
    const cpus = os.availableParallelism() > 1 ? ['0', '1'] : ['0'];
    for (const cpu of cpus) {
      const r = sb.run(['run', '--rm', '--cpuset-cpus', cpu, 'busybox', 'grep', 'Cpus_allowed_list', '/proc/self/status']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `Cpus_allowed_list:\t${cpu}\n`);
    }
    // and its children inherit it
    const child = sb.run(['run', '--rm', '--cpuset-cpus', '0', 'busybox', 'sh', '-c', 'cat /proc/self/status | grep Cpus_allowed_list']);
    assert.equal(child.stdout, 'Cpus_allowed_list:\t0\n');
  } finally {
    await sb.cleanup();
  }
});

test('--pids-limit 20 stops a fork loop at 20 processes', { skip }, async () => {
  const sb = sandbox();
  // PID 1 forks sleepers and prints how many it has; its end takes every sleeper with it
  const forkLoop = 'i=0; while [ $i -lt 50 ]; do sleep 30 & i=$((i+1)); echo $i; done';
  try {
    const limited = sb.run(['run', '--rm', '--pids-limit', '20', 'busybox', 'sh', '-c', forkLoop]);
    assert.notEqual(limited.status, 0);
    assert.match(limited.stderr, /can't fork: Resource temporarily unavailable/);
    const lines = limited.stdout.trim().split('\n');
    assert.equal(lines[lines.length - 1], '19', 'the shell and 19 sleepers make 20');

    const free = sb.run(['run', '--rm', 'busybox', 'sh', '-c', forkLoop]);
    assert.equal(free.status, 0, free.stderr);
    assert.equal(free.stdout.trim().split('\n').pop(), '50');
  } finally {
    await sb.cleanup();
  }
});

test('bad input: one line on stderr, exit 125, no container and no cgroup', { skip }, async () => {
  const n = os.availableParallelism();
  const tooMany = String(Math.max(7, n));
  const cases: Array<[string[], string]> = [
    [['-m', '1x'], `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'`],
    [['-m', '4k'], 'Minimum memory limit allowed is 6MB'],
    [['--cpus', '0'], `Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`],
    [['--cpus', String(n + 1)], `Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`],
    [['--cpuset-cpus', tooMany], `Requested CPUs are not available - requested ${tooMany}, available: `],
    [['--pids-limit', '-2'], 'invalid argument "-2" for "--pids-limit" flag: a PIDs limit must be a positive number, or 0 or -1 for unlimited'],
    [['--memory-swap', '64m'], 'You should always set the Memory limit when using Memoryswap limit, see usage'],
    [['-c', '1'], 'The minimum allowed cpu-shares is 2'],
    [['--cpus', '1', '--cpu-quota', '50000'], 'Conflicting options: Nano CPUs and CPU Quota cannot both be set'],
  ];
  const sb = sandbox();
  try {
    for (const [flags, message] of cases) {
      for (const rm of [['--rm'], []]) {
        const r = sb.run(['run', ...rm, ...flags, 'busybox', 'true']);
        const what = [...rm, ...flags].join(' ');
        assert.equal(r.status, 125, `${what}: exit 125`);
        assert.equal(r.stdout, '', what);
        assert.ok(r.stderr.startsWith(`mydocker: ${message}`), `${what}: ${JSON.stringify(r.stderr)}`);
        assert.equal(r.stderr.split('\n').length, 2, `${what}: one line`);
        assert.deepEqual(containerDirs(sb), [], `${what}: no container`);
        for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids']) {
          assert.ok(!fs.existsSync(path.join(hierarchy(c), sb.cgroupParent)), `${what}: no cgroup in ${c}`);
        }
      }
    }
  } finally {
    await sb.cleanup();
  }
});

test('a start that fails after the cgroup is made removes it (127, no container, no cgroup)', { skip }, async () => {
  const sb = sandbox();
  try {
    const r = sb.run(['run', '-m', '32m', '--cpus', '0.5', '--pids-limit', '20', 'busybox', '/no/such/command']);
    assert.equal(r.status, 127, r.stderr);
    assert.deepEqual(containerDirs(sb), []);
    for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids']) assert.deepEqual(cgroupIds(sb, c), [], c);
  } finally {
    await sb.cleanup();
  }
});
