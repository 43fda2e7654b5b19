import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { NotFoundError, UsageError } from '../../../src/common/errors';
import { LayerError } from '../../../src/image/extract';
import { chainId, chainIds, ImageStore, StoreError } from '../../../src/image/store';
import { encodeTar, TarEntryInput } from '../../../src/image/tar';
import type { ImageConfigBlob } from '../../../src/image/types';
import { paths } from '../../../src/state/paths';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
let n = 0;
function freshStore(): ImageStore {
  return new ImageStore(paths(path.join(work, `root-${n++}`)));
}

const sha = (b: Buffer | string) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

function layerTar(files: Record<string, string>, extra: TarEntryInput[] = []): Buffer {
  return encodeTar([
    ...Object.entries(files).map(([name, data]) => ({ name, type: 'file' as const, data: Buffer.from(data), mtime: 1 })),
    ...extra,
  ]);
}

function config(diffIds: string[], extra: Partial<ImageConfigBlob> = {}): ImageConfigBlob {
  return {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    ...extra,
  };
}

test('chain ids follow the OCI definition', () => {
  const a = sha('a');
  const b = sha('b');
  const c = sha('c');
  assert.equal(chainId(undefined, a), a);
  const ab = sha(`${a} ${b}`);
  assert.equal(chainId(a, b), ab);
  assert.deepEqual(chainIds([a, b, c]), [a, ab, sha(`${ab} ${c}`)]);
  assert.deepEqual(chainIds([]), []);
});

test('round trip: layers, image, lookup by name, id, prefix; list', async () => {
  const store = freshStore();
  const p = store.paths;
  const t1 = layerTar({ 'etc/os-release': 'base\n', 'bin/x': 'x' });
  const t2 = layerTar({ 'app/main': 'app\n' });

  const l1 = await store.addLayer(Readable.from([t1.subarray(0, 100), t1.subarray(100)]));
  assert.equal(l1.diffId, sha(t1), 'diff id is the sha256 of the uncompressed tar');
  assert.equal(l1.chainId, l1.diffId);
  assert.equal(l1.dir, path.join(p.layersDir, l1.chainId.slice(7), 'diff'));
  assert.equal(l1.size, 'base\n'.length + 1);
  assert.equal(fs.readFileSync(path.join(l1.dir, 'etc/os-release'), 'utf8'), 'base\n');

  const l2 = await store.addLayer(Readable.from([t2]), l1.chainId);
  assert.equal(l2.diffId, sha(t2));
  assert.equal(l2.chainId, chainId(l1.chainId, l2.diffId));
  assert.equal(l2.parent, l1.chainId);
  const meta = JSON.parse(fs.readFileSync(path.join(p.layersDir, l2.chainId.slice(7), 'meta.json'), 'utf8'));
  assert.deepEqual(meta, { chainId: l2.chainId, diffId: l2.diffId, parent: l1.chainId, size: 4 });
  assert.deepEqual(store.getLayer(l2.chainId), l2);

  const cfg = config([l1.diffId, l2.diffId], { config: { Env: ['A=1'], Cmd: ['/app/main'] } });
  const img = store.createImage(cfg, ['app', 'localhost:5000/team/app:v1']);
  const blob = fs.readFileSync(path.join(p.imageDir, 'configs', `${img.id.slice(7)}.json`));
  assert.equal(img.id, sha(blob), 'id is the sha256 of the stored blob');
  assert.deepEqual(JSON.parse(blob.toString()), cfg);
  assert.deepEqual(img.repoTags, ['app:latest', 'localhost:5000/team/app:v1']);
  assert.deepEqual(img.layerDirs, [l1.dir, l2.dir]);
  assert.ok(img.layerDirs.every((d) => path.isAbsolute(d)));

  const refs = JSON.parse(fs.readFileSync(path.join(p.imageDir, 'repositories.json'), 'utf8'));
  assert.deepEqual(refs, { 'app:latest': img.id, 'localhost:5000/team/app:v1': img.id });

  const fresh = new ImageStore(p);
  for (const ref of [
    'app',
    'app:latest',
    'docker.io/library/app',
    'localhost:5000/team/app:v1',
    img.id,
    img.id.slice(7),
    img.id.slice(7, 19),
    img.id.slice(0, 12),
  ]) {
    assert.deepEqual(fresh.lookup(ref), img, ref);
  }
  assert.equal(fresh.lookup('app:v2'), undefined);
  assert.equal(fresh.lookup('other'), undefined);
  assert.throws(() => fresh.lookup('App'), /must be lowercase/);
  assert.throws(() => fresh.get('nope'), (e: unknown) => e instanceof NotFoundError && e.message === 'No such image: nope');

  // a second image on the same base shares its layer dir
  const img2 = store.createImage(config([l1.diffId], { created: '2025-01-01T00:00:00Z' }), ['base:1']);
  assert.deepEqual(img2.layerDirs, [l1.dir]);
  assert.deepEqual(
    fresh.list().map((i) => [i.id, i.repoTags]),
    [
      [img2.id, ['base:1']],
      [img.id, ['app:latest', 'localhost:5000/team/app:v1']],
    ],
  );
  assert.deepEqual(fresh.configBlob(img.id), blob);
});

