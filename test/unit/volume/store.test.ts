import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ConflictError, NotFoundError, UsageError } from '../../../src/common/errors';
import { paths } from '../../../src/state/paths';
import { MountedUnderError } from '../../../src/volume/saferm';
import { ANONYMOUS_LABEL, openVolumeStore, rfc3339, VolumeStore } from '../../../src/volume/store';

let root: string;
let mountinfo: string;
let store: VolumeStore;
const clock = new Date('2024-05-06T07:08:09.123Z');
const none = () => [] as string[];

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-vol-')));
  mountinfo = '20 1 0:20 / / rw - ext4 /dev/root rw\n';
  store = openVolumeStore(paths(root), { mountinfo: () => mountinfo, now: () => clock });
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const volumesDir = () => path.join(root, 'volumes');

describe('create', () => {
  test('a named volume: data dir, meta.json, Docker fields', () => {
    const v = store.create('data1');
    assert.deepEqual(v, {
      Name: 'data1',
      Driver: 'local',
      Mountpoint: path.join(volumesDir(), 'data1/_data'),
      CreatedAt: '2024-05-06T07:08:09Z',
      Labels: null,
      Scope: 'local',
      Options: null,
      Anonymous: false,
    });
    assert.ok(fs.statSync(v.Mountpoint).isDirectory());
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(volumesDir(), 'data1/meta.json'), 'utf8')), v);
    assert.deepEqual(fs.readdirSync(volumesDir()), ['data1'], 'no staging or temp files left');
    assert.deepEqual(fs.readdirSync(path.join(volumesDir(), 'data1')).sort(), ['_data', 'meta.json']);
  });

  test('creating an existing name returns it unchanged, data kept', () => {
    const a = store.create('data1', { labels: { a: '1' } });
    fs.writeFileSync(path.join(a.Mountpoint, 'f'), 'hello');
    const later = new VolumeStore(volumesDir(), { now: () => new Date('2030-01-01T00:00:00Z') });
    const b = later.create('data1', { labels: { b: '2' } });
    assert.deepEqual(b, a);
    assert.equal(fs.readFileSync(path.join(a.Mountpoint, 'f'), 'utf8'), 'hello');
  });

  test('anonymous: a 64-hex name and the anonymous label', () => {
    const v = store.create(undefined, { anonymous: true });
    assert.match(v.Name, /^[0-9a-f]{64}$/);
    assert.equal(v.Anonymous, true);
    assert.deepEqual(v.Labels, { [ANONYMOUS_LABEL]: '' });
    const w = store.create();
    assert.match(w.Name, /^[0-9a-f]{64}$/);
    assert.notEqual(w.Name, v.Name);
    assert.equal(w.Anonymous, false, 'volume create without a name is not anonymous');
  });

  test('bad names, drivers and options are refused and create nothing', () => {
    assert.throws(() => store.create('bad/name'), {
      name: 'UsageError',
      message:
        'create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    });
    assert.throws(() => store.create('..'), UsageError);
    assert.throws(() => store.create('x'), { message: 'create x: volume name is too short, names should be at least two alphanumeric characters' });
    assert.throws(() => store.create('v1', { driver: 'nfs' }), { message: 'error looking up volume plugin nfs: plugin "nfs" not found' });
    assert.throws(() => store.create('v1', { driverOptions: { bogus: '1' } }), { message: 'create v1: invalid option key: "bogus"' });
    assert.throws(() => store.create('v1', { driverOptions: { type: 'nfs' } }), { message: 'create v1: volume option "type" is not supported' });
    assert.equal(fs.existsSync(volumesDir()), false);
  });

  test('many concurrent-style creates of one name end with one volume', () => {
    const others = Array.from({ length: 5 }, () => new VolumeStore(volumesDir()));
    const results = others.map((s) => s.create('shared'));
    assert.ok(results.every((r) => r.CreatedAt === results[0].CreatedAt));
    assert.deepEqual(fs.readdirSync(volumesDir()), ['shared']);
  });
});

describe('get, list, inspect', () => {
  test('get and its not-found message', () => {
    store.create('data1');
    assert.equal(store.get('data1').Name, 'data1');
    assert.throws(() => store.get('nope'), (e: unknown) => e instanceof NotFoundError && e.message === 'get nope: no such volume');
    assert.throws(() => store.get('../volumes'), NotFoundError, 'no path tricks');
    assert.equal(store.find('nope'), null);
  });

  test('list is sorted and skips what is not a volume', () => {
    store.create('bb');
    store.create('aa');
    fs.mkdirSync(path.join(volumesDir(), 'no-meta'));
    fs.mkdirSync(path.join(volumesDir(), '.staging-123'));
    fs.writeFileSync(path.join(volumesDir(), 'stray-file'), '');
    assert.deepEqual(store.list().map((v) => v.Name), ['aa', 'bb']);
    assert.deepEqual(new VolumeStore(path.join(root, 'elsewhere')).list(), []);
  });

  test("inspect gives Docker's JSON shape, in order", () => {
    store.create('aa', { labels: { x: 'y' } });
    store.create('bb');
    const out = store.inspect(['bb', 'aa']);
    assert.equal(
      JSON.stringify(out[1]),
      JSON.stringify({
        CreatedAt: '2024-05-06T07:08:09Z',
        Driver: 'local',
        Labels: { x: 'y' },
        Mountpoint: path.join(volumesDir(), 'aa/_data'),
        Name: 'aa',
        Options: null,
        Scope: 'local',
      }),
    );
    assert.equal(out[0].Name, 'bb');
    assert.ok(!('Anonymous' in out[0]));
    assert.throws(() => store.inspect(['aa', 'zz']), { name: 'NotFoundError', message: 'get zz: no such volume' });
  });

  test('rfc3339', () => {
    assert.equal(rfc3339(new Date('2020-01-02T03:04:05.999Z')), '2020-01-02T03:04:05Z');
  });
});

