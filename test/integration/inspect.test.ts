/**
 * `inspect` with real containers: Docker's JSON shape, -f templates, several names,
 * images and volumes, and the refusals with docker's exit codes.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, Sandbox, isRoot, oneLine, ok } from '../helpers/harness';

const skip = !isRoot ? 'needs root' : false;

describe('inspect', { skip }, () => {
  let sb: Sandbox;
  let bindDir: string;
  let exId: string;
  let upId: string;
  before(() => {
    sb = sandbox();
    bindDir = path.join(sb.root, 'bind-src');
    fs.mkdirSync(bindDir);
    assert.equal(sb.run(['run', '--name', 'ex3', '-e', 'FOO=bar', '-v', `${bindDir}:/b:ro`, 'busybox', 'sh', '-c', 'exit 3']).status, 3);
    exId = ok(sb.run(['ps', '-aq', '--no-trunc', '--filter', 'name=ex3'])).trim();
    upId = ok(sb.run(['run', '-d', '--name', 'up', 'busybox', 'sleep', '300'])).trim();
  });
  after(async () => {
    sb.run(['rm', '-f', 'up']);
    await sb.cleanup();
  });

  test("Docker's shape: an array of objects, fields in Docker's order, engine-private ones left out", () => {
    const out = ok(sb.run(['inspect', 'ex3']));
    assert.match(out, /^\[\n {4}\{\n {8}"Id": /, 'indented by four spaces');
    const [c] = JSON.parse(out);
    assert.deepEqual(Object.keys(c).slice(0, 11), ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name']);
    for (const k of ['HostConfig', 'Mounts', 'Config', 'NetworkSettings', 'GraphDriver']) assert.ok(k in c, k);
    assert.ok(!('LayerDirs' in c));
    assert.equal(c.Id, exId);
    assert.equal(c.Name, '/ex3');
    assert.equal(c.Path, 'sh');
    assert.deepEqual(c.Args, ['-c', 'exit 3']);
    assert.match(c.Image, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(c.State), ['Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ExitCode', 'Error', 'StartedAt', 'FinishedAt']);
    assert.equal(c.State.Status, 'exited');
    assert.equal(c.State.Running, false);
    assert.equal(c.State.ExitCode, 3);
    assert.equal(c.State.Pid, 0);
    assert.ok(!Number.isNaN(Date.parse(c.State.StartedAt)) && !Number.isNaN(Date.parse(c.State.FinishedAt)));
    assert.equal(c.Config.Image, 'busybox');
    assert.deepEqual(c.Config.Cmd, ['sh', '-c', 'exit 3']);
    assert.ok(c.Config.Env.includes('FOO=bar'));
    assert.equal(c.Config.Entrypoint, null);
    assert.equal(c.HostConfig.AutoRemove, false);
    assert.equal(c.HostConfig.Memory, 0);
    assert.deepEqual(c.HostConfig.Binds, [`${bindDir}:/b:ro`]);
    assert.deepEqual(c.Mounts, [{ Type: 'bind', Source: bindDir, Destination: '/b', Mode: 'ro', RW: false, Propagation: 'rprivate' }]);
  });

  test('-f: field paths, json, range, if', () => {
    const f = (tmpl: string, ref = 'ex3') => ok(sb.run(['inspect', '-f', tmpl, ref]));
    assert.equal(f('{{.Name}}'), '/ex3\n');
    assert.equal(f('{{.State.ExitCode}}'), '3\n');
    assert.equal(f('{{.State.Pid}}'), '0\n');
    assert.match(f('{{.State.Pid}}', 'up'), /^[1-9]\d*\n$/);
    assert.equal(f('{{.State.Status}} {{.State.Running}}', 'up'), 'running true\n');
    const cfg = JSON.parse(f('{{json .Config}}'));
    assert.equal(cfg.Image, 'busybox');
    assert.deepEqual(cfg.Cmd, ['sh', '-c', 'exit 3']);
    assert.equal(f('{{range .Mounts}}{{.Source}}:{{.Destination}}{{end}}'), `${bindDir}:/b\n`);
    assert.equal(f('{{.Config.Entrypoint}} {{.Config.Cmd}}'), '[] [sh -c exit 3]\n');
    assert.equal(f('{{if eq .State.ExitCode 3}}three{{else}}other{{end}}'), 'three\n');
    assert.equal(f('{{index .Config.Cmd 2}}|{{len .Mounts}}|{{printf "%s-%d" .Name .State.ExitCode}}'), 'exit 3|1|/ex3-3\n');
  });

  test('several names: one line of -f output each, one JSON array', () => {
    assert.equal(ok(sb.run(['inspect', '-f', '{{.Name}}', 'ex3', 'up', exId.slice(0, 10)])), '/ex3\n/up\n/ex3\n');
    const arr = JSON.parse(ok(sb.run(['inspect', 'ex3', upId])));
    assert.deepEqual(arr.map((c: { Name: string }) => c.Name), ['/ex3', '/up']);
  });

  test('-s adds the sizes', () => {
    const [c] = JSON.parse(ok(sb.run(['inspect', '-s', 'ex3'])));
    assert.equal(c.SizeRw, 0);
    assert.ok(c.SizeRootFs > 0);
    const [plain] = JSON.parse(ok(sb.run(['inspect', 'ex3'])));
    assert.ok(!('SizeRw' in plain));
  });

  test('images and volumes are found after containers', () => {
    const [img] = JSON.parse(ok(sb.run(['inspect', 'busybox'])));
    assert.match(img.Id, /^sha256:/);
    assert.deepEqual(img.RepoTags, ['busybox:latest']);
    ok(sb.run(['volume', 'create', 'vol1']));
    assert.equal(ok(sb.run(['inspect', '-f', '{{.Name}} {{.Driver}}', 'vol1'])), 'vol1 local\n');
    ok(sb.run(['volume', 'rm', 'vol1']));
    assert.equal(ok(sb.run(['inspect', '--type', 'container', '-f', '{{.Name}}', 'up'])), '/up\n');
  });

  test('unknown names: the others are printed, one line per unknown, exit 1', () => {
    const r = sb.run(['inspect', 'nosuch']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '[]\n');
    assert.equal(oneLine(r.stderr), 'mydocker: Error: No such object: nosuch');
    const mixed = sb.run(['inspect', '-f', '{{.Name}}', 'ex3', 'nosuch']);
    assert.equal(mixed.status, 1);
    assert.equal(mixed.stdout, '/ex3\n');
    assert.equal(oneLine(mixed.stderr), 'mydocker: Error: No such object: nosuch');
    const typed = sb.run(['inspect', '--type', 'container', 'busybox']);
    assert.equal(typed.status, 1);
    assert.equal(oneLine(typed.stderr), 'mydocker: Error response from daemon: No such container: busybox');
  });

  test('an ambiguous id prefix is refused', () => {
    // Containers whose ids share their first hex digit exist among a few; find a shared prefix.
    const ids = [exId, upId];
    const shared = ids[0][0] === ids[1][0] ? ids[0][0] : undefined;
    if (!shared) return;
    const r = sb.run(['inspect', shared]);
    assert.equal(r.status, 1);
    assert.match(oneLine(r.stderr), /multiple IDs found with provided prefix/);
  });

  test("templates: a parse error is exit 64 before any lookup; an execution error is exit 1", () => {
    const p = sb.run(['inspect', '-f', '{{.Name', 'ex3', 'nosuch']);
    assert.equal(p.status, 64);
    assert.equal(p.stdout, '');
    assert.equal(oneLine(p.stderr), 'mydocker: template parsing error: template: :1: unclosed action');
    const e = sb.run(['inspect', '-f', '{{.Nope}}', 'ex3']);
    assert.equal(e.status, 1);
    assert.equal(oneLine(e.stderr), 'mydocker: template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
    const fn = sb.run(['inspect', '-f', '{{nofunc .}}', 'ex3']);
    assert.equal(fn.status, 64);
    assert.equal(oneLine(fn.stderr), 'mydocker: template parsing error: template: :1: function "nofunc" not defined');
  });

  test('inspecting changes nothing', () => {
    const before = fs.readFileSync(path.join(sb.root, 'containers', exId, 'config.json'), 'utf8');
    ok(sb.run(['inspect', 'ex3']));
    sb.run(['inspect', '-f', '{{.Nope}}', 'ex3']);
    assert.equal(fs.readFileSync(path.join(sb.root, 'containers', exId, 'config.json'), 'utf8'), before);
  });
});
