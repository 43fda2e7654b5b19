import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { MountedUnderError, mountsUnder, parseMountinfo, removeTreeNoCross } from '../../../src/volume/saferm';

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-saferm-')));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const line = (id: number, mountPoint: string, fsType = 'tmpfs') => `${id} 1 0:${id} / ${mountPoint} rw,relatime shared:1 - ${fsType} ${fsType} rw`;
const fakeMountinfo = (...mountPoints: string[]) =>
  [line(20, '/'), line(21, '/proc', 'proc'), ...mountPoints.map((mp, i) => line(30 + i, mp))].join('\n') + '\n';

function populate(dir: string): void {
  fs.mkdirSync(path.join(dir, 'a/b/c'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'a/file'), 'x'.repeat(100));
  fs.writeFileSync(path.join(dir, 'a/b/c/deep'), 'y'.repeat(50));
  fs.linkSync(path.join(dir, 'a/file'), path.join(dir, 'a/b/hardlink'));
  fs.symlinkSync('/etc', path.join(dir, 'a/etc-link'));
  fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd-link'));
  fs.mkdirSync(path.join(dir, 'empty'));
}

test('parseMountinfo unescapes paths and finds the fs type after the separator', () => {
  const text = '36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n' +
    '37 35 0:5 / /opt/x rw - tmpfs none rw\n';
  const e = parseMountinfo(text);
  assert.equal(e.length, 2);
  assert.deepEqual(
    { mountPoint: e[0].mountPoint, root: e[0].root, fsType: e[0].fsType, source: e[0].source, dev: e[0].dev },
    { mountPoint: '/mnt/with space', root: '/mnt1', fsType: 'ext3', source: '/dev/root', dev: '98:0' },
  );
  assert.equal(e[1].fsType, 'tmpfs');
});

test('mountsUnder matches the directory and below, not neighbours', () => {
  const dir = path.join(tmp, 'v');
  fs.mkdirSync(dir);
  const text = fakeMountinfo(dir, `${dir}/x/y`, `${dir}2`, `${dir}-other/z`, tmp);
  assert.deepEqual(mountsUnder(dir, text), [dir, `${dir}/x/y`]);
  assert.deepEqual(mountsUnder(dir, fakeMountinfo()), []);
});

test('removes a whole tree, never following symlinks, counting bytes once per inode', () => {
  const dir = path.join(tmp, 'v');
  populate(dir);
  const r = removeTreeNoCross(dir, fakeMountinfo());
  assert.equal(r.bytes, 150);
  assert.equal(fs.existsSync(dir), false);
  assert.ok(fs.existsSync('/etc/passwd'), 'symlink targets untouched');
});

test('a missing directory is not an error; a symlink is unlinked, not followed', () => {
  assert.deepEqual(removeTreeNoCross(path.join(tmp, 'nothing'), fakeMountinfo()), { bytes: 0 });
  const target = path.join(tmp, 'target');
  populate(target);
  fs.symlinkSync(target, path.join(tmp, 'link'));
  removeTreeNoCross(path.join(tmp, 'link'), fakeMountinfo());
  assert.equal(fs.existsSync(path.join(tmp, 'link')), false);
  assert.ok(fs.existsSync(path.join(target, 'a/file')));
});

test('refuses, deleting nothing, when mountinfo lists a mount under the directory', () => {
  const dir = path.join(tmp, 'v');
  populate(dir);
  for (const mp of [path.join(dir, 'a/b'), dir, path.join(dir, 'not/even/there')]) {
    assert.throws(() => removeTreeNoCross(dir, fakeMountinfo(mp)), (e: unknown) => {
      assert.ok(e instanceof MountedUnderError);
      assert.equal(e.message, `refusing to remove ${dir}: ${mp} is mounted under it`);
      assert.deepEqual(e.mountPoints, [mp]);
      return true;
    });
    assert.equal(fs.readFileSync(path.join(dir, 'a/file'), 'utf8').length, 100);
    assert.ok(fs.existsSync(path.join(dir, 'a/b/c/deep')));
  }
});

test('the mountinfo check sees through a symlinked path to the directory', () => {
  const real = path.join(tmp, 'real');
  fs.mkdirSync(path.join(real, 'v'), { recursive: true });
  fs.symlinkSync(real, path.join(tmp, 'alias'));
  assert.throws(() => removeTreeNoCross(path.join(tmp, 'alias/v'), fakeMountinfo(path.join(real, 'v/m'))), MountedUnderError);
  assert.ok(fs.existsSync(path.join(real, 'v')));
});

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', 'none', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmdirSync(probe);
  }
}

test('root: a real tmpfs mount under the directory is never entered (mountinfo, then st_dev)', { skip: !canMount() && 'needs root and mount(8)' }, () => {
  const dir = path.join(tmp, 'v');
  populate(dir);
  const mnt = path.join(dir, 'a/b/mnt');
  fs.mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', 'none', mnt]);
  try {
    fs.writeFileSync(path.join(mnt, 'precious'), 'keep me');
    fs.mkdirSync(path.join(mnt, 'sub'));
    fs.writeFileSync(path.join(mnt, 'sub/more'), 'keep me too');

    // 1. The real mount table shows it: nothing is deleted at all.
    assert.throws(() => removeTreeNoCross(dir), (e: unknown) => e instanceof MountedUnderError && /is mounted under it/.test(e.message));
    assert.ok(fs.existsSync(path.join(dir, 'a/file')));

    // 2. A mount table that does not show it (another namespace's view): st_dev stops the walk
    //    at the mount; everything else goes, the mounted file system is untouched.
    assert.throws(
      () => removeTreeNoCross(dir, fakeMountinfo()),
      (e: unknown) => e instanceof MountedUnderError && e.message === `refusing to remove ${dir}: ${mnt} is on another file system`,
    );
    assert.equal(fs.readFileSync(path.join(mnt, 'precious'), 'utf8'), 'keep me');
    assert.equal(fs.readFileSync(path.join(mnt, 'sub/more'), 'utf8'), 'keep me too');
    assert.equal(fs.existsSync(path.join(dir, 'a/file')), false);
    assert.equal(fs.existsSync(path.join(dir, 'a/b/c')), false);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'a/b')), ['mnt']);
  } finally {
    execFileSync('umount', [mnt]);
  }
  // Once unmounted, the rest goes.
  removeTreeNoCross(dir);
  assert.equal(fs.existsSync(dir), false);
});
