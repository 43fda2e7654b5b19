/**
 * `stats --no-stream` against real containers (root): the figures it prints match the
 * containers' cgroup files read from the host at the same moment.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { bytesSize, humanSize } from '../../src/cli/stats';
import { BIN, REPO, SHIM, type Sandbox, isRoot, sandbox, waitFor } from '../helpers/harness';

const MiB = 1024 * 1024;
const built = fs.existsSync(SHIM) && fs.existsSync(path.join(REPO, 'dist', 'mydocker.js'));
const hasStats = built && /^\s+stats\b/m.test(spawnSync(BIN, ['--help'], { encoding: 'utf8' }).stdout);
const skip = !isRoot ? 'needs root' : !built ? 'needs a build (npm run build)' : !hasStats ? 'stats is not registered in the CLI' : false;

function hierarchy(controller: string): string {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f[sep + 1] !== 'cgroup') continue;
    if (f[sep + 3].split(',').includes(controller)) return f[4];
  }
  throw new Error(`no v1 hierarchy holds ${controller}`);
}

function cgFile(sb: Sandbox, controller: string, id: string, file: string): string {
  return fs.readFileSync(path.join(hierarchy(controller), sb.cgroupParent, id, file), 'utf8').trim();
}

function record(sb: Sandbox, name: string): any {
  const id = fs.readFileSync(path.join(sb.root, 'names', name), 'utf8');
  return JSON.parse(fs.readFileSync(path.join(sb.root, 'containers', id, 'config.json'), 'utf8'));
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: MiB, GiB: 1024 * MiB, kB: 1e3, MB: 1e6, GB: 1e9 };
function bytesOf(s: string): number {
  const m = /^([\d.e+]+)([A-Za-z]+)$/.exec(s);
  assert.ok(m && UNITS[m[2]], `a size: ${s}`);
  return Number(m[1]) * UNITS[m[2]];
}

/** Docker's table -> header and rows of cells (columns are separated by 3 or more spaces). */
function parseTable(out: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = out.trimEnd().split('\n');
  const header = lines[0].split(/ {2,}/);
  const rows = lines.slice(1).map((l) => {
    const cells = l.split(/ {2,}/);
    assert.equal(cells.length, header.length, `a full row: ${JSON.stringify(l)}`);
    return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  });
  return { header, rows };
}

interface Background {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function background(sb: Sandbox, args: string[]): Background {
  const child = sb.spawn(args);
  let err = '';
  child.stdout!.resume();
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, exited };
}

async function stop(bg: Background): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (bg.child.exitCode === null && bg.child.signalCode === null) bg.child.kill('SIGTERM');
  const timer = setTimeout(() => bg.child.kill('SIGKILL'), 10000);
  try {
    return await bg.exited;
  } finally {
    clearTimeout(timer);
  }
}

