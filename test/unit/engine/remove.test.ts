import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { MydockerError } from '../../../src/common/errors';
import { pruneContainers, removeByRef, runningError } from '../../../src/engine/remove';
import { renameContainer, repairReservation } from '../../../src/engine/rename';
import { addRecord, tempEngine } from './fixtures';

describe('rm (stopped containers)', () => {
  test('removes the directory and frees the name', async () => {
    const { engine, cleanup } = tempEngine();
    try {
      const rec = addRecord(engine, { name: 'gone' });
      assert.equal(await removeByRef(engine, 'gone', { force: false, volumes: false }), true);
      assert.ok(!fs.existsSync(engine.containers.dir(rec.Id)));
      assert.equal(engine.containers.nameOwner('gone'), undefined);
    } finally {
      cleanup();
    }
  });
  test('unknown: an error without -f (exit 1), nothing with -f', async () => {
    const { engine, cleanup } = tempEngine();
    try {
      await assert.rejects(removeByRef(engine, 'nope', { force: false, volumes: false }), (e: unknown) => e instanceof MydockerError && e.exitCode === 1 && e.message === 'Error response from daemon: No such container: nope');
      assert.equal(await removeByRef(engine, 'nope', { force: true, volumes: false }), false);
    } finally {
      cleanup();
    }
  });
  test('an ambiguous prefix is refused with exit 1 and nothing removed', async () => {
    const { engine, cleanup } = tempEngine();
    try {
      addRecord(engine, { name: 'one', id: 'ab1' + '0'.repeat(61) });
      addRecord(engine, { name: 'two', id: 'ab2' + '0'.repeat(61) });
      await assert.rejects(removeByRef(engine, 'ab', { force: true, volumes: false }), (e: unknown) => e instanceof MydockerError && e.exitCode === 1 && /multiple IDs found with provided prefix: ab/.test(e.message));
      assert.equal(engine.containers.list().length, 2);
    } finally {
      cleanup();
    }
  });
  test("the running container's refusal", () => {
    assert.equal(runningError('/web').message, 'Error response from daemon: cannot remove container "/web": container is running: stop the container before removing or force remove');
    assert.equal(runningError('/web').exitCode, 1);
  });
});

describe('container prune', () => {
  test('removes every stopped container and counts their writable layers', async () => {
    const { engine, cleanup } = tempEngine();
    try {
      const a = addRecord(engine, { name: 'a1', status: 'created' });
      const b = addRecord(engine, { name: 'b1', labels: { keep: 'yes' } });
      fs.writeFileSync(path.join(engine.containers.dir(a.Id), 'upper', 'f'), 'x'.repeat(10));
      const r1 = await pruneContainers(engine, (rec) => !rec.Config.Labels.keep);
      assert.deepEqual(r1, { deleted: [a.Id], reclaimed: 10 });
      const r2 = await pruneContainers(engine);
      assert.deepEqual(r2, { deleted: [b.Id], reclaimed: 0 });
      assert.deepEqual(await pruneContainers(engine), { deleted: [], reclaimed: 0 });
    } finally {
      cleanup();
    }
  });
});

describe('rename', () => {
  const fails = (p: Promise<unknown>, message: string) =>
    assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof MydockerError, String(e));
      assert.equal(e.exitCode, 1);
      assert.equal(e.message, message);
      return true;
    });

  test('moves the name: the record, the new reservation, the old one freed', async () => {
    const { engine, cleanup } = tempEngine();
    try {
      const rec = addRecord(engine, { name: 'before' });
      await renameContainer(engine, 'before', 'after');
      assert.equal(engine.containers.get(rec.Id)?.Name, '/after');
      assert.equal(engine.containers.nameOwner('after'), rec.Id);
      assert.equal(engine.containers.nameOwner('before'), undefined);
      await renameContainer(engine, rec.Id.slice(0, 8), '/again');
      assert.equal(engine.containers.get(rec.Id)?.Name, '/again');
    } finally {
      cleanup();
    }
  });
  test("refusals in docker's words, nothing changed", async () => {
    const { engine, cleanup } = tempEngine();
    try {
      const a = addRecord(engine, { name: 'taken' });
      const b = addRecord(engine, { name: 'mine' });
      await fails(renameContainer(engine, 'nope', 'x1'), 'failed to rename container: Error response from daemon: No such container: nope');
      await fails(renameContainer(engine, 'mine', 'mine'), 'failed to rename container: Error response from daemon: Renaming a container with the same name as its current name');
      await fails(renameContainer(engine, 'mine', 'bad!'), 'failed to rename container: Error response from daemon: Error when allocating new name: Invalid container name (/bad!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
      await fails(
        renameContainer(engine, 'mine', 'taken'),
        `failed to rename container: Error response from daemon: Error when allocating new name: Conflict. The container name "/taken" is already in use by container "${a.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
      await fails(renameContainer(engine, 'mine', ' '), 'failed to rename container: Error response from daemon: Neither old nor new names may be empty');
      assert.equal(engine.containers.get(b.Id)?.Name, '/mine');
      assert.equal(engine.containers.nameOwner('mine'), b.Id);
      assert.equal(engine.containers.nameOwner('taken'), a.Id);
    } finally {
      cleanup();
    }
  });
  test('a reservation left by a crashed rename is repaired', async () => {
    const { engine, cleanup } = tempEngine();
    try {
      const rec = addRecord(engine, { name: 'current' });
      fs.writeFileSync(path.join(engine.paths.namesDir, 'leftover'), rec.Id);
      repairReservation(engine, 'leftover');
      assert.equal(engine.containers.nameOwner('leftover'), undefined);
      repairReservation(engine, 'current');
      assert.equal(engine.containers.nameOwner('current'), rec.Id);
      fs.writeFileSync(path.join(engine.paths.namesDir, 'leftover'), rec.Id);
      await renameContainer(engine, 'current', 'leftover');
      assert.equal(engine.containers.get(rec.Id)?.Name, '/leftover');
    } finally {
      cleanup();
    }
  });
});
