import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, overlayData, PlanInput } from '../../../src/spec/plan';
import { CLONE, MS } from '../../../src/runtime/protocol';

const input: PlanInput = {
  rootfs: '/r/c/merged', lowerDirs: ['/r/l/base', '/r/l/top'], upperDir: '/r/c/upper', workDir: '/r/c/work',
  hostname: 'h', env: ['PATH=/bin'], argv: ['sh', '-c', 'a b'], cwd: '/srv', tty: false, stdin: false,
  etcFiles: { hostname: '/r/c/hostname', hosts: '/r/c/hosts', resolvConf: '/r/c/resolv.conf' },
  mounts: [{ kind: 'bind', source: '/data', target: '/data', readonly: true, file: false }],
  cgroupProcs: ['/sys/fs/cgroup/pids/m/id/cgroup.procs'], exitFile: '/r/c/exit.json', cleanup: ['/node', 'x'], attach: true,
};

const names = (ops: readonly (readonly string[])[]) => ops.map((o) => o[0]);

test('namespaces: pid, mount, uts, ipc, net', () => {
  const ns = buildPlan(input).find((o) => o[0] === 'ns')!;
  assert.equal(Number(ns[1]), CLONE.NEWPID | CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET);
});

test('order: private before any mount, overlay root first, pivot after every mount, exec settings last', () => {
  const ops = buildPlan(input);
  const n = names(ops);
  const first = (s: string) => n.indexOf(s);
  const last = (s: string) => n.lastIndexOf(s);
  assert.ok(first('private') < first('mount'));
  assert.ok(first('mount') < first('root') && first('root') < first('mountin'));
  assert.ok(last('mountin') < first('pivot'));
  assert.ok(last('mkdir') < first('pivot'));
  assert.ok(first('pivot') < first('hostname') && first('pivot') < first('argv'));
  assert.deepEqual(ops.find((o) => o[0] === 'argv'), ['argv', 'sh', '-c', 'a b']);
});

test('overlay lists the topmost layer first; a comma or colon in a path is refused', () => {
  assert.equal(overlayData(['/a', '/b'], '/u', '/w'), 'lowerdir=/b:/a,upperdir=/u,workdir=/w');
  assert.throws(() => overlayData(['/a:b'], '/u', '/w'));
  assert.throws(() => overlayData(['/a'], '/u,x', '/w'));
});

test('kernel file systems never follow symlinks; user binds do (inside the root)', () => {
  const ops = buildPlan(input);
  for (const t of ['/proc', '/dev', '/sys', '/dev/pts']) {
    const m = ops.find((o) => o[0] === 'mountin' && o[2] === t)!;
    assert.equal(m[7], '1', `${t} nofollow`);
  }
  const bind = ops.find((o) => o[0] === 'mountin' && o[1] === '/data')!;
  assert.equal(Number(bind[4]), MS.BIND | MS.REC | MS.RDONLY);
  assert.equal(bind[7], '0');
  const sys = ops.find((o) => o[0] === 'mountin' && o[2] === '/sys')!;
  assert.ok(Number(sys[4]) & MS.RDONLY, '/sys is read-only');
});

test('read-only rootfs: mount points are made first, / is remounted read-only after pivot', () => {
  const ops = buildPlan({ ...input, readonlyRootfs: true });
  assert.equal(Number(ops.find((o) => o[0] === 'mount')![4]) & MS.RDONLY, 0);
  assert.ok(names(ops).indexOf('remountro') > names(ops).indexOf('pivot'));
  assert.ok(!names(buildPlan(input)).includes('remountro'));
});

test('tty adds a console file; security settings become caps, nnp, seccomp ops', () => {
  const ops = buildPlan({
    ...input, tty: true,
    security: { caps: { bounding: 0xa80425fbn, effective: 0xa80425fbn, permitted: 0xa80425fbn, inheritable: 0n, ambient: 0n }, noNewPrivileges: true, seccomp: Buffer.from('0600000000000000', 'hex'), maskedPaths: ['/proc/kcore'] },
  });
  assert.ok(ops.some((o) => o[0] === 'mkfile' && o[1] === '/dev/console'));
  assert.deepEqual(ops.find((o) => o[0] === 'caps'), ['caps', '0xa80425fb', '0xa80425fb', '0xa80425fb', '0x0', '0x0']);
  assert.deepEqual(ops.find((o) => o[0] === 'seccomp'), ['seccomp', '0600000000000000']);
  assert.ok(names(ops).indexOf('mask') > names(ops).indexOf('pivot'));
});

test('/sys is read-only unless privileged', () => {
  const sysFlags = (ops: readonly (readonly string[])[]) => Number(ops.find((o) => o[0] === 'mountin' && o[2] === '/sys')![4]);
  assert.equal(sysFlags(buildPlan(input)) & MS.RDONLY, MS.RDONLY);
  assert.equal(sysFlags(buildPlan({ ...input, security: { writableSys: true } })) & MS.RDONLY, 0);
});

test('v2: the device program becomes one op for the monitor, hex-encoded; none without it', () => {
  const program = Buffer.from([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const ops = buildPlan({ ...input, devices: { cgroupDir: '/sys/fs/cgroup/m/id', program } });
  const dev = ops.filter((o) => o[0] === 'devices');
  assert.deepEqual(dev, [['devices', '/sys/fs/cgroup/m/id', program.toString('hex')]]);
  assert.equal(buildPlan(input).filter((o) => o[0] === 'devices').length, 0);
});
