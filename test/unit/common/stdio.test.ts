import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const STDIO = path.join(__dirname, '..', '..', '..', 'src', 'common', 'stdio.ts');
const script = (body: string) => `const { writeOut, writeErr } = require(${JSON.stringify(STDIO)}); ${body}`;

test('writeOut and writeErr reach fd 1 and 2 whole (a pipe takes 64 KiB at a time)', () => {
  const big = 'y'.repeat(300_000);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', script(`writeOut('y'.repeat(${big.length})); writeErr('é\\n');`)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, big);
  assert.equal(r.stderr, 'é\n');
});

test('a reader that goes away (| head -c1) or a closed descriptor ends the output quietly', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script(`for (let i = 0; i < 200; i++) writeOut('x'.repeat(65536)); writeErr('done\\n');`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.once('data', () => child.stdout!.destroy());
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0);
  assert.equal(err, 'done\n');
  const closed = spawnSync('sh', ['-c', `exec 1>&- 2>&-; "${process.execPath}" --import tsx -e '${script("writeOut('x'); writeErr('y');").replace(/'/g, "'\\''")}'; echo $? >&3`], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  assert.equal(String(closed.output[3]).trim(), '0');
});
