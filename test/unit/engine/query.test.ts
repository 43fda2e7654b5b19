import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MydockerError, UsageError } from '../../../src/common/errors';
import { commandString, Filters, listContainers, parseFilterFlags, resolveRef, stateString, treeSize } from '../../../src/engine/query';
import type { Engine } from '../../../src/engine/engine';
import { addRecord, tempEngine } from './fixtures';

function refuses(p: Promise<unknown> | (() => unknown), message: string, exitCode: number) {
  const check = (e: unknown) => {
    assert.ok(e instanceof MydockerError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.exitCode, exitCode);
    return true;
  };
  return typeof p === 'function' ? assert.throws(p, check) : assert.rejects(p, check);
}

describe('commandString: the COMMAND the daemon shows', () => {
  test('arguments with a space are single-quoted', () => {
    assert.equal(commandString({ Path: 'sh', Args: ['-c', 'exit 3'] }), "sh -c 'exit 3'");
    assert.equal(commandString({ Path: 'sleep', Args: ['30'] }), 'sleep 30');
    assert.equal(commandString({ Path: 'top', Args: [] }), 'top');
  });
});

describe('stateString', () => {
  const s = { Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' } as const;
  test('from the flags, as Docker', () => {
    assert.equal(stateString({ ...s }), 'created');
    assert.equal(stateString({ ...s, StartedAt: '2024-01-01T00:00:00Z' }), 'exited');
    assert.equal(stateString({ ...s, Running: true }), 'running');
    assert.equal(stateString({ ...s, Running: true, Paused: true }), 'paused');
    assert.equal(stateString({ ...s, Dead: true, StartedAt: '2024-01-01T00:00:00Z' }), 'dead');
  });
});

describe('filters', () => {
  test('parseFilterFlags: name=value, keys lower-cased, values trimmed', () => {
    const f = parseFilterFlags(['Name= web ', 'status=exited', 'status=created']);
    assert.deepEqual(f.get('name'), ['web']);
    assert.deepEqual(f.get('status'), ['exited', 'created']);
  });
  test('a filter without "=" is a flag error (exit 125)', () => {
    assert.throws(() => parseFilterFlags(['bogus']), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.exitCode, 125);
      assert.equal(e.message, 'invalid argument "bogus" for "-f, --filter" flag: bad format of filter (expected name=value)');
      return true;
    });
  });
  test('match is exact or a regular expression; matchKVList needs every label', () => {
    const f = new Filters();
    f.add('name', '^we');
    assert.ok(f.match('name', 'web'));
    assert.ok(!f.match('name', 'aweb'));
    assert.ok(new Filters().match('name', 'anything'));
    const l = new Filters();
    l.add('label', 'a');
    l.add('label', 'b=2');
    assert.ok(l.matchKVList('label', { a: 'x', b: '2' }));
    assert.ok(!l.matchKVList('label', { a: 'x', b: '3' }));
    assert.ok(!l.matchKVList('label', {}));
  });
});

describe('listContainers', () => {
  let engine: Engine;
  let cleanup: () => void;
  before(() => {
    ({ engine, cleanup } = tempEngine());
    addRecord(engine, { name: 'old-exit0', exitCode: 0, created: '2024-01-01T00:00:01Z' });
    addRecord(engine, { name: 'mid-exit3', exitCode: 3, created: '2024-01-01T00:00:02Z', labels: { tier: 'db' } });
    addRecord(engine, { name: 'new-created', status: 'created', created: '2024-01-01T00:00:03Z' });
  });
  after(() => cleanup());
  const names = async (opts: Parameters<typeof listContainers>[1]) => (await listContainers(engine, opts)).map((s) => s.Names[0]);

  test('without --all only running containers (none here)', async () => {
    assert.deepEqual(await names({}), []);
  });
  test('--all: newest first', async () => {
    assert.deepEqual(await names({ all: true }), ['/new-created', '/mid-exit3', '/old-exit0']);
  });
  test('-n counts every state', async () => {
    assert.deepEqual(await names({ limit: 2 }), ['/new-created', '/mid-exit3']);
  });
  test('status= implies --all', async () => {
    assert.deepEqual(await names({ filters: parseFilterFlags(['status=exited']) }), ['/mid-exit3', '/old-exit0']);
    assert.deepEqual(await names({ filters: parseFilterFlags(['status=created']) }), ['/new-created']);
  });
  test('exited=, name=, id=, label=, before=, since=', async () => {
    assert.deepEqual(await names({ all: true, filters: parseFilterFlags(['exited=3']) }), ['/mid-exit3']);
    assert.deepEqual(await names({ all: true, filters: parseFilterFlags(['name=exit']) }), ['/mid-exit3', '/old-exit0']);
    const [mid] = await listContainers(engine, { all: true, filters: parseFilterFlags(['name=mid-exit3']) });
    assert.deepEqual(await names({ all: true, filters: parseFilterFlags([`id=${mid.Id.slice(0, 6)}`]) }), ['/mid-exit3']);
    assert.deepEqual(await names({ all: true, filters: parseFilterFlags(['label=tier=db']) }), ['/mid-exit3']);
    assert.deepEqual(await names({ all: true, filters: parseFilterFlags(['before=mid-exit3']) }), ['/old-exit0']);
    assert.deepEqual(await names({ all: true, filters: parseFilterFlags(['since=mid-exit3']) }), ['/new-created']);
  });
  test('ancestor= matches no container of an unknown image', async () => {
    assert.deepEqual(await names({ all: true, filters: parseFilterFlags(['ancestor=nosuchimage']) }), []);
  });
  test("bad filters are the daemon's one-line errors, exit 1", async () => {
    await refuses(listContainers(engine, { filters: parseFilterFlags(['bogus=1']) }), "Error response from daemon: invalid filter 'bogus'", 1);
    await refuses(
      listContainers(engine, { filters: parseFilterFlags(['status=sleeping']) }),
      "Error response from daemon: invalid filter 'status=sleeping': invalid value for state (sleeping): must be one of created, running, paused, restarting, removing, exited, dead",
      1,
    );
    await refuses(
      listContainers(engine, { filters: parseFilterFlags(['exited=x']) }),
      `Error response from daemon: invalid filter 'exited=x': strconv.Atoi: parsing "x": invalid syntax`,
      1,
    );
  });
  test('-s: the writable layer counts files, hard links once', async () => {
    const [mid] = await listContainers(engine, { all: true, filters: parseFilterFlags(['name=mid-exit3']) });
    const upper = path.join(engine.containers.dir(mid.Id), 'upper');
    fs.mkdirSync(path.join(upper, 'etc'));
    fs.writeFileSync(path.join(upper, 'etc', 'f'), 'x'.repeat(1000));
    fs.linkSync(path.join(upper, 'etc', 'f'), path.join(upper, 'hard'));
    fs.writeFileSync(path.join(upper, 'empty'), '');
    assert.equal(treeSize(upper), 1000);
    const [row] = await listContainers(engine, { all: true, size: true, filters: parseFilterFlags(['name=mid-exit3']) });
    assert.equal(row.SizeRw, 1000);
  });
});

describe('resolveRef', () => {
  test('a reference that cannot be a name is not looked up', () => {
    const { engine, cleanup } = tempEngine();
    try {
      refuses(() => resolveRef(engine, '../../etc/passwd'), 'Error response from daemon: No such container: ../../etc/passwd', 1);
      refuses(() => resolveRef(engine, 'nope'), 'Error response from daemon: No such container: nope', 1);
    } finally {
      cleanup();
    }
  });
});
