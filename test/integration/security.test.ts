/**
 * Security defaults (issue 6) with real containers: what a container may not do, as
 * Docker's defaults, and the runc CVEs where engines broke. Each test names the default
 * or the CVE it guards. Every sandbox asserts at cleanup that no mount, cgroup (the
 * device cgroup included) or monitor was left behind.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, Sandbox, isRoot, waitFor, oneLine } from '../helpers/harness';
import { ImageStore } from '../../src/image/store';
import { encodeTar } from '../../src/image/tar';
import { paths } from '../../src/state/paths';

const skip = !isRoot ? 'needs root' : false;

/** Docker's 14 default capabilities as /proc/<pid>/status prints them. */
const DEFAULT_CAPS = '00000000a80425fb';

function heldCaps(): bigint {
  return BigInt('0x' + /^CapPrm:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
}

function lastCap(): number {
  return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
}

function capsOf(status: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of status.matchAll(/^(Cap\w+|Seccomp|NoNewPrivs):\s*(\S+)$/gm)) out[m[1]] = m[2];
  return out;
}

function containers(sb: Sandbox): string[] {
  const dir = path.join(sb.root, 'containers');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => /^[0-9a-f]{64}$/.test(d)) : [];
}

/** Runs `sh -c script` in a fresh busybox container; returns stdout, asserting success. */
function sh(sb: Sandbox, script: string, flags: string[] = []): string {
  const r = sb.run(['run', '--rm', ...flags, 'busybox', 'sh', '-c', script]);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Bad input: one line, exit 125, no container, no cgroup (checked at cleanup), nothing mounted. */
function refused(sb: Sandbox, args: string[], message: RegExp): void {
  const before = containers(sb).length;
  const r = sb.run(args);
  assert.equal(r.status, 125, r.stderr);
  assert.match(oneLine(r.stderr), message);
  assert.equal(r.stdout, '');
  assert.equal(containers(sb).length, before, 'nothing created');
}

describe('capabilities (Docker default: 14 capabilities)', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('default: CapEff, CapBnd and CapPrm are 00000000a80425fb; inheritable and ambient empty', () => {
    const c = capsOf(sh(sb, 'cat /proc/self/status'));
    assert.equal(c.CapEff, DEFAULT_CAPS);
    assert.equal(c.CapBnd, DEFAULT_CAPS);
    assert.equal(c.CapPrm, DEFAULT_CAPS);
    assert.equal(c.CapInh, '0000000000000000');
    assert.equal(c.CapAmb, '0000000000000000');
  });

  test('--cap-add and --cap-drop change the set (names with or without CAP_, any case)', () => {
    const hex = (m: bigint) => m.toString(16).padStart(16, '0');
    const base = BigInt('0x' + DEFAULT_CAPS);
    const netAdmin = 1n << 12n;
    const mknod = 1n << 27n;
    let c = capsOf(sh(sb, 'cat /proc/self/status', ['--cap-add', 'net_admin', '--cap-drop', 'CAP_MKNOD']));
    assert.equal(c.CapEff, hex((base | netAdmin) & ~mknod));
    assert.equal(c.CapBnd, hex((base | netAdmin) & ~mknod));
    c = capsOf(sh(sb, 'cat /proc/self/status', ['--cap-drop', 'ALL', '--cap-add', 'CHOWN']));
    assert.equal(c.CapEff, hex(1n));
    assert.equal(c.CapBnd, hex(1n));
    c = capsOf(sh(sb, 'cat /proc/self/status', ['--cap-drop', 'ALL']));
    assert.equal(c.CapEff, hex(0n));
    // ALL: every capability of this kernel that the engine itself holds
    const all = ((1n << BigInt(lastCap() + 1)) - 1n) & heldCaps();
    c = capsOf(sh(sb, 'cat /proc/self/status', ['--cap-add', 'ALL', '--cap-drop', 'NET_RAW']));
    assert.equal(c.CapEff, hex(all & ~(1n << 13n)));
  });

  test('without CAP_MKNOD, mknod fails; with the default set, chown works', () => {
    const r = sb.run(['run', '--rm', '--cap-drop', 'MKNOD', 'busybox', 'mknod', '/tmp/n', 'c', '1', '3']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Operation not permitted/);
    assert.equal(sh(sb, 'touch /tmp/f && chown 65534:65534 /tmp/f && stat -c %u /tmp/f'), '65534\n');
  });

  test('an unknown capability: one line, exit 125, nothing created', () => {
    refused(sb, ['run', '--rm', '--cap-add', 'FOO', 'busybox', 'true'], /^mydocker: invalid CapAdd: unknown capability: "CAP_FOO"$/);
    refused(sb, ['run', '--cap-drop', 'cap_nope', 'busybox', 'true'], /^mydocker: invalid CapDrop: unknown capability: "CAP_NOPE"$/);
  });

  test('a capability the engine does not hold cannot be added: one line, exit 125', () => {
    const missing = [...Array(lastCap() + 1).keys()].find((c) => !(heldCaps() & (1n << BigInt(c))));
    if (missing === undefined) return; // this engine holds every capability
    const name = require('../../src/spec/security/capabilities').CAPABILITY_NAMES[missing] as string;
    refused(sb, ['run', '--rm', '--cap-add', name, 'busybox', 'true'], new RegExp(`cannot add capability ${name}`));
  });

  test('exec gets the container\'s capabilities (Docker default for exec)', () => {
    const r = sb.run(['run', '-d', '--name', 'capbox', '--cap-drop', 'MKNOD', '--cap-add', 'SYS_PTRACE', 'busybox', 'sleep', '60']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const pid1 = capsOf(sb.run(['exec', 'capbox', 'cat', '/proc/1/status']).stdout);
      const e = sb.run(['exec', 'capbox', 'cat', '/proc/self/status']);
      assert.equal(e.status, 0, e.stderr);
      const mine = capsOf(e.stdout);
      for (const k of ['CapEff', 'CapBnd', 'CapPrm', 'CapInh', 'CapAmb', 'Seccomp', 'NoNewPrivs']) assert.equal(mine[k], pid1[k], k);
      assert.equal(mine.Seccomp, '2', 'exec runs under the container\'s seccomp filter');
    } finally {
      sb.run(['rm', '-f', 'capbox']);
    }
  });
});

