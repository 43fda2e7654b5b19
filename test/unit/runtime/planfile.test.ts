import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePlan } from '../../../src/runtime/protocol';
import { planFile } from '../../../src/runtime/shim';

test('the plan file has no name, mode 0600, and reads from offset 0 as written', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-planfile-'));
  try {
    const plan = encodePlan([['argv', 'sh', '-c', 'echo "a b"'], ['env', 'SECRET=x'], ['pivot']]);
    const fd = planFile(dir, plan);
    try {
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing named is left in the directory');
      const st = fs.fstatSync(fd);
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal(st.size, plan.length);
      // read() from the descriptor's own offset, as the helper does: it must still be 0
      const got = Buffer.alloc(plan.length + 16);
      const n = fs.readSync(fd, got, 0, got.length, null);
      assert.equal(n, plan.length);
      assert.deepEqual(got.subarray(0, n), plan);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a plan file in a missing directory is an error, not a silent empty plan', () => {
  assert.throws(() => planFile('/nonexistent-mydocker-dir', encodePlan([['pivot']])), /ENOENT/);
});
