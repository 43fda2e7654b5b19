/**
 * `run`'s security flags into Docker's HostConfig fields (no root needed): the shapes
 * Docker records, and the checks that refuse bad input before anything is created.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { register, toHostConfig, type SecurityHost } from '../../../src/cli/flags/security';
import { RLIM_INFINITY } from '../../../src/spec/security/rlimits';

const files: Record<string, string> = {};
const host: SecurityHost = {
  lastCap: 40,
  arch: 'x86_64',
  kernelRelease: '6.8.0',
  callerLimits: () => new Map([[7, { soft: 1024n, hard: 4096n }], [4, { soft: 0n, hard: RLIM_INFINITY }]]),
  readFile: (f) => {
    if (!(f in files)) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
    return files[f];
  },
};

/** Parses a command line with the real option definitions, as `run` does. */
function flags(argv: string[]): Record<string, unknown> {
  const cmd = new Command().exitOverride();
  register(cmd);
  cmd.parse(argv, { from: 'user' });
  return cmd.opts();
}

const hc = (argv: string[], cwd = '/work') => toHostConfig(flags(argv), cwd, host);

test('no flag: Docker\'s empty values (null lists, not privileged)', () => {
  assert.deepEqual(hc([]), { CapAdd: null, CapDrop: null, GroupAdd: null, Privileged: false, SecurityOpt: null, Ulimits: null });
});

test('--cap-add/--cap-drop: repeated, normalized to CAP_ names, ALL kept (Docker default capability arithmetic)', () => {
  const out = hc(['--cap-add', 'net_admin', '--cap-add', 'CAP_SYS_PTRACE', '--cap-drop', 'ALL', '--cap-drop', 'mknod']);
  assert.deepEqual(out.CapAdd, ['CAP_NET_ADMIN', 'CAP_SYS_PTRACE']);
  assert.deepEqual(out.CapDrop, ['ALL', 'CAP_MKNOD']);
  assert.deepEqual(hc(['--cap-add', 'all']).CapAdd, ['ALL']);
});

test('an unknown capability is one UsageError line (exit 125), Docker\'s wording', () => {
  assert.throws(() => hc(['--cap-add', 'FOO']), (e: any) => e.name === 'UsageError' && e.exitCode === 125 && e.message === 'invalid CapAdd: unknown capability: "CAP_FOO"');
  assert.throws(() => hc(['--cap-drop', 'sys_nonsense']), /^UsageError: invalid CapDrop: unknown capability: "CAP_SYS_NONSENSE"$/);
  // A capability newer than this host's kernel does not exist here.
  assert.throws(() => toHostConfig(flags(['--cap-add', 'CHECKPOINT_RESTORE']), '/', { ...host, lastCap: 39 }), /unknown capability: "CAP_CHECKPOINT_RESTORE"/);
});

test('--privileged is recorded as a boolean; a bad capability is refused even then', () => {
  assert.equal(hc(['--privileged']).Privileged, true);
  assert.throws(() => hc(['--privileged', '--cap-add', 'nope']), /unknown capability/);
});

test('--security-opt: kept as typed; Docker\'s grammar checked', () => {
  const out = hc(['--security-opt', 'no-new-privileges', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined']);
  assert.deepEqual(out.SecurityOpt, ['no-new-privileges', 'seccomp=unconfined', 'apparmor=unconfined']);
  assert.deepEqual(hc(['--security-opt', 'no-new-privileges=true']).SecurityOpt, ['no-new-privileges=true']);
  assert.throws(() => hc(['--security-opt', 'bogus=1']), /^UsageError: invalid --security-opt: "bogus=1"$/);
  assert.throws(() => hc(['--security-opt', 'no-new-privileges=maybe']), /not a boolean/);
  assert.throws(() => hc(['--security-opt', 'seccomp=']), /seccomp needs a profile path/);
});

test('--security-opt seccomp=<file>: read relative to the caller\'s directory, recorded as compact JSON (as Docker\'s client)', () => {
  files['/work/profiles/deny-mkdir.json'] = JSON.stringify(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] },
    null,
    2,
  );
  const out = hc(['--security-opt', 'seccomp=profiles/deny-mkdir.json']);
  assert.equal(out.SecurityOpt!.length, 1);
  const [opt] = out.SecurityOpt!;
  assert.ok(opt.startsWith('seccomp={'), opt);
  assert.ok(!opt.includes('\n'));
  assert.deepEqual(JSON.parse(opt.slice('seccomp='.length)), JSON.parse(files['/work/profiles/deny-mkdir.json']));
});

test('a missing or malformed seccomp profile is one UsageError line', () => {
  assert.throws(() => hc(['--security-opt', 'seccomp=/nope.json']), /^UsageError: opening seccomp profile \(\/nope.json\) failed: open \/nope.json: no such file or directory$/);
  files['/work/bad.json'] = '{ "defaultAction": ';
  assert.throws(() => hc(['--security-opt', 'seccomp=bad.json']), (e: any) => e.name === 'UsageError' && /bad\.json/.test(e.message) && !e.message.includes('\n'));
  files['/work/badaction.json'] = JSON.stringify({ defaultAction: 'SCMP_ACT_MAYBE' });
  assert.throws(() => hc(['--security-opt', 'seccomp=badaction.json']), (e: any) => e.name === 'UsageError' && /defaultAction/.test(e.message));
});

test('--ulimit: Docker\'s {Name, Hard, Soft}, -1 for unlimited, the last of a name wins', () => {
  const out = hc(['--ulimit', 'nofile=1024:2048', '--ulimit', 'core=0', '--ulimit', 'core=-1:unlimited']);
  assert.deepEqual(out.Ulimits, [
    { Name: 'nofile', Hard: 2048, Soft: 1024 },
    { Name: 'core', Hard: -1, Soft: -1 },
  ]);
  assert.deepEqual(Object.keys(out.Ulimits![0]), ['Name', 'Hard', 'Soft'], 'the key order of Docker\'s inspect');
});

test('--ulimit above the caller\'s hard limit is refused before anything is created (issue 6, point 7)', () => {
  assert.throws(() => hc(['--ulimit', 'nofile=1024:8192']), (e: any) => e.name === 'UsageError' && /hard limit 8192 is above this user's hard limit 4096/.test(e.message));
  assert.throws(() => hc(['--ulimit', 'nofile=9000']), /above this user's hard limit 4096/);
  assert.throws(() => hc(['--ulimit', 'bogus=1']), /^UsageError: invalid ulimit type: bogus$/);
  assert.throws(() => hc(['--ulimit', 'nofile=2:1']), /soft limit must be less than or equal to hard limit/);
});

test('--group-add is recorded as typed (checked against the image\'s /etc/group at start)', () => {
  assert.deepEqual(hc(['--group-add', 'audio', '--group-add', '1234']).GroupAdd, ['audio', '1234']);
});

test('with no security flag the library is not even loaded', () => {
  // The common `run` pays nothing for flags it was not given: no host facts read either.
  const strict: Partial<SecurityHost> = {
    get lastCap(): number {
      throw new Error('host facts read');
    },
  };
  assert.doesNotThrow(() => toHostConfig(flags(['--privileged', '--group-add', 'x']), '/', strict));
});

test('the real host facts are read when no override is given', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sec-hc-'));
  try {
    fs.writeFileSync(path.join(dir, 'p.json'), '{"defaultAction":"SCMP_ACT_ALLOW"}');
    const out = toHostConfig(flags(['--security-opt', 'seccomp=p.json', '--cap-add', 'NET_ADMIN']), dir);
    assert.deepEqual(out.SecurityOpt, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
