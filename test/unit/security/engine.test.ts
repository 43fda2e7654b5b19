/**
 * securityOf: a container record -> the settings its process gets, with image layers
 * made of plain directories (no root needed, except for the overlay whiteout case).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { securityOf, setupDeviceCgroup, deviceCgroupProcs, deviceProgramOf, DEFAULT_DEVICE_RULES } from '../../../src/engine/security';
import { compileDeviceFilter } from '../../../src/spec/security/devices';
import { CAPABILITY_NAMES, DEFAULT_CAP_MASK, allCapsMask } from '../../../src/spec/security/capabilities';
import { RLIM_INFINITY } from '../../../src/spec/security/rlimits';

const isRoot = process.getuid?.() === 0;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sec-engine-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\napp:x:1000:1000::/srv/app:/bin/sh\n';
const GROUP = 'root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\napp:x:1000:\naudio:x:29:app\nvideo:x:28:app,nobody\n';

let n = 0;
function layer(files: Record<string, string | null>): string {
  const dir = path.join(work, `layer${n++}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) {
    const p = path.join(dir, f);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (content !== null) fs.writeFileSync(p, content);
  }
  return dir;
}

function fixture(layers: string[], user = '', hostConfig: Record<string, unknown> = {}) {
  const id = `c${n++}`;
  const engine: any = { containers: { dir: (i: string) => path.join(work, 'containers', i) }, cgroups: () => ({ version: 2 }) };
  fs.mkdirSync(path.join(work, 'containers', id, 'upper'), { recursive: true });
  const rec: any = { Id: id, LayerDirs: layers, Config: { User: user }, HostConfig: hostConfig, State: { Running: false } };
  return { engine, rec, upper: path.join(work, 'containers', id, 'upper') };
}

const base = layer({ 'etc/passwd': PASSWD, 'etc/group': GROUP });

test('default: Docker\'s capabilities, the default seccomp program, masked and read-only paths, root with its groups', () => {
  const { engine, rec } = fixture([base]);
  const s = securityOf(engine, rec);
  assert.equal(s.caps!.bounding, DEFAULT_CAP_MASK);
  assert.equal(s.caps!.effective, DEFAULT_CAP_MASK);
  assert.equal(s.caps!.ambient, 0n);
  assert.ok(s.seccomp && s.seccomp.length > 100);
  assert.ok(s.maskedPaths!.includes('/proc/kcore'));
  assert.ok(s.readonlyPaths!.includes('/proc/sys'));
  assert.equal(s.noNewPrivileges, false);
  // root is a member of wheel in the image: Docker's `id` shows groups=0(root),10(wheel)
  assert.deepEqual(s.user, { uid: 0, gid: 0, additionalGids: [0, 10] });
  assert.equal(s.home, '/root');
  assert.equal(s.rlimits, undefined, 'limits are inherited unless asked for');
});

test('-u forms resolved from the image\'s /etc/passwd and /etc/group (issue 6, point 5)', () => {
  const cases: Array<[string, { uid: number; gid: number; additionalGids: number[] }, string]> = [
    ['1000', { uid: 1000, gid: 1000, additionalGids: [1000, 29, 28] }, '/srv/app'],
    ['1000:1000', { uid: 1000, gid: 1000, additionalGids: [1000] }, '/srv/app'],
    ['app', { uid: 1000, gid: 1000, additionalGids: [1000, 29, 28] }, '/srv/app'],
    ['nobody', { uid: 65534, gid: 65534, additionalGids: [65534, 28] }, '/home'],
    ['nobody:nogroup', { uid: 65534, gid: 65534, additionalGids: [65534] }, '/home'],
    ['4242', { uid: 4242, gid: 0, additionalGids: [0] }, '/'],
    ['4242:77', { uid: 4242, gid: 77, additionalGids: [77] }, '/'],
  ];
  for (const [u, want, home] of cases) {
    const s = securityOf(fixture([base], u).engine, fixture([base], u).rec);
    assert.deepEqual(s.user, want, u);
    assert.equal(s.home, home, u);
  }
});

test('an unknown user or group: Docker\'s message, exit 125', () => {
  const f = fixture([base], 'foo');
  assert.throws(() => securityOf(f.engine, f.rec), (e: any) => e.exitCode === 125 && e.message === 'unable to find user foo: no matching entries in passwd file');
  const g = fixture([base], 'app:nosuch');
  assert.throws(() => securityOf(g.engine, g.rec), /unable to find group nosuch: no matching entries in group file/);
  const h = fixture([base], '', { GroupAdd: ['nosuch'] });
  assert.throws(() => securityOf(h.engine, h.rec), /Unable to find group nosuch/);
});

test('--group-add adds groups by name or number', () => {
  const f = fixture([base], 'nobody', { GroupAdd: ['audio', '4000'] });
  assert.deepEqual(securityOf(f.engine, f.rec).user!.additionalGids, [65534, 28, 29, 4000]);
});

test('the files are read through the layers: the topmost has the say, the container\'s upper dir above all', () => {
  const top = layer({ 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnewuser:x:2000:2000::/home/new:/bin/sh\n' });
  const f = fixture([base, top], 'newuser');
  assert.deepEqual(securityOf(f.engine, f.rec).user, { uid: 2000, gid: 2000, additionalGids: [2000] });
  // /etc/group still comes from the lower layer
  const g = fixture([base, top], 'root');
  assert.deepEqual(securityOf(g.engine, g.rec).user!.additionalGids, [0, 10]);
  // a user added in the running container (its upper dir) is found too
  const h = fixture([base], 'late');
  fs.mkdirSync(path.join(h.upper, 'etc'));
  fs.writeFileSync(path.join(h.upper, 'etc', 'passwd'), 'late:x:3000:3000::/late:/bin/sh\n');
  assert.equal(securityOf(h.engine, h.rec).user!.uid, 3000);
});

test('a symbolic link in the image is followed inside the rootfs, never on the host', () => {
  const linkLayer = layer({ 'usr/share/passwd': 'linked:x:5000:5000::/x:/bin/sh\n' });
  fs.mkdirSync(path.join(linkLayer, 'etc'), { recursive: true });
  fs.symlinkSync('/usr/share/passwd', path.join(linkLayer, 'etc', 'passwd'));
  const f = fixture([linkLayer], 'linked');
  assert.equal(securityOf(f.engine, f.rec).user!.uid, 5000);
  // An absolute link that would name the host's /etc/passwd stays in the image: here, missing.
  const hostile = layer({});
  fs.mkdirSync(path.join(hostile, 'etc'));
  fs.symlinkSync('/../../../../etc/passwd', path.join(hostile, 'etc', 'passwd'));
  const h = fixture([hostile], '');
  assert.deepEqual(securityOf(h.engine, h.rec).user, { uid: 0, gid: 0, additionalGids: [0] });
});

test('a FIFO in place of /etc/passwd is not read (it would block), the user is then unknown', () => {
  const fifoLayer = layer({});
  fs.mkdirSync(path.join(fifoLayer, 'etc'));
  const r = spawnSync('mkfifo', [path.join(fifoLayer, 'etc', 'passwd')]);
  if (r.status !== 0) return;
  const f = fixture([fifoLayer], 'someone');
  assert.throws(() => securityOf(f.engine, f.rec), /unable to find user someone/);
});

test('an overlay whiteout in a higher layer hides the file below', { skip: !isRoot && 'mknod of a whiteout needs root' }, () => {
  const wh = layer({});
  fs.mkdirSync(path.join(wh, 'etc'));
  assert.equal(spawnSync('mknod', [path.join(wh, 'etc', 'passwd'), 'c', '0', '0']).status, 0);
  const f = fixture([base, wh], 'app');
  assert.throws(() => securityOf(f.engine, f.rec), /unable to find user app/);
});

test('--cap-add/--cap-drop/--privileged; masks follow what the engine holds', () => {
  const add = fixture([base], '', { CapAdd: ['CAP_NET_ADMIN'], CapDrop: ['CAP_MKNOD'] });
  const s = securityOf(add.engine, add.rec);
  assert.equal(s.caps!.bounding, (DEFAULT_CAP_MASK | (1n << 12n)) & ~(1n << 27n));

  const held = BigInt('0x' + /^CapPrm:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
  const priv = fixture([base], '', { Privileged: true });
  const p = securityOf(priv.engine, priv.rec);
  const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  assert.equal(p.caps!.permitted, allCapsMask(lastCap) & held, 'everything this engine holds');
  assert.equal(p.seccomp, null);
  assert.deepEqual(p.maskedPaths, []);
  assert.deepEqual(p.readonlyPaths, []);
  const unheld = [...Array(lastCap + 1).keys()].find((c) => !(held & (1n << BigInt(c))));
  if (unheld !== undefined) {
    const name = CAPABILITY_NAMES[unheld];
    const f = fixture([base], '', { CapAdd: [name] });
    assert.throws(() => securityOf(f.engine, f.rec), new RegExp(`cannot add capability ${name}`));
  }
});

test('--security-opt: no-new-privileges, seccomp=unconfined, an inline profile', () => {
  const f = fixture([base], '', { SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'] });
  const s = securityOf(f.engine, f.rec);
  assert.equal(s.noNewPrivileges, true);
  assert.equal(s.seccomp, null);
  const p = fixture([base], '', { SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}'] });
  const ps = securityOf(p.engine, p.rec);
  assert.ok(ps.seccomp && ps.seccomp.length > 0);
  assert.notDeepEqual(ps.seccomp, securityOf(fixture([base]).engine, fixture([base]).rec).seccomp);
});

test('ulimits: recorded values, -1 as unlimited, checked against the caller again at start', () => {
  const f = fixture([base], '', { Ulimits: [{ Name: 'nofile', Hard: 2048, Soft: 1024 }, { Name: 'core', Hard: 0, Soft: 0 }] });
  assert.deepEqual(securityOf(f.engine, f.rec).rlimits, [
    { resource: 7, soft: 1024n, hard: 2048n },
    { resource: 4, soft: 0n, hard: 0n },
  ]);
  const inf = fixture([base], '', { Ulimits: [{ Name: 'nofile', Hard: -1, Soft: -1 }] });
  const hardNofile = /^Max open files\s+\S+\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))![1];
  if (hardNofile === 'unlimited') assert.deepEqual(securityOf(inf.engine, inf.rec).rlimits, [{ resource: 7, soft: RLIM_INFINITY, hard: RLIM_INFINITY }]);
  else assert.throws(() => securityOf(inf.engine, inf.rec), /above this user's hard limit/);
});

test('the device cgroup: Docker\'s default rules; on a v2 host no v1 device cgroup but an eBPF program', () => {
  assert.deepEqual(DEFAULT_DEVICE_RULES.slice(0, 2), ['c *:* m', 'b *:* m']);
  for (const d of ['1:3', '1:5', '1:7', '1:8', '1:9', '5:0', '5:1', '5:2', '136:*']) assert.ok(DEFAULT_DEVICE_RULES.includes(`c ${d} rwm`), d);
  assert.equal(DEFAULT_DEVICE_RULES.length, 11, 'nothing else: no block device, no other character device');
  const f = fixture([base]);
  assert.deepEqual(setupDeviceCgroup(f.engine, f.rec), []);
  assert.deepEqual(deviceCgroupProcs(f.engine, f.rec.Id), []);
  const v2 = { procsFiles: ['/cg/m/id/cgroup.procs'], devicesDir: '/cg/m/id', path: '/m/id' };
  assert.deepEqual(deviceProgramOf(f.rec, v2), { cgroupDir: '/cg/m/id', program: compileDeviceFilter(DEFAULT_DEVICE_RULES) });
  assert.equal(deviceProgramOf(f.rec, { procsFiles: [], path: '/m/id' }), undefined, 'v1: the devices cgroup does it');
  const priv = fixture([base], '', { Privileged: true });
  assert.equal(deviceProgramOf(priv.rec, v2), undefined, '--privileged: every device');
});
