/**
 * Volumes end to end, with real containers (root): -v, --mount, --tmpfs, --read-only, named
 * and anonymous volumes, copy-up, mount order, hostile images, bad input, a failed unmount,
 * and the `volume` commands. Every test's sandbox asserts afterwards that no mount, cgroup or
 * monitor leaked.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { sandbox, Sandbox, isRoot, oneLine } from '../helpers/harness';
import { Engine } from '../../src/engine/engine';
import { removeContainer } from '../../src/engine/teardown';
import { MountedUnderError } from '../../src/volume/saferm';
import { encodeTar, TarEntryInput } from '../../src/image/tar';
import { chainIds } from '../../src/image/store';

const skip = !isRoot ? 'needs root' : false;

function ok(r: { status: number | null; stderr: string; stdout: string }): string {
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function containerIds(sb: Sandbox): string[] {
  const dir = path.join(sb.root, 'containers');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => /^[0-9a-f]{64}$/.test(d)) : [];
}

function record(sb: Sandbox, name: string): any {
  for (const id of containerIds(sb)) {
    const rec = JSON.parse(fs.readFileSync(path.join(sb.root, 'containers', id, 'config.json'), 'utf8'));
    if (rec.Name === `/${name}`) return rec;
  }
  throw new Error(`no container ${name}`);
}

function volumeNames(sb: Sandbox): string[] {
  return ok(sb.run(['volume', 'ls', '-q'])).split('\n').filter(Boolean);
}

function dataDir(sb: Sandbox, name: string): string {
  return path.join(sb.root, 'volumes', name, '_data');
}

/** Adds an image made of busybox plus one layer of `entries` to the sandbox's store. */
function addImage(sb: Sandbox, tag: string, entries: TarEntryInput[], config: Record<string, unknown> = {}): void {
  const engine = new Engine(sb.root);
  const bb = engine.resolveImage('busybox');
  const parent = chainIds(bb.config.rootfs.diff_ids).at(-1);
  const layer = engine.images.addLayerSync(encodeTar(entries), parent);
  engine.images.createImage(
    { ...bb.config, config: { ...bb.config.config, ...config }, rootfs: { type: 'layers', diff_ids: [...bb.config.rootfs.diff_ids, layer.diffId] } },
    [tag],
  );
}

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

