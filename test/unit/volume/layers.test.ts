import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { UsageError } from '../../../src/common/errors';
import { LayeredRootfs } from '../../../src/volume/layers';
import { fsx, S_IFCHR } from '../../../src/sys/fsx';

const isRoot = process.getuid?.() === 0;

let tmp: string;
let lower: string;
let middle: string;
let upper: string;
let opaque: Set<string>;

function mk(base: string, rel: string, content?: string): void {
  const p = path.join(base, rel);
  if (content === undefined) fs.mkdirSync(p, { recursive: true });
  else {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

function link(base: string, rel: string, target: string): void {
  fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
  fs.symlinkSync(target, path.join(base, rel));
}

function view(): LayeredRootfs {
  return LayeredRootfs.fromLayers([lower, middle], upper, { isOpaque: (d) => opaque.has(d) });
}

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-layers-')));
  lower = path.join(tmp, 'l1');
  middle = path.join(tmp, 'l2');
  upper = path.join(tmp, 'upper');
  for (const d of [lower, middle, upper]) fs.mkdirSync(d);
  opaque = new Set();
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('resolve', () => {
  test('a missing path, a directory, a file', () => {
    mk(lower, 'etc/passwd', 'root');
    const v = view();
    assert.deepEqual(v.resolve('/data/x'), { kind: 'missing', path: '/data/x' });
    const d = v.resolve('/etc');
    assert.equal(d.kind, 'dir');
    assert.equal(d.path, '/etc');
    const f = v.resolve('/etc/passwd');
    assert.equal(f.kind, 'file');
    assert.equal(f.kind === 'file' && f.host, path.join(lower, 'etc/passwd'));
    const nd = v.resolve('/etc/passwd/x');
    assert.equal(nd.kind, 'notdir');
  });

  test('absolute symbolic links are re-rooted, relative ones clamp `..` at the root', () => {
    mk(lower, 'etc/passwd', 'root');
    link(lower, 'evil', '/etc');
    link(lower, 'up', '../../../../tmp');
    link(lower, 'a/b/rel', '../../etc');
    const v = view();
    assert.equal(v.resolve('/evil/x').path, '/etc/x');
    assert.equal(v.resolve('/evil').path, '/etc');
    assert.equal(v.resolve('/up/y').path, '/tmp/y');
    assert.equal(v.resolve('/a/b/rel/passwd').path, '/etc/passwd');
    assert.equal(v.resolve('/../../etc/passwd').kind, 'file');
  });

  test('a symbolic link loop is refused', () => {
    link(lower, 'loop1', '/loop2');
    link(lower, 'loop2', '/loop1');
    assert.throws(() => view().resolve('/loop1/x'), UsageError);
  });

  test('upper layers win; directories merge', () => {
    mk(lower, 'm/a', 'lower');
    mk(middle, 'm/b', 'middle');
    mk(upper, 'm/a', 'upper');
    const r = view().resolve('/m');
    assert.equal(r.kind, 'dir');
    if (r.kind !== 'dir') return;
    assert.deepEqual(r.dir.list().map(([n]) => n), ['a', 'b']);
    const a = r.dir.lookup('a');
    assert.equal(a.kind === 'other' && fs.readFileSync(a.host, 'utf8'), 'upper');
  });

  test('a non-directory above hides a directory below, and the other way round', () => {
    mk(lower, 'x/inner', 'deep');
    mk(middle, 'x', 'file now');
    mk(lower, 'y', 'a file below');
    mk(middle, 'y/inner', 'dir above');
    const v = view();
    assert.equal(v.resolve('/x').kind, 'file');
    assert.equal(v.resolve('/x/inner').kind, 'notdir');
    const y = v.resolve('/y');
    assert.equal(y.kind, 'dir');
    assert.equal(y.kind === 'dir' && y.dir.members.length, 1);
  });

  test('an opaque directory hides the layers below it', () => {
    mk(lower, 'd/old', 'old');
    link(lower, 'd/link', '/etc');
    mk(middle, 'd/new', 'new');
    opaque.add(path.join(middle, 'd'));
    const v = view();
    const r = v.resolve('/d');
    assert.equal(r.kind, 'dir');
    if (r.kind !== 'dir') return;
    assert.deepEqual(r.dir.list().map(([n]) => n), ['new']);
    assert.equal(v.resolve('/d/old').kind, 'missing');
    // a symbolic link hidden by an opaque directory is not followed, even when resolving leniently
    assert.equal(v.resolve('/d/link/x', { symlinkOnlyOpacity: true }).path, '/d/link/x');
  });

  test('opacity is asked only when a lower layer matters', () => {
    mk(lower, 'etc/passwd', 'root');
    let asked = 0;
    const v = LayeredRootfs.fromLayers([lower], upper, {
      isOpaque: () => {
        asked++;
        return false;
      },
    });
    v.resolve('/etc/x');
    v.resolve('/data');
    assert.equal(asked, 0);
  });

  test('whiteouts (character devices 0/0) hide the name below', { skip: !isRoot && 'needs root for mknod' }, () => {
    mk(lower, 'gone/file', 'x');
    mk(lower, 'keep/file', 'x');
    link(lower, 'wlink', '/etc');
    fs.mkdirSync(path.join(middle, 'keep'));
    fsx.mknod(path.join(middle, 'gone'), S_IFCHR | 0o000, 0, 0);
    fsx.mknod(path.join(middle, 'keep', 'file'), S_IFCHR | 0o000, 0, 0);
    fsx.mknod(path.join(upper, 'wlink'), S_IFCHR | 0o000, 0, 0);
    const v = view();
    assert.equal(v.resolve('/gone').kind, 'missing');
    assert.equal(v.resolve('/gone/file').kind, 'missing');
    assert.equal(v.resolve('/wlink/x').path, '/wlink/x');
    const keep = v.resolve('/keep');
    assert.equal(keep.kind === 'dir' && keep.dir.isEmpty(), true);
  });

  test('stopAt: resolution stops at another mount point', () => {
    link(lower, 'l', '/m/sub');
    mk(lower, 'm/sub/deeper');
    const v = view();
    assert.deepEqual(v.resolve('/l/x', { stopAt: new Set(['/m']) }), { kind: 'under', path: '/m/sub/x', mountPoint: '/m' });
    assert.equal(v.resolve('/m', { stopAt: new Set(['/m']) }).kind, 'dir');
  });
});
