import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONTAINER_HEADER, ContainerContext, containerFormat } from '../../../src/cli/ps';
import { renderList } from '../../../src/cli/format/formatter';
import type { ContainerSummary } from '../../../src/engine/query';

const now = Date.parse('2024-01-01T12:00:00Z');
const id = 'c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
const imageId = 'sha256:' + 'e'.repeat(64);

function summary(over: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    Id: id,
    Names: ['/web'],
    Image: 'busybox',
    ImageID: imageId,
    Command: "sh -c 'sleep 1000; echo done'",
    Created: Date.parse('2024-01-01T11:59:55Z') / 1000,
    State: 'exited',
    StateDetail: {
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: 137,
      Error: '',
      StartedAt: '2024-01-01T11:59:56Z',
      FinishedAt: '2024-01-01T11:59:58Z',
    },
    Labels: { 'com.example.b': '2', 'com.example.a': '1' },
    Mounts: [{ Type: 'volume', Name: 'a-rather-long-volume-name', Source: '/v', Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }],
    Networks: ['none'],
    ...over,
  };
}

const ctx = (s: ContainerSummary, trunc = true) => new ContainerContext(s, trunc, now);

describe("ContainerContext: docker's ps columns", () => {
  test('ID, Names, Command truncated; full with --no-trunc', () => {
    const c = ctx(summary());
    assert.equal(c.ID(), 'c0ffee012345');
    assert.equal(c.Names(), 'web');
    assert.equal(c.Command(), `"sh -c 'sleep 1000; …"`);
    const full = ctx(summary(), false);
    assert.equal(full.ID(), id);
    assert.equal(full.Command(), `"sh -c 'sleep 1000; echo done'"`);
  });
  test('Image: the reference as typed, familiar; a short id when the container names its image by id', () => {
    assert.equal(ctx(summary({ Image: 'docker.io/library/busybox:latest' })).Image(), 'busybox:latest');
    assert.equal(ctx(summary({ Image: `busybox@sha256:${'a'.repeat(64)}` })).Image(), 'busybox');
    assert.equal(ctx(summary({ Image: imageId })).Image(), 'eeeeeeeeeeee');
    assert.equal(ctx(summary({ Image: imageId }), false).Image(), imageId);
  });
  test('CREATED, STATUS, STATE', () => {
    const c = ctx(summary());
    assert.equal(c.RunningFor(), '5 seconds ago');
    assert.equal(c.Status(), 'Exited (137) 2 seconds ago');
    assert.equal(c.State(), 'exited');
  });
  test('labels, mounts, volumes, networks', () => {
    const c = ctx(summary());
    assert.equal(c.Labels(), 'com.example.a=1,com.example.b=2');
    assert.equal(c.Label('com.example.b'), '2');
    assert.equal(c.Mounts(), 'a-rather-long-…');
    assert.equal(c.LocalVolumes(), '1');
    assert.equal(c.Networks(), 'none');
  });
  test('sizes', () => {
    assert.equal(ctx(summary({ SizeRw: 2, SizeRootFs: 4_260_000 })).Size(), '2B (virtual 4.26MB)');
  });
  test('{{json .}} has every column, keys sorted', () => {
    const j = JSON.parse(renderList('{{json .}}', [ctx(summary())], { header: CONTAINER_HEADER }));
    assert.deepEqual(Object.keys(j), [...Object.keys(j)].sort());
    assert.equal(j.ID, 'c0ffee012345');
    assert.equal(j.Platform, null);
    assert.equal(j.Status, 'Exited (137) 2 seconds ago');
  });
});

describe("containerFormat: docker's NewContainerFormat", () => {
  test('the default table, -q, -s', () => {
    assert.match(containerFormat('', false, false), /^table \{\{\.ID\}\}\t/);
    assert.equal(containerFormat('', true, false), '{{.ID}}');
    assert.match(containerFormat('table', false, true), /\t\{\{\.Size\}\}$/);
  });
  test('a custom format is kept, and -q wins over it', () => {
    assert.equal(containerFormat('{{.Names}}', false, true), '{{.Names}}');
    assert.equal(containerFormat('{{.Names}}', true, false), '{{.ID}}');
  });
  test('the whole default table', () => {
    const out = renderList(containerFormat('', false, false), [ctx(summary())], { header: CONTAINER_HEADER });
    assert.equal(
      out,
      'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS                       PORTS     NAMES\n' +
        `c0ffee012345   busybox   "sh -c 'sleep 1000; …"   5 seconds ago   Exited (137) 2 seconds ago             web\n`,
    );
  });
});