test('stats --no-stream: CPU, memory, PIDs, network and block I/O match the cgroup files', { skip }, async () => {
  const sb = sandbox();
  const bgs: Background[] = [];
  try {
    // "st" holds 20 MiB of tmpfs under a 64 MiB limit, with two processes (sh and sleep);
    // "busy" spins under --cpus 0.5 with one.
    bgs.push(background(sb, ['run', '--rm', '--name', 'st', '-m', '64m', 'busybox', 'sh', '-c',
      'dd if=/dev/zero of=/dev/shm/x bs=1M count=20 2>/dev/null; trap "exit 0" TERM; sleep 1000 & wait']));
    bgs.push(background(sb, ['run', '--rm', '--name', 'busy', '--cpus', '0.5', 'busybox', 'sh', '-c',
      'trap "exit 0" TERM; while :; do :; done']));
    let st: any;
    let busy: any;
    const up = await waitFor(() => {
      try {
        st = record(sb, 'st');
        busy = record(sb, 'busy');
        return st.State.Running && busy.State.Running &&
          Number(cgFile(sb, 'memory', st.Id, 'memory.usage_in_bytes')) >= 20 * MiB &&
          cgFile(sb, 'pids', st.Id, 'pids.current') === '2';
      } catch {
        return false;
      }
    }, 15000);
    assert.ok(up, `both containers run (${bgs.map((b) => b.stderr()).join(' ')})`);

    const r = sb.run(['stats', '--no-stream', 'st', 'busy']);
    // the files, right after
    const usage = Number(cgFile(sb, 'memory', st.Id, 'memory.usage_in_bytes'));
    const inactive = Number(/^total_inactive_file (\d+)$/m.exec(cgFile(sb, 'memory', st.Id, 'memory.stat'))![1]);
    const limit = Number(cgFile(sb, 'memory', st.Id, 'memory.limit_in_bytes'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const { header, rows } = parseTable(r.stdout);
    assert.deepEqual(header, ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS']);
    assert.deepEqual(rows.map((x) => x.NAME), ['st', 'busy'], 'in the order asked');
    const [s, b] = rows;
    console.log(r.stdout.trimEnd());

    assert.equal(s['CONTAINER ID'], st.Id.slice(0, 12));
    const [memUsage, memLimit] = s['MEM USAGE / LIMIT'].split(' / ');
    assert.equal(memLimit, bytesSize(limit));
    assert.equal(limit, 64 * MiB);
    const shown = bytesOf(memUsage);
    const want = usage - inactive;
    assert.ok(Math.abs(shown - want) <= want * 0.02, `memory ${memUsage} vs the files' ${want}`);
    assert.ok(Math.abs(Number(s['MEM %'].replace('%', '')) - (want / limit) * 100) < 1, `MEM % ${s['MEM %']}`);
    assert.equal(s.PIDS, cgFile(sb, 'pids', st.Id, 'pids.current'));
    assert.equal(s.PIDS, '2');
    assert.ok(Number(s['CPU %'].replace('%', '')) < 5, `st idles: ${s['CPU %']}`);

    const bcpu = Number(b['CPU %'].replace('%', ''));
    assert.ok(bcpu > 40 && bcpu < 60, `busy takes half a CPU, as its quota says: ${b['CPU %']}`);
    assert.equal(cgFile(sb, 'cpu', busy.Id, 'cpu.cfs_quota_us'), '50000');
    assert.equal(b.PIDS, cgFile(sb, 'pids', busy.Id, 'pids.current'));
    assert.equal(b.PIDS, '1');
    // no memory limit: Docker shows the host's memory as the limit
    assert.equal(b['MEM USAGE / LIMIT'].split(' / ')[1], bytesSize(os.totalmem()));

    for (const [row, rec] of [[s, st], [b, busy]] as const) {
      // the container's own network namespace has only loopback: nothing to count
      const dev = fs.readFileSync(`/proc/${rec.State.Pid}/net/dev`, 'utf8');
      assert.deepEqual(dev.split('\n').slice(2).filter(Boolean).map((l) => l.split(':')[0].trim()), ['lo']);
      assert.equal(row['NET I/O'], '0B / 0B');
      let read = 0;
      let write = 0;
      for (const l of cgFile(sb, 'blkio', rec.Id, 'blkio.throttle.io_service_bytes_recursive').split('\n')) {
        const f = l.split(' ');
        if (f[1] === 'Read') read += Number(f[2]);
        if (f[1] === 'Write') write += Number(f[2]);
      }
      assert.equal(row['BLOCK I/O'], `${humanSize(read)} / ${humanSize(write)}`);
    }

    // without arguments: every running container, newest first (Docker's list order)
    const all = sb.run(['stats', '--no-stream']);
    assert.equal(all.status, 0, all.stderr);
    const newestFirst = [st, busy].sort((x, y) => y.Created.localeCompare(x.Created)).map((x) => x.Name.replace(/^\//, ''));
    assert.deepEqual(parseTable(all.stdout).rows.map((x) => x.NAME), newestFirst);
    // --no-trunc: the full id
    const full = sb.run(['stats', '--no-stream', '--no-trunc', st.Id.slice(0, 8)]);
    assert.equal(parseTable(full.stdout).rows[0]['CONTAINER ID'], st.Id);

    const missing = sb.run(['stats', '--no-stream', 'nosuch']);
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, 'mydocker: Error response from daemon: No such container: nosuch\n');

    for (const bg of bgs) assert.deepEqual(await stop(bg), { code: 0, signal: null });
    // nothing runs any more: just the header, at once
    const t0 = Date.now();
    const none = sb.run(['stats', '--no-stream']);
    assert.equal(none.stdout, 'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n');
    assert.ok(Date.now() - t0 < 900, 'no waiting when nothing runs');
  } finally {
    for (const bg of bgs) await stop(bg);
    await sb.cleanup();
  }
});
