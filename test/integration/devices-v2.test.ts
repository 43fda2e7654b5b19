/**
 * cgroup v2's device controller against the real kernel (root only; issue 6, point 3): the
 * program compiled by spec/security/devices is loaded and attached by the helper's
 * `devices` op, and the kernel enforces it on a process of that cgroup.
 *
 * This host's cgroups are v1, but its cgroup2 mount (hybrid: /sys/fs/cgroup/unified) takes
 * device programs too, and the kernel asks them on every device access as it does on a v2
 * host. Each case runs the helper with a minimal plan (no namespaces, no rootfs: the host's
 * static busybox) in a cgroup of its own there; the v1 device cgroup is not involved, so
 * an EPERM can only come from the program.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { start } from '../../src/runtime/shim';
import type { Op } from '../../src/runtime/protocol';
import { compileDeviceFilter, DEFAULT_DEVICE_RULES } from '../../src/spec/security/devices';
import { parseMountinfo } from '../../src/volume/saferm';
import { shimProcesses, waitFor } from '../helpers/harness';

const isRoot = process.getuid?.() === 0;
const cg2 = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).find((m) => m.fsType === 'cgroup2')?.mountPoint;
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((f) => fs.existsSync(f));
const skip = !isRoot ? 'needs root' : !cg2 ? 'no cgroup2 mount' : !BUSYBOX ? 'no static busybox' : false;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-devices-'));
const made: string[] = [];

after(async () => {
  for (const d of made) {
    await waitFor(() => {
      try {
        fs.rmdirSync(d);
        return true;
      } catch {
        return !fs.existsSync(d);
      }
    }, 3000);
  }
  fs.rmSync(work, { recursive: true, force: true });
  for (const d of made) assert.ok(!fs.existsSync(d), `${d} must be gone`);
});

/** The script's output lines (stdout and stderr, in order) and its exit code. */
async function runIn(rules: readonly string[] | null, script: string): Promise<{ lines: string[]; exit: number }> {
  const dir = path.join(cg2!, `mydocker-test-dev-${process.pid}-${made.length}`);
  fs.mkdirSync(dir);
  made.push(dir);
  const log = path.join(work, `${made.length}.log`);
  const ops: Op[] = [['cgroup', path.join(dir, 'cgroup.procs')]];
  if (rules) ops.push(['devices', dir, compileDeviceFilter(rules).toString('hex')]);
  ops.push(['log', log], ['env', `T=${work}/node${made.length}`], ['argv', BUSYBOX!, 'sh', '-c', script]);
  const before = new Set(shimProcesses());
  const { rc } = await start(ops, { detach: true, planDir: work });
  const msg = await rc.message();
  rc.ack();
  await rc.exited();
  assert.ok(msg && 'exit' in msg, `an exit report: ${JSON.stringify(msg)}`);
  assert.deepEqual(shimProcesses().filter((p) => !before.has(p)), [], 'the helper is gone');
  const lines = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { log: string }).log.trimEnd());
  return { lines, exit: msg.exit };
}

const PROBE = [
  'cat /dev/null && echo null:ok',
  'head -c1 /dev/zero >/dev/null && echo zero:ok',
  'mknod "$T" b 8 0 && echo mknod:ok',
  'head -c1 "$T" >/dev/null 2>/tmp/.x$$; echo "blk:$(cat /tmp/.x$$ | sed "s/.*: //")"; rm -f "$T" /tmp/.x$$',
].join('; ');

test("Docker's default rules as a program: default nodes open, a block device is made but cannot be opened", { skip }, async () => {
  const r = await runIn(DEFAULT_DEVICE_RULES, PROBE);
  assert.deepEqual(r.lines, ['null:ok', 'zero:ok', 'mknod:ok', 'blk:Operation not permitted']);
});

test('without a program the same block device opens as far as the kernel lets it (the EPERM above is the program)', { skip }, async () => {
  const r = await runIn(null, PROBE);
  assert.equal(r.lines.slice(0, 3).join(' '), 'null:ok zero:ok mknod:ok');
  assert.notEqual(r.lines[3], 'blk:Operation not permitted');
});

test('only what a rule allows: without a rule for /dev/zero or for mknod, both are refused', { skip }, async () => {
  const r = await runIn(['c 1:3 rwm'], 'cat /dev/null && echo null:ok; head -c1 /dev/zero; echo "zero:$?"; mknod "$T" c 1 5; echo "mknod:$?"');
  assert.equal(r.lines[0], 'null:ok');
  assert.ok(r.lines.some((l) => /\/dev\/zero: Operation not permitted/.test(l)), r.lines.join(' | '));
  assert.ok(r.lines.includes('zero:1'), r.lines.join(' | '));
  assert.ok(r.lines.some((l) => /mknod: .*Operation not permitted/.test(l)), r.lines.join(' | '));
  assert.ok(r.lines.includes('mknod:1'), r.lines.join(' | '));
});

test('a program the kernel refuses is a start error naming the op, and nothing runs', { skip }, async () => {
  const dir = path.join(cg2!, `mydocker-test-dev-${process.pid}-bad`);
  fs.mkdirSync(dir);
  made.push(dir);
  const marker = path.join(work, 'ran');
  // one instruction that is not an exit: the verifier refuses a program that can fall off its end
  const bad = Buffer.from([0xb7, 0, 0, 0, 1, 0, 0, 0]).toString('hex');
  const ops: Op[] = [['cgroup', path.join(dir, 'cgroup.procs')], ['devices', dir, bad], ['argv', BUSYBOX!, 'touch', marker]];
  await assert.rejects(start(ops, { detach: true, planDir: work }), (e: any) => e.shimError?.op === 'devices' && e.shimError.errno === 22);
  assert.ok(!fs.existsSync(marker), 'the command never ran');
});
