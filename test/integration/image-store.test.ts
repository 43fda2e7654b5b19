/**
 * The image store against the real kernel and real concurrency: several processes creating
 * the built-in image at once on a fresh root, concurrent tag writers, overlay whiteouts
 * seen through a real overlay mount, and the busybox layer run with chroot.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ensureBusybox, assertStaticElf, DEFAULT_BUSYBOX_PATH } from '../../src/image/busybox';
import { ImageStore } from '../../src/image/store';
import { encodeTar } from '../../src/image/tar';
import { paths } from '../../src/state/paths';
import { BIN, SHIM, sandbox, mountsUnder } from '../helpers/harness';

const REPO = path.resolve(__dirname, '..', '..');
const isRoot = process.getuid?.() === 0;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'image-int-'));
after(() => {
  assert.deepEqual(mountsUnder(work), []);
  fs.rmSync(work, { recursive: true, force: true });
});

let noBusybox: string | undefined;
try {
  assertStaticElf(DEFAULT_BUSYBOX_PATH);
} catch (e) {
  noBusybox = (e as Error).message;
}

/** Runs `count` node processes executing `body` (TypeScript) at the same instant. */
async function race(count: number, body: string): Promise<Array<{ code: number | null; out: string; err: string }>> {
  const script = path.join(work, `race-${Math.random().toString(36).slice(2)}.ts`);
  fs.writeFileSync(
    script,
    `const startAt = Number(process.argv[2]);\n` +
      `const index = Number(process.argv[3]);\n` +
      `void index;\n` +
      `while (Date.now() < startAt) { /* spin: start all together */ }\n` +
      body,
  );
  const startAt = Date.now() + 1500;
  const runs = Array.from({ length: count }, (_, i) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, String(startAt), String(i)], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => resolve({ code, out, err }));
    }),
  );
  return Promise.all(runs);
}

test('processes creating busybox at once on a fresh root all succeed with one image', { skip: noBusybox }, async () => {
  const root = path.join(work, 'race-root');
  const results = await race(
    6,
    `import { ensureBusybox } from ${JSON.stringify(path.join(REPO, 'src/image/busybox'))};\n` +
      `import { ImageStore } from ${JSON.stringify(path.join(REPO, 'src/image/store'))};\n` +
      `import { paths } from ${JSON.stringify(path.join(REPO, 'src/state/paths'))};\n` +
      `const p = paths(${JSON.stringify(root)});\n` +
      `process.stdout.write(ensureBusybox(new ImageStore(p), p).id);\n`,
  );
  for (const r of results) assert.equal(r.code, 0, r.err);
  const ids = new Set(results.map((r) => r.out));
  assert.equal(ids.size, 1, [...ids].join(' '));
  const p = paths(root);
  assert.equal(fs.readdirSync(p.layersDir).length, 1);
  assert.deepEqual(fs.readdirSync(p.tmpDir), [], 'no staging left behind');
  const refs = JSON.parse(fs.readFileSync(path.join(p.imageDir, 'repositories.json'), 'utf8'));
  assert.deepEqual(refs, { 'busybox:latest': [...ids][0] });
  assert.equal(new ImageStore(p).lookup('busybox')?.id, [...ids][0]);
});

test('concurrent tag writers lose no update (flock on repositories.json)', async () => {
  const root = path.join(work, 'tag-root');
  const p = paths(root);
  const store = new ImageStore(p);
  const layer = store.addLayerSync(encodeTar([{ name: 'f', type: 'file', data: Buffer.from('x') }]));
  const img = store.createImage(
    { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layer.diffId] } },
    ['base'],
  );
  const results = await race(
    8,
    `import { ImageStore } from ${JSON.stringify(path.join(REPO, 'src/image/store'))};\n` +
      `import { paths } from ${JSON.stringify(path.join(REPO, 'src/state/paths'))};\n` +
      `const s = new ImageStore(paths(${JSON.stringify(root)}));\n` +
      `for (let i = 0; i < 20; i++) s.tag('base', 'w' + index + ':t' + i);\n`,
  );
  for (const r of results) assert.equal(r.code, 0, r.err);
  const tags = store.get('base').repoTags;
  assert.equal(tags.length, 1 + 8 * 20, 'every tag of every writer is there');
  assert.equal(store.lookup('w7:t19')?.id, img.id);
  assert.deepEqual(fs.readdirSync(p.tmpDir), []);
});

test('whiteouts and opaque dirs work in a real overlay mount', { skip: !isRoot && 'needs root' }, async () => {
  const p = paths(path.join(work, 'overlay-root'));
  const store = new ImageStore(p);
  const f = (name: string, data: string) => ({ name, type: 'file' as const, data: Buffer.from(data) });
  const l1 = await store.addLayer(
    Readable.from([
      encodeTar([f('keep', '1'), f('gone', '1'), f('dir/old', '1'), f('opq/old1', '1'), f('opq/old2', '1')]),
    ]),
  );
  const l2 = await store.addLayer(
    Readable.from([
      encodeTar([
        f('.wh.gone', ''),
        f('dir/.wh.old', ''),
        f('dir/new', '2'),
        { name: 'opq', type: 'directory' },
        f('opq/.wh..wh..opq', ''),
        f('opq/fresh', '2'),
      ]),
    ]),
    l1.chainId,
  );
  const img = store.createImage(
    { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [l1.diffId, l2.diffId] } },
    ['overlay-test'],
  );
  const merged = path.join(work, 'merged');
  fs.mkdirSync(merged);
  // lower dirs: uppermost first for overlayfs; the mount lives and dies in a private namespace
  const lower = [...img.layerDirs].reverse().join(':');
  const r = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t overlay overlay -o "lowerdir=$1" "$2" && cd "$2" && find . | sort',
      'sh',
      lower,
      merged,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['.', './dir', './dir/new', './keep', './opq', './opq/fresh']);
  assert.deepEqual(mountsUnder(merged), [], 'the mount never reached the host namespace');
});

test('the busybox layer runs: chroot into it and use sh', { skip: (!isRoot && 'needs root') || noBusybox }, () => {
  const p = paths(path.join(work, 'chroot-root'));
  const img = ensureBusybox(new ImageStore(p), p);
  const r = spawnSync('chroot', [img.layerDirs[0], '/bin/sh', '-c', 'echo "$0 $(id -u) $(ls /bin | wc -l)"; cat /etc/passwd | head -1', 'ok'], {
    encoding: 'utf8',
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  assert.equal(r.status, 0, r.stderr);
  const [first, second] = r.stdout.trim().split('\n');
  const [word, uid, count] = first.split(' ');
  assert.equal(word, 'ok');
  assert.equal(uid, '0');
  assert.ok(Number(count) > 100, `applets in /bin: ${count}`);
  assert.equal(second, 'root:x:0:0:root:/root:/bin/sh');
});

test('two `mydocker run` at once on a fresh root both succeed', { skip: (!fs.existsSync(BIN) || !fs.existsSync(SHIM) || !isRoot || noBusybox) && 'needs root, busybox and a built CLI' }, async () => {
  const sb = sandbox();
  try {
    const runs = [0, 1].map(
      () =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const c = sb.spawn(['run', '--rm', 'busybox', 'true']);
          let err = '';
          c.stderr!.on('data', (d) => (err += d));
          c.stdin!.end();
          c.on('close', (code) => resolve({ code, err }));
        }),
    );
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.code, 0, r.err);
    const p = paths(sb.root);
    assert.equal(fs.readdirSync(p.layersDir).length, 1);
    assert.equal(new ImageStore(p).list().length, 1);
  } finally {
    await sb.cleanup();
  }
});
