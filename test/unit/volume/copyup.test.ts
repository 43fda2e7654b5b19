import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { copyUp } from '../../../src/volume/copyup';
import { LayeredRootfs } from '../../../src/volume/layers';
import { fsx, S_IFCHR } from '../../../src/sys/fsx';

const skip = process.getuid?.() !== 0 ? 'needs root (owners, devices, trusted xattrs)' : false;

let tmp: string;
let lower: string;
let upperLayer: string;
let vol: string;
let data: string;

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-copyup-')));
  lower = path.join(tmp, 'l1');
  upperLayer = path.join(tmp, 'l2');
  vol = path.join(tmp, 'vol');
  data = path.join(vol, '_data');
  for (const d of [lower, upperLayer, data]) fs.mkdirSync(d, { recursive: true });
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function srcDir(p: string) {
  const r = LayeredRootfs.fromLayers([lower, upperLayer]).resolve(p);
  assert.equal(r.kind, 'dir');
  if (r.kind !== 'dir') throw new Error('not a dir');
  return r;
}

describe('copy-up', { skip }, () => {
  test('modes, owners, xattrs, links, devices, times; whiteouts and hidden entries are not copied', () => {
    const d = path.join(lower, 'app');
    fs.mkdirSync(path.join(d, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(d, 'suid'), 'x');
    fs.chownSync(path.join(d, 'suid'), 1000, 100);
    fs.chmodSync(path.join(d, 'suid'), 0o4750);
    fs.linkSync(path.join(d, 'suid'), path.join(d, 'hard'));
    fs.symlinkSync('/etc/passwd', path.join(d, 'abs-link'));
    fs.lchownSync(path.join(d, 'abs-link'), 7, 8);
    fs.writeFileSync(path.join(d, 'sub', 'f'), 'in sub');
    fs.chmodSync(path.join(d, 'sub'), 0o700);
    fs.utimesSync(path.join(d, 'sub', 'f'), new Date(1e9 * 1000), new Date(1e9 * 1000));
    fsx.lsetxattr(path.join(d, 'sub', 'f'), 'user.note', 'kept');
    fsx.lsetxattr(path.join(d, 'sub', 'f'), 'trusted.overlay.origin', 'dropped');
    fsx.mknod(path.join(d, 'null'), S_IFCHR | 0o666, 1, 3);
    fs.writeFileSync(path.join(d, 'deleted'), 'hidden by a whiteout above');
    fs.mkdirSync(path.join(upperLayer, 'app'));
    // the merged directory's own attributes are the topmost layer's
    fs.chmodSync(path.join(upperLayer, 'app'), 0o1777);
    fs.chownSync(path.join(upperLayer, 'app'), 33, 33);
    fsx.mknod(path.join(upperLayer, 'app', 'deleted'), S_IFCHR, 0, 0);
    fs.writeFileSync(path.join(upperLayer, 'app', 'added'), 'from the upper layer');

    const r = srcDir('/app');
    assert.equal(copyUp(r.dir, r.st, data, vol), true);
    assert.deepEqual(fs.readdirSync(data).sort(), ['abs-link', 'added', 'hard', 'null', 'sub', 'suid']);
    const st = fs.statSync(path.join(data, 'suid'));
    assert.equal(st.mode & 0o7777, 0o4750);
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 100);
    assert.equal(fs.statSync(path.join(data, 'hard')).ino, st.ino, 'hard links stay links');
    assert.equal(fs.readlinkSync(path.join(data, 'abs-link')), '/etc/passwd');
    assert.equal(fs.lstatSync(path.join(data, 'abs-link')).uid, 7);
    assert.equal(fs.statSync(path.join(data, 'sub')).mode & 0o7777, 0o700);
    assert.equal(fs.statSync(path.join(data, 'sub', 'f')).mtimeMs, 1e12);
    assert.equal(fsx.lgetxattr(path.join(data, 'sub', 'f'), 'user.note')?.toString(), 'kept');
    assert.equal(fsx.lgetxattr(path.join(data, 'sub', 'f'), 'trusted.overlay.origin'), undefined);
    const nul = fs.statSync(path.join(data, 'null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, fs.statSync('/dev/null').rdev);
    const root = fs.statSync(data);
    assert.equal(root.mode & 0o7777, 0o1777, "the volume's root takes the directory's mode");
    assert.equal(root.uid, 33);
  });

  test('a volume that is not empty is never written to; an empty source copies nothing', () => {
    fs.mkdirSync(path.join(lower, 'etc'));
    fs.writeFileSync(path.join(lower, 'etc', 'passwd'), 'image');
    fs.writeFileSync(path.join(data, 'mine'), 'user data');
    const r = srcDir('/etc');
    assert.equal(copyUp(r.dir, r.st, data, vol), false);
    assert.deepEqual(fs.readdirSync(data), ['mine']);
    fs.rmSync(path.join(data, 'mine'));
    fs.mkdirSync(path.join(lower, 'empty'));
    const e = srcDir('/empty');
    assert.equal(copyUp(e.dir, e.st, data, vol), false);
    assert.deepEqual(fs.readdirSync(data), []);
  });
});