describe('volumes: binds', { skip }, () => {
  let sb: Sandbox;
  let host: string;
  before(() => {
    sb = sandbox();
    host = path.join(sb.root, 'host');
    fs.mkdirSync(host);
  });
  after(async () => {
    await sb.cleanup();
  });

  test('the mission: data written through -v is on the host after --rm, and a missing host dir is created', () => {
    const vol = path.join(host, 'missing', 'vol');
    assert.equal(fs.existsSync(vol), false);
    ok(sb.run(['run', '--rm', '-v', `${vol}:/test`, 'busybox', 'sh', '-c', 'touch /test/test.txt']));
    assert.ok(fs.statSync(vol).isDirectory());
    assert.ok(fs.existsSync(path.join(vol, 'test.txt')));
    assert.deepEqual(containerIds(sb), []);
  });

  test('a relative source is taken from the current directory', () => {
    const r = sb.run(['run', '--rm', '-v', './rel:/r', 'busybox', 'sh', '-c', 'echo hi > /r/f'], {});
    // spawnSync runs in the test's cwd; make the expectation from it
    assert.equal(r.status, 0, r.stderr);
    const made = path.resolve('rel');
    try {
      assert.equal(fs.readFileSync(path.join(made, 'f'), 'utf8'), 'hi\n');
    } finally {
      fs.rmSync(made, { recursive: true, force: true });
    }
  });

  test('ro refuses writes (-v :ro and --mount readonly); the host side stays writable', () => {
    const d = path.join(host, 'ro');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'f'), 'orig');
    for (const flag of [['-v', `${d}:/ro:ro`], ['--mount', `type=bind,src=${d},dst=/ro,readonly`]]) {
      const r = sb.run(['run', '--rm', ...flag, 'busybox', 'sh', '-c', 'cat /ro/f; echo x > /ro/f']);
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, 'orig');
      assert.match(r.stderr, /Read-only file system/);
    }
    assert.equal(fs.readFileSync(path.join(d, 'f'), 'utf8'), 'orig');
  });

  test('parents first: -v B:/m/foo -v A:/m shows both', () => {
    const a = path.join(host, 'A');
    const b = path.join(host, 'B');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(a, 'from-a'), '');
    fs.writeFileSync(path.join(b, 'from-b'), '');
    const out = ok(sb.run(['run', '--rm', '-v', `${b}:/m/foo`, '-v', `${a}:/m`, 'busybox', 'sh', '-c', 'ls /m; echo --; ls /m/foo']));
    assert.equal(out, 'foo\nfrom-a\n--\nfrom-b\n');
  });

  test('file binds: onto an image file, and onto a new path (created as a file)', () => {
    const f = path.join(host, 'file');
    fs.writeFileSync(f, 'bound file\n');
    const out = ok(
      sb.run(['run', '--rm', '-v', `${f}:/etc/passwd:ro`, '-v', `${f}:/new/dir/file`, 'busybox', 'sh', '-c', 'cat /etc/passwd; cat /new/dir/file; test -f /new/dir/file && echo is-file']),
    );
    assert.equal(out, 'bound file\nbound file\nis-file\n');
  });

  test('a directory onto a file, or a file onto a directory, is refused before anything is made', () => {
    const f = path.join(host, 'plain-file');
    fs.writeFileSync(f, '');
    const newSrc = path.join(host, 'never-created');
    for (const v of [`${newSrc}:/etc/passwd`, `${f}:/etc`]) {
      const r = sb.run(['run', '--rm', '-v', v, 'busybox', 'true']);
      assert.equal(r.status, 125);
      assert.match(oneLine(r.stderr), /Are you trying to mount a directory onto a file \(or vice-versa\)\?/);
    }
    assert.equal(fs.existsSync(newSrc), false, 'the refused -v created no host directory');
    assert.deepEqual(containerIds(sb), []);
  });

  test("inspect's Mounts as Docker records them", () => {
    const d = path.join(host, 'insp');
    ok(sb.run(['run', '--name', 'insp', '-v', `${d}:/b:ro`, '-v', 'named-insp:/n', '--mount', 'type=tmpfs,dst=/t', '--tmpfs', '/tt', 'busybox', 'true']));
    const rec = record(sb, 'insp');
    assert.deepEqual(rec.Mounts, [
      { Type: 'bind', Source: d, Destination: '/b', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'volume', Name: 'named-insp', Source: dataDir(sb, 'named-insp'), Destination: '/n', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
    ]);
    assert.deepEqual(rec.HostConfig.Binds, [`${d}:/b:ro`, 'named-insp:/n']);
    assert.deepEqual(rec.HostConfig.Tmpfs, { '/tt': '' });
    const engine = new Engine(sb.root);
    removeContainer(engine, engine.containers.resolve('insp'), { removeAnonymousVolumes: true });
  });
});

