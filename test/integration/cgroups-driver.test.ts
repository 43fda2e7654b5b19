/**
 * The host's cgroup driver against the real kernel (root only): limits land in the kernel's
 * files, a real process placed through procsFiles is constrained by them, and nothing is
 * left behind. Each run uses its own parent cgroup and removes it at the end.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { type EngineCgroups, openCgroups, parseLimits } from '../../src/cgroups';
import { parseProcCgroup } from '../../src/cgroups/discover';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root';
const MiB = 1024 * 1024;
const PARENT = `mydocker-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

let cg: EngineCgroups;
const children: ChildProcess[] = [];

before(() => {
  if (isRoot) cg = openCgroups({ parent: PARENT });
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (!isRoot) return;
  for (const id of cg.list()) {
    for (const pid of cg.procs(id)) killQuietly(pid);
    cg.remove(id);
  }
  cg.removeParent();
  assertNothingLeft();
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function assertNothingLeft(id?: string): void {
  for (const h of cg.layout.hierarchies) {
    const dir = id ? path.join(h.dir, PARENT, id) : path.join(h.dir, PARENT);
    assert.ok(!fs.existsSync(dir), `${dir} must be gone`);
  }
}

/** Starts `sh -c script` waiting on stdin; the returned go() lets it run once placed. */
function startWaiting(script: string): { child: ChildProcess; pid: number; go: () => void; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn('sh', ['-c', `read _ ; ${script}`], { stdio: ['pipe', 'ignore', 'pipe'] });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, pid: child.pid!, go: () => child.stdin!.end('\n'), exited };
}

function place(procsFiles: string[], pid: number): void {
  // what the helper does between clone and execve
  for (const f of procsFiles) fs.writeFileSync(f, String(pid));
}

function file(controller: string, id: string, name: string): string {
  const h = cg.layout.byController[controller];
  return fs.readFileSync(path.join(h.dir, PARENT, id, name), 'utf8').trim();
}

function uniqueId(tag: string): string {
  return `${tag}-${Math.random().toString(36).slice(2, 10)}`;
}

