/**
 * The resource flags of `run` both ways: command line -> HostConfig (Docker's recorded
 * fields) at create, HostConfig -> cgroup limits at start. No root needed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { type ResourceFlags, parseLimits } from '../../../src/cgroups/limits';
import { planV1 } from '../../../src/cgroups/plan';
import { flagsOf, register, toHostConfig } from '../../../src/cli/flags/resources';
import { UsageError } from '../../../src/common/errors';
import type { HostConfig } from '../../../src/engine/containers';
import { cgroupLimitsOf } from '../../../src/engine/resources';

const MAIN = path.join(__dirname, '..', '..', '..', 'src', 'cli', 'main.ts');

const MiB = 1024 * 1024;
const HOST = { cpuCount: 2, cpusOnline: '0-1', memsOnline: '0' };

/** Parses `run [flags] busybox` the way the CLI does and returns commander's options. */
function parse(args: string[]): Record<string, unknown> {
  const program = new Command('mydocker').exitOverride().enablePositionalOptions();
  const run = program.command('run').exitOverride().argument('<image>').argument('[command...]').passThroughOptions();
  register(run);
  let opts: Record<string, unknown> = {};
  run.action((_i: string, _c: string[], o: Record<string, unknown>) => {
    opts = o;
  });
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  run.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  program.parse(['node', 'mydocker', 'run', ...args, 'busybox', 'true']);
  return opts;
}

function hostConfigOf(args: string[]): Partial<HostConfig> {
  return toHostConfig(parse(args), '/', HOST);
}

const UNSET: Partial<HostConfig> = {
  Memory: 0,
  MemorySwap: 0,
  MemoryReservation: 0,
  NanoCpus: 0,
  CpuShares: 0,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpusetCpus: '',
  CpusetMems: '',
  PidsLimit: null,
  OomKillDisable: false,
};

test('register: Docker\'s flags, long and short, separate and joined values, negatives', () => {
  const o = parse([
    '-m', '32m', '--memory-swap=-1', '--memory-reservation', '16m', '--cpus', '0.5', '-c', '512',
    '--cpuset-cpus', '0', '--cpuset-mems=0', '--pids-limit', '-1', '--oom-kill-disable',
  ]);
  assert.deepEqual(flagsOf(o), {
    memory: '32m',
    memorySwap: '-1',
    memoryReservation: '16m',
    cpus: '0.5',
    cpuShares: '512',
    cpuPeriod: undefined,
    cpuQuota: undefined,
    cpusetCpus: '0',
    cpusetMems: '0',
    pidsLimit: '-1',
    oomKillDisable: true,
  });
  const p = parse(['--memory', '1g', '--cpu-shares=2', '--cpu-period', '50000', '--cpu-quota', '-1', '-m64m']);
  assert.equal(p.memory, '64m', 'the last value of a repeated flag wins');
  assert.equal(p.cpuShares, '2');
  assert.equal(p.cpuPeriod, '50000');
  assert.equal(p.cpuQuota, '-1');
});

test('register: flags after the image belong to the container', () => {
  const program = new Command('mydocker').exitOverride().enablePositionalOptions();
  const run = program.command('run').argument('<image>').argument('[command...]').passThroughOptions();
  register(run);
  let seen: { o: Record<string, unknown>; c: string[] } | undefined;
  run.action((_i: string, c: string[], o: Record<string, unknown>) => {
    seen = { o, c };
  });
  program.parse(['node', 'mydocker', 'run', 'busybox', 'sh', '-m', '32m', '-c', 'x']);
  assert.deepEqual(seen!.c, ['sh', '-m', '32m', '-c', 'x']);
  assert.equal(seen!.o.memory, undefined);
  assert.equal(seen!.o.cpuShares, undefined);
});

test('toHostConfig: no flags records every field unset, as Docker\'s inspect shows it', () => {
  assert.deepEqual(hostConfigOf([]), UNSET);
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, ...hostConfigOf([]) }), {}, 'and nothing is written');
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false }), {}, 'a record without the fields');
});

