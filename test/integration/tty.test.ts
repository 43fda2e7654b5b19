/**
 * `run -t` through a real pseudo-terminal: the container gets a pty of its own, the
 * window size follows, Ctrl-C and Ctrl-D reach the container, and the user's terminal
 * is restored afterwards.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox, Sandbox, isRoot, waitFor, BIN } from '../helpers/harness';

const skip = !isRoot ? 'needs root' : false;

interface Term {
  out(): string;
  write(s: string): void;
  resize(cols: number, rows: number): void;
  exit: Promise<{ exitCode: number; signal?: number }>;
}

function terminal(file: string, args: string[], env: NodeJS.ProcessEnv): Term {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pty = require('node-pty');
  const t = pty.spawn(file, args, { cols: 100, rows: 30, env, name: 'xterm' });
  let out = '';
  t.onData((d: string) => (out += d));
  const exit = new Promise<{ exitCode: number; signal?: number }>((r) => t.onExit(r));
  return { out: () => out, write: (s) => t.write(s), resize: (c, r) => t.resize(c, r), exit };
}

describe('run -t', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('a new pty, window size, resize, Ctrl-C, Ctrl-D', async () => {
    const t = terminal(BIN, ['--root', sb.root, 'run', '-ti', '--rm', 'busybox', 'sh'], sb.env);
    assert.ok(await waitFor(() => t.out().includes('/ # '), 10000), 'prompt');
    t.write('tty; stty size; echo "TERM=$TERM"; ls /proc/self/fd | wc -l\r');
    assert.ok(await waitFor(() => /TERM=xterm/.test(t.out())), t.out());
    assert.match(t.out(), /\/dev\/pts\/0\r\n30 100\r\n/, 'its own pty, with the caller\'s size');
    t.resize(120, 40);
    await new Promise((r) => setTimeout(r, 200));
    t.write('stty size\r');
    assert.ok(await waitFor(() => t.out().includes('40 120')), 'resize followed');
    t.write('sleep 30; echo not-interrupted\r');
    await new Promise((r) => setTimeout(r, 300));
    t.write('\x03');
    t.write('echo after-ctrl-c\r');
    assert.ok(await waitFor(() => /after-ctrl-c\r\n/.test(t.out()), 5000), 'Ctrl-C interrupted the sleep');
    assert.doesNotMatch(t.out(), /\nnot-interrupted\r/, 'the echo after sleep never ran');
    t.write('\x04');
    const e = await Promise.race([t.exit, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    assert.ok(e, 'Ctrl-D ended the shell');
    assert.equal(e!.exitCode, 0);
  });

  test("the exit code passes through -t, and the user's terminal is restored", async () => {
    const script = `stty -g > ${sb.root}/before; ${BIN} --root ${sb.root} run -t --rm busybox sh -c 'exit 5'; echo "rc=$?"; stty -g > ${sb.root}/after`;
    const t = terminal('/bin/sh', ['-c', script], sb.env);
    await t.exit;
    assert.match(t.out(), /rc=5/);
    const fs = await import('node:fs');
    const beforeTio = fs.readFileSync(`${sb.root}/before`, 'utf8');
    assert.equal(fs.readFileSync(`${sb.root}/after`, 'utf8'), beforeTio, 'terminal settings restored');
    assert.match(beforeTio, /./);
  });
});

describe('exec -t, start -i, and -t without a terminal', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('exec -ti gets a pty of its own in the running container', async () => {
    const r = sb.run(['run', '-d', '--name', 'ttybox', 'busybox', 'sleep', '60']);
    assert.equal(r.status, 0, r.stderr);
    const t = terminal(BIN, ['--root', sb.root, 'exec', '-ti', 'ttybox', 'sh'], sb.env);
    assert.ok(await waitFor(() => t.out().includes('/ # '), 10000), 'prompt');
    t.write('tty; stty size; echo "TERM=$TERM"\r');
    assert.ok(await waitFor(() => /TERM=xterm/.test(t.out())), t.out());
    assert.match(t.out(), /\/dev\/pts\/\d+\r\n30 100\r\n/);
    t.write('exit 4\r');
    const e = await Promise.race([t.exit, new Promise<null>((res) => setTimeout(() => res(null), 5000))]);
    assert.equal(e?.exitCode, 4);
    assert.equal(sb.run(['rm', '-f', 'ttybox']).status, 0);
  });

  test('start -i attaches stdin to a stopped interactive container', () => {
    assert.equal(sb.run(['run', '-i', '--name', 'again-i', 'busybox', 'sh', '-c', 'read x; echo "got $x"'], { input: 'one\n' }).stdout, 'got one\n');
    const r = sb.run(['start', '-i', 'again-i'], { input: 'two\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'got two\n');
    assert.equal(sb.run(['rm', 'again-i']).status, 0);
  });

  test('-ti with a stdin that is not a terminal is refused, as Docker; -dt is fine', () => {
    const r = sb.run(['run', '-ti', '--rm', 'busybox', 'true'], { input: '' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'mydocker: the input device is not a TTY\n');
    const d = sb.run(['run', '-dt', '--name', 'dt', 'busybox', 'sh', '-c', 'tty']);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(sb.run(['wait', 'dt']).stdout, '0\n');
    assert.match(sb.run(['logs', 'dt']).stdout, /^\/dev\/pts\/0\r?\n$/);
    assert.equal(sb.run(['rm', 'dt']).status, 0);
  });
});
