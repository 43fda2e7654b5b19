import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveProcess, mergeEnv, expandEnvFlags, parseEnvFile, processEnv } from '../../../src/spec/process';
import { UsageError } from '../../../src/common/errors';

const ID = 'abcdef0123456789'.repeat(4);
const image = { Env: ['PATH=/bin:/usr/bin', 'A=image'], Cmd: ['sh'] };

test('image Cmd is the default command; arguments after IMAGE replace it untouched', () => {
  assert.deepEqual(resolveProcess(image, { command: [], tty: false }, ID).argv, ['sh']);
  const args = ['sh', '-c', 'a b; c', '', '*'];
  assert.deepEqual(resolveProcess(image, { command: args, tty: false }, ID).argv, args);
});

test('Entrypoint and Cmd combine; --entrypoint drops the image Cmd; "" clears it', () => {
  const img = { Entrypoint: ['/entry', '-x'], Cmd: ['default'] };
  assert.deepEqual(resolveProcess(img, { command: [], tty: false }, ID).argv, ['/entry', '-x', 'default']);
  assert.deepEqual(resolveProcess(img, { command: ['arg'], tty: false }, ID).argv, ['/entry', '-x', 'arg']);
  assert.deepEqual(resolveProcess(img, { command: [], entrypoint: 'echo', tty: false }, ID).argv, ['echo']);
  assert.deepEqual(resolveProcess(img, { command: ['ls'], entrypoint: '', tty: false }, ID).argv, ['ls']);
  assert.throws(() => resolveProcess({}, { command: [], tty: false }, ID), (e: unknown) => e instanceof UsageError && /No command specified/.test((e as Error).message));
});

test('env precedence: image, then env files, then -e; HOSTNAME, HOME, TERM added as Docker', () => {
  const p = resolveProcess(image, { command: [], envFileLines: ['A=file', 'B=file'], env: ['B=flag', 'C'], tty: true }, ID, { C: 'host' });
  assert.deepEqual(p.configEnv, ['PATH=/bin:/usr/bin', 'A=file', 'B=flag', 'C=host']);
  assert.deepEqual(p.env, ['PATH=/bin:/usr/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'TERM=xterm', 'A=file', 'B=flag', 'C=host', 'HOME=/root']);
  assert.deepEqual(processEnv(['HOME=/home/x'], 'h', false), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h', 'HOME=/home/x']);
});

test('mergeEnv keeps first positions; expandEnvFlags drops unset names', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4', 'A=5']), ['A=5', 'B=3', 'C=4']);
  assert.deepEqual(expandEnvFlags(['X', 'Y', 'Z=z'], { X: 'x' }), ['X=x', 'Z=z']);
  assert.throws(() => expandEnvFlags(['=bad'], {}), UsageError);
});

test('env files: comments, blanks, whitespace in names refused', () => {
  assert.deepEqual(parseEnvFile('# c\n\nA=1\n  B=two words \nC\n', 'f'), ['A=1', 'B=two words ', 'C']);
  assert.throws(() => parseEnvFile('BAD KEY=1\n', 'f'), /variable 'BAD KEY' contains whitespaces/);
});

test('hostname defaults to the short id; -h is validated; workdir must be absolute', () => {
  assert.equal(resolveProcess(image, { command: [], tty: false }, ID).hostname, ID.slice(0, 12));
  assert.equal(resolveProcess(image, { command: [], hostname: 'web-1.local', tty: false }, ID).hostname, 'web-1.local');
  assert.throws(() => resolveProcess(image, { command: [], hostname: 'bad_host!', tty: false }, ID), /invalid hostname format/);
  assert.equal(resolveProcess({ ...image, WorkingDir: '/srv' }, { command: [], tty: false }, ID).cwd, '/srv');
  assert.throws(() => resolveProcess(image, { command: [], workdir: 'rel', tty: false }, ID), /needs to be an absolute path/);
});
