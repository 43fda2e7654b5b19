/**
 * `ps` with real containers: Docker's columns and status texts, -a/-q/-n/-l/-s/--no-trunc,
 * filters, --format, the state made true after a crash, and bad input.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, Sandbox, isRoot, waitFor, oneLine, ok, record } from '../helpers/harness';

const skip = !isRoot ? 'needs root' : false;

const HEADER = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];

/** A table cut at its header's column starts: one object per row, keyed by column name. */
function table(out: string): Array<Record<string, string>> {
  const lines = out.split('\n').filter((l) => l !== '');
  const head = lines[0];
  const cols: Array<[string, number]> = [];
  let at = 0;
  for (const name of head.split(/ {3,}/)) {
    at = head.indexOf(name, at);
    cols.push([name, at]);
    at += name.length;
  }
  return lines.slice(1).map((l) => {
    const row: Record<string, string> = {};
    cols.forEach(([name, start], i) => {
      const end = i + 1 < cols.length ? cols[i + 1][1] : undefined;
      row[name] = Array.from(l).slice(start, end).join('').trim();
    });
    return row;
  });
}

/** What a refused command must leave unchanged: the records and the names. */
function snapshot(sb: Sandbox): string {
  const dir = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);
  const recs = dir(path.join(sb.root, 'containers')).map((id) => {
    const r = record(sb, id);
    return `${id} ${r.Name} ${r.State.Status} ${r.State.ExitCode}`;
  });
  return JSON.stringify({ recs, names: dir(path.join(sb.root, 'names')) });
}

describe('ps: columns, states, flags', { skip }, () => {
  let sb: Sandbox;
  let upId: string;
  before(() => {
    sb = sandbox();
    assert.equal(sb.run(['run', '--name', 'ex3', 'busybox', 'sh', '-c', 'exit 3']).status, 3);
    ok(sb.run(['run', '--name', 'writer', 'busybox', 'sh', '-c', 'echo hello > /file']));
    upId = ok(sb.run(['run', '-d', '--name', 'up', 'busybox', 'sleep', '300'])).trim();
  });
  after(async () => {
    sb.run(['rm', '-f', 'up']);
    await sb.cleanup();
  });

  test('without -a: the running containers, in docker\'s columns', () => {
    const out = ok(sb.run(['ps']));
    assert.deepEqual(out.split('\n')[0].split(/ {3,}/), HEADER);
    const rows = table(out);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]['CONTAINER ID'], upId.slice(0, 12));
    assert.equal(rows[0].IMAGE, 'busybox');
    assert.equal(rows[0].COMMAND, '"sleep 300"');
    assert.match(rows[0].CREATED, /^(Less than a second|\d+ seconds?) ago$/);
    assert.match(rows[0].STATUS, /^Up (Less than a second|\d+ seconds?)$/);
    assert.equal(rows[0].PORTS, '');
    assert.equal(rows[0].NAMES, 'up');
  });

  test('-a: every container, newest first, with Exited (code) ... ago', () => {
    const rows = table(ok(sb.run(['ps', '-a'])));
    assert.deepEqual(rows.map((r) => r.NAMES), ['up', 'writer', 'ex3']);
    const ex3 = rows[2];
    assert.equal(ex3.COMMAND, `"sh -c 'exit 3'"`);
    assert.match(ex3.STATUS, /^Exited \(3\) (Less than a second|\d+ seconds?) ago$/);
    assert.match(rows[1].STATUS, /^Exited \(0\) /);
  });

  test('a long command is cut to 20 characters with …, as docker', () => {
    ok(sb.run(['run', '--name', 'longcmd', 'busybox', 'sh', '-c', 'echo one two three four; true']));
    try {
      const row = table(ok(sb.run(['ps', '-a', '--filter', 'name=longcmd'])))[0];
      assert.equal(row.COMMAND, `"sh -c 'echo one two…"`);
      const full = ok(sb.run(['ps', '-a', '--no-trunc', '--filter', 'name=longcmd', '--format', '{{.Command}}']));
      assert.equal(full, `"sh -c 'echo one two three four; true'"\n`);
    } finally {
      ok(sb.run(['rm', 'longcmd']));
    }
  });

  test('-q, --no-trunc, -n, -l', () => {
    assert.equal(ok(sb.run(['ps', '-q'])), upId.slice(0, 12) + '\n');
    assert.equal(ok(sb.run(['ps', '-q', '--no-trunc'])), upId + '\n');
    const all = ok(sb.run(['ps', '-aq'])).trim().split('\n');
    assert.equal(all.length, 3);
    assert.ok(all.every((id) => /^[0-9a-f]{12}$/.test(id)));
    assert.deepEqual(table(ok(sb.run(['ps', '-n', '2']))).map((r) => r.NAMES), ['up', 'writer']);
    assert.deepEqual(table(ok(sb.run(['ps', '-l']))).map((r) => r.NAMES), ['up']);
  });

  test('-s: the writable layer and the virtual size', () => {
    const out = ok(sb.run(['ps', '-a', '-s', '--filter', 'name=writer']));
    assert.equal(out.split('\n')[0].split(/ {3,}/).pop(), 'SIZE');
    assert.match(table(out)[0].SIZE, /^6B \(virtual [\d.]+[kM]B\)$/);
    // .Size in a format turns sizes on by itself
    assert.match(ok(sb.run(['ps', '-a', '--filter', 'name=ex3', '--format', '{{.Size}}'])), /^0B \(virtual [\d.]+[kM]B\)\n$/);
  });

  test('filters: status, name, id, exited, ancestor, label', () => {
    const names = (...f: string[]) => table(ok(sb.run(['ps', ...f.flatMap((x) => ['--filter', x])]))).map((r) => r.NAMES);
    assert.deepEqual(names('status=exited'), ['writer', 'ex3']);
    assert.deepEqual(names('status=running'), ['up']);
    assert.deepEqual(names('status=created'), []);
    assert.deepEqual(names('status=exited', 'name=ex'), ['ex3']);
    assert.deepEqual(names('status=exited', 'exited=3'), ['ex3']);
    assert.deepEqual(names('status=exited', 'exited=0'), ['writer']);
    assert.deepEqual(names(`id=${upId.slice(0, 8)}`), ['up']);
    assert.deepEqual(names('ancestor=busybox', 'status=exited'), ['writer', 'ex3']);
    assert.deepEqual(names('ancestor=busybox:latest'), ['up']);
    assert.deepEqual(names('label=nope'), []);
  });

  test('--format: fields, table, json', () => {
    assert.equal(ok(sb.run(['ps', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.State}}'])), `${upId.slice(0, 12)} up busybox running\n`);
    const t = ok(sb.run(['ps', '-a', '--format', 'table {{.Names}}\\t{{.State}}\\t{{.Status}}']));
    assert.deepEqual(t.split('\n')[0].split(/ {3,}/), ['NAMES', 'STATE', 'STATUS']);
    assert.deepEqual(table(t).map((r) => r.STATE), ['running', 'exited', 'exited']);
    const j = JSON.parse(ok(sb.run(['ps', '--format', '{{json .}}'])));
    assert.equal(j.ID, upId.slice(0, 12));
    assert.equal(j.Names, 'up');
    assert.equal(j.Command, '"sleep 300"');
    assert.match(j.CreatedAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} /);
    const again = JSON.parse(ok(sb.run(['ps', '--format', 'json'])));
    assert.deepEqual(Object.keys(again), Object.keys(j));
    assert.equal(again.ID, j.ID);
  });

  test('-q with --format: the ids, and a warning', () => {
    const r = sb.run(['ps', '-q', '--format', '{{.Names}}']);
    assert.equal(r.stdout, upId.slice(0, 12) + '\n');
    assert.equal(oneLine(r.stderr), 'WARNING: Ignoring custom format, because both --format and --quiet are set.');
  });

  test('bad input: one line, docker\'s exit code, nothing changed', () => {
    const before = snapshot(sb);
    const cases: Array<[string[], number, RegExp]> = [
      [['ps', '--filter', 'bogus'], 125, /^mydocker: invalid argument "bogus" for "-f, --filter" flag: bad format of filter \(expected name=value\)$/],
      [['ps', '--filter', 'bogus=1'], 1, /^mydocker: Error response from daemon: invalid filter 'bogus'$/],
      [['ps', '--filter', 'status=sleepy'], 1, /^mydocker: Error response from daemon: invalid filter 'status=sleepy': invalid value for state \(sleepy\)/],
      [['ps', '--filter', 'exited=x'], 1, /^mydocker: Error response from daemon: invalid filter 'exited=x'/],
      [['ps', '--format', '{{.ID'], 1, /^mydocker: failed to parse template: template: :1: unclosed action$/],
      [['ps', '--format', '{{.Nope}}'], 1, /^mydocker: failed to execute template: template: :1:2: executing "" at <\.Nope>: can't evaluate field Nope in type \*formatter\.ContainerContext$/],
      [['ps', '--format', '{{nofunc .ID}}'], 1, /^mydocker: failed to parse template: template: :1: function "nofunc" not defined$/],
      [['ps', '-n', 'x'], 125, /^mydocker: invalid argument "x" for "-n, --last" flag/],
      [['ps', 'extra'], 125, /^mydocker: "mydocker ps" accepts no arguments\.$/],
    ];
    for (const [args, code, msg] of cases) {
      const r = sb.run(args);
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(oneLine(r.stderr), msg);
      assert.equal(r.stdout, '', args.join(' '));
    }
    assert.equal(snapshot(sb), before);
  });
});

