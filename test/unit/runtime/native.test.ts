/**
 * The CLI's addon (native/addon.c): how the helper is started (fds 0-4, signals), and the
 * terminal queries. Needs the addon built (`make -C native`, which the set-up runs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native } from '../../../src/runtime/native';

/** the shell's own fds 0-2, read before any redirection of its own (dash redirects in place) */
const FDS = 'a0=$(readlink /proc/$$/fd/0); a1=$(readlink /proc/$$/fd/1); a2=$(readlink /proc/$$/fd/2)';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function script(dir: string, body: string): string {
  const f = path.join(dir, 'helper.sh');
  fs.writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return f;
}

async function readAll(fd: number): Promise<string> {
  let out = '';
  for (;;) {
    const b = Buffer.alloc(4096);
    const n = await new Promise<number>((r) => fs.read(fd, b, 0, b.length, null, (e, k) => r(e ? 0 : k)));
    if (n === 0) return out;
    out += b.toString('utf8', 0, n);
  }
}

test('the helper gets our stdio, fd 3 a socket to us, fd 4 the plan, nothing else of ours; default signals', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-native-'));
  try {
    const plan = path.join(dir, 'plan');
    fs.writeFileSync(plan, 'the plan');
    const out = path.join(dir, 'out');
    // the report names the targets of fds 0-4, the plan's text, and the blocked/ignored signal masks
    const f = script(
      dir,
      `${FDS}; exec 9>${out}; printf '%s\\n' "$a0" "$a1" "$a2" >&9; cat <&4 >&9; echo >&9
       grep -E '^Sig(Blk|Ign)' /proc/self/status >&9; echo '{"pid":1}' >&3; read reply <&3; echo "reply:$reply" >&9`,
    );
    const planFd = fs.openSync(plan, 'r');
    const h = native().spawnHelper(f, planFd, false);
    fs.closeSync(planFd);
    assert.ok(h.pid > 0 && h.ctl > 2);
    const b = Buffer.alloc(64);
    const n = await new Promise<number>((r) => fs.read(h.ctl, b, 0, b.length, null, (e, k) => r(e ? 0 : k)));
    assert.equal(b.toString('utf8', 0, n), '{"pid":1}\n');
    fs.writeSync(h.ctl, 'ok\n');
    assert.equal(await readAll(h.ctl), '', 'EOF once it exits');
    fs.closeSync(h.ctl);
    for (let i = 0; i < 100 && !native().reap(h.pid); i++) await sleep(10);
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    const self = (fd: number) => fs.readlinkSync(`/proc/self/fd/${fd}`);
    assert.deepEqual(lines.slice(0, 3), [self(0), self(1), self(2)]);
    assert.equal(lines[3], 'the plan');
    assert.match(lines[4], /^SigBlk:\s+0+$/);
    // signals 1-31 (32 and up include glibc's own, which nobody can reset, and our
    // caller may have ignored them before us)
    const ign = BigInt('0x' + lines[5].split(/\s+/)[1]);
    assert.equal(ign & 0x7fffffffn, 0n, 'no disposition of ours (Node ignores SIGPIPE) reaches the helper');
    assert.equal(lines[6], 'reply:ok');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('detached: the helper holds none of our stdio (/dev/null instead)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-native-'));
  try {
    const out = path.join(dir, 'out');
    const f = script(dir, `${FDS}; printf '%s\\n' "$a0" "$a1" "$a2" >${out}`);
    const planFd = fs.openSync(f, 'r');
    const h = native().spawnHelper(f, planFd, true);
    fs.closeSync(planFd);
    assert.equal(await readAll(h.ctl), '');
    fs.closeSync(h.ctl);
    for (let i = 0; i < 100 && !native().reap(h.pid); i++) await sleep(10);
    assert.deepEqual(fs.readFileSync(out, 'utf8').trim().split('\n'), ['/dev/null', '/dev/null', '/dev/null']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a helper that cannot be executed is an error naming it; isatty and winsize of a non-terminal', () => {
  const planFd = fs.openSync('/dev/null', 'r');
  try {
    assert.throws(() => native().spawnHelper('/nonexistent/mydocker-shim', planFd, false), (e: any) => /nonexistent\/mydocker-shim: No such file/.test(e.message) && e.errno === -2);
  } finally {
    fs.closeSync(planFd);
  }
  const [r, w] = [fs.openSync('/dev/null', 'r'), fs.openSync(os.tmpdir(), 'r')];
  assert.equal(native().isatty(r), false);
  assert.equal(native().winsize(r), null);
  assert.equal(native().isatty(w), false);
  fs.closeSync(r);
  fs.closeSync(w);
  assert.equal(native().isatty(-1), false);
});
