/**
 * `mydocker run` end to end, with real containers (root). Every test uses its own
 * engine root and asserts afterwards that no mount, cgroup or monitor leaked.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, Sandbox, isRoot, waitFor, BIN, oneLine } from '../helpers/harness';

const skip = !isRoot ? 'needs root' : false;

/** The records left under a root (kept containers). */
function containers(sb: Sandbox): any[] {
  const dir = path.join(sb.root, 'containers');
  if (!fs.existsSync(dir)) return [];
  // A container directory exists a moment before its record is written.
  return fs
    .readdirSync(dir)
    .filter((d) => /^[0-9a-f]{64}$/.test(d) && fs.existsSync(path.join(dir, d, 'config.json')))
    .map((d) => JSON.parse(fs.readFileSync(path.join(dir, d, 'config.json'), 'utf8')));
}

describe('run: process, argv, exit codes', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('the command is PID 1 and argv reaches it untouched', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'echo "pid=$$"; printf "[%s]" "$@"', 'x', 'a b', '', '*', '$HOME', "it's"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "pid=1\n[a b][][*][$HOME][it's]");
  });

  test('sh -c with a compound command works', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'a=1; b="x y"; echo "$a $b"; exit 0']);
    assert.equal(r.stdout, '1 x y\n');
  });

  test("the container's exit code passes through", () => {
    for (const code of [0, 1, 3, 42, 255]) {
      const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', `exit ${code}`]);
      assert.equal(r.status, code);
    }
  });

  test('stdout and stderr stay separate streams without -t', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('-i passes stdin; without -i the container reads EOF', () => {
    const withI = sb.run(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'hello\nworld\n' });
    assert.equal(withI.stdout, 'hello\nworld\ndone\n');
    const without = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'ignored\n' });
    assert.equal(without.stdout, 'done\n');
  });

  test('-e, --env-file, image env, HOSTNAME and HOME as Docker', () => {
    const envFile = path.join(sb.root, 'env.list');
    fs.writeFileSync(envFile, '# comment\n\nFROM_FILE=1\nOVERRIDE=file\nSPACED=a b \n');
    const r = sb.run(
      ['run', '--rm', '--env-file', envFile, '-e', 'OVERRIDE=flag', '-e', 'FROM_HOST', '-e', 'UNSET_ONE', '-e', 'EQ=a=b', '-h', 'box', 'busybox', 'env'],
      { env: { FROM_HOST: 'host value' } },
    );
    assert.equal(r.status, 0, r.stderr);
    const env = new Set(r.stdout.trim().split('\n'));
    for (const e of ['FROM_FILE=1', 'OVERRIDE=flag', 'SPACED=a b ', 'FROM_HOST=host value', 'EQ=a=b', 'HOSTNAME=box', 'HOME=/root', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']) {
      assert.ok(env.has(e), `missing ${e} in ${r.stdout}`);
    }
    assert.ok(![...env].some((e) => e.startsWith('UNSET_ONE')), '-e NAME of an unset variable is dropped');
    assert.ok(![...env].some((e) => e.startsWith('TERM=')), 'no TERM without -t');
  });

  test('-w sets (and creates) the working directory; --entrypoint replaces the command', () => {
    const r = sb.run(['run', '--rm', '-w', '/new/dir', 'busybox', 'pwd']);
    assert.equal(r.stdout, '/new/dir\n');
    const e = sb.run(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint']);
    assert.equal(e.stdout, 'via entrypoint\n');
  });

  test('a signal to `mydocker run` reaches the container', async () => {
    const child = sb.spawn(['run', '--rm', 'busybox', 'sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.05; done']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    assert.ok(await waitFor(() => out.includes('ready'), 10000), 'container started');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 3);
    assert.match(out, /got-term/);
  });

  test('a container killed by a signal gives 128+n', async () => {
    const child = sb.spawn(['run', '--name', 'killed', 'busybox', 'sleep', '100']);
    const ok = await waitFor(() => containers(sb).some((c) => c.Name === '/killed' && c.State.Pid > 0), 10000);
    assert.ok(ok, 'container running');
    const pid = containers(sb).find((c) => c.Name === '/killed').State.Pid;
    process.kill(pid, 'SIGKILL');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 137);
    const rec = containers(sb).find((c) => c.Name === '/killed');
    assert.equal(rec.State.Status, 'exited');
    assert.equal(rec.State.ExitCode, 137);
    assert.equal(rec.State.Running, false);
  });
});