describe('ps: the state shown is the truth', { skip }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(async () => {
    await sb.cleanup();
  });

  test('a container whose monitor and process were killed is shown exited, never running', async () => {
    const id = ok(sb.run(['run', '-d', '--name', 'crashed', 'busybox', 'sleep', '300'])).trim();
    const info = JSON.parse(fs.readFileSync(path.join(sb.root, 'running', id), 'utf8'));
    process.kill(info.monitor, 'SIGKILL');
    process.kill(info.pid, 'SIGKILL');
    // Gone, or a zombie whose new parent does not reap it.
    await waitFor(() => {
      try {
        const stat = fs.readFileSync(`/proc/${info.pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
      } catch {
        return true;
      }
    }, 5000);
    assert.equal(ok(sb.run(['ps', '-q'])), '');
    const row = table(ok(sb.run(['ps', '-a'])))[0];
    assert.equal(row.NAMES, 'crashed');
    assert.match(row.STATUS, /^Exited \((137|255)\) /);
    assert.equal(record(sb, id).State.Running, false);
    ok(sb.run(['rm', 'crashed']));
  });

  test('a container killed under a live monitor is not listed as running', async () => {
    const id = ok(sb.run(['run', '-d', '--name', 'killed', 'busybox', 'sleep', '300'])).trim();
    process.kill(record(sb, id).State.Pid, 'SIGKILL');
    assert.equal(ok(sb.run(['ps', '-q'])), '');
    assert.match(table(ok(sb.run(['ps', '-a'])))[0].STATUS, /^Exited \(137\) /);
    ok(sb.run(['rm', 'killed']));
  });
});
