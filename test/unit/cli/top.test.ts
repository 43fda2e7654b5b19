import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MydockerError } from '../../../src/common/errors';
import { formatTop, parsePsOutput, validatePsArgs } from '../../../src/cli/top';

const PS_EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
root        4242    4240  0 10:01 ?        00:00:00 sleep 30
root        4250    4242  0 10:01 ?        00:00:00 sh -c echo a  b
`;

describe("top: docker's parsePSOutput", () => {
  test("keeps the container's pids and joins the command's words", () => {
    const list = parsePsOutput(PS_EF, [4242, 4250]);
    assert.deepEqual(list.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.deepEqual(list.Processes, [
      ['root', '4242', '4240', '0', '10:01', '?', '00:00:00', 'sleep 30'],
      ['root', '4250', '4242', '0', '10:01', '?', '00:00:00', 'sh -c echo a b'],
    ]);
  });
  test('thread lines ("-") follow their process', () => {
    const out = 'PID TID CMD\n7 - a\n- 7 -\n- 8 -\n9 - b\n- 9 -\n';
    assert.deepEqual(parsePsOutput(out, [7]).Processes, [['7', '-', 'a'], ['-', '7', '-'], ['-', '8', '-']]);
  });
  test('no PID column is an error', () => {
    assert.throws(() => parsePsOutput('USER CMD\nroot x\n', [1]), (e: unknown) => e instanceof MydockerError && /Couldn't find PID field/.test(e.message));
  });
  test('only pid= may rename the PID column', () => {
    validatePsArgs('-o pid=PID');
    assert.throws(() => validatePsArgs('-o user=PIDX'), (e: unknown) => e instanceof MydockerError && e.exitCode === 1 && e.message === 'Error response from daemon: specifying "user=PIDX" is not allowed');
  });
  test('the table: columns of at least 20, padding 3', () => {
    const text = formatTop({ Titles: ['PID', 'CMD'], Processes: [['1', 'sleep 30']] });
    assert.equal(text, `PID${' '.repeat(17)}CMD\n1${' '.repeat(19)}sleep 30\n`);
  });
});
