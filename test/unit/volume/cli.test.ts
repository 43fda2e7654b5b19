import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../../src/common/errors';
import { formatTable, formatTemplate, humanSize, matchesFilters, parseFilters } from '../../../src/cli/volume';
import type { Volume } from '../../../src/volume/store';

const vol = (name: string, labels: Record<string, string> | null = null): Volume => ({
  Name: name, Driver: 'local', Mountpoint: `/v/${name}/_data`, CreatedAt: '2024-01-01T00:00:00Z', Labels: labels, Scope: 'local', Options: null, Anonymous: false,
});

describe('volume command output', () => {
  test('humanSize as docker/go-units', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1200), '1.2kB');
    assert.equal(humanSize(1234), '1.234kB');
    assert.equal(humanSize(12345678), '12.35MB');
    assert.equal(humanSize(2e9), '2GB');
  });

  test("the ls table: Docker's column widths", () => {
    assert.equal(formatTable(['DRIVER', 'VOLUME NAME'], [['local', 'data'], ['local', 'x']]), 'DRIVER    VOLUME NAME\nlocal     data\nlocal     x\n');
    assert.equal(formatTable(['DRIVER', 'VOLUME NAME'], []), 'DRIVER    VOLUME NAME\n');
  });

  test('--format: fields, json, escapes; anything else refused', () => {
    const v = { Name: 'n', Labels: { b: '2', a: '1' }, Options: null };
    assert.equal(formatTemplate('{{.Name}}\\t{{ .Name }}', v), 'n\tn');
    assert.equal(formatTemplate('{{json .Labels}}', v), '{"b":"2","a":"1"}');
    assert.equal(formatTemplate('{{.Labels}} {{.Options}}', v), 'map[a:1 b:2] <no value>');
    assert.throws(() => formatTemplate('{{range .}}x{{end}}', v), UsageError);
    assert.throws(() => formatTemplate('{{.Nope}}', v), UsageError);
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
