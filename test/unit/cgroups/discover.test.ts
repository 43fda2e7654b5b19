import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { discover, parseMountinfo, parseProcCgroup } from '../../../src/cgroups/discover';
import { MydockerError } from '../../../src/common/errors';

const FIX = path.join(__dirname, '../../fixtures/cgroups');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');

/** readFile that serves cgroup.controllers from a table (key: the mount point). */
function controllers(table: Record<string, string>) {
  return (file: string) => {
    const dir = path.dirname(file);
    if (path.basename(file) === 'cgroup.controllers' && dir in table) return table[dir];
    throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
  };
}

test('parseMountinfo reads root, mount point, type and super options; skips optional fields', () => {
  const m = parseMountinfo(fixture('mountinfo-v1-comounted.txt'));
  const cpu = m.find((e) => e.mountPoint === '/sys/fs/cgroup/cpu,cpuacct')!;
  assert.deepEqual(cpu, {
    root: '/',
    mountPoint: '/sys/fs/cgroup/cpu,cpuacct',
    fsType: 'cgroup',
    superOptions: ['rw', 'cpu', 'cpuacct'],
  });
  const esc = parseMountinfo('50 1 0:5 /a\\040b /mnt/with\\040space rw - cgroup cgroup rw,memory\n');
  assert.equal(esc[0].mountPoint, '/mnt/with space');
  assert.equal(esc[0].root, '/a b');
});

test('hybrid with separate cpu and cpuacct mounts and a unified mount holding only hugetlb: v1', () => {
  const layout = discover(fixture('mountinfo-hybrid-split.txt'), {
    readFile: controllers({ '/sys/fs/cgroup/unified': 'hugetlb\n' }),
  });
  assert.equal(layout.version, 1);
  assert.deepEqual(
    layout.hierarchies.map((h) => h.mountPoint),
    ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuacct', '/sys/fs/cgroup/cpuset', '/sys/fs/cgroup/memory',
      '/sys/fs/cgroup/pids', '/sys/fs/cgroup/freezer', '/sys/fs/cgroup/blkio'],
  );
  assert.notEqual(layout.byController.cpu, layout.byController.cpuacct);
  assert.equal(layout.byController.memory.dir, '/sys/fs/cgroup/memory');
  assert.equal(layout.byController.devices, undefined, 'hierarchies we do not use are left alone');
  assert.equal(layout.unified?.mountPoint, '/sys/fs/cgroup/unified');
  assert.deepEqual(layout.unified?.controllers, ['hugetlb']);
});

test('co-mounted cpu,cpuacct is one hierarchy; an empty unified mount does not make it v2', () => {
  const layout = discover(fixture('mountinfo-v1-comounted.txt'), {
    readFile: controllers({ '/sys/fs/cgroup/unified': '' }),
  });
  assert.equal(layout.version, 1);
  assert.equal(layout.byController.cpu, layout.byController.cpuacct);
  assert.deepEqual(layout.byController.cpu.controllers, ['cpu', 'cpuacct']);
  assert.equal(layout.byController.cpu.dir, '/sys/fs/cgroup/cpu,cpuacct');
  assert.deepEqual(
    layout.hierarchies.map((h) => h.mountPoint),
    ['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpuset', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids',
      '/sys/fs/cgroup/freezer', '/sys/fs/cgroup/blkio'],
  );
  assert.equal(layout.byController['name=systemd'], undefined);
});

test('pure v2: chosen when cgroup.controllers has cpu, memory and pids (read under fsRoot)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-discover-'));
  try {
    fs.mkdirSync(path.join(root, 'sys/fs/cgroup'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sys/fs/cgroup/cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    const layout = discover(fixture('mountinfo-v2.txt'), { fsRoot: root });
    assert.equal(layout.version, 2);
    assert.equal(layout.hierarchies.length, 1);
    assert.equal(layout.hierarchies[0].dir, path.join(root, 'sys/fs/cgroup'));
    assert.equal(layout.hierarchies[0].mountPoint, '/sys/fs/cgroup');
    assert.equal(layout.byController.memory, layout.hierarchies[0]);
    assert.ok(layout.byController.cpuset);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('v2 mount lacking a required controller and no v1 mounts: a clear error', () => {
  assert.throws(
    () => discover(fixture('mountinfo-v2.txt'), { readFile: controllers({ '/sys/fs/cgroup': 'cpu io\n' }) }),
    (e: unknown) => e instanceof MydockerError && /no usable cgroup hierarchy/.test(e.message),
  );
  assert.throws(() => discover('27 1 254:0 / / rw - ext4 /dev/vda rw\n'), MydockerError);
});

test('a bind mount of a sub-tree loses to the hierarchy root mount', () => {
  const text = [
    '60 31 0:32 /docker/abc /mnt/mem rw - cgroup cgroup rw,memory',
    '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
  ].join('\n');
  const layout = discover(text);
  assert.equal(layout.byController.memory.mountPoint, '/sys/fs/cgroup/memory');
});

test('a cgroup-namespaced mount keeps its root for the reported path', () => {
  const layout = discover('35 31 0:32 /../.. /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n');
  assert.equal(layout.byController.memory.root, '/../..');
});

test('parseProcCgroup splits co-mounted controllers and keeps the v2 line', () => {
  const m = parseProcCgroup('4:memory:/process_api/x\n2:cpu,cpuacct:/a\n1:name=systemd:/init.scope\n0::/\n');
  assert.equal(m.get('memory'), '/process_api/x');
  assert.equal(m.get('cpu'), '/a');
  assert.equal(m.get('cpuacct'), '/a');
  assert.equal(m.get('name=systemd'), '/init.scope');
  assert.equal(m.get(''), '/');
});
