/**
 * `top` with real containers: the host's ps limited to the container's processes, for a
 * container run in the foreground by another CLI, and the refusals.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox, Sandbox, isRoot, waitFor, oneLine, ok } from '../helpers/harness';

const skip = !isRoot ? 'needs root' : false;

describe('top', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test("a running container's processes, as docker's table", async () => {
    const child = sb.spawn(['run', '--name', 'topme', 'busybox', 'sh', '-c', 'sleep 30 & exec sleep 31']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const running = () => {
        const r = sb.run(['inspect', '-f', '{{.State.Running}}', 'topme']);
        return r.status === 0 && r.stdout.trim() === 'true';
      };
      assert.ok(await waitFor(running, 10000), 'the container runs');
      const pid = Number(ok(sb.run(['inspect', '-f', '{{.State.Pid}}', 'topme'])).trim());
      // the background sleep may need a moment to exist
      await waitFor(() => ok(sb.run(['top', 'topme'])).includes('sleep 30'), 5000);

      const out = ok(sb.run(['top', 'topme']));
      const lines = out.trimEnd().split('\n');
      assert.deepEqual(lines[0].split(/ {3,}/), ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
      assert.equal(lines.length, 3, out);
      const rows = lines.slice(1).map((l) => l.split(/ {3,}/));
      assert.ok(rows.some((r) => r[1] === String(pid) && r[7] === 'sleep 31'), out);
      assert.ok(rows.some((r) => r[2] === String(pid) && r[7] === 'sleep 30'), out);
      // every column but the last is at least 20 wide
      assert.equal(lines[0].indexOf('PID'), 20);

      const custom = ok(sb.run(['top', 'topme', '-o', 'pid,comm']));
      assert.deepEqual(custom.trimEnd().split('\n').map((l) => l.split(/ {3,}/)).sort(), [['PID', 'COMMAND'], [String(pid), 'sleep'], [rows.find((r) => r[7] === 'sleep 30')![1], 'sleep']].sort());

      const bad = sb.run(['top', 'topme', '-o', 'user=PIDX']);
      assert.equal(bad.status, 1);
      assert.equal(oneLine(bad.stderr), 'mydocker: Error response from daemon: specifying "user=PIDX" is not allowed');

      process.kill(pid, 'SIGKILL');
      assert.equal(await exited, 137);
    } finally {
      child.kill('SIGKILL');
    }
    ok(sb.run(['rm', 'topme']));
  });

  test('a container that is not running, an unknown one: one line, exit 1', () => {
    ok(sb.run(['run', '--name', 'stopped', 'busybox', 'true']));
    const id = ok(sb.run(['inspect', '-f', '{{.Id}}', 'stopped'])).trim();
    const r = sb.run(['top', 'stopped']);
    assert.equal(r.status, 1);
    assert.equal(oneLine(r.stderr), `mydocker: Error response from daemon: container ${id} is not running`);
    assert.equal(r.stdout, '');
    const u = sb.run(['top', 'nosuch']);
    assert.equal(u.status, 1);
    assert.equal(oneLine(u.stderr), 'mydocker: Error response from daemon: No such container: nosuch');
    ok(sb.run(['rm', 'stopped']));
  });
});