describe('run: isolation', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('own PID namespace: only its own processes are visible', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\\n" " "']);
    // sh (1), and the pipeline's children; never the host's thousands of pids
    const pids = r.stdout.trim().split(' ').map(Number);
    assert.equal(pids[0], 1);
    assert.ok(pids.length < 10, r.stdout);
  });

  test('hostname defaults to the short id; -h sets it; /etc/hostname and /etc/hosts as Docker', () => {
    const r = sb.run(['run', '--name', 'h1', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname']);
    const rec = containers(sb).find((c) => c.Name === '/h1');
    assert.equal(r.stdout, `${rec.Id.slice(0, 12)}\n${rec.Id.slice(0, 12)}\n`);
    const h = sb.run(['run', '--rm', '-h', 'myhost', 'busybox', 'sh', '-c', 'hostname; cat /etc/hosts; cat /etc/resolv.conf']);
    assert.match(h.stdout, /^myhost\n127\.0\.0\.1\tlocalhost\n/);
    assert.match(h.stdout, /nameserver /);
    assert.doesNotMatch(h.stdout, /nameserver 127\./, 'loopback resolvers are not reachable from the container');
  });

  test('network namespace: only loopback, and it is up', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'ls /sys/class/net; ip -o link show lo']);
    assert.equal(r.stdout.split('\n')[0], 'lo');
    assert.match(r.stdout, /<LOOPBACK,UP,LOWER_UP>/);
  });

  test('mount namespace: an overlay root, no host mounts; none visible on the host', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'cat', '/proc/self/mountinfo']);
    const lines = r.stdout.trim().split('\n');
    const root = lines.find((l) => l.split(' ')[4] === '/')!;
    assert.match(root, / - overlay overlay /);
    const points = lines.map((l) => l.split(' ')[4]);
    for (const p of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']) {
      assert.ok(points.includes(p), `${p} mounted`);
    }
    assert.ok(!points.some((p) => p.startsWith('/work') || p.startsWith('/tmp/mydocker-test')), 'no host paths');
    const sys = lines.find((l) => l.split(' ')[4] === '/sys')!;
    assert.match(sys.split(' ')[5], /^ro,/, '/sys is read-only');
  });

  test('/dev holds the default devices and links', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; echo x > /dev/null && head -c 4 /dev/zero | wc -c']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\/dev\/null character special file 1:3/);
    assert.match(r.stdout, /\/dev\/tty character special file 5:0/);
    assert.match(r.stdout, /\/proc\/self\/fd\n\/proc\/self\/fd\/0\n\/proc\/self\/fd\/1\n\/proc\/self\/fd\/2\npts\/ptmx\n4\n$/);
  });

  test('writes go to the container layer, never to the image', () => {
    const a = sb.run(['run', '--name', 'writer', 'busybox', 'sh', '-c', 'echo data > /bin/new-file; rm /bin/ls; echo ok']);
    assert.equal(a.stdout, 'ok\n');
    const b = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'test -e /bin/new-file && echo leaked; test -e /bin/ls && echo intact']);
    assert.equal(b.stdout, 'intact\n');
    const rec = containers(sb).find((c) => c.Name === '/writer');
    assert.equal(fs.readFileSync(path.join(sb.root, 'containers', rec.Id, 'upper', 'bin', 'new-file'), 'utf8'), 'data\n');
  });
});

describe('run: state and cleanup', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('--rm deletes the container; without it the container is kept as exited', () => {
    sb.run(['run', '--rm', 'busybox', 'true']);
    assert.equal(containers(sb).length, 0);
    const r = sb.run(['run', '--name', 'kept', 'busybox', 'sh', '-c', 'exit 4']);
    assert.equal(r.status, 4);
    const rec = containers(sb).find((c) => c.Name === '/kept');
    assert.equal(rec.State.Status, 'exited');
    assert.equal(rec.State.ExitCode, 4);
    assert.equal(rec.Path, 'sh');
    assert.deepEqual(rec.Args, ['-c', 'exit 4']);
    assert.ok(Date.parse(rec.State.FinishedAt) >= Date.parse(rec.State.StartedAt));
  });

  test('SIGKILL of `mydocker run`: the monitor still cleans up when the container exits', async () => {
    const child = sb.spawn(['run', '--rm', '--name', 'orphan', 'busybox', 'sh', '-c', 'sleep 0.7']);
    assert.ok(await waitFor(() => containers(sb).some((c) => c.Name === '/orphan' && c.State.Running), 10000));
    const id = containers(sb).find((c) => c.Name === '/orphan').Id;
    child.kill('SIGKILL');
    assert.ok(await waitFor(() => !fs.existsSync(path.join(sb.root, 'containers', id)), 10000), 'removed by the monitor');
    assert.ok(await waitFor(() => !fs.existsSync(path.join(sb.root, 'names', 'orphan')), 2000), 'name released');
  });

  test('SIGKILL of the CLI and the monitor: the next command repairs the state', async () => {
    const child = sb.spawn(['run', '--name', 'crashed', 'busybox', 'sleep', '100']);
    assert.ok(await waitFor(() => containers(sb).some((c) => c.Name === '/crashed' && c.State.Running), 10000));
    const rec = containers(sb).find((c) => c.Name === '/crashed');
    const info = JSON.parse(fs.readFileSync(path.join(sb.root, 'running', rec.Id), 'utf8'));
    child.kill('SIGKILL');
    process.kill(info.monitor, 'SIGKILL');
    // The container dies with its monitor (it cannot be watched any more).
    assert.ok(await waitFor(() => !fs.existsSync(`/proc/${rec.State.Pid}`), 5000));
    const r = sb.run(['run', '--rm', 'busybox', 'true']);
    assert.equal(r.status, 0, r.stderr);
    const after = containers(sb).find((c) => c.Name === '/crashed');
    assert.equal(after.State.Status, 'exited');
    assert.equal(after.State.Running, false);
    assert.equal(after.State.ExitCode, 255, 'an end that cannot be known is 255, as Docker');
  });
});

