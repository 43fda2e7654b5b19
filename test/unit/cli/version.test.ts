import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { version } from '../../../package.json';

const MAIN = path.join(__dirname, '..', '..', '..', 'src', 'cli', 'main.ts');

test('--version and -v print the version as Docker words it and exit 0', () => {
  for (const flag of ['--version', '-v']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, flag], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `mydocker version ${version}\n`);
    assert.match(version, /^\d+\.\d+\.\d+/);
  }
});