describe('what a default container may not do (Docker defaults)', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('mount fails (no CAP_SYS_ADMIN, seccomp): `mount -t tmpfs none /mnt`', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'mkdir -p /mnt && mount -t tmpfs none /mnt']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /permission denied|not permitted/i);
  });

  test('unshare fails (seccomp refuses new namespaces)', () => {
    for (const flag of ['-U', '-m', '-n']) {
      const r = sb.run(['run', '--rm', 'busybox', 'unshare', flag, 'true']);
      assert.notEqual(r.status, 0, flag);
      assert.match(r.stderr, /Operation not permitted/, flag);
    }
  });

  test('seccomp filter installed, no_new_privs off by default', () => {
    const c = capsOf(sh(sb, 'cat /proc/self/status'));
    assert.equal(c.Seccomp, '2');
    assert.equal(c.NoNewPrivs, '0');
  });

  test('/proc/kcore is absent: missing, or masked by /dev/null (reading gives nothing)', () => {
    const out = sh(sb, 'if [ -e /proc/kcore ]; then stat -c "%F %t:%T" /proc/kcore; wc -c < /proc/kcore; else echo absent; fi');
    assert.ok(out === 'absent\n' || out === 'character special file 1:3\n0\n', out);
  });

  test('masked paths: /proc/keys, /proc/timer_list, /proc/interrupts read empty; /sys/firmware and /proc/acpi are empty', () => {
    const out = sh(sb, 'for f in /proc/keys /proc/timer_list /proc/interrupts; do [ -e $f ] && echo "$f $(stat -c "%t:%T" $f) $(wc -c < $f)"; done; ls -A /sys/firmware | wc -l; ls -A /proc/acpi | wc -l; touch /sys/firmware/x 2>&1 || true');
    const lines = out.trim().split('\n');
    for (const l of lines.filter((x) => x.startsWith('/proc/'))) assert.match(l, /^\/proc\/\S+ 1:3 0$/, l);
    assert.ok(lines.some((l) => l.startsWith('/proc/keys')), '/proc/keys exists on this host and is masked');
    const counts = lines.filter((l) => /^\d+$/.test(l));
    assert.deepEqual(counts, ['0', '0']);
    assert.match(out, /Read-only file system/);
  });

  test('read-only paths: writing /proc/sys/vm/drop_caches fails read-only; /proc/sys still readable', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'cat /proc/sys/kernel/ostype; echo 3 > /proc/sys/vm/drop_caches']);
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, 'Linux\n');
    assert.match(r.stderr, /Read-only file system/);
  });

  test('/dev holds only the default nodes', () => {
    const out = sh(sb, 'ls -A /dev | sort | tr "\\n" " "');
    assert.equal(out, 'fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero ');
  });

  test('devices cgroup: a block device made with mknod cannot be read (`mknod /tmp/sda b 8 0`)', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'mknod /tmp/sda b 8 0 && head -c 1 /tmp/sda']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Operation not permitted/);
  });

  test('devices cgroup: a character device outside the default list cannot be opened (/dev/fuse 10:229), the default ones can', () => {
    const r = sb.run(['run', '--rm', 'busybox', 'sh', '-c', 'mknod /tmp/null2 c 1 3 && echo x > /tmp/null2 && echo null-ok; mknod /tmp/fuse c 10 229 && : < /tmp/fuse']);
    assert.equal(r.stdout, 'null-ok\n');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Operation not permitted/);
    // The same with --privileged opens: what refused it is the device cgroup.
    const p = sb.run(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'mknod /tmp/fuse c 10 229 && : < /tmp/fuse && echo opened']);
    assert.equal(p.stdout, 'opened\n', p.stderr);
  });

  test('exec joins the device cgroup too', () => {
    const r = sb.run(['run', '-d', '--name', 'devbox', 'busybox', 'sleep', '60']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const e = sb.run(['exec', 'devbox', 'sh', '-c', 'mknod /tmp/fuse c 10 229 && : < /tmp/fuse']);
      assert.notEqual(e.status, 0);
      assert.match(e.stderr, /Operation not permitted/);
    } finally {
      sb.run(['rm', '-f', 'devbox']);
    }
  });

  test('--privileged lifts it all: every held capability, no seccomp, no masks, mount works', () => {
    const hex = (((1n << BigInt(lastCap() + 1)) - 1n) & heldCaps()).toString(16).padStart(16, '0');
    const out = sh(sb, 'grep -E "^(CapEff|CapBnd|Seccomp)" /proc/self/status; ls -A /sys/firmware | wc -l; mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted; echo 1 > /proc/sys/vm/drop_caches && echo wrote', ['--privileged']);
    const c = capsOf(out);
    assert.equal(c.CapEff, hex);
    assert.equal(c.CapBnd, hex);
    assert.equal(c.Seccomp, '0');
    assert.match(out, /^[1-9]\d*$/m, '/sys/firmware is not masked');
    assert.match(out, /^mounted$/m);
    assert.match(out, /^wrote$/m);
  });
});

