/** `stats`: Docker's computation of the figures and its formatting of them. No root needed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADER, bytesSize, formatG, humanSize, render, rowOf, table } from '../../../src/cli/stats';
import { type StatsSample, entryOf, memoryUsage, parseNetDev, parseProcStat } from '../../../src/engine/stats';

const MiB = 1024 * 1024;
const ID = 'd6a76115b8e6e53287256d681e41dbea051b96cc0e00a2e5d861734ccbc48bd0';

test('formatG is Go\'s %.Ng', () => {
  const cases: Array<[number, number, string]> = [
    [0, 4, '0'],
    [340, 4, '340'],
    [23.5412, 4, '23.54'],
    [1.5, 4, '1.5'],
    [20.5, 4, '20.5'],
    [64, 4, '64'],
    [1023.99, 4, '1024'],
    [0.5, 4, '0.5'],
    [12, 3, '12'],
    [1.234, 3, '1.23'],
    [999.5, 3, '1e+03'], // Go switches to the exponent form when rounding reaches the precision
    [123456, 3, '1.23e+05'],
  ];
  for (const [x, p, want] of cases) assert.equal(formatG(x, p), want, `${x} %.${p}g`);
});

test('sizes as go-units prints them: binary for memory, decimal with 3 digits for I/O', () => {
  assert.equal(bytesSize(0), '0B');
  assert.equal(bytesSize(1023), '1023B');
  assert.equal(bytesSize(1024), '1KiB');
  assert.equal(bytesSize(176128), '172KiB');
  assert.equal(bytesSize(20.5 * MiB), '20.5MiB');
  assert.equal(bytesSize(21633024), '20.63MiB');
  assert.equal(bytesSize(64 * MiB), '64MiB');
  assert.equal(bytesSize(25275805696), '23.54GiB');
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(648), '648B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(1234), '1.23kB');
  assert.equal(humanSize(4.5e6), '4.5MB');
  assert.equal(humanSize(999999), '1e+03kB');
});

test('the table is Docker\'s: columns at least 10 wide, 3 spaces of padding, the last one bare', () => {
  assert.equal(
    table([HEADER]),
    'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n',
  );
  const e = {
    id: ID, name: 'st', cpuPercent: 1.4799, memory: 21633024, memoryLimit: 64 * MiB, memoryPercent: 32.234,
    netRx: 1234, netTx: 648, blockRead: 0, blockWrite: 4096, pids: 2,
  };
  assert.deepEqual(rowOf(e), ['d6a76115b8e6', 'st', '1.48%', '20.63MiB / 64MiB', '32.23%', '1.23kB / 648B', '0B / 4.1kB', '2']);
  assert.equal(rowOf(e, false)[0], ID);
  assert.equal(
    render([e]),
    'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O         BLOCK I/O    PIDS\n' +
      'd6a76115b8e6   st        1.48%     20.63MiB / 64MiB    32.23%    1.23kB / 648B   0B / 4.1kB   2\n',
  );
});

test('parseProcStat: the host CPU time Docker sums (user..softirq) in ns, and the online CPUs', () => {
  const text =
    'cpu  100 5 50 1000 10 1 2 7 0 0\n' +
    'cpu0 50 2 25 500 5 1 1 3 0 0\n' +
    'cpu1 50 3 25 500 5 0 1 4 0 0\n' +
    'intr 12345\nctxt 999\n';
  assert.deepEqual(parseProcStat(text), { systemNs: (100 + 5 + 50 + 1000 + 10 + 1 + 2) * 1e7, onlineCpus: 2 });
});

test('parseNetDev: every interface but loopback', () => {
  const text =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
    '    lo:    5000      50    0    0    0     0          0         0     5000      50    0    0    0     0       0          0\n' +
    '  eth0:    1234      10    0    0    0     0          0         0      648       8    0    0    0     0       0          0\n' +
    '  eth1:      16       1    0    0    0     0          0         0        2       1    0    0    0     0       0          0\n';
  assert.deepEqual(parseNetDev(text), { rx: 1250, tx: 650 });
  assert.deepEqual(parseNetDev(text.split('\n').slice(0, 3).join('\n')), { rx: 0, tx: 0 });
});

function sample(over: Partial<StatsSample> & { cpu?: number; system?: number }): StatsSample {
  return {
    id: ID,
    name: 'st',
    running: true,
    cgroup: { cpuUsageNs: over.cpu ?? 0, memoryUsage: 10 * MiB, memoryLimit: 40 * MiB, pids: 3, memoryInactiveFile: 2 * MiB, blockRead: 5, blockWrite: 7 },
    systemNs: over.system ?? 0,
    onlineCpus: 2,
    netRx: 11,
    netTx: 13,
    ...over,
  };
}

test('entryOf: Docker\'s CPU % (share of the host times online CPUs) and memory without inactive cache', () => {
  // 0.5 s of the container's CPU while the host's 2 CPUs ran 2 s: half a CPU, 50%
  const e = entryOf(sample({ cpu: 1.5e9, system: 12e9 }), sample({ cpu: 1e9, system: 10e9 }));
  assert.equal(e.cpuPercent, 50);
  assert.equal(e.memory, 8 * MiB);
  assert.equal(e.memoryLimit, 40 * MiB);
  assert.equal(e.memoryPercent, 20);
  assert.deepEqual([e.netRx, e.netTx, e.blockRead, e.blockWrite, e.pids], [11, 13, 5, 7, 3]);
  assert.equal(entryOf(sample({ cpu: 1.5e9, system: 12e9 })).cpuPercent, 0, 'no previous sample: 0%');
  assert.equal(entryOf(sample({ cpu: 1.5e9, system: 10e9 }), sample({ cpu: 1e9, system: 10e9 })).cpuPercent, 0, 'no host time passed');
  const stopped = entryOf({ ...sample({}), running: false, cgroup: undefined });
  assert.deepEqual(rowOf(stopped).slice(2), ['0.00%', '0B / 0B', '0.00%', '0B / 0B', '0B / 0B', '0']);
});

test('memoryUsage: the inactive file cache is subtracted only when smaller than the usage', () => {
  assert.equal(memoryUsage({ cpuUsageNs: 0, memoryUsage: 100, memoryLimit: 1000, pids: 1, memoryInactiveFile: 30 }), 70);
  assert.equal(memoryUsage({ cpuUsageNs: 0, memoryUsage: 100, memoryLimit: 1000, pids: 1, memoryInactiveFile: 300 }), 100);
  assert.equal(memoryUsage({ cpuUsageNs: 0, memoryUsage: 100, memoryLimit: 1000, pids: 1 }), 100);
});
