import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/common/errors';
import type { MountSpec } from '../../../src/volume/parse';
import { destinationDepth, destinationProblem, normalizeDestination, sortMounts, validateMounts } from '../../../src/volume/validate';

const bind = (source: string, target: string): MountSpec => ({ type: 'bind', source, target, readonly: false, createSource: true });
const tmpfs = (target: string): MountSpec => ({ type: 'tmpfs', target, readonly: false, options: [] });
const vol = (name: string | null, target: string): MountSpec => ({ type: 'volume', name, target, readonly: false, nocopy: false });

test('normalizeDestination', () => {
  assert.equal(normalizeDestination('/a/b/'), '/a/b');
  assert.equal(normalizeDestination('/a//b/./c/../d'), '/a/b/d');
  assert.equal(normalizeDestination('/'), '/');
  assert.equal(normalizeDestination('/..'), '/');
});

test('destinationProblem refuses /, /proc, /sys and what is inside them', () => {
  for (const ok of ['/data', '/procfs', '/proc2/x', '/system', '/sysx', '/var/proc', '/home/sys']) {
    assert.equal(destinationProblem(ok), null, ok);
  }
  assert.equal(destinationProblem('/'), "invalid specification: destination can't be '/'");
  for (const bad of ['/proc', '/proc/sys', '/proc/1/root']) {
    assert.equal(destinationProblem(bad), `invalid mount destination '${bad}': mounting on or inside /proc is not allowed`);
  }
  for (const bad of ['/sys', '/sys/fs/cgroup']) {
    assert.equal(destinationProblem(bad), `invalid mount destination '${bad}': mounting on or inside /sys is not allowed`);
  }
});

test('validateMounts normalizes and returns copies', () => {
  const input = [bind('/srv/x/', '/a/b/'), tmpfs('/t/./u'), vol(null, '/v//w')];
  const out = validateMounts(input);
  assert.deepEqual(
    out.map((m) => m.target),
    ['/a/b', '/t/u', '/v/w'],
  );
  assert.equal((out[0] as { source: string }).source, '/srv/x');
  assert.equal(input[0].target, '/a/b/', 'input untouched');
});

test('validateMounts refuses after normalization', () => {
  assert.throws(() => validateMounts([bind('/a', '/proc/../proc/x')]), {
    name: 'UsageError',
    message: "invalid mount destination '/proc/x': mounting on or inside /proc is not allowed",
  });
  assert.throws(() => validateMounts([tmpfs('/sys/')]), UsageError);
  assert.throws(() => validateMounts([vol('v1', '/x/..')]), { message: "invalid specification: destination can't be '/'" });
});

test('validateMounts refuses the same destination twice, from any mix', () => {
  const pairs: Array<[MountSpec, MountSpec]> = [
    [bind('/a', '/d'), bind('/b', '/d')],
    [bind('/a', '/d'), tmpfs('/d/')],
    [vol('v1', '/d'), vol(null, '/d')],
    [tmpfs('/d'), vol('v1', '/x/../d')],
    [bind('/a', '/d'), bind('/a', '/d')],
  ];
  for (const [a, b] of pairs) {
    assert.throws(() => validateMounts([a, b]), { name: 'UsageError', message: 'Duplicate mount point: /d' });
  }
  assert.equal(validateMounts([bind('/a', '/d'), bind('/a', '/d/e')]).length, 2);
});

test('sortMounts: parents first, stable among equals', () => {
  const list = [bind('/B', '/m/foo'), bind('/A', '/m'), tmpfs('/z/y/x'), vol('v1', '/a'), tmpfs('/m/bar'), bind('/C', '/')];
  assert.deepEqual(
    sortMounts(list).map((m) => m.target),
    ['/', '/m', '/a', '/m/foo', '/m/bar', '/z/y/x'],
  );
  assert.deepEqual(list[0].target, '/m/foo', 'input untouched');
  // -v B:/m/foo -v A:/m mounts /m before /m/foo.
  assert.deepEqual(sortMounts([bind('/B', '/m/foo'), bind('/A', '/m')]).map((m) => (m.type === 'bind' ? m.source : '')), ['/A', '/B']);
  assert.equal(destinationDepth('/m/foo/'), 2);
  assert.equal(destinationDepth('/'), 0);
});
