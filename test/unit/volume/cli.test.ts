import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchesFilters, parseFilters, volumeRow } from '../../../src/cli/volume';
import { renderList } from '../../../src/cli/format/formatter';
import { humanSize } from '../../../src/cli/format/size';
import type { Volume } from '../../../src/volume/store';

const vol = (name: string, labels: Record<string, string> | null = null): Volume => ({
  Name: name, Driver: 'local', Mountpoint: `/v/${name}/_data`, CreatedAt: '2024-01-01T00:00:00Z', Labels: labels, Scope: 'local', Options: null, Anonymous: false,
});

describe('volume command output', () => {
  test('prune reports sizes as docker/go-units', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(1200), '1.2kB');
    assert.equal(humanSize(12345678), '12.35MB');
  });

  test("ls rows: Docker's table, -q, --format with fields, Label and json", () => {
    const rows = [vol('data', { env: 'prod', team: 'a' }), vol('x')].map((v) => volumeRow(v));
    const header = { Driver: 'DRIVER', Name: 'VOLUME NAME', Labels: 'LABELS' };
    assert.equal(renderList('table {{.Driver}}\t{{.Name}}', rows, { header }), 'DRIVER    VOLUME NAME\nlocal     data\nlocal     x\n');
    assert.equal(renderList('table {{.Driver}}\t{{.Name}}', [], { header }), 'DRIVER    VOLUME NAME\n');
    assert.equal(renderList('{{.Name}}', rows, { header }), 'data\nx\n');
    assert.equal(renderList('{{.Name}} {{.Labels}} {{.Label "env"}}', rows, { header }), 'data env=prod,team=a prod\nx  \n');
    assert.deepEqual(JSON.parse(renderList('{{json .}}', rows.slice(1), { header })), {
      Availability: 'N/A', Driver: 'local', Group: 'N/A', Labels: '', Links: 'N/A', Mountpoint: '/v/x/_data', Name: 'x', Scope: 'local', Size: 'N/A', Status: 'N/A',
    });
    assert.throws(() => renderList('{{.Nope}}', rows, { header }), /can't evaluate field Nope/);
  });

  test('filters', () => {
    assert.throws(() => parseFilters(['dangling'], ['dangling']), /bad format of filter/);
    assert.throws(() => parseFilters(['foo=1'], ['dangling']), { message: "Error response from daemon: invalid filter 'foo'" });
    const f = parseFilters(['name=da', 'label=env=prod'], ['name', 'label']);
    assert.equal(matchesFilters(vol('data', { env: 'prod' }), f, false), true);
    assert.equal(matchesFilters(vol('data', { env: 'dev' }), f, false), false);
    assert.equal(matchesFilters(vol('other', { env: 'prod' }), f, false), false);
    const d = parseFilters(['dangling=true'], ['dangling']);
    assert.equal(matchesFilters(vol('a'), d, false), true);
    assert.equal(matchesFilters(vol('a'), d, true), false);
    const nl = parseFilters(['label!=keep'], ['label!']);
    assert.equal(matchesFilters(vol('a', { keep: '' }), nl, false), false);
    assert.equal(matchesFilters(vol('a'), nl, false), true);
  });
});
