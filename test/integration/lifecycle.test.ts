/**
 * Detached containers and their life: run -d, logs, exec, stop, kill, start, restart,
 * wait, the name race, and a monitor killed under a running container.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, Sandbox, isRoot, waitFor, shimProcesses, record, runWatchingCleanups } from '../helpers/harness';

const skip = !isRoot ? 'needs root' : false;

function runD(sb: Sandbox, args: string[]): string {
  const r = sb.run(['run', '-d', ...args]);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/, 'run -d prints the full id');
  return id;
}

function kill9(sb: Sandbox, id: string): void {
  const rec = record(sb, id);
  if (rec.State.Running) {
    try {
      process.kill(rec.State.Pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

describe('run -d and logs', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('run -d returns at once; the monitor keeps the output, streams apart, per line', async () => {
    const t0 = Date.now();
    const id = runD(sb, ['--name', 'both', 'busybox', 'sh', '-c', 'echo out1; echo err1 >&2; sleep 1; echo out2; exit 3']);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(record(sb, id).State.Running, true);
    const w = sb.run(['wait', 'both']);
    assert.equal(w.stdout, '3\n');
    const logs = sb.run(['logs', 'both']);
    assert.equal(logs.stdout, 'out1\nout2\n');
    assert.equal(logs.stderr, 'err1\n');
    const lines = fs.readFileSync(path.join(sb.root, 'containers', id, `${id}-json.log`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.log, l.stream]), [['out1\n', 'stdout'], ['err1\n', 'stderr'], ['out2\n', 'stdout']]);
    for (const l of lines) assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const all = fs.readFileSync(path.join(sb.root, 'containers', id, `${id}-json.log`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // --since/--until: RFC 3339 and unix times select by the entries' own timestamps
    const cut = all[2].time;
    assert.equal(sb.run(['logs', '--since', cut, 'both']).stdout, 'out2\n');
    assert.equal(sb.run(['logs', '--until', all[0].time, 'both']).stdout, 'out1\n');
    assert.equal(sb.run(['logs', '--since', String(Date.parse(cut) / 1000 + 3600), 'both']).stdout, '');
    assert.equal(sb.run(['logs', '--since', '1h', 'both']).stdout, 'out1\nout2\n');
    assert.equal(sb.run(['logs', '--since', 'yesterday-ish', 'both']).status, 125);
    const tail = sb.run(['logs', '--tail', '1', '-t', 'both']);
    assert.match(tail.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z out2\n$/);
    const rec = record(sb, id);
    assert.equal(rec.State.Status, 'exited');
    assert.equal(rec.State.ExitCode, 3);
  });

  test('logs -f follows until the container exits; foreground runs are logged too', async () => {
    runD(sb, ['--name', 'follow', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done']);
    const f = sb.run(['logs', '-f', 'follow'], { timeout: 10000 });
    assert.equal(f.status, 0);
    assert.equal(f.stdout, 'line1\nline2\nline3\n');
    const fg = sb.run(['run', '--name', 'fg', 'busybox', 'echo', 'foreground']);
    assert.equal(fg.stdout, 'foreground\n');
    assert.equal(sb.run(['logs', 'fg']).stdout, 'foreground\n');
  });

  test('the monitor is small: under 2 MiB resident', async () => {
    const id = runD(sb, ['--name', 'small', 'busybox', 'sleep', '30']);
    const info = JSON.parse(fs.readFileSync(path.join(sb.root, 'running', id), 'utf8'));
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${info.monitor}/status`, 'utf8'))![1]);
    assert.ok(rss <= 2048, `monitor RSS ${rss} kB`);
    kill9(sb, id);
    assert.equal(sb.run(['wait', 'small']).stdout, '137\n');
  });
});

describe('exec', { skip }, () => {
  let sb: Sandbox;
  let id: string;
  before(() => {
    sb = sandbox();
    id = runD(sb, ['--name', 'box', '-e', 'FROM_RUN=1', 'busybox', 'sh', '-c', 'echo started; sleep 60']);
  });
  after(async () => {
    kill9(sb, id);
    sb.run(['wait', 'box']);
    await sb.cleanup();
  });

  test('exec joins the namespaces and the cgroup; exit code passes through', () => {
    const r = sb.run(['exec', 'box', 'sh', '-c', 'echo "$FROM_RUN $(hostname)"; cat /proc/1/cmdline | tr "\\0" " "; echo; cat /proc/self/cgroup | grep pids; exit 7']);
    assert.equal(r.status, 7);
    const [env, cmdline, cg] = r.stdout.trim().split('\n');
    assert.equal(env, `1 ${id.slice(0, 12)}`);
    assert.match(cmdline, /sleep 60/, 'the container\'s own PID 1 (sh execs its last command)');
    assert.match(cg, new RegExp(`/${id}$`));
  });

  test('while exec runs, every /proc/*/exe in the container is a container binary', async () => {
    const r = sb.run(['exec', 'box', 'sh', '-c', 'for p in /proc/[0-9]*; do readlink $p/exe; done | sort -u']);
    assert.equal(r.status, 0, r.stderr);
    for (const exe of r.stdout.trim().split('\n')) assert.match(exe, /^\/bin\/(sh|sleep|busybox|readlink|sort)$/, exe);
  });

  test('exec -i passes stdin, -e and -w apply, a missing command is 127', () => {
    assert.equal(sb.run(['exec', '-i', 'box', 'cat'], { input: 'piped\n' }).stdout, 'piped\n');
    assert.equal(sb.run(['exec', '-e', 'X=y', '-w', '/tmp', 'box', 'sh', '-c', 'echo $X $(pwd)']).stdout, 'y /tmp\n');
    const nf = sb.run(['exec', 'box', 'no-such']);
    assert.equal(nf.status, 127);
    assert.match(nf.stderr, /executable file not found/);
  });

  test('exec -d leaves a process running in the container', async () => {
    assert.equal(sb.run(['exec', '-d', 'box', 'sh', '-c', 'echo detached > /tmp/marker; sleep 30']).status, 0);
    assert.ok(await waitFor(() => sb.run(['exec', 'box', 'cat', '/tmp/marker']).stdout === 'detached\n', 5000));
  });

  test('exec into a stopped or unknown container is refused', () => {
    sb.run(['run', '--name', 'stopped', 'busybox', 'true']);
    const r = sb.run(['exec', 'stopped', 'true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mydocker: Error response from daemon: container [0-9a-f]{64} is not running\n$/);
    const u = sb.run(['exec', 'nope', 'true']);
    assert.equal(u.status, 1);
    assert.equal(u.stderr, 'mydocker: Error response from daemon: No such container: nope\n');
  });
});