describe('remove', () => {
  test('removes data and metadata', () => {
    const v = store.create('data1');
    fs.mkdirSync(path.join(v.Mountpoint, 'sub'));
    fs.writeFileSync(path.join(v.Mountpoint, 'sub/f'), '12345');
    assert.deepEqual(store.remove('data1', { inUseBy: none }), { removed: true, bytes: 5 });
    assert.equal(store.find('data1'), null);
    assert.deepEqual(fs.readdirSync(volumesDir()), []);
  });

  test("in use by a container: Docker's conflict message, even with force", () => {
    const v = store.create('data1');
    fs.writeFileSync(path.join(v.Mountpoint, 'f'), 'x');
    const ids = ['a'.repeat(64), 'b'.repeat(64)];
    for (const force of [false, true]) {
      assert.throws(
        () => store.remove('data1', { force, inUseBy: (n) => (n === 'data1' ? ids : []) }),
        (e: unknown) => e instanceof ConflictError && e.message === `remove data1: volume is in use - [${ids[0]}, ${ids[1]}]`,
      );
    }
    assert.equal(fs.readFileSync(path.join(v.Mountpoint, 'f'), 'utf8'), 'x');
  });

  test('missing: not found, or nothing with force', () => {
    assert.throws(() => store.remove('nope', { inUseBy: none }), { name: 'NotFoundError', message: 'get nope: no such volume' });
    assert.deepEqual(store.remove('nope', { force: true, inUseBy: none }), { removed: false, bytes: 0 });
  });

  test('refuses, keeping every byte, when something is mounted under the volume', () => {
    const v = store.create('data1');
    fs.writeFileSync(path.join(v.Mountpoint, 'f'), 'precious');
    mountinfo += `40 20 0:40 / ${v.Mountpoint}/sub rw - tmpfs tmpfs rw\n`;
    assert.throws(() => store.remove('data1', { inUseBy: none }), MountedUnderError);
    assert.equal(store.get('data1').Name, 'data1');
    assert.equal(fs.readFileSync(path.join(v.Mountpoint, 'f'), 'utf8'), 'precious');
  });
});

describe('prune', () => {
  function setup() {
    const anonUsed = store.create(undefined, { anonymous: true });
    const anonFree = store.create(undefined, { anonymous: true });
    fs.writeFileSync(path.join(anonFree.Mountpoint, 'f'), '1234567');
    store.create('named-used');
    const namedFree = store.create('named-free');
    fs.writeFileSync(path.join(namedFree.Mountpoint, 'g'), '123');
    const inUseBy = (n: string) => (n === anonUsed.Name || n === 'named-used' ? ['c'.repeat(64)] : []);
    return { anonUsed, anonFree, inUseBy };
  }

  test('without all: only unused anonymous volumes', () => {
    const { anonUsed, anonFree, inUseBy } = setup();
    const r = store.prune({ inUseBy });
    assert.deepEqual(r, { removed: [anonFree.Name], reclaimedBytes: 7, failed: [] });
    assert.deepEqual(store.list().map((v) => v.Name).sort(), [anonUsed.Name, 'named-free', 'named-used'].sort());
  });

  test('with all: every unused volume', () => {
    const { anonUsed, anonFree, inUseBy } = setup();
    const r = store.prune({ all: true, inUseBy });
    assert.deepEqual(r.removed.sort(), [anonFree.Name, 'named-free'].sort());
    assert.equal(r.reclaimedBytes, 10);
    assert.deepEqual(store.list().map((v) => v.Name).sort(), [anonUsed.Name, 'named-used'].sort());
  });

  test('a volume with a mount under it is kept whole and reported; the others still go', () => {
    const { anonFree, inUseBy } = setup();
    mountinfo += `41 20 0:41 / ${anonFree.Mountpoint} rw - tmpfs tmpfs rw\n`;
    const r = store.prune({ all: true, inUseBy });
    assert.deepEqual(r.removed, ['named-free']);
    assert.equal(r.failed.length, 1);
    assert.equal(r.failed[0].name, anonFree.Name);
    assert.match(r.failed[0].error, /is mounted under it/);
    assert.equal(fs.readFileSync(path.join(anonFree.Mountpoint, 'f'), 'utf8'), '1234567');
  });
});

test('gc finishes stale staging and trash left by a crash, leaves fresh ones', () => {
  fs.mkdirSync(path.join(volumesDir(), '.trash-old/_data'), { recursive: true });
  fs.writeFileSync(path.join(volumesDir(), '.trash-old/_data/f'), 'x');
  fs.mkdirSync(path.join(volumesDir(), '.staging-old'), { recursive: true });
  fs.mkdirSync(path.join(volumesDir(), '.staging-new'), { recursive: true });
  const past = new Date(Date.now() - 3600_000);
  for (const n of ['.trash-old/_data', '.trash-old', '.staging-old']) fs.utimesSync(path.join(volumesDir(), n), past, past);
  // ctime cannot be set back; a store whose clock runs ahead plays the later pass.
  const later = new VolumeStore(volumesDir(), { now: () => new Date(Date.now() + 3600_000), staleAfterMs: 30 * 60_000 });
  assert.deepEqual(store.gc(), []);
  assert.deepEqual(later.gc().sort(), ['.staging-new', '.staging-old', '.trash-old']);
  assert.deepEqual(fs.readdirSync(volumesDir()), []);
});
