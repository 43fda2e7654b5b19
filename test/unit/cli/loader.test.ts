/**
 * bin/mydocker loads the bundle with a V8 code cache per verb. V8 checks a cache against
 * the source's length only: a cache left by a previous bundle of the same length would
 * run the old code. The loader keys its caches by the bundle's size and mtime.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const LOADER = path.join(__dirname, '..', '..', '..', 'bin', 'mydocker');

function bundleSource(word: string): string {
  // the same length for any 5-letter word
  return `exports.main = async () => { require('fs').writeSync(1, ${JSON.stringify(word)} + '\\n'); return 0; };\n`;
}

test('a rebuilt bundle of the same length is never run from the old code cache', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-loader-'));
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.copyFileSync(LOADER, path.join(dir, 'bin', 'mydocker'));
    const bundle = path.join(dir, 'dist', 'mydocker.js');
    const run = () => spawnSync(process.execPath, ['--', path.join(dir, 'bin', 'mydocker'), 'ps'], { encoding: 'utf8' });

    fs.writeFileSync(bundle, bundleSource('first'));
    assert.equal(run().stdout, 'first\n');
    assert.equal(run().stdout, 'first\n', 'the second run uses the cache the first one wrote');
    assert.equal(fs.readdirSync(path.join(dir, 'dist', '.cache')).length, 1);

    // same length, other code, and an mtime that differs from the first bundle's
    fs.writeFileSync(bundle, bundleSource('again'));
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(bundle, later, later);
    assert.equal(fs.statSync(bundle).size, bundleSource('first').length);
    assert.equal(run().stdout, 'again\n');
    assert.equal(run().stdout, 'again\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
