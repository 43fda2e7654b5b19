import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MydockerError } from '../../../../src/common/errors';
import { renderList, templateString } from '../../../../src/cli/format/formatter';

const header = { Name: 'NAME', Size: 'SIZE' };
const rows = [
  { Name: 'first', Size: '1B' },
  { Name: 'a-much-longer-name', Size: '22kB' },
];

describe("renderList: docker's formatter.Context", () => {
  test('templateString: table prefix, spaces trimmed, \\t and \\n made real, json', () => {
    assert.equal(templateString('table {{.A}}\\t{{.B}}'), '{{.A}}\t{{.B}}');
    assert.equal(templateString('  {{.A}}\\n '), '{{.A}}\n');
    assert.equal(templateString('json'), '{{json .}}');
    assert.equal(templateString('table'), '');
  });
  test('a table gets a header and aligned columns', () => {
    assert.equal(
      renderList('table {{.Name}}\\t{{.Size}}', rows, { header }),
      'NAME                 SIZE\nfirst                1B\na-much-longer-name   22kB\n',
    );
  });
  test('an empty table is its header', () => {
    assert.equal(renderList('table {{.Name}}\\t{{.Size}}', [], { header }), 'NAME      SIZE\n');
  });
  test('a plain format is one line per row, no header, no alignment', () => {
    assert.equal(renderList('{{.Name}}\\t{{.Size}}', rows, { header }), 'first\t1B\na-much-longer-name\t22kB\n');
    assert.equal(renderList('{{.Name}}', [], { header }), '');
  });
  test('header functions leave the column names alone', () => {
    assert.equal(renderList('table {{upper .Name}}\\t{{json .Size}}', [rows[0]], { header }), 'NAME      SIZE\nFIRST     "1B"\n');
  });
  test('a bad template is one line, exit 1', () => {
    assert.throws(
      () => renderList('{{.Name', rows, { header }),
      (e: unknown) => e instanceof MydockerError && e.exitCode === 1 && e.message === 'template parsing error: template: :1: unclosed action',
    );
  });
});