describe('stop, kill, start, restart, wait', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('stop of a PID 1 that ignores SIGTERM: SIGKILL after -t seconds', () => {
    runD(sb, ['--name', 'stubborn', 'busybox', 'sleep', '60']);
    const t0 = Date.now();
    const r = sb.run(['stop', '-t', '1', 'stubborn']);
    const took = Date.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'stubborn\n');
    assert.ok(took >= 900 && took < 8000, `took ${took} ms`);
    const rec = JSON.parse(sb.run(['wait', 'stubborn']).stdout);
    assert.equal(rec, 137);
  });

  test('stop of a shell that handles SIGTERM ends it gracefully', () => {
    runD(sb, ['--name', 'polite', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']);
    const t0 = Date.now();
    assert.equal(sb.run(['stop', 'polite']).status, 0);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(sb.run(['wait', 'polite']).stdout, '0\n');
  });

  test('stop of a detached container records the end itself: its exit code, and no cleanup command is started', async () => {
    const id = runD(sb, ['--name', 'quick', 'busybox', 'sh', '-c', 'trap "exit 3" TERM; while :; do usleep 10000; done']);
    const { monitor } = JSON.parse(fs.readFileSync(path.join(sb.root, 'running', id), 'utf8')) as { monitor: number };
    const r = await runWatchingCleanups(sb, ['stop', 'quick'], [id]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'quick\n');
    assert.deepEqual(r.cleanups, [], 'no `container cleanup` process');
    const rec = record(sb, id);
    assert.equal(rec.State.Running, false);
    assert.equal(rec.State.ExitCode, 3);
    assert.ok(!fs.existsSync(path.join(sb.root, 'running', id)));
    assert.ok(await waitFor(() => !shimProcesses(sb.cgroupParent).includes(monitor), 3000), 'its monitor is gone');
    assert.equal(sb.run(['rm', 'quick']).status, 0);
  });

  test('kill -s sends the signal; kill of a stopped container is an error', () => {
    runD(sb, ['--name', 'kk', 'busybox', 'sh', '-c', 'trap "echo got-usr1; exit 5" USR1; while :; do sleep 0.1; done']);
    assert.equal(sb.run(['kill', '-s', 'USR1', 'kk']).stdout, 'kk\n');
    assert.equal(sb.run(['wait', 'kk']).stdout, '5\n');
    assert.equal(sb.run(['logs', 'kk']).stdout, 'got-usr1\n');
    const again = sb.run(['kill', 'kk']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /is not running/);
    assert.equal(sb.run(['kill', '-s', 'BOGUS', 'kk']).status, 125);
  });

  test('start finds the writable layer again; restart and start -a', () => {
    const id = runD(sb, ['--name', 'again', 'busybox', 'sh', '-c', 'echo run >> /count; cat /count | wc -l']);
    assert.equal(sb.run(['wait', 'again']).stdout, '0\n');
    assert.equal(sb.run(['start', 'again']).stdout, 'again\n');
    sb.run(['wait', 'again']);
    const a = sb.run(['start', '-a', 'again']);
    assert.equal(a.status, 0);
    assert.equal(a.stdout, '3\n');
    assert.equal(sb.run(['logs', 'again']).stdout, '1\n2\n3\n');
    assert.equal(record(sb, id).State.Status, 'exited');
    const rid = runD(sb, ['--name', 'rr', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; echo up; while :; do sleep 0.1; done']);
    const pid1 = record(sb, rid).State.Pid;
    assert.equal(sb.run(['restart', '-t', '2', 'rr']).status, 0);
    const rec = record(sb, rid);
    assert.equal(rec.State.Running, true);
    assert.notEqual(rec.State.Pid, pid1);
    process.kill(rec.State.Pid, 'SIGKILL');
    sb.run(['wait', 'rr']);
  });

  test('five parallel run -d --name same: exactly one wins', async () => {
    const procs = Array.from({ length: 5 }, () => sb.spawn(['run', '-d', '--name', 'same', 'busybox', 'sleep', '30']));
    const results = await Promise.all(
      procs.map(
        (p) =>
          new Promise<{ code: number | null; err: string }>((resolve) => {
            let err = '';
            p.stderr!.on('data', (d) => (err += d));
            p.on('close', (code) => resolve({ code, err }));
          }),
      ),
    );
    const ok = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code === 125);
    assert.equal(ok.length, 1, JSON.stringify(results));
    assert.equal(refused.length, 4);
    for (const r of refused) assert.match(r.err, /^mydocker: Conflict\. The container name "\/same" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/);
    const dirs = fs.readdirSync(path.join(sb.root, 'containers')).filter((d) => /^[0-9a-f]{64}$/.test(d));
    const same = dirs.filter((d) => record(sb, d).Name === '/same');
    assert.equal(same.length, 1, 'only the winner has a record');
    kill9(sb, same[0]);
    sb.run(['wait', 'same']);
  });

  test('kill -9 of the monitor: the container is never shown running afterwards', async () => {
    const id = runD(sb, ['--name', 'orphaned', 'busybox', 'sleep', '60']);
    const info = JSON.parse(fs.readFileSync(path.join(sb.root, 'running', id), 'utf8'));
    process.kill(info.monitor, 'SIGKILL');
    assert.ok(await waitFor(() => !fs.existsSync(`/proc/${info.pid}`), 5000), 'the container died with its monitor');
    assert.equal(sb.run(['wait', 'orphaned']).stdout, '255\n', 'an end nobody saw is 255, as Docker');
    const rec = record(sb, id);
    assert.equal(rec.State.Running, false);
    assert.equal(rec.State.Status, 'exited');
    assert.deepEqual(shimProcesses().filter((p) => p === info.monitor), []);
  });
});

