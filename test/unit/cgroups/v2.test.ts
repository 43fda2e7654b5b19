import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { CgroupError, openCgroups } from '../../../src/cgroups';
import { discover } from '../../../src/cgroups/discover';
import { V2Driver } from '../../../src/cgroups/v2';
import { MydockerError } from '../../../src/common/errors';
import { FakeCgroupFs } from '../../fixtures/cgroups/fakefs';

const MiB = 1024 * 1024;
const MOUNTINFO = fs.readFileSync(path.join(__dirname, '../../fixtures/cgroups/mountinfo-v2.txt'), 'utf8');
const ALL = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'];
const ID = 'c0ffee';

let root: string;
let cg: string; // the fixture's /sys/fs/cgroup
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-v2-'));
  cg = path.join(root, 'sys/fs/cgroup');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function open(fake: FakeCgroupFs, parent = 'mydocker') {
  return openCgroups({ mountinfo: MOUNTINFO, fsRoot: root, fs: fake, parent, hostMemory: () => 8 * 1024 * MiB });
}
const read = (p: string) => fs.readFileSync(path.join(cg, p), 'utf8').trim();

test('openCgroups picks the v2 driver on a unified fixture tree', () => {
  const d = open(FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL));
  assert.equal(d.version, 2);
  assert.ok(d instanceof V2Driver);
});

test('create: enables controllers down the tree, then writes the planned files', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL, { rootSubtree: ['memory'] });
  const d = open(fake);
  const p = d.create(ID, {
    memory: 32 * MiB,
    memorySwap: 64 * MiB,
    memoryReservation: 8 * MiB,
    cpuShares: 512,
    cpuPeriod: 100000,
    cpuQuota: 50000,
    cpusetCpus: '0',
    cpusetMems: '0',
    pidsLimit: 20,
  });
  assert.deepEqual(p.procsFiles, [path.join(cg, 'mydocker', ID, 'cgroup.procs')]);
  assert.equal(p.devicesDir, path.join(cg, 'mydocker', ID), 'the device program goes on the container cgroup');
  assert.equal(p.path, `/mydocker/${ID}`);
  assert.equal(p.warnings, undefined);
  // root had memory already: only the missing ones are added; the parent gets all we use
  assert.deepEqual(read('cgroup.subtree_control').split(' ').sort(), ['cpu', 'cpuset', 'io', 'memory', 'pids']);
  assert.deepEqual(read('mydocker/cgroup.subtree_control').split(' ').sort(), ['cpu', 'cpuset', 'io', 'memory', 'pids']);
  assert.equal(read(`mydocker/${ID}/memory.max`), String(32 * MiB));
  assert.equal(read(`mydocker/${ID}/memory.swap.max`), String(32 * MiB));
  assert.equal(read(`mydocker/${ID}/memory.low`), String(8 * MiB));
  assert.equal(read(`mydocker/${ID}/cpu.weight`), '20');
  assert.equal(read(`mydocker/${ID}/cpu.max`), '50000 100000');
  assert.equal(read(`mydocker/${ID}/cpuset.cpus`), '0');
  assert.equal(read(`mydocker/${ID}/cpuset.mems`), '0');
  assert.equal(read(`mydocker/${ID}/pids.max`), '20');
  assert.deepEqual(
    fake.writes.map((w) => path.relative(cg, w.file)),
    [
      'cgroup.subtree_control',
      'mydocker/cgroup.subtree_control',
      `mydocker/${ID}/memory.max`,
      `mydocker/${ID}/memory.swap.max`,
      `mydocker/${ID}/memory.low`,
      `mydocker/${ID}/cpu.weight`,
      `mydocker/${ID}/cpu.max`,
      `mydocker/${ID}/cpuset.cpus`,
      `mydocker/${ID}/cpuset.mems`,
      `mydocker/${ID}/pids.max`,
    ],
  );
  assert.equal(fake.writes[0].value, '+cpuset +cpu +io +pids');
});

test('create is idempotent and skips subtree writes already done', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL);
  const d = open(fake);
  d.create(ID, { pidsLimit: 10 });
  fake.writes.length = 0;
  d.create(ID, { pidsLimit: 30 });
  assert.deepEqual(fake.writes.map((w) => path.relative(cg, w.file)), [`mydocker/${ID}/pids.max`]);
  assert.equal(read(`mydocker/${ID}/pids.max`), '30');
  d.create('other', {});
  assert.deepEqual(d.list(), [ID, 'other']);
});

test('a failed write removes what create made and names the file and the kernel message', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL);
  const d = open(fake);
  fake.failOn = { suffix: 'cpu.max', code: 'EINVAL' };
  assert.throws(
    () => d.create(ID, { memory: 32 * MiB, cpuQuota: 50000 }),
    (e: unknown) => {
      assert.ok(e instanceof CgroupError);
      assert.equal(e.exitCode, 125);
      assert.equal(e.message, `cgroups: cannot write "50000" to ${path.join(cg, 'mydocker', ID, 'cpu.max')}: Invalid argument`);
      return true;
    },
  );
  assert.ok(!fs.existsSync(path.join(cg, 'mydocker', ID)), 'container cgroup removed');
  assert.ok(!fs.existsSync(path.join(cg, 'mydocker')), 'parent made by this call removed');
});