test('limits land in the kernel, a real process joins, stats read, remove leaves nothing', { skip }, async () => {
  const id = uniqueId('basic');
  const limits = parseLimits({ memory: '32m', cpus: '0.5', pidsLimit: '20', cpusetCpus: '0' });
  // cost: the first create of a process also makes the parent and runs cold code; a loaded
  // test machine can stretch it, so only a gross regression fails it
  const ms = (f: () => void) => {
    const t0 = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  let placement!: ReturnType<EngineCgroups['create']>;
  const cold = ms(() => (placement = cg.create(id, limits)));
  assert.ok(cold < 20, `first create took ${cold.toFixed(2)} ms`);
  const warm = Math.min(...[1, 2, 3].map((i) => ms(() => cg.create(`${id}-w${i}`, limits))));
  assert.ok(warm < 5, `create took ${warm.toFixed(2)} ms`);
  for (const i of [1, 2, 3]) cg.remove(`${id}-w${i}`);
  assert.equal(placement.path, `/${PARENT}/${id}`);
  assert.deepEqual(cg.list(), [id]);

  const p = startWaiting('exec sleep 30');
  place(placement.procsFiles, p.pid);

  // /proc/<pid>/cgroup shows the container's cgroup for each controller we use
  const where = parseProcCgroup(fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8'));
  const controllers = cg.version === 1 ? ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids'] : [''];
  for (const c of controllers) {
    if (cg.version === 1 && !cg.layout.byController[c]) continue;
    assert.equal(where.get(c), placement.path, `controller ${c || 'unified'}`);
  }

  if (cg.version === 1) {
    assert.equal(file('memory', id, 'memory.limit_in_bytes'), String(32 * MiB));
    assert.equal(file('cpu', id, 'cpu.cfs_period_us'), '100000');
    assert.equal(file('cpu', id, 'cpu.cfs_quota_us'), '50000');
    assert.equal(file('pids', id, 'pids.max'), '20');
    assert.equal(file('cpuset', id, 'cpuset.cpus'), '0');
    assert.notEqual(file('cpuset', id, 'cpuset.mems'), '');
  } else {
    assert.equal(file('memory', id, 'memory.max'), String(32 * MiB));
    assert.equal(file('cpu', id, 'cpu.max'), '50000 100000');
    assert.equal(file('pids', id, 'pids.max'), '20');
    assert.equal(file('cpuset', id, 'cpuset.cpus'), '0');
  }
  const status = fs.readFileSync(`/proc/${p.pid}/status`, 'utf8');
  assert.match(status, /^Cpus_allowed_list:\s+0$/m, 'pinned to CPU 0');

  p.go();
  const s = cg.stats(id);
  assert.equal(s.pids, 1);
  assert.equal(s.memoryLimit, 32 * MiB);
  assert.ok(s.cpuUsageNs >= 0 && s.memoryUsage >= 0);
  assert.deepEqual(cg.procs(id), [p.pid]);
  assert.equal(cg.oomKilled(id), false);

  process.kill(p.pid, 'SIGKILL');
  const end = await p.exited;
  assert.equal(end.signal, 'SIGKILL');
  cg.remove(id); // the kernel may list the exiting task briefly: remove() waits for it
  assertNothingLeft(id);
  assert.deepEqual(cg.list(), []);
  cg.remove(id); // again: nothing to do
});

test('memory 32m: a 64 MiB allocation is OOM-killed and recorded; 128m lets it finish', { skip }, async () => {
  const alloc = 'exec dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null';
  const small = uniqueId('oom');
  const p1 = startWaiting(alloc);
  place(cg.create(small, parseLimits({ memory: '32m' })).procsFiles, p1.pid);
  p1.go();
  const end1 = await p1.exited;
  assert.equal(end1.signal, 'SIGKILL', 'killed by the OOM killer');
  assert.equal(cg.oomKilled(small), true);
  cg.remove(small);

  const big = uniqueId('fits');
  const p2 = startWaiting(alloc);
  place(cg.create(big, parseLimits({ memory: '128m' })).procsFiles, p2.pid);
  p2.go();
  const end2 = await p2.exited;
  assert.equal(end2.code, 0);
  assert.equal(cg.oomKilled(big), false);
  cg.remove(big);
  assertNothingLeft(small);
  assertNothingLeft(big);
});

test('cpus 0.5 throttles a busy loop (measured by the cgroup\'s usage counter)', { skip }, async () => {
  const id = uniqueId('cpu');
  const p = startWaiting('while :; do :; done');
  place(cg.create(id, parseLimits({ cpus: '0.5' })).procsFiles, p.pid);
  p.go();
  await new Promise((r) => setTimeout(r, 200));
  const u0 = cg.stats(id).cpuUsageNs;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, 1000));
  const used = cg.stats(id).cpuUsageNs - u0;
  const wall = Number(process.hrtime.bigint() - t0);
  process.kill(p.pid, 'SIGKILL');
  await p.exited;
  const share = used / wall;
  assert.ok(share > 0.3 && share < 0.62, `CPU share ${share.toFixed(3)} should be about 0.5`);
  cg.remove(id);
  assertNothingLeft(id);
});

test('pids-limit 20 stops a fork loop', { skip }, async () => {
  const id = uniqueId('pids');
  const p = startWaiting('for i in $(seq 1 40); do sleep 30 & done; echo forked; wait');
  place(cg.create(id, parseLimits({ pidsLimit: '20' })).procsFiles, p.pid);
  let stderr = '';
  p.child.stderr!.on('data', (d) => (stderr += d));
  p.go();
  // the kernel counts refused forks in pids.events ("max N", v1 and v2 alike)
  const refused = () => Number(/^max (\d+)/m.exec(file('pids', id, 'pids.events'))?.[1] ?? 0);
  const hit = await waitUntil(() => refused() > 0, 5000);
  assert.ok(hit, `no fork refused; pids ${cg.stats(id).pids}`);
  await new Promise((r) => setTimeout(r, 100));
  const n = cg.stats(id).pids;
  assert.ok(n <= 20 && n >= 15, `pids ${n} must stay at the limit`);
  assert.match(stderr, /fork|Resource temporarily unavailable/i);
  for (const pid of cg.procs(id)) killQuietly(pid);
  await p.exited;
  cg.remove(id);
  assertNothingLeft(id);
});

test('a bad write is refused by the kernel and leaves nothing behind', { skip }, async () => {
  const id = uniqueId('bad');
  // a cpuset outside the parent's: the kernel says EINVAL
  assert.throws(() => cg.create(id, { cpusetCpus: '4095' }), /cpuset\.cpus: (Invalid argument|Numerical result out of range)/);
  assertNothingLeft(id);
});

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
