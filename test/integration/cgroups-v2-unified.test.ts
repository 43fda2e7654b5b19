/**
 * The v2 cgroup driver against a real cgroup2 file system (root only). This host is v1,
 * but its hybrid cgroup2 mount (/sys/fs/cgroup/unified) is a real unified hierarchy with
 * no controller the engine uses: what the driver does there without controllers is what
 * it does on any v2 host. Directories, placement of a real process, the kernel's core
 * files (cpu.stat, cgroup.procs), the refusal of limits whose controller is missing, and
 * removal, with nothing left behind. The limits themselves run on fixture trees
 * (test/unit/cgroups/v2.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { V2Driver, discover, parseLimits } from '../../src/cgroups';
import { parseProcCgroup } from '../../src/cgroups/discover';
import { waitFor } from '../helpers/harness';

const isRoot = process.getuid?.() === 0;
const unified = discover(fs.readFileSync('/proc/self/mountinfo', 'utf8')).unified;
const skip = !isRoot ? 'needs root' : !unified ? 'no cgroup2 mount' : false;
const PARENT = `mydocker-test-v2-${process.pid}`;
const children: ChildProcess[] = [];

function driver(): V2Driver {
  const u = unified!;
  return new V2Driver({ version: 2, hierarchies: [u], byController: Object.fromEntries(u.controllers.map((c) => [c, u])) }, { parent: PARENT });
}

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (skip) return;
  const d = driver();
  await waitFor(() => {
    try {
      for (const id of d.list()) d.remove(id);
      d.removeParent();
      return true;
    } catch {
      return false;
    }
  }, 3000);
  assert.ok(!fs.existsSync(d.parentDir), `${d.parentDir} must be gone`);
});

test('v2 driver on a real cgroup2 mount: create, place a process, read the core files, remove', { skip }, async () => {
  const d = driver();
  const id = 'c0ffee' + Math.random().toString(16).slice(2, 10);
  const placement = d.create(id, parseLimits({}));
  assert.deepEqual(placement.procsFiles, [path.join(d.parentDir, id, 'cgroup.procs')]);
  assert.equal(placement.devicesDir, path.join(d.parentDir, id));
  assert.equal(placement.path, path.posix.join(unified!.root, PARENT, id));
  assert.ok(fs.statSync(placement.devicesDir!).isDirectory());
  assert.doesNotThrow(() => d.create(id, parseLimits({})), 'create is idempotent (exec and restart call it again)');
  assert.deepEqual(d.list(), [id]);

  // a real process, placed as the helper's monitor does on v2
  const child = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  children.push(child);
  for (const f of placement.procsFiles) fs.writeFileSync(f, String(child.pid));
  const where = parseProcCgroup(fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'));
  assert.equal(where.get(''), placement.path, 'the kernel reports the v2 path');
  assert.deepEqual(d.procs(id), [child.pid]);
  assert.equal(d.oomKilled(id), false);

  // cpu.stat is a core file of every v2 cgroup: usage grows while the loop runs
  const first = d.stats(id).cpuUsageNs;
  assert.ok(await waitFor(() => d.stats(id).cpuUsageNs > first + 20e6, 5000), 'the cgroup accounts the CPU time');

  // a cgroup with a process in it cannot go; after the process, it can
  assert.throws(() => d.remove(id));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(await waitFor(() => d.procs(id).length === 0, 3000));
  d.remove(id);
  assert.ok(!fs.existsSync(path.join(d.parentDir, id)));
  assert.deepEqual(d.list(), []);
});

test('v2 driver: a limit whose controller the hierarchy does not offer is refused, and nothing is left', { skip }, () => {
  const d = driver();
  const missing = ['memory', 'pids', 'cpu'].filter((c) => !unified!.controllers.includes(c));
  if (missing.length === 0) return; // a real v2 host with every controller: the fixture tests cover it
  const id = 'deadbeef' + Math.random().toString(16).slice(2, 10);
  const limits = parseLimits({ memory: '32m', pidsLimit: '20', cpus: '0.5' });
  assert.throws(() => d.create(id, limits), new RegExp(`the .*${missing[0]}.* controller.* not available`));
  assert.ok(!fs.existsSync(path.join(d.parentDir, id)), 'no container cgroup is left');
});