test('id prefixes: ambiguous or absent give undefined; names win over prefixes', async () => {
  const store = freshStore();
  const l = await store.addLayer(Readable.from([layerTar({ f: '1' })]));
  // 40 images in 16 buckets of first hex digit: some bucket holds two (pigeonhole)
  const byFirst = new Map<string, string[]>();
  for (let i = 0; i < 40; i++) {
    const img = store.createImage(config([l.diffId], { history: [{ comment: String(i) }] }), []);
    byFirst.set(img.id[7], [...(byFirst.get(img.id[7]) ?? []), img.id]);
  }
  const ids = [...byFirst.values()].find((v) => v.length >= 2)!;
  assert.equal(store.lookup(ids[0][7]), undefined, 'ambiguous');
  assert.equal(store.lookup(ids[0].slice(7, 71))?.id, ids[0]);
  assert.equal(store.lookup('sha256:' + ids[1].slice(7, 20))?.id, ids[1]);
  // a tag named like a prefix wins
  store.tag(ids[1], ids[0].slice(7, 12));
  assert.equal(store.lookup(ids[0].slice(7, 12))?.id, ids[1]);
  assert.ok(store.list().every((i) => i.repoTags.length <= 1));
});

test('an identical layer is reused; gzip is accepted with the same diff id', async () => {
  const store = freshStore();
  const t = layerTar({ 'a/b': 'same' });
  const l1 = await store.addLayer(Readable.from([t]));
  const l2 = await store.addLayer(Readable.from([zlib.gzipSync(t)]));
  const l3 = store.addLayerSync(zlib.gzipSync(t));
  const l4 = store.addLayerSync(t);
  assert.deepEqual(l2, l1);
  assert.deepEqual(l3, l1);
  assert.deepEqual(l4, l1);
  assert.deepEqual(fs.readdirSync(store.paths.layersDir), [l1.chainId.slice(7)]);
  assert.deepEqual(fs.readdirSync(store.paths.tmpDir), [], 'no staging left');
  // bytes after the end-of-archive marker are part of the diff id (the whole stream is hashed)
  const padded = Buffer.concat([t, Buffer.alloc(10240)]);
  const l5 = await store.addLayer(Readable.from([padded]));
  assert.equal(l5.diffId, sha(padded));
});

test('bad input changes nothing: hostile layer, missing parent, missing layer, bad tag', async () => {
  const store = freshStore();
  const p = store.paths;
  await assert.rejects(store.addLayer(Readable.from([layerTar({ '../escape': 'x' })])), LayerError);
  assert.ok(!fs.existsSync(path.join(p.root, 'escape')));
  assert.deepEqual(fs.readdirSync(p.tmpDir), []);
  assert.deepEqual(fs.readdirSync(p.layersDir), []);
  await assert.rejects(store.addLayer(Readable.from([layerTar({ a: 'x' })]), sha('nope')), NotFoundError);
  await assert.rejects(
    store.addLayer(
      (async function* () {
        yield layerTar({ a: 'x' }).subarray(0, 600);
        throw new Error('network gone');
      })(),
    ),
    /network gone/,
  );
  assert.deepEqual(fs.readdirSync(p.tmpDir), []);

  assert.throws(() => store.createImage(config([sha('missing')]), ['x']), NotFoundError);
  const l = await store.addLayer(Readable.from([layerTar({ a: 'x' })]));
  assert.throws(() => store.createImage(config([l.diffId]), ['Bad']), UsageError);
  assert.throws(() => store.createImageFromBlob(Buffer.from('{not json'), []), UsageError);
  assert.throws(() => store.createImageFromBlob(Buffer.from('{"rootfs":{"diff_ids":["x"]}}'), []), UsageError);
  assert.ok(!fs.existsSync(path.join(p.imageDir, 'configs')) || fs.readdirSync(path.join(p.imageDir, 'configs')).length === 0);
  assert.ok(!fs.existsSync(path.join(p.imageDir, 'repositories.json')));
});

