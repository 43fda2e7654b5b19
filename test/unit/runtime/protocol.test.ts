import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePlan } from '../../../src/runtime/protocol';
import { startErrorOf } from '../../../src/engine/start';

test('plan encoding: length header, then NUL-separated counted records', () => {
  const buf = encodePlan([['argv', 'sh', '-c', 'a b\nc'], ['pivot']]);
  const text = buf.toString('utf8');
  const nl = text.indexOf('\n');
  const body = text.slice(nl + 1);
  assert.equal(Number(text.slice(0, nl)), Buffer.byteLength(body));
  assert.equal(body, '4\0argv\0sh\0-c\0a b\nc\x001\0pivot\0');
  assert.throws(() => encodePlan([['env', 'A=\0']]), /NUL/);
});

test('helper failures map to Docker exit codes and messages', () => {
  const nf = startErrorOf({ op: 'lookpath', errno: 2, args: ['nope', ''] }, '/');
  assert.equal(nf.exitCode, 127);
  assert.match(nf.message, /exec: "nope": executable file not found in \$PATH/);
  assert.equal(startErrorOf({ op: 'exec', errno: 13, args: ['/etc/passwd'] }, '/').exitCode, 126);
  assert.equal(startErrorOf({ op: 'exec', errno: 2, args: ['/no'] }, '/').exitCode, 127);
  const wd = startErrorOf({ op: 'mkdir', errno: 20, args: ['/etc/passwd', '0755'] }, '/etc/passwd');
  assert.equal(wd.exitCode, 125);
  assert.match(wd.message, /working directory "\/etc\/passwd": not a directory/);
  const sym = startErrorOf({ op: 'mountin', errno: 40, args: ['proc', '/proc', 'proc', '0xe', '', 'd', '1'] }, '/');
  assert.match(sym.message, /\/proc is a symbolic link/);
  assert.equal(startErrorOf({ op: 'pivot', errno: 22, args: [] }, '/').exitCode, 125);
});

test('a /dev/null that is not the null device is named, not an errno', () => {
  const e = startErrorOf({ op: 'mask', errno: 1, args: ['/proc/kcore'] }, '/');
  assert.equal(e.exitCode, 125);
  assert.match(e.message, /\/dev\/null in the container is not the null device: refusing to mask \/proc\/kcore/);
});
