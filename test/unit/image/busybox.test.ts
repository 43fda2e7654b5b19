import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  assertStaticElf,
  BUSYBOX_REF,
  DEFAULT_BUSYBOX_PATH,
  ensureBusybox,
  imageArchitecture,
  isBuiltinBusybox,
} from '../../../src/image/busybox';
import { ImageStore } from '../../../src/image/store';
import { paths } from '../../../src/state/paths';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'busybox-test-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function hostBusyboxProblem(): string | undefined {
  try {
    assertStaticElf(DEFAULT_BUSYBOX_PATH);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
const noBusybox = hostBusyboxProblem();

/** Resolves a path inside `root` as the container would see it (symlinks re-rooted). */
function resolveIn(root: string, p: string): string {
  let cur: string[] = [];
  const queue = p.split('/').filter(Boolean);
  for (let hops = 0; queue.length > 0; ) {
    const c = queue.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      cur.pop();
      continue;
    }
    const host = path.join(root, ...cur, c);
    const st = fs.lstatSync(host);
    if (st.isSymbolicLink()) {
      assert.ok(++hops < 40);
      const t = fs.readlinkSync(host);
      if (t.startsWith('/')) cur = [];
      queue.unshift(...t.split('/').filter(Boolean));
    } else {
      cur.push(c);
    }
  }
  return path.join(root, ...cur);
}

test('creates busybox:latest from the host busybox, then finds it', { skip: noBusybox }, () => {
  const p = paths(path.join(work, 'root-a'));
  const store = new ImageStore(p);
  assert.equal(store.lookup(BUSYBOX_REF), undefined);
  const img = ensureBusybox(store, p);

  assert.deepEqual(img.repoTags, ['busybox:latest']);
  assert.equal(img.config.os, 'linux');
  assert.equal(img.config.architecture, imageArchitecture());
  assert.deepEqual(img.config.config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  assert.deepEqual(img.config.config.Cmd, ['sh']);
  assert.equal(img.config.rootfs.diff_ids.length, 1);
  assert.ok(img.config.created && !Number.isNaN(Date.parse(img.config.created)));
  assert.ok((img.config.history ?? []).length >= 1);
  assert.equal(img.layerDirs.length, 1);

  const layer = img.layerDirs[0];
  const busybox = fs.statSync(path.join(layer, 'bin/busybox'));
  for (const cmd of ['sh', 'ls', 'cat', 'echo', 'true']) {
    const resolved = resolveIn(layer, `/bin/${cmd}`);
    assert.equal(fs.statSync(resolved).ino, busybox.ino, `/bin/${cmd} is busybox`);
  }
  assert.deepEqual(fs.readFileSync(path.join(layer, 'bin/busybox')), fs.readFileSync(DEFAULT_BUSYBOX_PATH));
  assert.equal(busybox.mode & 0o777, 0o755);
  for (const d of ['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sys', 'tmp', 'usr', 'var']) {
    assert.ok(fs.lstatSync(path.join(layer, d)).isDirectory(), d);
  }
  assert.equal(fs.statSync(path.join(layer, 'tmp')).mode & 0o7777, 0o1777);
  const passwd = fs.readFileSync(path.join(layer, 'etc/passwd'), 'utf8');
  assert.match(passwd, /^root:x:0:0:root:\/root:\/bin\/sh$/m);
  assert.match(passwd, /^nobody:x:65534:65534:/m);
  assert.match(passwd, /^daemon:x:1:1:/m);
  const group = fs.readFileSync(path.join(layer, 'etc/group'), 'utf8');
  assert.match(group, /^root:x:0:/m);
  assert.match(group, /^nogroup:x:65534:/m);
  if (process.getuid?.() === 0) assert.equal(busybox.uid, 0);

  // second call: a lookup, same image, nothing new written
  const before = fs.readdirSync(p.layersDir).concat(fs.readdirSync(path.join(p.imageDir, 'configs')));
  const again = ensureBusybox(new ImageStore(p), p);
  assert.deepEqual(again, img);
  assert.deepEqual(fs.readdirSync(p.layersDir).concat(fs.readdirSync(path.join(p.imageDir, 'configs'))), before);
  assert.deepEqual(fs.readdirSync(p.tmpDir), []);
});

test('the same host busybox always gives the same image id', { skip: noBusybox }, () => {
  const pa = paths(path.join(work, 'root-b'));
  const pb = paths(path.join(work, 'root-c'));
  const a = ensureBusybox(new ImageStore(pa), pa);
  const b = ensureBusybox(new ImageStore(pb), pb);
  assert.equal(a.id, b.id);
  assert.deepEqual(a.config, b.config);
});

test('a dynamically linked or missing busybox is refused with the fix to apply', () => {
  const p = paths(path.join(work, 'root-d'));
  const store = new ImageStore(p);
  // the node binary is dynamically linked on Debian
  assert.throws(
    () => ensureBusybox(store, p, { busyboxPath: process.execPath }),
    /dynamically linked.*apt-get install busybox-static/,
  );
  assert.throws(() => ensureBusybox(store, p, { busyboxPath: path.join(work, 'nope') }), /missing.*busybox-static/);
  const notElf = path.join(work, 'script');
  fs.writeFileSync(notElf, '#!/bin/sh\necho hi\n', { mode: 0o755 });
  assert.throws(() => ensureBusybox(store, p, { busyboxPath: notElf }), /not an ELF/);
  assert.equal(store.lookup(BUSYBOX_REF), undefined);
  assert.ok(!fs.existsSync(p.layersDir) || fs.readdirSync(p.layersDir).length === 0);
});

test('names of the built-in image', () => {
  for (const r of ['busybox', 'busybox:latest', 'docker.io/library/busybox', 'library/busybox:latest']) {
    assert.ok(isBuiltinBusybox(r), r);
  }
  for (const r of ['busybox:1.36', 'foo/busybox', 'Busybox', '']) assert.ok(!isBuiltinBusybox(r), r);
  assert.equal(imageArchitecture('x64'), 'amd64');
  assert.equal(imageArchitecture('arm64'), 'arm64');
  assert.equal(imageArchitecture('ia32'), '386');
});