test('toHostConfig: Docker\'s recorded values', () => {
  assert.deepEqual(hostConfigOf(['-m', '32m']), { ...UNSET, Memory: 32 * MiB, MemorySwap: 64 * MiB });
  assert.deepEqual(hostConfigOf(['-m', '32m', '--memory-swap', '-1']), { ...UNSET, Memory: 32 * MiB, MemorySwap: -1 });
  assert.deepEqual(hostConfigOf(['-m', '32m', '--memory-swap', '48m']), { ...UNSET, Memory: 32 * MiB, MemorySwap: 48 * MiB });
  assert.deepEqual(hostConfigOf(['--memory-reservation', '10m']), { ...UNSET, MemoryReservation: 10 * MiB });
  // --cpus stays NanoCpus; period and quota stay 0 in the record
  assert.deepEqual(hostConfigOf(['--cpus', '1.5']), { ...UNSET, NanoCpus: 1_500_000_000 });
  assert.deepEqual(hostConfigOf(['--cpus', '3/4']), { ...UNSET, NanoCpus: 750_000_000 });
  assert.deepEqual(hostConfigOf(['--cpu-period', '50000', '--cpu-quota', '25000']), { ...UNSET, CpuPeriod: 50000, CpuQuota: 25000 });
  assert.deepEqual(hostConfigOf(['--cpu-quota', '-5']), { ...UNSET, CpuQuota: -1 });
  assert.deepEqual(hostConfigOf(['-c', '512']), { ...UNSET, CpuShares: 512 });
  assert.deepEqual(hostConfigOf(['--cpuset-cpus', '0-1', '--cpuset-mems', '0']), { ...UNSET, CpusetCpus: '0-1', CpusetMems: '0' });
  assert.deepEqual(hostConfigOf(['--pids-limit', '100']), { ...UNSET, PidsLimit: 100 });
  // 0 and -1 are unlimited: Docker records null
  assert.deepEqual(hostConfigOf(['--pids-limit', '0']), UNSET);
  assert.deepEqual(hostConfigOf(['--pids-limit', '-1']), UNSET);
  assert.deepEqual(hostConfigOf(['--oom-kill-disable']), { ...UNSET, OomKillDisable: true });
  // -m 0 is "no limit", as in Docker
  assert.deepEqual(hostConfigOf(['-m', '0']), UNSET);
});

function refuses(args: string[], message: string, host = HOST): void {
  assert.throws(
    () => toHostConfig(parse(args), '/', host),
    (e: unknown) => {
      assert.ok(e instanceof UsageError, `UsageError expected for ${args.join(' ')}, got ${String(e)}`);
      assert.equal(e.exitCode, 125);
      assert.equal(e.message, message);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    },
  );
}

test('toHostConfig: the issue\'s bad inputs are UsageErrors (one line, exit 125)', () => {
  refuses(['-m', '1x'], `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'`);
  refuses(['-m', '4k'], 'Minimum memory limit allowed is 6MB');
  refuses(['--cpus', '0'], 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refuses(['--cpus', '3'], 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refuses(['--cpuset-cpus', '7'], 'Requested CPUs are not available - requested 7, available: 0-1');
  refuses(['--pids-limit', '-2'], 'invalid argument "-2" for "--pids-limit" flag: a PIDs limit must be a positive number, or 0 or -1 for unlimited');
  // and a few more of Docker's
  refuses(['--memory-swap', '64m'], 'You should always set the Memory limit when using Memoryswap limit, see usage');
  refuses(['-m', '64m', '--memory-swap', '32m'], 'Minimum memoryswap limit should be larger than memory limit, see usage');
  refuses(['--cpus', '1', '--cpu-period', '50000'], 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  refuses(['-c', '1'], 'The minimum allowed cpu-shares is 2');
  refuses(['-c', 'x'], 'invalid argument "x" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "x": invalid syntax');
  refuses(['--cpus', 'abc'], 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
  refuses(['--cpuset-mems', '1'], 'Requested memory nodes are not available - requested 1, available: 0');
});

test('toHostConfig: by default the checks use this machine\'s CPUs', () => {
  const n = os.availableParallelism();
  assert.throws(() => toHostConfig({ cpus: String(n + 1) }, '/'), {
    message: `Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`,
  });
  assert.equal(toHostConfig({ cpus: String(n) }, '/').NanoCpus, n * 1e9);
});

const ROUND_TRIP: string[][] = [
  [],
  ['-m', '32m'],
  ['-m', '32m', '--memory-swap', '-1'],
  ['-m', '32m', '--memory-swap', '100m', '--memory-reservation', '16m'],
  ['--memory-swap', '-1'],
  ['--cpus', '0.5'],
  ['--cpus', '2'],
  ['--cpus', '0.01'],
  ['--cpus', '1.23456789'],
  ['--cpu-period', '50000', '--cpu-quota', '25000'],
  ['--cpu-period', '50000'],
  ['--cpu-quota', '-1'],
  ['-c', '512', '--cpuset-cpus', '0', '--cpuset-mems', '0'],
  ['--pids-limit', '20'],
  ['-m', '64m', '--oom-kill-disable'],
  ['-m', '64m', '--cpus', '1', '--pids-limit', '100'],
];

test('cgroupLimitsOf(toHostConfig(flags)) is what parseLimits(flags) asks the driver for', () => {
  for (const args of ROUND_TRIP) {
    const o = parse(args);
    const hc: HostConfig = { AutoRemove: true, ...toHostConfig(o, '/', HOST) };
    const direct = parseLimits(flagsOf(o) as ResourceFlags, HOST);
    assert.deepEqual(cgroupLimitsOf(hc), direct, args.join(' '));
  }
});

test('cgroupLimitsOf: unlimited PIDs write nothing (a new cgroup is unlimited already)', () => {
  for (const v of ['0', '-1']) {
    const o = parse(['--pids-limit', v]);
    assert.equal(parseLimits(flagsOf(o), HOST).pidsLimit, -1);
    assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, ...toHostConfig(o, '/', HOST) }), {});
  }
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, PidsLimit: null }), {});
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, PidsLimit: 0 }), {});
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, PidsLimit: -1 }), {});
});

