import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../../src/common/errors';
import { absolutizeBind, bindMode, mountFlagsToHostConfig, requestsFromHostConfig } from '../../../src/volume/hostconfig';
import { inspectMount, propagationFlag, tmpfsMountArgs, tmpfsSizeOption } from '../../../src/volume/mountplan';
import { MS } from '../../../src/runtime/protocol';

const env = (existing: string[] = []) => ({ cwd: '/work/dir', exists: (p: string) => existing.includes(p) });

describe('HostConfig fields of the mount flags', () => {
  test('-v values are kept as typed, a relative source made absolute, duplicates once', () => {
    const hc = mountFlagsToHostConfig({ volumes: ['./data:/d:ro', 'named:/n', '/anon', 'named:/n'] }, env());
    assert.deepEqual(hc, { Binds: ['/work/dir/data:/d:ro', 'named:/n', '/anon'] });
    assert.equal(absolutizeBind('../x:/y', '/a/b'), '/a/x:/y');
    assert.equal(absolutizeBind('/abs:/y', '/a/b'), '/abs:/y');
    assert.equal(bindMode('/h:/c:ro,rshared'), 'ro,rshared');
    assert.equal(bindMode('/h:/c'), '');
  });

  test('--mount values in Docker mount.Mount shape; --tmpfs as a map', () => {
    const hc = mountFlagsToHostConfig(
      {
        mounts: [
          'type=bind,src=/h,dst=/b,readonly,bind-propagation=rslave',
          'type=volume,source=v1,target=/v,volume-nocopy,volume-label=a=b',
          'type=volume,target=/anon',
          'type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700',
        ],
        tmpfs: ['/run:size=64k,exec', '/tmp'],
      },
      env(['/h']),
    );
    assert.deepEqual(hc, {
      Binds: null,
      Mounts: [
        { Type: 'bind', Source: '/h', Target: '/b', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
        { Type: 'volume', Source: 'v1', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } },
        { Type: 'volume', Target: '/anon' },
        { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o700 } },
      ],
      Tmpfs: { '/run': 'size=64k,exec', '/tmp': '' },
    });
  });

  test('bad input throws a UsageError before anything else', () => {
    assert.throws(() => mountFlagsToHostConfig({ volumes: ['/h:/d'], tmpfs: ['/d'] }, env()), { message: 'Duplicate mount point: /d' });
    assert.throws(() => mountFlagsToHostConfig({ mounts: ['type=bind,src=/missing,dst=/d'] }, env()), UsageError);
    assert.throws(() => mountFlagsToHostConfig({ volumes: ['H:/d:bogus'] }, env()), { message: 'invalid mode: bogus' });
  });

  test('round trip: the recorded fields give back the same requests', () => {
    const hc = mountFlagsToHostConfig(
      {
        volumes: ['/h:/b:ro', 'named:/n:nocopy', '/anon'],
        mounts: ['type=bind,src=/h,dst=/m', 'type=tmpfs,dst=/t,tmpfs-size=2m'],
        tmpfs: ['/run:size=1m,noexec'],
      },
      env(['/h']),
    );
    const reqs = requestsFromHostConfig(hc as never);
    assert.deepEqual(
      reqs.map((r) => [r.origin, r.spec.type, r.spec.target, r.mode]),
      [
        ['volume', 'bind', '/b', 'ro'],
        ['volume', 'volume', '/n', 'nocopy'],
        ['volume', 'volume', '/anon', ''],
        ['mount', 'bind', '/m', ''],
        ['mount', 'tmpfs', '/t', ''],
        ['tmpfs', 'tmpfs', '/run', ''],
      ],
    );
    const b = reqs[0].spec;
    assert.equal(b.type === 'bind' && b.createSource, true);
    const m = reqs[3].spec;
    assert.equal(m.type === 'bind' && m.createSource, false);
    const n = reqs[1].spec;
    assert.equal(n.type === 'volume' && n.nocopy, true);
  });
});

describe('mount plan pieces', () => {
  test('tmpfs flags and data', () => {
    assert.equal(tmpfsSizeOption(1048576), 'size=1m');
    assert.equal(tmpfsSizeOption(1000), 'size=1000');
    assert.equal(tmpfsSizeOption(3 * 2 ** 30), 'size=3g');
    const [t] = requestsFromHostConfig({ Tmpfs: { '/t': 'size=1m,exec,uid=5,mode=700,ro' } });
    assert.equal(t.spec.type, 'tmpfs');
    if (t.spec.type !== 'tmpfs') return;
    const a = tmpfsMountArgs(t.spec);
    assert.equal(a.flags, MS.NOSUID | MS.NODEV | MS.RDONLY);
    assert.equal(a.data, 'size=1m,uid=5,mode=700');
  });

  test('propagation', () => {
    assert.equal(propagationFlag(undefined), undefined);
    assert.equal(propagationFlag('rprivate'), undefined);
    assert.equal(propagationFlag('rshared'), MS.SHARED);
    assert.equal(propagationFlag('slave'), MS.SLAVE);
  });

  test("inspect's Mounts entries as Docker shows them", () => {
    const reqs = requestsFromHostConfig({ Binds: ['/h:/b:ro', 'named:/n', '/anon'], Mounts: [{ Type: 'volume', Source: 'mv', Target: '/mv' }, { Type: 'tmpfs', Target: '/t' }] });
    assert.deepEqual(inspectMount(reqs[0]), { Type: 'bind', Source: '/h', Destination: '/b', Mode: 'ro', RW: false, Propagation: 'rprivate' });
    assert.deepEqual(inspectMount(reqs[1], { name: 'named', source: '/v/named/_data' }), {
      Type: 'volume', Name: 'named', Source: '/v/named/_data', Destination: '/n', Driver: 'local', Mode: 'z', RW: true, Propagation: '',
    });
    assert.equal(inspectMount(reqs[2], { name: 'abc', source: '/v/abc/_data' }).Mode, '');
    assert.equal(inspectMount(reqs[3], { name: 'mv', source: '/v/mv/_data' }).Mode, '');
    assert.deepEqual(inspectMount(reqs[4]), { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' });
    assert.deepEqual(Object.keys(inspectMount(reqs[1], { name: 'n', source: 's' })), ['Type', 'Name', 'Source', 'Destination', 'Driver', 'Mode', 'RW', 'Propagation']);
  });
});
