import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tarStream from 'tar-stream';
import { extractTar, extractTarSync, LayerError, cleanName } from '../../../src/image/extract';
import { fsx, Fsx, S_IFCHR } from '../../../src/sys/fsx';

const isRoot = process.getuid?.() === 0;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'extract-test-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

type E = Partial<tarStream.Header> & { name: string } & { data?: Buffer | string };

/** Packs with tar-stream, which writes whatever names it is given (hostile ones included). */
async function pack(entries: E[]): Promise<Buffer> {
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const { data, ...h } of entries) {
    const body = typeof data === 'string' ? Buffer.from(data) : (data ?? Buffer.alloc(0));
    await new Promise<void>((res, rej) => p.entry({ mtime: new Date(1_600_000_000_000), ...h }, body, (e) => (e ? rej(e) : res())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

let n = 0;
/** A fresh case dir: <case>/layer is extracted into, <case>/outside must stay untouched. */
function freshCase(): { dir: string; layer: string; outside: string } {
  const dir = path.join(work, `case-${n++}`);
  const layer = path.join(dir, 'layer');
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(layer, { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'sentinel'), 'untouched');
  return { dir, layer, outside };
}

/** Every path under `dir`, relative. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}

function assertOutsideUntouched(c: { dir: string; outside: string }): void {
  assert.deepEqual(fs.readdirSync(c.dir).sort(), ['layer', 'outside']);
  assert.deepEqual(fs.readdirSync(c.outside), ['sentinel']);
  assert.equal(fs.readFileSync(path.join(c.outside, 'sentinel'), 'utf8'), 'untouched');
}

async function extract(buf: Buffer, layer: string, opts = {}): Promise<unknown> {
  // feed in small chunks to exercise the streaming path
  async function* chunks() {
    for (let i = 0; i < buf.length; i += 700) yield buf.subarray(i, i + 700);
  }
  return extractTar(chunks(), layer, opts);
}

test('cleanName: relative climbs are rejected, absolute names are clamped', () => {
  assert.deepEqual(cleanName('./a/b/../c/'), ['a', 'c']);
  assert.deepEqual(cleanName('/abs/x'), ['abs', 'x']);
  assert.deepEqual(cleanName('/../../etc/x'), ['etc', 'x']);
  assert.deepEqual(cleanName('./'), []);
  assert.throws(() => cleanName('../escape'), LayerError);
  assert.throws(() => cleanName('a/../../escape'), LayerError);
});

test('extracts files, dirs, links, modes and times', async () => {
  const c = freshCase();
  const uid = isRoot ? 1234 : process.getuid!();
  const buf = await pack([
    { name: './', type: 'directory', mode: 0o755 },
    { name: 'bin/', type: 'directory', mode: 0o750, uid, gid: uid },
    { name: 'bin/tool', type: 'file', mode: 0o4755, uid, gid: uid, data: 'payload' },
    { name: 'bin/alias', type: 'link', linkname: 'bin/tool' },
    { name: 'bin/sym', type: 'symlink', linkname: '/bin/tool' },
    { name: 'deep/implied/file', type: 'file', mode: 0o600, data: 'x' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
  ]);
  const res = await extract(buf, c.layer);
  assert.deepEqual(res, { size: 8, entries: 6 });
  const st = fs.statSync(path.join(c.layer, 'bin/tool'));
  assert.equal(fs.readFileSync(path.join(c.layer, 'bin/tool'), 'utf8'), 'payload');
  assert.equal(st.mode & 0o7777, 0o4755, 'setuid kept (chmod after chown)');
  assert.equal(st.mtimeMs, 1_600_000_000_000);
  if (isRoot) assert.equal(st.uid, 1234);
  assert.equal(fs.statSync(path.join(c.layer, 'bin/alias')).ino, st.ino);
  assert.equal(fs.readlinkSync(path.join(c.layer, 'bin/sym')), '/bin/tool');
  assert.equal(fs.lstatSync(path.join(c.layer, 'bin/sym')).mtimeMs, 1_600_000_000_000);
  assert.equal(fs.statSync(path.join(c.layer, 'bin')).mode & 0o7777, 0o750);
  assert.equal(fs.statSync(path.join(c.layer, 'bin')).mtimeMs, 1_600_000_000_000, 'dir times set after children');
  assert.equal(fs.statSync(path.join(c.layer, 'tmp')).mode & 0o7777, 0o1777);
  assert.equal(fs.statSync(path.join(c.layer, 'deep/implied')).mode & 0o7777, 0o755);
  assertOutsideUntouched(c);
});

test('a relative name climbing out (../escape) rejects the archive; nothing lands outside', async () => {
  for (const name of ['../escape', '../outside/sentinel', 'a/../../escape', './../../escape']) {
    const c = freshCase();
    const buf = await pack([{ name, type: 'file', data: 'evil' }]);
    await assert.rejects(extract(buf, c.layer), LayerError, name);
    assertOutsideUntouched(c);
  }
});

test('an absolute name (/abs) is clamped inside the layer', async () => {
  const c = freshCase();
  const unique = `mydocker-abs-${crypto.randomBytes(6).toString('hex')}`;
  const buf = await pack([
    { name: `/tmp/${unique}`, type: 'file', data: 'x' },
    { name: `/../../${unique}`, type: 'file', data: 'y' },
  ]);
  await extract(buf, c.layer);
  assert.ok(!fs.existsSync(`/tmp/${unique}`));
  assert.ok(!fs.existsSync(`/${unique}`));
  assert.deepEqual(tree(c.layer), [unique, 'tmp', `tmp/${unique}`]);
  assertOutsideUntouched(c);
});

test('a symlink to / (or ../..) is never followed out of the layer: evil -> / then evil/...', async () => {
  const unique = `mydocker-evil-${crypto.randomBytes(6).toString('hex')}`;
  const variants: E[][] = [
    [
      { name: 'evil', type: 'symlink', linkname: '/' },
      { name: `evil/tmp/${unique}`, type: 'file', data: 'pwned' },
    ],
    [
      { name: 'evil', type: 'symlink', linkname: '../../../../../../..' },
      { name: `evil/tmp/${unique}`, type: 'file', data: 'pwned' },
    ],
    [
      // a chain of links, the last one absolute
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: '/..' },
      { name: `a/tmp/${unique}`, type: 'file', data: 'pwned' },
    ],
    [
      { name: 'evil', type: 'symlink', linkname: '/tmp' },
      { name: `evil/${unique}/`, type: 'directory' },
      { name: `evil/${unique}/f`, type: 'symlink', linkname: '/etc/passwd' },
    ],
  ];
  for (const entries of variants) {
    const c = freshCase();
    await extract(await pack(entries), c.layer);
    assert.ok(!fs.existsSync(`/tmp/${unique}`), 'nothing written on the host');
    // re-rooted, as in a chroot: the entry lands inside the layer
    assert.ok(fs.existsSync(path.join(c.layer, 'tmp', unique)), JSON.stringify(tree(c.layer)));
    assertOutsideUntouched(c);
  }
});

test('a symlink pointing outside, relative to the layer: link -> ../outside, then link/x', async () => {
  const c = freshCase();
  await extract(
    await pack([
      { name: 'link', type: 'symlink', linkname: '../outside' },
      { name: 'link/sentinel', type: 'file', data: 'overwritten?' },
      { name: 'link/new', type: 'file', data: 'new?' },
    ]),
    c.layer,
  );
  assertOutsideUntouched(c);
  assert.equal(fs.readFileSync(path.join(c.layer, 'outside/sentinel'), 'utf8'), 'overwritten?');
});

test('an existing symlink at the last component is replaced, not written through', async () => {
  const c = freshCase();
  const target = path.join(c.outside, 'sentinel');
  await extract(
    await pack([
      { name: 'f', type: 'symlink', linkname: target },
      { name: 'f', type: 'file', data: 'replaced' },
      { name: 'd', type: 'symlink', linkname: c.outside },
      { name: 'd/', type: 'directory', mode: 0o700 },
    ]),
    c.layer,
  );
  assert.ok(fs.lstatSync(path.join(c.layer, 'f')).isFile());
  assert.equal(fs.readFileSync(path.join(c.layer, 'f'), 'utf8'), 'replaced');
  assert.ok(fs.lstatSync(path.join(c.layer, 'd')).isDirectory());
  assert.equal(fs.statSync(c.outside).mode & 0o777, 0o755, 'outside dir mode untouched');
  assertOutsideUntouched(c);
});

test('hard links only to entries inside the layer (/etc/passwd)', async () => {
  const before = fs.statSync('/etc/passwd');
  const passwd = fs.readFileSync('/etc/passwd');

  // the layer has no etc/passwd: the link target, taken inside the layer, does not exist
  const c1 = freshCase();
  await assert.rejects(extract(await pack([{ name: 'pw', type: 'link', linkname: '/etc/passwd' }]), c1.layer), LayerError);
  assertOutsideUntouched(c1);

  // relative climb in the link target
  const c2 = freshCase();
  await assert.rejects(
    extract(await pack([{ name: 'pw', type: 'link', linkname: '../../../../../../etc/passwd' }]), c2.layer),
    LayerError,
  );
  assertOutsideUntouched(c2);

  // through a symlink to /: resolved inside the layer, where it does not exist
  const c3 = freshCase();
  await assert.rejects(
    extract(
      await pack([
        { name: 'root', type: 'symlink', linkname: '/' },
        { name: 'pw', type: 'link', linkname: 'root/etc/passwd' },
      ]),
      c3.layer,
    ),
    LayerError,
  );

  // the layer's own etc/passwd: the link is to that one
  const c4 = freshCase();
  await extract(
    await pack([
      { name: 'etc/passwd', type: 'file', data: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'pw', type: 'link', linkname: '/etc/passwd' },
    ]),
    c4.layer,
  );
  const pw = fs.statSync(path.join(c4.layer, 'pw'));
  assert.equal(pw.ino, fs.statSync(path.join(c4.layer, 'etc/passwd')).ino);
  assert.notEqual(pw.ino, before.ino);

  const afterSt = fs.statSync('/etc/passwd');
  assert.equal(afterSt.nlink, before.nlink, 'no new link to the host file');
  assert.deepEqual(fs.readFileSync('/etc/passwd'), passwd);
  assert.equal(afterSt.mtimeMs, before.mtimeMs);
});

test('a directory replacing a symlink keeps times set through no symlink', async () => {
  // dir a/b gets times recorded, then a is replaced by a symlink to outside:
  // setting a/b's times at the end must not touch outside/b
  const c = freshCase();
  fs.mkdirSync(path.join(c.outside, 'b'));
  const t0 = fs.statSync(path.join(c.outside, 'b')).mtimeMs;
  await extract(
    await pack([
      { name: 'a/', type: 'directory' },
      { name: 'a/b/', type: 'directory', mtime: new Date(1000) },
      { name: 'a', type: 'symlink', linkname: c.outside },
    ]),
    c.layer,
  );
  assert.equal(fs.statSync(path.join(c.outside, 'b')).mtimeMs, t0);
  fs.rmdirSync(path.join(c.outside, 'b'));
  assertOutsideUntouched(c);
});

test('whiteouts and devices go through fsx (fake, no root needed)', async () => {
  const calls: string[] = [];
  const fake: Fsx = {
    mknod: (p, mode, ma, mi) => {
      calls.push(`mknod ${path.basename(p)} ${mode.toString(8)} ${ma}:${mi}`);
      fs.writeFileSync(p, ''); // stands in for the node
    },
    lsetxattr: (p, name, v) => void calls.push(`xattr ${path.basename(p)} ${name}=${v.toString()}`),
    lgetxattr: () => undefined,
    flock: () => undefined,
  };
  const c = freshCase();
  await extract(
    await pack([
      { name: 'dir/', type: 'directory' },
      { name: 'dir/.wh..wh..opq', type: 'file' },
      { name: 'dir/keep', type: 'file', data: 'k' },
      { name: '.wh.gone', type: 'file' },
      { name: 'dir/.wh..wh.plnk', type: 'file' },
      { name: 'null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'p', type: 'fifo', mode: 0o600 },
    ]),
    c.layer,
    { fsx: fake, chown: false },
  );
  assert.deepEqual(calls, [
    'xattr dir trusted.overlay.opaque=y',
    'mknod gone 20000 0:0',
    'mknod null 20666 1:3',
    'mknod p 10600 0:0',
  ]);
  assert.ok(!fs.existsSync(path.join(c.layer, '.wh.gone')));
  assert.ok(!fs.existsSync(path.join(c.layer, 'dir/.wh..wh..opq')));
  assert.ok(!fs.existsSync(path.join(c.layer, 'dir/.wh..wh.plnk')));
});

test('whiteouts become overlay whiteouts and opaque dirs (root)', { skip: !isRoot && 'needs root' }, async () => {
  const c = freshCase();
  await extract(
    await pack([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.removed', type: 'file', uid: 7, gid: 8 },
      { name: 'opaque/', type: 'directory' },
      { name: 'opaque/.wh..wh..opq', type: 'file' },
      { name: 'opaque/new', type: 'file', data: 'n' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 },
      { name: 'fifo', type: 'fifo', mode: 0o640 },
    ]),
    c.layer,
  );
  const wh = fs.lstatSync(path.join(c.layer, 'etc/removed'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.equal(wh.uid, 7);
  assert.ok(!fs.existsSync(path.join(c.layer, 'etc/.wh.removed')));
  assert.equal(fsx.lgetxattr(path.join(c.layer, 'opaque'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(fsx.lgetxattr(path.join(c.layer, 'etc'), 'trusted.overlay.opaque'), undefined);
  assert.ok(!fs.existsSync(path.join(c.layer, 'opaque/.wh..wh..opq')));
  const dn = fs.lstatSync(path.join(c.layer, 'dev/null'));
  assert.ok(dn.isCharacterDevice());
  assert.equal(dn.rdev, (1 << 8) | 3);
  assert.equal(dn.mode & 0o777, 0o666);
  const sda = fs.lstatSync(path.join(c.layer, 'dev/sda'));
  assert.ok(sda.isBlockDevice());
  assert.equal(sda.rdev, 8 << 8);
  assert.ok(fs.lstatSync(path.join(c.layer, 'fifo')).isFIFO());
  assert.equal(fs.lstatSync(path.join(c.layer, 'fifo')).mode & 0o777, 0o640);
  assert.equal(wh.mode & S_IFCHR, S_IFCHR);
});

test('xattrs from PAX headers: user.* and security.* kept, trusted.* never', { skip: !isRoot && 'needs root' }, async () => {
  const c = freshCase();
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const ch of p) chunks.push(ch as Buffer);
  })();
  p.entry(
    {
      name: 'f',
      type: 'file',
      pax: { 'SCHILY.xattr.user.note': 'hello', 'SCHILY.xattr.trusted.overlay.opaque': 'y' },
    } as Partial<tarStream.Header> & { name: string },
    Buffer.from('data'),
  );
  p.finalize();
  await done;
  extractTarSync(Buffer.concat(chunks), c.layer);
  assert.equal(fs.readFileSync(path.join(c.layer, 'f'), 'utf8'), 'data');
  let userXattr: string | undefined;
  try {
    userXattr = fsx.lgetxattr(path.join(c.layer, 'f'), 'user.note')?.toString();
  } catch {
    /* file system without user xattrs */
  }
  if (userXattr !== undefined) assert.equal(userXattr, 'hello');
  assert.equal(fsx.lgetxattr(path.join(c.layer, 'f'), 'trusted.overlay.opaque'), undefined);
});

test('a file replacing a directory, a directory kept under a directory entry', async () => {
  const c = freshCase();
  await extract(
    await pack([
      { name: 'x/', type: 'directory' },
      { name: 'x/child', type: 'file', data: 'c' },
      { name: 'x', type: 'file', data: 'now a file' },
      { name: 'y/', type: 'directory', mode: 0o700 },
      { name: 'y/kept', type: 'file', data: 'k' },
      { name: 'y/', type: 'directory', mode: 0o711 },
    ]),
    c.layer,
  );
  assert.equal(fs.readFileSync(path.join(c.layer, 'x'), 'utf8'), 'now a file');
  assert.equal(fs.readFileSync(path.join(c.layer, 'y/kept'), 'utf8'), 'k');
  assert.equal(fs.statSync(path.join(c.layer, 'y')).mode & 0o777, 0o711);
});

test('a truncated archive fails and leaves no open file', async () => {
  const c = freshCase();
  const buf = await pack([{ name: 'big', type: 'file', data: Buffer.alloc(5000, 1) }]);
  const fdsBefore = fs.readdirSync('/proc/self/fd').length;
  await assert.rejects(extract(buf.subarray(0, 2000), c.layer), LayerError);
  assert.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore);
  assertOutsideUntouched(c);
});