test('cgroupLimitsOf: Docker\'s NanoCpus conversion, and NanoCpus wins over period and quota', () => {
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, NanoCpus: 500_000_000 }), { cpuPeriod: 100000, cpuQuota: 50000 });
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, NanoCpus: 1 }), { cpuPeriod: 100000, cpuQuota: 0 });
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, NanoCpus: 123_456_789 }), { cpuPeriod: 100000, cpuQuota: 12345 });
  // a record of a 1024-CPU machine: exact, where nano * period would exceed 2^53
  assert.deepEqual(cgroupLimitsOf({ AutoRemove: false, NanoCpus: 1024e9 - 1 }), { cpuPeriod: 100000, cpuQuota: 102399999 });
  assert.deepEqual(
    cgroupLimitsOf({ AutoRemove: false, NanoCpus: 2e9, CpuPeriod: 50000, CpuQuota: 1000 }),
    { cpuPeriod: 100000, cpuQuota: 200000 },
  );
});

test('cgroupLimitsOf: Docker\'s records from its API (every field present, zeros) and odd values', () => {
  const docker: HostConfig = {
    AutoRemove: false,
    Memory: 33554432,
    MemorySwap: 67108864,
    MemoryReservation: 0,
    NanoCpus: 0,
    CpuShares: 0,
    CpuPeriod: 0,
    CpuQuota: 0,
    CpusetCpus: '',
    CpusetMems: '',
    PidsLimit: null,
    OomKillDisable: false,
  };
  assert.deepEqual(cgroupLimitsOf(docker), { memory: 32 * MiB, memorySwap: 64 * MiB });
  // values of the wrong type (a hand-edited record) are not set, and never reach the kernel
  const odd = { AutoRemove: false, Memory: '32m', NanoCpus: 0.5, CpuShares: null, CpusetCpus: 0, PidsLimit: '20', OomKillDisable: 'yes' };
  assert.deepEqual(cgroupLimitsOf(odd as unknown as HostConfig), {});
});

test('the v1 writes of a recorded --cpus 0.5 -m 32m --pids-limit 20', () => {
  const hc: HostConfig = { AutoRemove: true, ...hostConfigOf(['--cpus', '0.5', '-m', '32m', '--pids-limit', '20']) };
  assert.deepEqual(planV1(cgroupLimitsOf(hc), { hasMemsw: true }), [
    { controller: 'memory', file: 'memory.limit_in_bytes', value: String(32 * MiB) },
    { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(64 * MiB) },
    { controller: 'cpu', file: 'cpu.cfs_period_us', value: '100000' },
    { controller: 'cpu', file: 'cpu.cfs_quota_us', value: '50000' },
    { controller: 'pids', file: 'pids.max', value: '20' },
  ]);
});

test('run: a bad resource flag is one line on stderr, exit 125, and the engine root is not even created', () => {
  // the CLI from its sources in a child process: its real stderr and exit code
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-unit-'));
  const root = path.join(dir, 'root');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--root', root, 'run', '--rm', '-m', '4k', 'busybox', 'true'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 125);
    assert.equal(r.stderr, 'mydocker: Minimum memory limit allowed is 6MB\n');
    assert.equal(r.stdout, '');
    assert.ok(!fs.existsSync(root), 'nothing created');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
