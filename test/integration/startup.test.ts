/**
 * What a command loads at start (issue 2's speed): verbs that only query containers load
 * none of child_process, net, dgram or the stream modules (each costs milliseconds of
 * every start); `run` needs child_process to start the helper. Guards the lazy loading
 * against a top-level import creeping back in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, sandbox, isRoot } from '../helpers/harness';

const HEAVY = /^NativeModule (child_process|net|dgram|stream|tty)$/;

/** The Node built-ins a mydocker command loaded (the CLI run in-process, as bin/mydocker does). */
function builtinsOf(args: string[], env: NodeJS.ProcessEnv): { loaded: string[]; status: number | null; stderr: string } {
  const probe = `
    process.argv = [process.argv[0], ${JSON.stringify(BIN)}, ...${JSON.stringify(args)}];
    process.on('exit', () => require('fs').writeSync(3, JSON.stringify(process.moduleLoadList)));
    require(${JSON.stringify(BIN)});`;
  const r = spawnSync(process.execPath, ['-e', probe], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const loaded = (JSON.parse(String(r.output[3]) || '[]') as string[]).filter((m) => HEAVY.test(m));
  return { loaded, status: r.status, stderr: r.stderr };
}

test('ps, inspect, rm and volume ls load no child_process, net, dgram, stream or tty; run does need child_process', { skip: !isRoot && 'needs root' }, async () => {
  const sb = sandbox();
  try {
    for (const args of [['ps', '-a'], ['inspect', 'nosuch'], ['rm', '-f', 'nosuch'], ['volume', 'ls']]) {
      const r = builtinsOf(['--root', sb.root, ...args], sb.env);
      assert.deepEqual(r.loaded, [], `${args.join(' ')}: ${r.stderr}`);
    }
    const run = builtinsOf(['--root', sb.root, 'run', '--rm', 'busybox', 'true'], sb.env);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.loaded.includes('NativeModule child_process'), run.loaded.join(','));
  } finally {
    await sb.cleanup();
  }
});
