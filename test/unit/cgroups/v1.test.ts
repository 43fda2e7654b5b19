import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { CgroupError, openCgroups } from '../../../src/cgroups';
import { V1Driver } from '../../../src/cgroups/v1';
import { MydockerError } from '../../../src/common/errors';
import { FakeCgroupFs } from '../../fixtures/cgroups/fakefs';

const MiB = 1024 * 1024;
const FIX = path.join(__dirname, '../../fixtures/cgroups');
const SPLIT = fs.readFileSync(path.join(FIX, 'mountinfo-hybrid-split.txt'), 'utf8');
const COMOUNTED = fs.readFileSync(path.join(FIX, 'mountinfo-v1-comounted.txt'), 'utf8');
const ID = 'c0ffee';
const HOST_MEM = 8 * 1024 * MiB;

let root: string;
let cg: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-v1-'));
  cg = path.join(root, 'sys/fs/cgroup');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function splitHost(opts: { swap?: boolean } = {}) {
  const fake = FakeCgroupFs.v1(
    root,
    ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer', 'blkio', 'devices'].map((c) => ({
      mountPoint: `/sys/fs/cgroup/${c}`,
      controllers: [c],
    })),
    opts,
  );
  // the hybrid's unified mount, holding only hugetlb
  fs.mkdirSync(path.join(cg, 'unified'));
  fs.writeFileSync(path.join(cg, 'unified/cgroup.controllers'), 'hugetlb\n');
  const d = openCgroups({ mountinfo: SPLIT, fsRoot: root, fs: fake, hostMemory: () => HOST_MEM });
  return { fake, d };
}
const read = (p: string) => fs.readFileSync(path.join(cg, p), 'utf8').trim();

test('hybrid host: v1 driver, one cgroup per used hierarchy, cpuset initialised from the parent', () => {
  const { fake, d } = splitHost();
  assert.ok(d instanceof V1Driver);
  const p = d.create(ID, {
    memory: 32 * MiB,
    memorySwap: 64 * MiB,
    cpuPeriod: 100000,
    cpuQuota: 50000,
    cpusetCpus: '0',
    pidsLimit: 20,
  });
  assert.deepEqual(
    p.procsFiles,
    ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer', 'blkio'].map((c) => path.join(cg, c, 'mydocker', ID, 'tasks')),
  );
  assert.equal(p.path, `/mydocker/${ID}`);
  assert.ok(!fs.existsSync(path.join(cg, 'devices/mydocker')), 'unused hierarchies are left alone');
  assert.equal(read('cpuset/mydocker/cpuset.cpus'), '0-1');
  assert.equal(read('cpuset/mydocker/cpuset.mems'), '0');
  assert.equal(read(`cpuset/mydocker/${ID}/cpuset.cpus`), '0');
  assert.equal(read(`cpuset/mydocker/${ID}/cpuset.mems`), '0');
  assert.equal(read(`memory/mydocker/${ID}/memory.limit_in_bytes`), String(32 * MiB));
  assert.equal(read(`memory/mydocker/${ID}/memory.memsw.limit_in_bytes`), String(64 * MiB));
  assert.equal(read(`cpu/mydocker/${ID}/cpu.cfs_period_us`), '100000');
  assert.equal(read(`cpu/mydocker/${ID}/cpu.cfs_quota_us`), '50000');
  assert.equal(read(`pids/mydocker/${ID}/pids.max`), '20');
  assert.deepEqual(
    fake.writes.map((w) => `${path.relative(cg, w.file)}=${w.value}`),
    [
      'cpuset/mydocker/cpuset.cpus=0-1',
      'cpuset/mydocker/cpuset.mems=0',
      `cpuset/mydocker/${ID}/cpuset.mems=0`,
      `memory/mydocker/${ID}/memory.limit_in_bytes=${32 * MiB}`,
      `memory/mydocker/${ID}/memory.memsw.limit_in_bytes=${64 * MiB}`,
      `cpu/mydocker/${ID}/cpu.cfs_period_us=100000`,
      `cpu/mydocker/${ID}/cpu.cfs_quota_us=50000`,
      `cpuset/mydocker/${ID}/cpuset.cpus=0`,
      `pids/mydocker/${ID}/pids.max=20`,
    ],
  );
});

test('re-creating with higher memory limits orders memsw first (the fake enforces memory <= memsw)', () => {
  const { fake, d } = splitHost();
  d.create(ID, { memory: 32 * MiB, memorySwap: 64 * MiB });
  fake.writes.length = 0;
  d.create(ID, { memory: 128 * MiB, memorySwap: 256 * MiB });
  assert.equal(read(`memory/mydocker/${ID}/memory.limit_in_bytes`), String(128 * MiB));
  assert.equal(read(`memory/mydocker/${ID}/memory.memsw.limit_in_bytes`), String(256 * MiB));
  d.create(ID, { memory: 16 * MiB, memorySwap: 16 * MiB });
  assert.equal(read(`memory/mydocker/${ID}/memory.memsw.limit_in_bytes`), String(16 * MiB));
});

