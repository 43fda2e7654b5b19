import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planV1, planV2, sharesToWeight, warningsV1, warningsV2 } from '../../../src/cgroups/plan';

const MiB = 1024 * 1024;
const files = (w: Array<{ file: string; value: string }>) => w.map((x) => `${x.file}=${x.value}`);

test('v1: every limit, in the kernel-safe order', () => {
  const w = planV1(
    {
      memory: 32 * MiB,
      memorySwap: 64 * MiB,
      memoryReservation: 16 * MiB,
      cpuShares: 512,
      cpuPeriod: 100000,
      cpuQuota: 50000,
      cpusetCpus: '0',
      cpusetMems: '0',
      pidsLimit: 20,
      oomKillDisable: true,
    },
    { hasMemsw: true },
  );
  assert.deepEqual(files(w), [
    `memory.limit_in_bytes=${32 * MiB}`,
    `memory.memsw.limit_in_bytes=${64 * MiB}`,
    `memory.soft_limit_in_bytes=${16 * MiB}`,
    'memory.oom_control=1',
    'cpu.shares=512',
    'cpu.cfs_period_us=100000',
    'cpu.cfs_quota_us=50000',
    'cpuset.cpus=0',
    'cpuset.mems=0',
    'pids.max=20',
  ]);
  assert.deepEqual(
    w.map((x) => x.controller),
    ['memory', 'memory', 'memory', 'memory', 'cpu', 'cpu', 'cpu', 'cpuset', 'cpuset', 'pids'],
  );
});

test('v1: empty limits write nothing', () => {
  assert.deepEqual(planV1({}, { hasMemsw: true }), []);
  assert.deepEqual(planV2({}), []);
});

test('v1: memsw goes first when unlimited, or when raising above the current memory limit', () => {
  assert.deepEqual(files(planV1({ memory: 32 * MiB, memorySwap: -1 }, { hasMemsw: true })), [
    'memory.memsw.limit_in_bytes=-1',
    `memory.limit_in_bytes=${32 * MiB}`,
  ]);
  // an existing cgroup at 32m/64m raised to 128m/256m
  assert.deepEqual(
    files(planV1({ memory: 128 * MiB, memorySwap: 256 * MiB }, { hasMemsw: true }, { memoryLimit: 32 * MiB })),
    [`memory.memsw.limit_in_bytes=${256 * MiB}`, `memory.limit_in_bytes=${128 * MiB}`],
  );
  // lowering: memory first
  assert.deepEqual(
    files(planV1({ memory: 16 * MiB, memorySwap: 20 * MiB }, { hasMemsw: true }, { memoryLimit: 32 * MiB })),
    [`memory.limit_in_bytes=${16 * MiB}`, `memory.memsw.limit_in_bytes=${20 * MiB}`],
  );
});

test('v1: no memsw file means no memsw write (and Docker\'s warning)', () => {
  const l = { memory: 32 * MiB, memorySwap: 64 * MiB };
  assert.deepEqual(files(planV1(l, { hasMemsw: false })), [`memory.limit_in_bytes=${32 * MiB}`]);
  assert.match(warningsV1(l, { hasMemsw: false })[0], /does not support swap limit/);
  assert.deepEqual(warningsV1(l, { hasMemsw: true }), []);
});

test('v1: unlimited pids and quota', () => {
  assert.deepEqual(files(planV1({ pidsLimit: -1, cpuQuota: -1 }, { hasMemsw: true })), [
    'cpu.cfs_quota_us=-1',
    'pids.max=max',
  ]);
  assert.deepEqual(files(planV1({ pidsLimit: 0 }, { hasMemsw: true })), ['pids.max=max']);
});

test('v1: oom-kill-disable dropped where the kernel lacks memory.oom_control', () => {
  const l = { memory: 32 * MiB, oomKillDisable: true };
  assert.ok(!files(planV1(l, { hasMemsw: false, hasOomControl: false })).some((f) => f.startsWith('memory.oom_control')));
  assert.match(warningsV1(l, { hasMemsw: true, hasOomControl: false })[0], /OomKillDisable discarded/);
  assert.match(warningsV1({ oomKillDisable: true }, { hasMemsw: true })[0], /no memory limit is set/);
});

test('v2: every limit', () => {
  const w = planV2({
    memory: 32 * MiB,
    memorySwap: 64 * MiB,
    memoryReservation: 16 * MiB,
    cpuShares: 512,
    cpuPeriod: 100000,
    cpuQuota: 50000,
    cpusetCpus: '0-1',
    cpusetMems: '0',
    pidsLimit: 20,
  });
  assert.deepEqual(files(w), [
    `memory.max=${32 * MiB}`,
    `memory.swap.max=${32 * MiB}`,
    `memory.low=${16 * MiB}`,
    'cpu.weight=20',
    'cpu.max=50000 100000',
    'cpuset.cpus=0-1',
    'cpuset.mems=0',
    'pids.max=20',
  ]);
});

test('v2: swap is memory-swap minus memory; -1 is max; equal means no swap', () => {
  assert.deepEqual(files(planV2({ memory: 32 * MiB, memorySwap: -1 })), [`memory.max=${32 * MiB}`, 'memory.swap.max=max']);
  assert.deepEqual(files(planV2({ memory: 32 * MiB, memorySwap: 32 * MiB })), [`memory.max=${32 * MiB}`, 'memory.swap.max=0']);
  assert.deepEqual(files(planV2({ memory: 32 * MiB, memorySwap: 64 * MiB }, { hasSwap: false })), [`memory.max=${32 * MiB}`]);
});

test('v2: cpu.max forms', () => {
  assert.deepEqual(files(planV2({ cpuQuota: 25000 })), ['cpu.max=25000']);
  assert.deepEqual(files(planV2({ cpuPeriod: 50000 })), ['cpu.max=max 50000']);
  assert.deepEqual(files(planV2({ cpuQuota: -1, cpuPeriod: 50000 })), ['cpu.max=max 50000']);
  assert.deepEqual(files(planV2({ pidsLimit: -1 })), ['pids.max=max']);
});

test('v2: Docker\'s shares -> weight conversion', () => {
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(512), 20);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(1), 1);
});

test('v2: oom-kill-disable is not supported (warning, no write)', () => {
  assert.deepEqual(planV2({ oomKillDisable: true }), []);
  assert.match(warningsV2({ oomKillDisable: true })[0], /OomKillDisable discarded/);
});