describe('volumes: named and anonymous', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('two containers share a named volume (one after the other, and at the same time)', async () => {
    ok(sb.run(['run', '--rm', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo first > /data/f']));
    assert.equal(ok(sb.run(['run', '--rm', '-v', 'shared:/data', 'busybox', 'cat', '/data/f'])), 'first\n');
    const reader = sb.spawn(['run', '--rm', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'i=0; while [ ! -f /data/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; cat /data/go']);
    let out = '';
    reader.stdout!.on('data', (d) => (out += d));
    const done = new Promise<number | null>((r) => reader.on('exit', (c) => r(c)));
    ok(sb.run(['run', '--rm', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo written-meanwhile > /data/go']));
    assert.equal(await done, 0);
    assert.equal(out, 'written-meanwhile\n');
  });

  test('--rm removes anonymous volumes (-v /path, --mount without source), never named ones', () => {
    const before = new Set(volumeNames(sb));
    ok(sb.run(['run', '--rm', '-v', 'kept-named:/n', '-v', '/anon', '--mount', 'type=volume,dst=/anon2', 'busybox', 'sh', '-c', 'echo x > /anon/a; echo y > /n/b']));
    const after = volumeNames(sb).filter((n) => !before.has(n));
    assert.deepEqual(after, ['kept-named']);
    assert.equal(fs.readFileSync(path.join(dataDir(sb, 'kept-named'), 'b'), 'utf8'), 'y\n');
  });

  test('without --rm the anonymous volume stays; its inspect marks it anonymous', () => {
    ok(sb.run(['run', '--name', 'anon-keeper', '-v', '/anon', 'busybox', 'sh', '-c', 'echo kept > /anon/f']));
    const rec = record(sb, 'anon-keeper');
    const name = rec.Mounts[0].Name;
    assert.match(name, /^[0-9a-f]{64}$/);
    assert.deepEqual(rec.Config.Volumes, { '/anon': {} });
    const insp = JSON.parse(ok(sb.run(['volume', 'inspect', name])));
    assert.deepEqual(insp[0].Labels, { 'com.docker.volume.anonymous': '' });
    assert.equal(fs.readFileSync(path.join(dataDir(sb, name), 'f'), 'utf8'), 'kept\n');
    const engine = new Engine(sb.root);
    removeContainer(engine, engine.containers.resolve('anon-keeper'), { removeAnonymousVolumes: true });
    assert.ok(!volumeNames(sb).includes(name));
  });

  test('copy-up: an empty volume gets the image content once; a non-empty one is never overwritten', () => {
    const out = ok(sb.run(['run', '--rm', '-v', 'etc-copy:/etc', 'busybox', 'sh', '-c', 'cat /etc/passwd | head -1; echo changed > /etc/passwd']));
    assert.match(out, /^root:/);
    const data = dataDir(sb, 'etc-copy');
    assert.ok(fs.existsSync(path.join(data, 'group')));
    assert.equal(fs.readFileSync(path.join(data, 'passwd'), 'utf8'), 'changed\n');
    // Second use: the volume is not empty, nothing is copied again.
    assert.equal(ok(sb.run(['run', '--rm', '-v', 'etc-copy:/etc', 'busybox', 'cat', '/etc/passwd'])), 'changed\n');
    // A bind is never populated.
    const bind = path.join(sb.root, 'empty-bind');
    ok(sb.run(['run', '--rm', '-v', `${bind}:/etc`, 'busybox', 'true']));
    assert.deepEqual(fs.readdirSync(bind), []);
  });

  test('copy-up keeps modes, owners, links; nocopy turns it off', () => {
    addImage(sb, 'owned', [
      { name: 'app', type: 'directory', mode: 0o1777, uid: 1000, gid: 1000 },
      { name: 'app/suid', type: 'file', mode: 0o4755, uid: 1000, gid: 100, data: Buffer.from('bin\n') },
      { name: 'app/hard', type: 'link', linkname: 'app/suid' },
      { name: 'app/link', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'app/private', type: 'directory', mode: 0o700, uid: 5, gid: 6 },
    ]);
    ok(sb.run(['run', '--rm', '-v', 'owned-copy:/app', 'owned', 'true']));
    const d = dataDir(sb, 'owned-copy');
    const root = fs.statSync(d);
    assert.equal(root.mode & 0o7777, 0o1777);
    assert.equal(root.uid, 1000);
    const s = fs.statSync(path.join(d, 'suid'));
    assert.equal(s.mode & 0o7777, 0o4755);
    assert.deepEqual([s.uid, s.gid], [1000, 100]);
    assert.equal(fs.statSync(path.join(d, 'hard')).ino, s.ino);
    assert.equal(fs.readlinkSync(path.join(d, 'link')), '/etc/passwd');
    const p = fs.statSync(path.join(d, 'private'));
    assert.deepEqual([p.mode & 0o7777, p.uid, p.gid], [0o700, 5, 6]);

    for (const flag of [['-v', 'no-copy:/app:nocopy'], ['--mount', 'type=volume,src=no-copy2,dst=/app,volume-nocopy']]) {
      const out = ok(sb.run(['run', '--rm', ...flag, 'owned', 'sh', '-c', 'ls -A /app | wc -l']));
      assert.equal(out.trim(), '0');
    }
    assert.deepEqual(fs.readdirSync(dataDir(sb, 'no-copy')), []);
    assert.deepEqual(fs.readdirSync(dataDir(sb, 'no-copy2')), []);
  });

  test("the image's VOLUMEs become anonymous volumes with the image's content", () => {
    addImage(sb, 'declares-volume', [{ name: 'cache', type: 'directory' }, { name: 'cache/seed', type: 'file', data: Buffer.from('seed\n') }], {
      Volumes: { '/cache': {} },
    });
    const before = new Set(volumeNames(sb));
    ok(sb.run(['run', '--name', 'decl', 'declares-volume', 'sh', '-c', 'cat /cache/seed; grep " /cache " /proc/self/mountinfo >/dev/null && echo mounted']));
    const rec = record(sb, 'decl');
    assert.equal(rec.Mounts.length, 1);
    assert.equal(rec.Mounts[0].Destination, '/cache');
    const fresh = volumeNames(sb).filter((n) => !before.has(n));
    assert.deepEqual(fresh, [rec.Mounts[0].Name]);
    assert.equal(fs.readFileSync(path.join(dataDir(sb, fresh[0]), 'seed'), 'utf8'), 'seed\n');
    const engine = new Engine(sb.root);
    removeContainer(engine, engine.containers.resolve('decl'), { removeAnonymousVolumes: true });
    assert.deepEqual(volumeNames(sb).filter((n) => !before.has(n)), []);
  });
});

describe('volumes: tmpfs and read-only rootfs', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('--tmpfs /t:size=1m: size enforced, noexec, nosuid, nodev', () => {
    const r = sb.run([
      'run', '--rm', '--tmpfs', '/t:size=1m', 'busybox', 'sh', '-c',
      'grep " /t " /proc/self/mountinfo; dd if=/dev/zero of=/t/big bs=1k count=2048 2>/dev/null || echo full; ls -l /t/big | awk "{print \\$5}"; rm /t/big; printf \"#!/bin/sh\\necho ran\\n\" > /t/s; chmod +x /t/s; /t/s; echo exec=$?',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const [mountinfo, full, size, exec] = r.stdout.trim().split('\n');
    assert.match(mountinfo, / \/t rw,nosuid,nodev,noexec[, ].* - tmpfs tmpfs rw,size=1024k/);
    assert.equal(full, 'full');
    assert.ok(Number(size) <= 1024 * 1024, `a 1m tmpfs holds at most 1m, got ${size}`);
    assert.equal(exec, 'exec=126');
  });

  test('--mount type=tmpfs with size and mode; --tmpfs exec allows execution', () => {
    const out = ok(sb.run(['run', '--rm', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=700', '--tmpfs', '/x:exec', 'busybox', 'sh', '-c', 'stat -c %a /t; grep " /t " /proc/self/mountinfo; printf \"#!/bin/sh\\necho ran\\n\" > /x/s; chmod +x /x/s; /x/s']));
    const [mode, mi, ran] = out.trim().split('\n');
    assert.equal(mode, '700');
    assert.match(mi, /size=2048k/);
    assert.equal(ran, 'ran');
  });

  test('--read-only: the rootfs refuses writes, volumes and tmpfs stay writable', () => {
    const r = sb.run(['run', '--rm', '--read-only', '-v', 'rw-vol:/data', '--tmpfs', '/scratch', 'busybox', 'sh', '-c', 'echo v > /data/f && echo t > /scratch/f && echo writable; touch /rootfs-file']);
    assert.equal(r.stdout, 'writable\n', r.stderr);
    assert.match(r.stderr, /Read-only file system/);
    assert.equal(fs.readFileSync(path.join(dataDir(sb, 'rw-vol'), 'f'), 'utf8'), 'v\n');
  });
});

describe('volumes: hostile images and paths', { skip }, () => {
  let sb: Sandbox;
  let host: string;
  before(() => {
    sb = sandbox();
    host = path.join(sb.root, 'host');
    fs.mkdirSync(host);
    fs.writeFileSync(path.join(host, 'marker'), 'from the host dir\n');
    addImage(sb, 'hostile', [
      { name: 'evil', type: 'symlink', linkname: '/etc' },
      { name: 'up', type: 'symlink', linkname: '../../../../tmp' },
    ]);
  });
  after(async () => {
    await sb.cleanup();
  });

  test("an image symlink /evil -> /etc leads -v H:/evil/x to the container's /etc/x, never the host's", () => {
    const x = unique('mydocker-escape');
    for (const mode of ['', ':ro']) {
      const out = ok(sb.run(['run', '--rm', '-v', `${host}:/evil/${x}${mode}`, 'hostile', 'sh', '-c', `cat /etc/${x}/marker; grep -c " /etc/${x} " /proc/self/mountinfo`]));
      assert.equal(out, 'from the host dir\n1\n');
      assert.equal(fs.existsSync(`/etc/${x}`), false, "the host's /etc is untouched");
    }
  });

  test('a relative symlink climbing with .. stays in the rootfs; so does a destination with ..', () => {
    const y = unique('mydocker-escape');
    assert.equal(ok(sb.run(['run', '--rm', '-v', `${host}:/up/${y}`, 'hostile', 'cat', `/tmp/${y}/marker`])), 'from the host dir\n');
    assert.equal(fs.existsSync(`/tmp/${y}`), false);
    const z = unique('mydocker-escape');
    assert.equal(ok(sb.run(['run', '--rm', '-v', `${host}:/../../../${z}`, 'busybox', 'cat', `/${z}/marker`])), 'from the host dir\n');
    assert.equal(fs.existsSync(`/${z}`), false);
  });

  test('named volumes through the symlink get the copy-up of the real directory', () => {
    const out = ok(sb.run(['run', '--rm', '-v', 'through-link:/evil', 'hostile', 'sh', '-c', 'ls /etc']));
    assert.match(out, /passwd/);
    assert.ok(fs.existsSync(path.join(dataDir(sb, 'through-link'), 'passwd')));
  });
});

describe('volumes: bad input', { skip }, () => {
  let sb: Sandbox;
  let host: string;
  before(() => {
    sb = sandbox();
    host = path.join(sb.root, 'host');
    fs.mkdirSync(host);
    ok(sb.run(['run', '--rm', 'busybox', 'true'])); // the image exists; nothing else does
  });
  after(async () => {
    await sb.cleanup();
  });

  test('every bad input is refused with one line and exit 125, and nothing is created', () => {
    const src = path.join(host, 'src-never-made');
    const file = path.join(host, 'a-file');
    fs.writeFileSync(file, '');
    const cases: Array<[string[], RegExp]> = [
      [['-v', 'H:data'], /mount path must be absolute/],
      [['-v', 'H:/'], /destination can't be '\/'/],
      [['-v', ':/d'], /empty section between colons/],
      [['-v', 'H:'], /invalid volume specification: 'H:'/],
      [['-v', 'H:/d:ro:x'], /invalid volume specification: 'H:\/d:ro:x'/],
      [['-v', `${src}:/d:bogus`], /invalid mode: bogus/],
      [['-v', '/d:ro'], /invalid volume specification: '\/d:ro'/],
      [['-v', 'bad/name:/d'], /includes invalid characters for a local volume name/],
      [['-v', `${src}:/d`, '-v', `${host}:/d`], /Duplicate mount point: \/d/],
      [['-v', `${src}:/d`, '--tmpfs', '/d'], /Duplicate mount point: \/d/],
      [['-v', `${src}:/proc/x`], /mounting on or inside \/proc is not allowed/],
      [['-v', `${src}:/sys`], /mounting on or inside \/sys is not allowed/],
      [['-v', `${src}:/etc/passwd`], /directory onto a file/],
      [['-v', `${file}:/etc`], /directory onto a file \(or vice-versa\)/],
      [['-v', 'named-never-made:/etc/passwd'], /directory onto a file/],
      [['--tmpfs', '/etc/passwd'], /directory onto a file/],
      [['--mount', 'type=foo,target=/d'], /mount type unknown/],
      [['--mount', `type=bind,source=${host}`], /target is required/],
      [['--mount', `type=bind,source=${src},target=/d`], /bind source path does not exist/],
      [['--tmpfs', '/t:size=lots'], /invalid tmpfs size/],
      [['--tmpfs', 'relative'], /mount path must be absolute/],
    ];
    for (const [flags, expect] of cases) {
      const r = sb.run(['run', '--rm', '--name', 'never', ...flags, 'busybox', 'true']);
      assert.equal(r.status, 125, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(oneLine(r.stderr), expect, flags.join(' '));
      assert.match(r.stderr, /^mydocker: /);
      assert.deepEqual(containerIds(sb), [], `${flags.join(' ')} left a container`);
      assert.deepEqual(fs.readdirSync(path.join(sb.root, 'names')), [], `${flags.join(' ')} kept the name`);
      const vols = path.join(sb.root, 'volumes');
      assert.deepEqual(fs.existsSync(vols) ? fs.readdirSync(vols) : [], [], `${flags.join(' ')} left a volume`);
      assert.equal(fs.existsSync(src), false, `${flags.join(' ')} created the host source`);
    }
  });
});

describe('volumes: a failed unmount loses no data', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('teardown refuses to delete a container dir with something mounted under it, and says so', () => {
    ok(sb.run(['run', '--name', 'victim', '-v', 'precious:/data', '-v', '/scratch', 'busybox', 'sh', '-c', 'echo precious > /data/p; echo anon > /scratch/a']));
    const rec = record(sb, 'victim');
    const anon = rec.Mounts.find((m: any) => m.Destination === '/scratch').Name;
    const dir = path.join(sb.root, 'containers', rec.Id);
    const trap = path.join(dir, 'upper', 'x');
    fs.mkdirSync(trap);
    // The volume's data, reachable under the container dir: what a failed unmount would leave.
    execFileSync('mount', ['--bind', dataDir(sb, 'precious'), trap]);
    try {
      const engine = new Engine(sb.root);
      assert.throws(() => removeContainer(engine, engine.containers.resolve('victim'), { removeAnonymousVolumes: true }), (e: unknown) => {
        assert.ok(e instanceof MountedUnderError);
        assert.match((e as Error).message, /^refusing to remove .*: .*upper\/x is mounted under it$/);
        return true;
      });
      // The same through the CLI's cleanup path: the user is told, in one line.
      const cfg = path.join(dir, 'config.json');
      const r0 = JSON.parse(fs.readFileSync(cfg, 'utf8'));
      r0.HostConfig.AutoRemove = true;
      fs.writeFileSync(cfg, JSON.stringify(r0));
      const r = sb.run(['container', 'cleanup', rec.Id]);
      assert.notEqual(r.status, 0);
      assert.match(oneLine(r.stderr), /^mydocker: refusing to remove .* is mounted under it$/);
      // Nothing was deleted: the data, the anonymous volume, the container's directory.
      assert.equal(fs.readFileSync(path.join(dataDir(sb, 'precious'), 'p'), 'utf8'), 'precious\n');
      assert.equal(fs.readFileSync(path.join(trap, 'p'), 'utf8'), 'precious\n');
      assert.equal(fs.readFileSync(path.join(dataDir(sb, anon), 'a'), 'utf8'), 'anon\n');
      assert.ok(fs.existsSync(path.join(dir, 'config.json')));
    } finally {
      execFileSync('umount', [trap]);
    }
    // Once nothing is mounted, removal goes through; the named volume stays whole.
    const engine = new Engine(sb.root);
    removeContainer(engine, engine.containers.resolve('victim'), { removeAnonymousVolumes: true });
    assert.equal(fs.existsSync(dir), false);
    assert.ok(!volumeNames(sb).includes(anon));
    assert.equal(fs.readFileSync(path.join(dataDir(sb, 'precious'), 'p'), 'utf8'), 'precious\n');
  });
});

describe('volume commands', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('create, ls, inspect', () => {
    assert.equal(ok(sb.run(['volume', 'create', 'alpha'])), 'alpha\n');
    assert.equal(ok(sb.run(['volume', 'create', '--label', 'env=prod', 'beta'])), 'beta\n');
    assert.equal(ok(sb.run(['volume', 'create', 'alpha'])), 'alpha\n', 'creating an existing volume returns it');
    const random = ok(sb.run(['volume', 'create'])).trim();
    assert.match(random, /^[0-9a-f]{64}$/);
    const sorted = [random, 'alpha', 'beta'].sort();
    assert.equal(ok(sb.run(['volume', 'ls'])), ['DRIVER    VOLUME NAME', ...sorted.map((n) => `local     ${n}`), ''].join('\n'));
    assert.equal(ok(sb.run(['volume', 'ls', '-q', '--filter', 'label=env=prod'])), 'beta\n');
    const insp = JSON.parse(ok(sb.run(['volume', 'inspect', 'alpha', 'beta'])));
    assert.equal(insp.length, 2);
    assert.deepEqual(Object.keys(insp[0]), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.deepEqual({ ...insp[1], CreatedAt: '' }, {
      CreatedAt: '', Driver: 'local', Labels: { env: 'prod' }, Mountpoint: dataDir(sb, 'beta'), Name: 'beta', Options: null, Scope: 'local',
    });
    assert.match(insp[0].CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(ok(sb.run(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'alpha'])), `${dataDir(sb, 'alpha')}\n`);
    const missing = sb.run(['volume', 'inspect', 'nope']);
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, '[]\n');
    assert.match(oneLine(missing.stderr), /No such volume: nope/);
    const bad = sb.run(['volume', 'create', 'bad/name']);
    assert.equal(bad.status, 125);
    assert.match(oneLine(bad.stderr), /^mydocker: create bad\/name: "bad\/name" includes invalid characters/);
    ok(sb.run(['volume', 'rm', random]));
  });

  test('rm: prints the names; a volume in use by any container, running or stopped, is refused', async () => {
    ok(sb.run(['volume', 'create', 'gone']));
    assert.equal(ok(sb.run(['volume', 'rm', 'gone'])), 'gone\n');
    const again = sb.run(['volume', 'rm', 'gone']);
    assert.equal(again.status, 1);
    assert.match(oneLine(again.stderr), /get gone: no such volume/);
    assert.equal(sb.run(['volume', 'rm', '-f', 'gone']).status, 0);

    ok(sb.run(['run', '--name', 'user', '-v', 'busy:/data', 'busybox', 'sh', '-c', 'echo keep > /data/f']));
    const id = record(sb, 'user').Id;
    const r = sb.run(['volume', 'rm', 'busy']);
    assert.equal(r.status, 1);
    assert.equal(oneLine(r.stderr), `mydocker: remove busy: volume is in use - [${id}]`);
    const f = sb.run(['volume', 'rm', '-f', 'busy']);
    assert.equal(f.status, 1, '-f does not remove a volume in use');
    assert.equal(fs.readFileSync(path.join(dataDir(sb, 'busy'), 'f'), 'utf8'), 'keep\n');

    // A running one too.
    const child = sb.spawn(['run', '--rm', '-v', 'busy-running:/data', 'busybox', 'sh', '-c', 'echo up; sleep 30']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exited = new Promise((res) => child.on('exit', res));
    const deadline = Date.now() + 10000;
    while (!out.includes('up') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const rr = sb.run(['volume', 'rm', 'busy-running']);
    assert.equal(rr.status, 1);
    assert.match(oneLine(rr.stderr), /remove busy-running: volume is in use - \[[0-9a-f]{64}\]/);
    child.kill('SIGTERM');
    await exited;

    const engine = new Engine(sb.root);
    removeContainer(engine, engine.containers.resolve('user'), { removeAnonymousVolumes: true });
    assert.equal(ok(sb.run(['volume', 'rm', 'busy', 'busy-running'])), 'busy\nbusy-running\n');
  });

  test('prune: asks first; removes unused anonymous volumes (-a: named too), skips used ones, reports the space', () => {
    ok(sb.run(['run', '--name', 'holder', '-v', '/held', 'busybox', 'true']));
    const held = record(sb, 'holder').Mounts[0].Name;
    ok(sb.run(['run', '--name', 'tmpuser', '-v', '/loose', 'busybox', 'sh', '-c', 'head -c 1200 /dev/zero > /loose/f']));
    const loose = record(sb, 'tmpuser').Mounts[0].Name;
    const engine = new Engine(sb.root);
    removeContainer(engine, engine.containers.resolve('tmpuser'), { removeAnonymousVolumes: false });
    ok(sb.run(['volume', 'create', 'named-unused']));

    const declined = sb.run(['volume', 'prune'], { input: 'n\n' });
    assert.equal(declined.status, 0);
    assert.equal(declined.stdout, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
    assert.ok(volumeNames(sb).includes(loose));

    const pruned = sb.run(['volume', 'prune'], { input: 'y\n' });
    assert.equal(pruned.status, 0, pruned.stderr);
    assert.equal(pruned.stdout.split('[y/N] ')[1], `Deleted Volumes:\n${loose}\n\nTotal reclaimed space: 1.2kB\n`);
    const left = volumeNames(sb);
    assert.ok(left.includes(held), 'a volume used by a stopped container is kept');
    assert.ok(left.includes('named-unused'), 'named volumes need -a');
    assert.ok(!left.includes(loose));

    assert.equal(ok(sb.run(['volume', 'prune', '-f'])), 'Total reclaimed space: 0B\n');
    const all = ok(sb.run(['volume', 'prune', '-a', '-f']));
    assert.match(all, /^Deleted Volumes:\n(.+\n)*named-unused\n(.+\n)*\nTotal reclaimed space: 0B\n$/);
    assert.ok(volumeNames(sb).includes(held));
    removeContainer(engine, engine.containers.resolve('holder'), { removeAnonymousVolumes: true });
    assert.deepEqual(volumeNames(sb).filter((n) => n === held), []);
  });
});
