import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { UsageError } from '../../../src/common/errors';
import {
  familiarName,
  familiarString,
  fullName,
  isValidTag,
  normalizeReference,
  parseImageSpec,
  parseNormalizedNamed,
  parseReference,
} from '../../../src/image/reference';

const HEX = 'a'.repeat(64);

test('normalizes familiar and full names to the store key', () => {
  const cases: Array<[string, string]> = [
    ['busybox', 'busybox:latest'],
    ['busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'busybox:latest'],
    ['docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['index.docker.io/library/busybox', 'busybox:latest'],
    ['docker.io/busybox', 'busybox:latest'],
    ['foo/bar', 'foo/bar:latest'],
    ['docker.io/foo/bar:v1', 'foo/bar:v1'],
    ['localhost/foo', 'localhost/foo:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['quay.io/org/img:Tag_1.0-rc', 'quay.io/org/img:Tag_1.0-rc'],
    ['[::1]:5000/x', '[::1]:5000/x:latest'],
    ['a__b/c-d.e', 'a__b/c-d.e:latest'],
    ['a---b', 'a---b:latest'],
    [`busybox@sha256:${HEX}`, `busybox@sha256:${HEX}`],
    [`busybox:1@sha256:${HEX}`, `busybox:1@sha256:${HEX}`],
  ];
  for (const [input, want] of cases) assert.equal(normalizeReference(input), want, input);
});

test('splits domain and path as Docker does', () => {
  const r = parseReference('localhost:5000/a/b:t');
  assert.deepEqual(r, { domain: 'localhost:5000', path: 'a/b', tag: 't' });
  assert.equal(fullName(r), 'localhost:5000/a/b');
  assert.equal(familiarName(r), 'localhost:5000/a/b');

  const b = parseReference('busybox');
  assert.deepEqual(b, { domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
  assert.equal(fullName(b), 'docker.io/library/busybox');

  // a first component without '.' or ':' and not "localhost" is a path, not a registry
  assert.deepEqual(parseReference('foo/bar'), { domain: 'docker.io', path: 'foo/bar', tag: 'latest' });
  // but an upper-case first component is taken as a registry, as Docker does
  assert.equal(parseReference('Foo/bar').domain, 'Foo');

  const d = parseReference(`busybox@sha256:${HEX}`);
  assert.equal(d.tag, undefined);
  assert.equal(d.digest, `sha256:${HEX}`);
  assert.equal(familiarString(d), `busybox@sha256:${HEX}`);

  assert.equal(parseNormalizedNamed('busybox').tag, undefined);
});

test('rejects invalid references with Docker wording', () => {
  const bad: Array<[string, string]> = [
    ['', 'invalid reference format'],
    ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['docker.io/library/Busybox:1', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['busybox:', 'invalid reference format'],
    ['busybox:-x', 'invalid reference format'],
    ['busybox:' + 'x'.repeat(129), 'invalid reference format'],
    [':tag', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['a/', 'invalid reference format'],
    ['-a', 'invalid reference format'],
    ['a_-b', 'invalid reference format'],
    ['a b', 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid reference format'],
    [`busybox@sha256:${'a'.repeat(63)}`, 'invalid checksum digest length'],
    [`busybox@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`busybox@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
    ['a/' + 'b'.repeat(255), 'invalid reference format: repository name must not be more than 255 characters'],
  ];
  for (const [input, msg] of bad) {
    assert.throws(
      () => parseReference(input),
      (e: unknown) => e instanceof UsageError && e.message === msg && e.exitCode === 125,
      `${JSON.stringify(input)} should fail with ${msg}`,
    );
  }
});

test('tag validation', () => {
  assert.ok(isValidTag('latest'));
  assert.ok(isValidTag('_x.Y-1'));
  assert.ok(!isValidTag('.x'));
  assert.ok(!isValidTag('x'.repeat(129)));
  assert.ok(isValidTag('x'.repeat(128)));
});

test('classifies image arguments: ids, id prefixes, names', () => {
  assert.deepEqual(parseImageSpec(HEX), { kind: 'id', hex: HEX, full: true });
  assert.deepEqual(parseImageSpec(`sha256:${HEX}`), { kind: 'id', hex: HEX, full: true });
  assert.deepEqual(parseImageSpec('sha256:abc1'), { kind: 'id', hex: 'abc1', full: false });
  const short = parseImageSpec('abc1');
  assert.equal(short.kind, 'name');
  assert.equal(short.kind === 'name' && short.hexPrefix, 'abc1');
  const name = parseImageSpec('busybox');
  assert.equal(name.kind === 'name' && name.hexPrefix, undefined);
  assert.throws(() => parseImageSpec('sha256:XYZ'), UsageError);
  assert.throws(() => parseImageSpec('Busybox'), /must be lowercase/);
});
