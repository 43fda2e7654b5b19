/**
 * What a command loads at start (issue 2's speed): none of child_process, net, dgram,
 * stream or tty, which cost milliseconds of every start: `run` starts the helper through
 * the addon, and the verbs that only query containers need none of them. Guards the lazy
 * loading against a top-level import creeping back in.
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

test('run, exec, ps, inspect, rm and volume ls load no child_process, net, dgram, stream or tty', { skip: !isRoot && 'needs root' }, async () => {
  const sb = sandbox();
  try {
    for (const args of [['ps', '-a'], ['inspect', 'nosuch'], ['rm', '-f', 'nosuch'], ['volume', 'ls']]) {
      const r = builtinsOf(['--root', sb.root, ...args], sb.env);
      assert.deepEqual(r.loaded, [], `${args.join(' ')}: ${r.stderr}`);
    }
    // the first run builds the busybox image (with busybox --list, through child_process)
    assert.equal(sb.run(['run', '--rm', 'busybox', 'true']).status, 0);
    for (const args of [['run', '--rm', 'busybox', 'true'], ['run', '-d', '--name', 'probe', 'busybox', 'sleep', '30'], ['exec', 'probe', 'true'], ['rm', '-f', 'probe']]) {
      const r = builtinsOf(['--root', sb.root, ...args], sb.env);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.deepEqual(r.loaded, [], args.join(' '));
    }
  } finally {
    await sb.cleanup();
  }
});