describe('run: bad input', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  const cases: Array<[string, string[], number, RegExp]> = [
    ['unknown image', ['run', '--rm', 'nope'], 125, /^mydocker: Unable to find image 'nope:latest' locally$/],
    ['invalid reference', ['run', '--rm', 'Bad:Image'], 125, /invalid reference format/],
    ['missing command', ['run', '--rm', 'busybox', 'no-such-cmd'], 127, /exec: "no-such-cmd": executable file not found in \$PATH/],
    ['missing path', ['run', '--rm', 'busybox', '/no/such'], 127, /no such file or directory/],
    ['not executable', ['run', '--rm', 'busybox', '/etc/passwd'], 126, /permission denied/],
    ['a directory', ['run', '--rm', 'busybox', '/etc'], 126, /permission denied/],
    ['invalid name', ['run', '--rm', '--name', 'bad name!', 'busybox', 'true'], 125, /Invalid container name \(bad name!\)/],
    ['unknown flag', ['run', '--bogus', 'busybox', 'true'], 125, /^mydocker: unknown flag: --bogus$/],
    ['flag without value', ['run', 'busybox', '--name'], 0, /./],
    ['workdir is a file', ['run', '--rm', '-w', '/etc/passwd', 'busybox', 'true'], 125, /working directory "\/etc\/passwd": not a directory/],
    ['relative workdir', ['run', '--rm', '-w', 'rel', 'busybox', 'true'], 125, /needs to be an absolute path/],
    ['missing env file', ['run', '--rm', '--env-file', '/no/such/file', 'busybox', 'true'], 125, /open \/no\/such\/file: no such file or directory/],
  ];
  for (const [what, args, code, msg] of cases) {
    if (what === 'flag without value') continue; // after IMAGE, "--name" belongs to the container
    test(`${what}: one line, exit ${code}, nothing left`, () => {
      const before = fs.readdirSync(sb.root).length;
      const r = sb.run(args);
      assert.equal(r.status, code, r.stderr);
      assert.match(oneLine(r.stderr), msg);
      assert.equal(containers(sb).length, 0, 'no container record left');
      const names = path.join(sb.root, 'names');
      assert.deepEqual(fs.existsSync(names) ? fs.readdirSync(names) : [], [], 'no name reserved');
      void before;
    });
  }

  test('a name already in use: 125, the existing container untouched', () => {
    assert.equal(sb.run(['run', '--name', 'taken', 'busybox', 'true']).status, 0);
    const first = containers(sb);
    const r = sb.run(['run', '--name', 'taken', 'busybox', 'echo', 'second']);
    assert.equal(r.status, 125);
    assert.match(oneLine(r.stderr), /Conflict\. The container name "\/taken" is already in use by container "[0-9a-f]{64}"/);
    assert.equal(r.stdout, '');
    assert.deepEqual(containers(sb), first);
    fs.rmSync(path.join(sb.root, 'containers', first[0].Id), { recursive: true });
    fs.rmSync(path.join(sb.root, 'names', 'taken'));
  });

  test('a missing value for a flag before IMAGE', () => {
    const r = sb.run(['run', '--name']);
    assert.equal(r.status, 125);
    oneLine(r.stderr);
  });

  test('the engine binary is where the harness expects it', () => {
    assert.ok(fs.existsSync(BIN));
  });
});