describe('seccomp and no-new-privileges (--security-opt)', { skip }, () => {
  let sb: Sandbox;
  let dir: string;
  before(() => {
    sb = sandbox();
    dir = fs.mkdtempSync(path.join(sb.root, 'profiles-'));
  });
  after(async () => {
    await sb.cleanup();
  });

  test('seccomp=unconfined: no filter; unshare of a user namespace is then possible', () => {
    const out = sh(sb, 'grep Seccomp: /proc/self/status; unshare -U true && echo unshared', ['--security-opt', 'seccomp=unconfined']);
    assert.match(out, /^Seccomp:\s+0$/m);
    assert.match(out, /^unshared$/m);
  });

  test('seccomp=<profile.json> in Docker\'s format: a profile that denies mkdir gives EPERM', () => {
    const profile = path.join(dir, 'deny-mkdir.json');
    fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    const r = sb.run(['run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', 'touch /tmp/ok && echo touched; mkdir /tmp/d']);
    assert.equal(r.stdout, 'touched\n');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Operation not permitted/);
    // The record holds the profile itself: the container starts again after the file is gone.
    const c = sb.run(['run', '--name', 'prof', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', 'mkdir /tmp/x2 || echo denied']);
    assert.equal(c.stdout, 'denied\n', c.stderr);
    fs.rmSync(profile);
    const again = sb.run(['start', '-a', 'prof']);
    assert.equal(again.stdout, 'denied\n', again.stderr);
    sb.run(['rm', '-f', 'prof']);
  });

  test('a malformed or missing profile: one line, exit 125, nothing created', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ {');
    refused(sb, ['run', '--rm', '--security-opt', `seccomp=${bad}`, 'busybox', 'true'], /seccomp|profile|JSON/i);
    const badAction = path.join(dir, 'bad-action.json');
    fs.writeFileSync(badAction, JSON.stringify({ defaultAction: 'SCMP_ACT_PERHAPS' }));
    refused(sb, ['run', '--rm', '--security-opt', `seccomp=${badAction}`, 'busybox', 'true'], /defaultAction/);
    refused(sb, ['run', '--rm', '--security-opt', `seccomp=${path.join(dir, 'missing.json')}`, 'busybox', 'true'], /^mydocker: opening seccomp profile \(.*missing\.json\) failed: open .*: no such file or directory$/);
    refused(sb, ['run', '--rm', '--security-opt', 'nonsense', 'busybox', 'true'], /^mydocker: invalid --security-opt: "nonsense"$/);
  });

  test('no-new-privileges: NoNewPrivs is 1 and the filter is still installed', () => {
    const c = capsOf(sh(sb, 'cat /proc/self/status', ['--security-opt', 'no-new-privileges']));
    assert.equal(c.NoNewPrivs, '1');
    assert.equal(c.Seccomp, '2');
    assert.equal(c.CapEff, DEFAULT_CAPS);
  });
});

describe('-u/--user from the image\'s /etc/passwd and /etc/group', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('default: root with its supplementary groups (Docker shows groups=0(root),10(wheel) for busybox)', () => {
    assert.equal(sh(sb, 'id'), 'uid=0(root) gid=0(root) groups=0(root),10(wheel)\n');
    assert.match(sh(sb, 'echo $HOME'), /^\/root$/m);
  });

  test('-u 1000, -u 1000:1000, -u nobody, -u nobody:nogroup: id as Docker shows it; no capability left', () => {
    const cases: Array<[string, string]> = [
      ['1000', 'uid=1000 gid=0(root) groups=0(root)'],
      ['1000:1000', 'uid=1000 gid=1000 groups=1000'],
      ['nobody', 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)'],
      ['nobody:nogroup', 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)'],
    ];
    for (const [u, want] of cases) {
      const r = sb.run(['run', '--rm', '-u', u, 'busybox', 'sh', '-c', 'id; grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status']);
      assert.equal(r.status, 0, `${u}: ${r.stderr}`);
      const [id, ...caps] = r.stdout.trim().split('\n');
      assert.equal(id, want, u);
      const c = capsOf(caps.join('\n'));
      assert.equal(c.CapEff, '0000000000000000', `${u}: a non-root user has no effective capability`);
      assert.equal(c.CapPrm, '0000000000000000', u);
      assert.equal(c.CapBnd, DEFAULT_CAPS, `${u}: the bounding set stays Docker's`);
    }
  });

  test('--group-add adds supplementary groups', () => {
    const r = sb.run(['run', '--rm', '-u', 'nobody', '--group-add', 'audio', '--group-add', '4000', 'busybox', 'id']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'uid=65534(nobody) gid=65534(nogroup) groups=29(audio),4000,65534(nogroup)\n');
  });

  test('HOME is the user\'s home from the image\'s passwd', () => {
    assert.equal(sh(sb, 'echo $HOME', ['-u', 'nobody']), '/home\n');
    assert.equal(sh(sb, 'echo $HOME', ['-u', '1000']), '/\n');
    assert.equal(sh(sb, 'echo $HOME', ['-u', 'nobody', '-e', 'HOME=/mine']), '/mine\n');
  });

  test('exec -u: the same resolution', () => {
    const r = sb.run(['run', '-d', '--name', 'ubox', 'busybox', 'sleep', '60']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const e = sb.run(['exec', '-u', 'nobody', 'ubox', 'id']);
      assert.equal(e.status, 0, e.stderr);
      assert.equal(e.stdout, 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n');
    } finally {
      sb.run(['rm', '-f', 'ubox']);
    }
  });

  test('an unknown user: Docker\'s message, exit 125, nothing left', () => {
    refused(sb, ['run', '--rm', '-u', 'foo', 'busybox', 'true'], /^mydocker: unable to find user foo: no matching entries in passwd file$/);
    refused(sb, ['run', '-u', 'foo', 'busybox', 'true'], /^mydocker: unable to find user foo: no matching entries in passwd file$/);
    refused(sb, ['run', '-u', 'nobody:nosuchgroup', 'busybox', 'true'], /^mydocker: unable to find group nosuchgroup: no matching entries in group file$/);
  });
});

describe('the runtime\'s own exposure (runc CVEs)', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('CVE-2024-21626: /proc/self/fd holds only 0-2 and the listing\'s own descriptor, in run and exec', () => {
    assert.equal(sh(sb, 'ls /proc/self/fd | tr "\\n" " "'), '0 1 2 3 ');
    const r = sb.run(['run', '-d', '--name', 'fdbox', 'busybox', 'sleep', '60']);
    assert.equal(r.status, 0, r.stderr);
    try {
      assert.equal(sb.run(['exec', 'fdbox', 'ls', '/proc/self/fd']).stdout.split('\n').filter(Boolean).join(' '), '0 1 2 3');
      assert.equal(sb.run(['exec', 'fdbox', 'ls', '/proc/1/fd']).stdout.split('\n').filter(Boolean).join(' '), '0 1 2', 'PID 1 holds nothing of the engine');
      for (let n = 3; n <= 10; n++) {
        const e = sb.run(['exec', '-w', `/proc/self/fd/${n}`, 'fdbox', 'pwd']);
        assert.equal(e.status, 125, `exec -w /proc/self/fd/${n}: ${e.stdout}${e.stderr}`);
        assert.match(oneLine(e.stderr), /cannot use working directory/);
      }
    } finally {
      sb.run(['rm', '-f', 'fdbox']);
    }
  });

  test('CVE-2024-21626: -w /proc/self/fd/N fails (no working directory outside the rootfs)', () => {
    for (let n = 3; n <= 10; n++) {
      const r = sb.run(['run', '--rm', '-w', `/proc/self/fd/${n}`, 'busybox', 'pwd']);
      assert.equal(r.status, 125, `-w /proc/self/fd/${n}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(oneLine(r.stderr), /cannot use working directory "\/proc\/self\/fd\/\d+"/);
    }
    assert.equal(containers(sb).length, 0);
  });

  test('CVE-2019-5736: while execs start, every readable /proc/*/exe in the container is a container binary', async () => {
    const r = sb.run(['run', '-d', '--name', 'watch', 'busybox', 'sh', '-c',
      'while [ ! -e /tmp/stop ]; do ls -l /proc/[0-9]*/exe 2>/dev/null | grep " -> " | grep -v " -> /bin/"; done > /tmp/seen; touch /tmp/done; sleep 60']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const execs = [];
      for (let i = 0; i < 30; i++) execs.push(sb.run(['exec', 'watch', 'true']).status);
      assert.deepEqual(execs, Array(30).fill(0));
      sb.run(['exec', 'watch', 'touch', '/tmp/stop']);
      assert.ok(await waitFor(() => sb.run(['exec', 'watch', 'ls', '/tmp/done']).status === 0, 10000));
      const seen = sb.run(['exec', 'watch', 'cat', '/tmp/seen']);
      assert.equal(seen.stdout, '', `host binaries seen from inside the container:\n${seen.stdout}`);
    } finally {
      sb.run(['rm', '-f', 'watch']);
    }
  });

  test('a hostile image whose /proc, /sys or /dev is a symbolic link is refused: one line, 125, nothing left', () => {
    const store = new ImageStore(paths(sb.root));
    for (const which of ['proc', 'sys', 'dev']) {
      const layer = store.addLayerSync(
        encodeTar([
          { name: 'tmp/', type: 'directory', mode: 0o1777 },
          { name: 'bin/', type: 'directory', mode: 0o755 },
          { name: which, type: 'symlink', linkname: '/tmp' },
        ]),
      );
      store.createImage({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: [layer.diffId] } }, [`hostile-${which}`]);
      refused(sb, ['run', '--rm', `hostile-${which}`], new RegExp(`^mydocker: failed to start container: the image's /${which} is a symbolic link: refusing to mount over it$`));
      refused(sb, ['run', `hostile-${which}`], /refusing to mount over it/);
    }
  });

  test('CVE-2025-31133: masking never uses anything but the null device (a bind over /dev/null is refused)', () => {
    const secret = path.join(sb.root, 'host-secret');
    fs.writeFileSync(secret, 'host secret\n');
    const r = sb.run(['run', '--rm', '-v', `${secret}:/dev/null`, 'busybox', 'cat', '/proc/keys']);
    assert.equal(r.status, 125, r.stdout + r.stderr);
    assert.ok(!r.stdout.includes('host secret'));
    oneLine(r.stderr);
    assert.equal(fs.readFileSync(secret, 'utf8'), 'host secret\n');
    assert.equal(containers(sb).length, 0);
  });
});

describe('rlimits (--ulimit within the caller\'s limits)', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('--ulimit nofile=1024:2048 is visible with ulimit -n and in /proc/self/limits', () => {
    const out = sh(sb, 'ulimit -n; ulimit -Hn; grep "Max open files" /proc/self/limits', ['--ulimit', 'nofile=1024:2048']);
    const [soft, hard, line] = out.trim().split('\n');
    assert.equal(soft, '1024');
    assert.equal(hard, '2048');
    assert.match(line, /^Max open files\s+1024\s+2048\s+files$/);
  });

  test('limits not asked for are inherited, never raised', () => {
    const mine = /^Max processes\s+(\S+)\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))!;
    const out = sh(sb, 'grep "Max processes" /proc/self/limits');
    const theirs = /^Max processes\s+(\S+)\s+(\S+)/m.exec(out)!;
    assert.equal(theirs[2], mine[2]);
  });

  test('a hard limit above the caller\'s is refused before anything is created: one line, 125 (issue 6, point 7)', () => {
    const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))![1];
    if (hard === 'unlimited') return;
    const above = Number(hard) + 1;
    refused(sb, ['run', '--rm', '--ulimit', `nofile=1024:${above}`, 'busybox', 'true'], new RegExp(`^mydocker: --ulimit nofile=1024:${above}: hard limit ${above} is above this user's hard limit ${hard} \\(raising it needs CAP_SYS_RESOURCE\\)$`));
    refused(sb, ['run', '--rm', '--ulimit', 'nofile=4:2', 'busybox', 'true'], /soft limit must be less than or equal to hard limit/);
    refused(sb, ['run', '--rm', '--ulimit', 'bogus=1', 'busybox', 'true'], /^mydocker: invalid ulimit type: bogus$/);
  });
});
