/**
 * `rm`, `rename` and `container prune` with real containers: what is removed and what
 * stays, forced removal of running containers (also when their monitor was killed),
 * anonymous volumes, and the refusals.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, Sandbox, isRoot, waitFor, shimProcesses, oneLine, ok, runWatchingCleanups } from '../helpers/harness';

const skip = !isRoot ? 'needs root' : false;

function ids(sb: Sandbox): string[] {
  const d = path.join(sb.root, 'containers');
  return fs.existsSync(d) ? fs.readdirSync(d).filter((x) => /^[0-9a-f]{64}$/.test(x)).sort() : [];
}

function names(sb: Sandbox): string[] {
  const d = path.join(sb.root, 'names');
  return fs.existsSync(d) ? fs.readdirSync(d).filter((x) => !x.startsWith('.')).sort() : [];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Alive and not a zombie (an orphan's zombie may wait for a parent that never reaps). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function cgroupDirs(sb: Sandbox, id: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || (f[sep + 1] !== 'cgroup' && f[sep + 1] !== 'cgroup2')) continue;
    const d = path.join(f[4], sb.cgroupParent, id);
    if (fs.existsSync(d)) out.push(d);
  }
  return out;
}

function runD(sb: Sandbox, name: string, ...cmd: string[]): string {
  const id = ok(sb.run(['run', '-d', '--name', name, 'busybox', ...(cmd.length ? cmd : ['sleep', '60'])])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  return id;
}

describe('rm', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('removes stopped containers, printing each name as given; the name is free again', () => {
    ok(sb.run(['run', '--name', 'gone1', 'busybox', 'true']));
    ok(sb.run(['run', '--name', 'gone2', 'busybox', 'true']));
    const id2 = ok(sb.run(['inspect', '-f', '{{.Id}}', 'gone2'])).trim();
    assert.equal(ok(sb.run(['rm', 'gone1', id2.slice(0, 12)])), `gone1\n${id2.slice(0, 12)}\n`);
    assert.deepEqual(ids(sb), []);
    assert.deepEqual(names(sb), []);
    ok(sb.run(['run', '--name', 'gone1', 'busybox', 'true']));
    assert.equal(ok(sb.run(['rm', '/gone1'])), '/gone1\n');
  });

  test('a running container without -f: one line, exit 1, still running', () => {
    const id = runD(sb, 'busy');
    const r = sb.run(['rm', 'busy']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(oneLine(r.stderr), 'mydocker: Error response from daemon: cannot remove container "/busy": container is running: stop the container before removing or force remove');
    assert.equal(ok(sb.run(['inspect', '-f', '{{.State.Running}}', 'busy'])), 'true\n');
    assert.ok(ids(sb).includes(id));
  });

  test('-f kills a running container and leaves nothing: process, monitor, cgroup, record', async () => {
    const id = ok(sb.run(['inspect', '-f', '{{.Id}}', 'busy'])).trim();
    const pid = Number(ok(sb.run(['inspect', '-f', '{{.State.Pid}}', 'busy'])).trim());
    const info = JSON.parse(fs.readFileSync(path.join(sb.root, 'running', id), 'utf8'));
    assert.equal(ok(sb.run(['rm', '-f', 'busy'])), 'busy\n');
    assert.ok(!running(pid), 'the container process is gone');
    assert.ok(await waitFor(() => !alive(info.monitor), 3000), 'the monitor is gone');
    assert.deepEqual(cgroupDirs(sb, id), []);
    assert.ok(!ids(sb).includes(id));
    assert.ok(!fs.existsSync(path.join(sb.root, 'running', id)));
    assert.deepEqual(names(sb), []);
  });

  test('-f of detached containers stops their monitors: no cleanup command is started for a record about to go', async () => {
    const idA = runD(sb, 'detA');
    const idB = runD(sb, 'detB');
    const r = await runWatchingCleanups(sb, ['rm', '-f', 'detA', 'detB'], [idA, idB]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'detA\ndetB\n');
    assert.deepEqual(r.cleanups, [], 'no `container cleanup` process');
    for (const id of [idA, idB]) {
      assert.deepEqual(cgroupDirs(sb, id), []);
      assert.ok(!ids(sb).includes(id));
      assert.ok(!fs.existsSync(path.join(sb.root, 'running', id)));
    }
  });

  test('-f of a container in a foreground run: its monitor reports the kill, the run exits with 137', async () => {
    const run = sb.spawn(['run', '--name', 'fg', 'busybox', 'sleep', '30']);
    const exited = new Promise<number | null>((r) => run.on('exit', (c) => r(c)));
    assert.ok(
      await waitFor(() => sb.run(['inspect', '-f', '{{.State.Running}}', 'fg']).stdout.trim() === 'true', 10000),
      'the container runs',
    );
    assert.equal(ok(sb.run(['rm', '-f', 'fg'])), 'fg\n');
    assert.equal(await exited, 137);
    assert.ok(!names(sb).includes('fg'));
  });

  test('-f works when the monitor was killed', async () => {
    const id = runD(sb, 'orphan');
    const info = JSON.parse(fs.readFileSync(path.join(sb.root, 'running', id), 'utf8'));
    process.kill(info.monitor, 'SIGKILL');
    await waitFor(() => !shimProcesses().includes(info.monitor), 3000);
    // Nobody is left to record the end: rm -f must do it (and kill whatever is left).
    assert.equal(ok(sb.run(['rm', '-f', 'orphan'])), 'orphan\n');
    assert.ok(await waitFor(() => !running(info.pid), 3000), 'no container process is left running');
    assert.deepEqual(cgroupDirs(sb, id), []);
    assert.ok(!ids(sb).includes(id));
  });

  test('cgroups a crashed start left behind (no run recorded) go with the container', async () => {
    const id = runD(sb, 'crashed', 'true');
    assert.ok(await waitFor(() => sb.run(['inspect', '-f', '{{.State.Status}}', 'crashed']).stdout.trim() === 'exited'));
    assert.deepEqual(cgroupDirs(sb, id), [], 'the end removed them');
    // what a CLI killed between creating the cgroups and starting the helper leaves
    const made: string[] = [];
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      const sep = f.indexOf('-');
      if (sep < 0 || f[sep + 1] !== 'cgroup' || !/(^|,)(pids|memory|devices)(,|$)/.test(f[sep + 3] ?? '')) continue;
      const d = path.join(f[4], sb.cgroupParent, id);
      fs.mkdirSync(d, { recursive: true });
      made.push(d);
    }
    assert.ok(made.length >= 1, 'a v1 hierarchy to leave a cgroup in');
    assert.equal(ok(sb.run(['rm', 'crashed'])), 'crashed\n');
    assert.deepEqual(cgroupDirs(sb, id), []);
    assert.ok(!ids(sb).includes(id));
  });

  test('-f of a container whose process is already gone, and of an unknown name', () => {
    const id = runD(sb, 'dying', 'sh', '-c', 'exit 5');
    ok(sb.run(['wait', id]));
    assert.equal(ok(sb.run(['rm', '-f', 'dying', 'never-was'])), 'dying\n');
    assert.deepEqual(ids(sb), []);
  });

  test('several names: the good ones are removed, one line per failure, exit 1', () => {
    ok(sb.run(['run', '--name', 'fine1', 'busybox', 'true']));
    ok(sb.run(['run', '--name', 'fine2', 'busybox', 'true']));
    const r = sb.run(['rm', 'fine1', 'nosuch', 'fine2']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, 'fine1\nfine2\n');
    assert.equal(oneLine(r.stderr), 'mydocker: Error response from daemon: No such container: nosuch');
    assert.deepEqual(ids(sb), []);
  });

  test('-v removes the anonymous volumes; without it they stay; named ones always stay', () => {
    const volumes = () => (fs.existsSync(path.join(sb.root, 'volumes')) ? fs.readdirSync(path.join(sb.root, 'volumes')).filter((v) => !v.startsWith('.')) : []);
    ok(sb.run(['run', '--name', 'keepvol', '-v', '/data', 'busybox', 'true']));
    const anon1 = volumes();
    assert.equal(anon1.length, 1);
    ok(sb.run(['rm', 'keepvol']));
    assert.deepEqual(volumes(), anon1);
    ok(sb.run(['volume', 'rm', anon1[0]]));

    ok(sb.run(['run', '--name', 'dropvol', '-v', '/data', '-v', 'named1:/named', 'busybox', 'sh', '-c', 'echo x > /named/f']));
    assert.equal(volumes().length, 2);
    assert.equal(ok(sb.run(['rm', '-v', 'dropvol'])), 'dropvol\n');
    assert.deepEqual(volumes(), ['named1']);
    assert.equal(fs.readFileSync(path.join(sb.root, 'volumes', 'named1', '_data', 'f'), 'utf8'), 'x\n');
    ok(sb.run(['volume', 'rm', 'named1']));
  });
});

describe('rename', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('moves the name; the old one is free, the new one taken', () => {
    ok(sb.run(['run', '--name', 'first', 'busybox', 'true']));
    const id = ok(sb.run(['inspect', '-f', '{{.Id}}', 'first'])).trim();
    assert.equal(ok(sb.run(['rename', 'first', 'second'])), '');
    assert.equal(ok(sb.run(['inspect', '-f', '{{.Name}}', id])), '/second\n');
    assert.deepEqual(names(sb), ['second']);
    assert.equal(ok(sb.run(['ps', '-a', '--format', '{{.Names}}'])), 'second\n');
    ok(sb.run(['run', '--name', 'first', 'busybox', 'true']));
    const r = sb.run(['run', '--name', 'second', 'busybox', 'true']);
    assert.equal(r.status, 125);
  });

  test('a running container can be renamed', () => {
    runD(sb, 'runner');
    ok(sb.run(['rename', 'runner', 'runner2']));
    assert.equal(ok(sb.run(['ps', '--format', '{{.Names}} {{.State}}'])), 'runner2 running\n');
    ok(sb.run(['rm', '-f', 'runner2']));
  });

  test('refusals: one line, exit 1, nothing changed', () => {
    const before = JSON.stringify([ids(sb), names(sb)]);
    const cases: Array<[string[], string]> = [
      [['rename', 'nosuch', 'x1'], 'mydocker: failed to rename container: Error response from daemon: No such container: nosuch'],
      [['rename', 'first', 'second'], 'mydocker: failed to rename container: Error response from daemon: Error when allocating new name: Conflict. The container name "/second" is already in use by container'],
      [['rename', 'first', 'bad name'], 'mydocker: failed to rename container: Error response from daemon: Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'],
      [['rename', 'first', 'first'], 'mydocker: failed to rename container: Error response from daemon: Renaming a container with the same name as its current name'],
    ];
    for (const [args, msg] of cases) {
      const r = sb.run(args);
      assert.equal(r.status, 1, args.join(' '));
      assert.ok(oneLine(r.stderr).startsWith(msg), r.stderr);
    }
    assert.equal(JSON.stringify([ids(sb), names(sb)]), before);
    ok(sb.run(['rm', 'first', 'second']));
  });
});

describe('container prune', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('asks first; anything but y cancels and changes nothing', () => {
    ok(sb.run(['run', '--name', 'stopped1', 'busybox', 'true']));
    const r = sb.run(['container', 'prune'], { input: 'n\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
    assert.equal(ids(sb).length, 1);
    const eof = sb.run(['container', 'prune'], { input: '' });
    assert.equal(eof.status, 0);
    assert.equal(ids(sb).length, 1);
  });

  test('-f removes every stopped container, keeps the running ones', () => {
    ok(sb.run(['run', '--name', 'stopped2', 'busybox', 'sh', '-c', 'echo 12345 > /f']));
    const stopped = ok(sb.run(['ps', '-aq', '--no-trunc', '--filter', 'status=exited'])).trim().split('\n').sort();
    const runId = runD(sb, 'keeper');
    const out = ok(sb.run(['container', 'prune', '-f']));
    const lines = out.split('\n');
    assert.equal(lines[0], 'Deleted Containers:');
    assert.deepEqual(lines.slice(1, 3).sort(), stopped);
    assert.equal(lines[3], '');
    assert.equal(lines[4], 'Total reclaimed space: 6B');
    assert.deepEqual(ids(sb), [runId]);
    assert.equal(ok(sb.run(['container', 'prune', '-f'])), 'Total reclaimed space: 0B\n');
    ok(sb.run(['rm', '-f', 'keeper']));
  });

  test('answering y prunes', () => {
    ok(sb.run(['run', '--name', 'stopped3', 'busybox', 'true']));
    const r = sb.run(['container', 'prune'], { input: 'y\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\[y\/N\] Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
    assert.deepEqual(ids(sb), []);
  });

  test('bad filters are refused before anything is removed', () => {
    ok(sb.run(['run', '--name', 'stopped4', 'busybox', 'true']));
    const r = sb.run(['container', 'prune', '-f', '--filter', 'bogus=1']);
    assert.equal(r.status, 1);
    assert.equal(oneLine(r.stderr), "mydocker: Error response from daemon: invalid filter 'bogus'");
    assert.equal(ids(sb).length, 1);
    ok(sb.run(['container', 'prune', '-f', '--filter', 'label=nope']));
    assert.equal(ids(sb).length, 1);
    ok(sb.run(['rm', 'stopped4']));
  });
});