test('createImageFromBlob keeps the bytes exactly', async () => {
  const store = freshStore();
  const l = await store.addLayer(Readable.from([layerTar({ a: 'x' })]));
  const raw = Buffer.from(`{ "os":"linux",  "architecture":"arm64", "config":{}, "rootfs":{"type":"layers","diff_ids":["${l.diffId}"]} }\n`);
  const img = store.createImageFromBlob(raw, ['exact']);
  assert.equal(img.id, sha(raw));
  assert.deepEqual(store.configBlob(img.id), raw);
  assert.equal(img.config.architecture, 'arm64');
});

test('tag and untag', async () => {
  const store = freshStore();
  const l = await store.addLayer(Readable.from([layerTar({ a: 'x' })]));
  const img = store.createImage(config([l.diffId]), ['one']);
  store.tag('one', 'two:v2');
  store.tag(img.id.slice(7, 20), 'registry.example.com/three');
  assert.deepEqual(store.get('one').repoTags, ['one:latest', 'registry.example.com/three:latest', 'two:v2']);
  assert.throws(() => store.tag('missing', 'x'), NotFoundError);
  assert.throws(() => store.tag('one', 'Bad'), UsageError);
  assert.throws(() => store.tag('one', `x@sha256:${'a'.repeat(64)}`), /digest/);
  assert.throws(() => store.tag('one', 'a'.repeat(64)), /64-byte hexadecimal/);

  assert.equal(store.untag('two:v2'), img.id);
  assert.equal(store.lookup('two:v2'), undefined);
  assert.throws(() => store.untag('two:v2'), (e: unknown) => e instanceof NotFoundError && e.message === 'No such image: two:v2');
  store.untag('one');
  store.untag('registry.example.com/three');
  // untagged (dangling) image still there by id
  assert.deepEqual(store.lookup(img.id)?.repoTags, []);
  assert.equal(store.list().length, 1);
});

test('a missing layer dir is reported as a damaged store', async () => {
  const store = freshStore();
  const l = await store.addLayer(Readable.from([layerTar({ a: 'x' })]));
  store.createImage(config([l.diffId]), ['img']);
  fs.rmSync(path.dirname(l.dir), { recursive: true });
  assert.throws(() => store.lookup('img'), StoreError);
});

test('staging left by a dead writer is swept by the next one', async () => {
  const store = freshStore();
  const p = store.paths;
  fs.mkdirSync(p.tmpDir, { recursive: true });
  // a pid that cannot be alive (above pid_max)
  const dead = path.join(p.tmpDir, 'image-99999999-abcdef');
  fs.mkdirSync(path.join(dead, 'diff'), { recursive: true });
  fs.writeFileSync(path.join(p.tmpDir, 'image-99999999-0011.tmp'), 'x');
  // a live writer (this process's parent) is left alone
  const live = path.join(p.tmpDir, `image-${process.ppid}-abcdef`);
  fs.mkdirSync(live);
  await store.addLayer(Readable.from([layerTar({ a: 'x' })]));
  assert.deepEqual(fs.readdirSync(p.tmpDir), [path.basename(live)]);
});

test('lookup is a handful of small reads', async () => {
  const store = freshStore();
  const l = await store.addLayer(Readable.from([layerTar({ a: 'x' })]));
  store.createImage(config([l.diffId]), ['fast']);
  const s = new ImageStore(store.paths);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) assert.ok(s.lookup('fast'));
  const perLookupMs = Number(process.hrtime.bigint() - t0) / 1e6 / 100;
  assert.ok(perLookupMs < 5, `lookup took ${perLookupMs} ms`);
});
