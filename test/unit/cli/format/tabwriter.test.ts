import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { displayWidth, tabwrite } from '../../../../src/cli/format/tabwriter';

const docker = (s: string) => tabwrite(s, { minwidth: 10, padding: 3 });

describe("tabwrite: Go's text/tabwriter as docker configures it", () => {
  test('columns are the widest cell plus 3, at least 10; the last cell is not padded', () => {
    const out = docker('CONTAINER ID\tIMAGE\tNAMES\n0123456789ab\tbusybox\tweb\n');
    assert.equal(out, 'CONTAINER ID   IMAGE     NAMES\n0123456789ab   busybox   web\n');
  });
  test('an empty column still takes its minimum width', () => {
    const out = docker('A\tPORTS\tNAMES\nx\t\tn\n');
    assert.equal(out, 'A         PORTS     NAMES\nx                   n\n');
  });
  test('columns align per block of lines that have them', () => {
    const out = docker('a\tb\nonly\nlonger-than-ten\tc\n');
    assert.equal(out, 'a         b\nonly\nlonger-than-ten   c\n');
  });
  test('text after the last newline is kept', () => {
    assert.equal(docker('a\tb\nc\td'), 'a         b\nc         d');
  });
  test('wide characters count two cells', () => {
    assert.equal(displayWidth('日本'), 4);
    assert.equal(docker('日本\tx\nab\ty\n'), '日本      x\nab        y\n');
  });
  test('top uses a minimum width of 20', () => {
    const out = tabwrite('UID\tPID\tCMD\nroot\t1\tsleep 30\n', { minwidth: 20, padding: 3 });
    assert.equal(out, `UID${' '.repeat(17)}PID${' '.repeat(17)}CMD\nroot${' '.repeat(16)}1${' '.repeat(19)}sleep 30\n`);
  });
});