test('rollback keeps a parent that existed before', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL);
  const d = open(fake);
  d.create('first', {});
  fake.failOn = { suffix: 'pids.max', code: 'EINVAL' };
  assert.throws(() => d.create(ID, { pidsLimit: 5 }), CgroupError);
  assert.ok(fs.existsSync(path.join(cg, 'mydocker', 'first')));
  assert.ok(!fs.existsSync(path.join(cg, 'mydocker', ID)));
});

test('a controller the host lacks is an error before the container cgroup exists', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ['cpu', 'memory', 'pids']);
  const d = open(fake);
  assert.throws(() => d.create(ID, { cpusetCpus: '0' }), (e: unknown) => e instanceof MydockerError && /cpuset controller is not available/.test(e.message));
  assert.ok(!fs.existsSync(path.join(cg, 'mydocker')));
  // without cpuset the rest works
  d.create(ID, { memory: 32 * MiB });
  assert.equal(read(`mydocker/${ID}/memory.max`), String(32 * MiB));
});

test('no swap accounting: swap dropped with Docker\'s warning; oom-kill-disable warned', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL, { swap: false });
  const d = open(fake);
  const p = d.create(ID, { memory: 32 * MiB, memorySwap: 64 * MiB, oomKillDisable: true });
  assert.equal(p.warnings?.length, 2);
  assert.match(p.warnings![0], /swap limit/);
  assert.match(p.warnings![1], /OomKillDisable discarded/);
  assert.ok(!fake.writes.some((w) => w.file.endsWith('memory.swap.max')));
});

test('stats and oomKilled parse the kernel files', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL);
  const d = open(fake);
  d.create(ID, { memory: 32 * MiB });
  const dir = path.join(cg, 'mydocker', ID);
  fake.set(path.join(dir, 'cpu.stat'), 'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 3\n');
  fake.set(path.join(dir, 'memory.current'), '1048576\n');
  fake.set(path.join(dir, 'memory.stat'), 'anon 524288\nfile 524288\nactive_file 4096\ninactive_file 8192\n');
  fake.set(path.join(dir, 'pids.current'), '3\n');
  fake.set(path.join(dir, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n');
  assert.deepEqual(d.stats(ID), {
    cpuUsageNs: 123456000,
    memoryUsage: 1048576,
    memoryLimit: 32 * MiB,
    pids: 3,
    memoryInactiveFile: 8192,
    blockRead: 4196,
    blockWrite: 8192,
  });
  assert.equal(d.oomKilled(ID), false);
  fake.set(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n');
  assert.equal(d.oomKilled(ID), true);

  d.create('free', {});
  assert.equal(d.stats('free').memoryLimit, 8 * 1024 * MiB, 'unlimited reports the host memory');
  assert.throws(() => d.stats('missing'), CgroupError);
});

test('remove: retries while busy, removes child cgroups, ignores a missing cgroup', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL);
  const d = open(fake);
  d.create(ID, {});
  const dir = path.join(cg, 'mydocker', ID);
  fake.set(path.join(dir, 'cgroup.procs'), '4242\n');
  assert.deepEqual(d.procs(ID), [4242]);
  // the "task" is still listed for the first two attempts (remove() blocks the thread, so the
  // fake clears it itself)
  const t0 = Date.now();
  let calls = 0;
  const realRmdir = fake.rmdir.bind(fake);
  fake.rmdir = (p: string) => {
    if (p === dir && ++calls === 3) fake.set(path.join(dir, 'cgroup.procs'), '');
    realRmdir(p);
  };
  d.remove(ID);
  assert.ok(calls >= 3);
  assert.ok(Date.now() - t0 < 500);
  assert.ok(!fs.existsSync(dir));
  d.remove(ID); // ENOENT: fine

  // a container that made its own sub-cgroups
  d.create(ID, {});
  fake.mkdir(path.join(dir, 'inner'));
  fake.mkdir(path.join(dir, 'inner', 'deeper'));
  d.remove(ID);
  assert.ok(!fs.existsSync(dir));
  assert.deepEqual(d.list(), []);
  d.removeParent();
  assert.ok(!fs.existsSync(path.join(cg, 'mydocker')));
  d.removeParent();
});

test('remove gives up after the timeout with the kernel\'s message', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL);
  const d = new V2Driver(discover(MOUNTINFO, { fsRoot: root }), { fs: fake, removeTimeoutMs: 50 });
  d.create(ID, {});
  fake.set(path.join(cg, 'mydocker', ID, 'cgroup.procs'), '1\n');
  const t0 = Date.now();
  assert.throws(() => d.remove(ID), (e: unknown) => e instanceof CgroupError && /Device or resource busy/.test(e.message));
  assert.ok(Date.now() - t0 >= 50);
});

test('ids and parent names that could escape the parent are refused', () => {
  const fake = FakeCgroupFs.v2(root, '/sys/fs/cgroup', ALL);
  const d = open(fake);
  for (const bad of ['', '..', '../x', 'a/b', '.hidden']) {
    assert.throws(() => d.create(bad, {}), MydockerError, bad);
    assert.throws(() => d.remove(bad), MydockerError, bad);
  }
  assert.throws(() => open(fake, '../etc'), MydockerError);
});