test('co-mounted cpu,cpuacct: one directory serves both', () => {
  const fake = FakeCgroupFs.v1(root, [
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'] },
    { mountPoint: '/sys/fs/cgroup/memory', controllers: ['memory'] },
    { mountPoint: '/sys/fs/cgroup/pids', controllers: ['pids'] },
    { mountPoint: '/sys/fs/cgroup/cpuset', controllers: ['cpuset'] },
    { mountPoint: '/sys/fs/cgroup/freezer', controllers: ['freezer'] },
    { mountPoint: '/sys/fs/cgroup/blkio', controllers: ['blkio'] },
  ]);
  fs.mkdirSync(path.join(cg, 'unified'));
  fs.writeFileSync(path.join(cg, 'unified/cgroup.controllers'), '');
  const d = openCgroups({ mountinfo: COMOUNTED, fsRoot: root, fs: fake, hostMemory: () => HOST_MEM });
  const p = d.create(ID, { cpuShares: 512, cpuQuota: 20000 });
  assert.equal(p.procsFiles.length, 6);
  assert.equal(p.procsFiles[0], path.join(cg, 'cpu,cpuacct/mydocker', ID, 'tasks'));
  assert.equal(read(`cpu,cpuacct/mydocker/${ID}/cpu.shares`), '512');
  fake.set(path.join(cg, 'cpu,cpuacct/mydocker', ID, 'cpuacct.usage'), '987654321\n');
  assert.equal(d.stats(ID).cpuUsageNs, 987654321);
  d.remove(ID);
  assert.deepEqual(d.list(), []);
  d.removeParent();
  for (const h of ['cpu,cpuacct', 'memory', 'pids', 'cpuset', 'freezer', 'blkio']) {
    assert.ok(!fs.existsSync(path.join(cg, h, 'mydocker')), h);
  }
});

test('stats: unlimited memory reports the host; oomKilled reads oom_kill', () => {
  const { fake, d } = splitHost();
  d.create(ID, {});
  const mem = path.join(cg, 'memory/mydocker', ID);
  fake.set(path.join(mem, 'memory.usage_in_bytes'), '4194304\n');
  fake.set(path.join(mem, 'memory.stat'), 'cache 0\ntotal_inactive_file 1048576\n');
  fake.set(path.join(cg, 'cpuacct/mydocker', ID, 'cpuacct.usage'), '5000\n');
  fake.set(path.join(cg, 'pids/mydocker', ID, 'pids.current'), '2\n');
  // the fake does not populate blkio files: without them, no block I/O figures
  assert.deepEqual(d.stats(ID), {
    cpuUsageNs: 5000,
    memoryUsage: 4194304,
    memoryLimit: HOST_MEM,
    pids: 2,
    memoryInactiveFile: 1048576,
  });
  fake.set(
    path.join(cg, 'blkio/mydocker', ID, 'blkio.throttle.io_service_bytes_recursive'),
    '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 12288\n' +
      '8:16 Read 100\n8:16 Write 0\nTotal 12388\n',
  );
  assert.deepEqual(d.stats(ID), {
    cpuUsageNs: 5000,
    memoryUsage: 4194304,
    memoryLimit: HOST_MEM,
    pids: 2,
    memoryInactiveFile: 1048576,
    blockRead: 4196,
    blockWrite: 8192,
  });
  assert.equal(d.oomKilled(ID), false);
  fake.set(path.join(mem, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
  assert.equal(d.oomKilled(ID), true);
});

test('oom-kill-disable writes memory.oom_control; no memsw: warning, no write', () => {
  const { fake, d } = splitHost({ swap: false });
  const p = d.create(ID, { memory: 32 * MiB, memorySwap: 64 * MiB, oomKillDisable: true });
  assert.match(read(`memory/mydocker/${ID}/memory.oom_control`), /oom_kill_disable 1/);
  assert.ok(!fake.writes.some((w) => w.file.includes('memsw')));
  assert.deepEqual(p.warnings, [
    'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
  ]);
});

test('failure: every directory made by the call is removed, the error names file and message', () => {
  const { d } = splitHost();
  assert.throws(
    () => d.create(ID, { cpuQuota: 500 }), // the kernel (and the fake) refuse a quota under 1 ms
    (e: unknown) =>
      e instanceof CgroupError &&
      e.message === `cgroups: cannot write "500" to ${path.join(cg, 'cpu/mydocker', ID, 'cpu.cfs_quota_us')}: Invalid argument`,
  );
  for (const h of ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer', 'blkio']) {
    assert.ok(!fs.existsSync(path.join(cg, h, 'mydocker')), h);
  }
});

test('a limit whose controller is not mounted is refused before anything is made', () => {
  const fake = FakeCgroupFs.v1(root, [
    { mountPoint: '/sys/fs/cgroup/memory', controllers: ['memory'] },
  ]);
  const d = openCgroups({
    mountinfo: '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n',
    fsRoot: root,
    fs: fake,
  });
  assert.throws(() => d.create(ID, { pidsLimit: 5 }), (e: unknown) => e instanceof MydockerError && /pids controller is not mounted/.test(e.message));
  assert.ok(!fs.existsSync(path.join(cg, 'memory/mydocker')));
  assert.throws(() => d.stats('nope'), CgroupError);
  // what is mounted still works; what is not reads as zero
  d.create(ID, { memory: 32 * MiB });
  assert.deepEqual(d.stats(ID), {
    cpuUsageNs: 0,
    memoryUsage: 0,
    memoryLimit: 32 * MiB,
    pids: 0,
    memoryInactiveFile: 0,
  });
  d.remove(ID);
  d.removeParent();
});
