import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listCovered, parseLimits, parseNanoCpus, parseUintList, ramInBytes } from '../../../src/cgroups/limits';
import { UsageError } from '../../../src/common/errors';
import type { ResourceFlags } from '../../../src/cgroups/limits';

const MiB = 1024 * 1024;
const HOST = { cpuCount: 2, cpusOnline: '0-1', memsOnline: '0' };

function refuses(flags: ResourceFlags | Record<string, unknown>, message: string): void {
  assert.throws(
    () => parseLimits(flags as never, HOST),
    (e: unknown) => {
      assert.ok(e instanceof UsageError, `UsageError expected, got ${String(e)}`);
      assert.equal(e.exitCode, 125);
      assert.equal(e.message, message);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    },
  );
}

test('sizes: Docker units, case-insensitive, binary multiples, truncated', () => {
  assert.equal(ramInBytes('100'), 100);
  assert.equal(ramInBytes('100b'), 100);
  assert.equal(ramInBytes('4k'), 4096);
  assert.equal(ramInBytes('4KB'), 4096);
  assert.equal(ramInBytes('4kb'), 4096);
  assert.equal(ramInBytes('32m'), 32 * MiB);
  assert.equal(ramInBytes('32M'), 32 * MiB);
  assert.equal(ramInBytes('32mb'), 32 * MiB);
  assert.equal(ramInBytes('32MiB'), 32 * MiB);
  assert.equal(ramInBytes('1g'), 1024 * MiB);
  assert.equal(ramInBytes('1GB'), 1024 * MiB);
  assert.equal(ramInBytes('1.5g'), 1536 * MiB);
  assert.equal(ramInBytes('1 g'), 1024 * MiB);
  assert.equal(ramInBytes('0.5k'), 512);
  for (const bad of ['1x', '', 'm', '-1', '1.2.3', '1mm', ' 1', '1e3', 'abc']) {
    assert.throws(() => ramInBytes(bad), { message: `invalid size: '${bad}'` }, bad);
  }
});

test('the issue\'s bad inputs: one line, exit 125', () => {
  refuses({ memory: '1x' }, `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'`);
  refuses({ memory: '4k' }, 'Minimum memory limit allowed is 6MB');
  refuses({ cpus: '0' }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refuses({ cpus: '3' }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refuses({ cpus: '2.5' }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refuses({ cpus: '-1' }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refuses({ cpus: '0.001' }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refuses({ cpusetCpus: '7' }, 'Requested CPUs are not available - requested 7, available: 0-1');
  refuses({ cpusetCpus: '0-2' }, 'Requested CPUs are not available - requested 0-2, available: 0-1');
  refuses({ pidsLimit: '-2' }, 'invalid argument "-2" for "--pids-limit" flag: a PIDs limit must be a positive number, or 0 or -1 for unlimited');
});

test('the CPU range names the host\'s count (injectable)', () => {
  assert.throws(() => parseLimits({ cpus: '9' }, { cpuCount: 8 }), {
    message: 'Range of CPUs is from 0.01 to 8.00, as there are only 8 CPUs available',
  });
  assert.deepEqual(parseLimits({ cpus: '8' }, { cpuCount: 8 }), { cpuPeriod: 100000, cpuQuota: 800000 });
});

test('memory and swap', () => {
  refuses({ memory: '6291455' }, 'Minimum memory limit allowed is 6MB');
  assert.equal(parseLimits({ memory: '6m' }, HOST).memory, 6 * MiB);
  refuses({ memory: '64m', memorySwap: '32m' }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
  refuses({ memorySwap: '64m' }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
  refuses({ memorySwap: '1y' }, `invalid argument "1y" for "--memory-swap" flag: invalid size: '1y'`);
  refuses({ memoryReservation: '1m' }, 'Minimum memory reservation allowed is 6MB');
  refuses({ memoryReservation: 'x' }, `invalid argument "x" for "--memory-reservation" flag: invalid size: 'x'`);
  refuses({ memory: '32m', memoryReservation: '64m' }, 'Minimum memory limit can not be less than memory reservation limit, see usage');
  // Docker's default: memory+swap = 2 x memory
  assert.deepEqual(parseLimits({ memory: '32m' }, HOST), { memory: 32 * MiB, memorySwap: 64 * MiB });
  assert.deepEqual(parseLimits({ memory: '32m', memorySwap: '-1' }, HOST), { memory: 32 * MiB, memorySwap: -1 });
  assert.deepEqual(parseLimits({ memory: '32m', memorySwap: '32m' }, HOST), { memory: 32 * MiB, memorySwap: 32 * MiB });
  assert.deepEqual(parseLimits({ memory: '0' }, HOST), {}, '-m 0 means unlimited');
  assert.deepEqual(parseLimits({ memory: 32 * MiB, memoryReservation: '16m' }, HOST), {
    memory: 32 * MiB,
    memorySwap: 64 * MiB,
    memoryReservation: 16 * MiB,
  });
});

test('cpus, quota and period', () => {
  assert.deepEqual(parseLimits({ cpus: '0.5' }, HOST), { cpuPeriod: 100000, cpuQuota: 50000 });
  assert.deepEqual(parseLimits({ cpus: '1/4' }, HOST), { cpuPeriod: 100000, cpuQuota: 25000 });
  assert.deepEqual(parseLimits({ cpus: '0.01' }, HOST), { cpuPeriod: 100000, cpuQuota: 1000 });
  assert.deepEqual(parseLimits({ cpus: '2' }, HOST), { cpuPeriod: 100000, cpuQuota: 200000 });
  refuses({ cpus: 'abc' }, 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
  refuses({ cpus: '0.0000000001' }, 'invalid argument "0.0000000001" for "--cpus" flag: value is too precise');
  refuses({ cpus: '0.5', cpuPeriod: '50000' }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  refuses({ cpus: '0.5', cpuQuota: '50000' }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  refuses({ cpuPeriod: '999' }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  refuses({ cpuPeriod: '1000001' }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  refuses({ cpuQuota: '999' }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  refuses({ cpuQuota: '1.5' }, 'invalid argument "1.5" for "--cpu-quota" flag: strconv.ParseInt: parsing "1.5": invalid syntax');
  refuses({ cpuPeriod: 'x' }, 'invalid argument "x" for "--cpu-period" flag: strconv.ParseInt: parsing "x": invalid syntax');
  assert.deepEqual(parseLimits({ cpuPeriod: '50000', cpuQuota: '25000' }, HOST), { cpuPeriod: 50000, cpuQuota: 25000 });
  assert.deepEqual(parseLimits({ cpuQuota: '-1' }, HOST), { cpuQuota: -1 });
  assert.deepEqual(parseLimits({ cpus: '0.5', cpuQuota: '-1' }, HOST), { cpuPeriod: 100000, cpuQuota: 50000 });
});

test('cpu shares', () => {
  assert.deepEqual(parseLimits({ cpuShares: '512' }, HOST), { cpuShares: 512 });
  assert.deepEqual(parseLimits({ cpuShares: '0' }, HOST), {});
  refuses({ cpuShares: '1' }, 'The minimum allowed cpu-shares is 2');
  refuses({ cpuShares: '-5' }, 'The minimum allowed cpu-shares is 2');
  refuses({ cpuShares: '262145' }, 'The maximum allowed cpu-shares is 262144');
  refuses({ cpuShares: 'lots' }, 'invalid argument "lots" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "lots": invalid syntax');
});

test('cpuset', () => {
  assert.deepEqual(parseLimits({ cpusetCpus: '0', cpusetMems: '0' }, HOST), { cpusetCpus: '0', cpusetMems: '0' });
  assert.deepEqual(parseLimits({ cpusetCpus: '0-1' }, HOST), { cpusetCpus: '0-1' });
  assert.deepEqual(parseLimits({ cpusetCpus: '1,0' }, HOST), { cpusetCpus: '1,0' });
  refuses({ cpusetCpus: '0-a' }, 'Invalid value 0-a for cpuset cpus: invalid format: 0-a');
  refuses({ cpusetCpus: '1-0' }, 'Invalid value 1-0 for cpuset cpus: invalid format: 1-0');
  refuses({ cpusetCpus: '-1' }, 'Invalid value -1 for cpuset cpus: invalid format: -1');
  refuses({ cpusetMems: '1' }, 'Requested memory nodes are not available - requested 1, available: 0');
  refuses({ cpusetMems: 'x' }, 'Invalid value x for cpuset mems: invalid format: x');
  // a sparse online set
  assert.throws(() => parseLimits({ cpusetCpus: '2-4' }, { cpusOnline: '0-2,4-7' }), {
    message: 'Requested CPUs are not available - requested 2-4, available: 0-2,4-7',
  });
  assert.deepEqual(parseLimits({ cpusetCpus: '4-7,0' }, { cpusOnline: '0-2,4-7' }), { cpusetCpus: '4-7,0' });
});

test('pids limit', () => {
  assert.deepEqual(parseLimits({ pidsLimit: '20' }, HOST), { pidsLimit: 20 });
  assert.deepEqual(parseLimits({ pidsLimit: '-1' }, HOST), { pidsLimit: -1 });
  assert.deepEqual(parseLimits({ pidsLimit: '0' }, HOST), { pidsLimit: -1 });
  refuses({ pidsLimit: '-100' }, 'invalid argument "-100" for "--pids-limit" flag: a PIDs limit must be a positive number, or 0 or -1 for unlimited');
  refuses({ pidsLimit: 'ten' }, 'invalid argument "ten" for "--pids-limit" flag: strconv.ParseInt: parsing "ten": invalid syntax');
});

test('oom-kill-disable and the empty case', () => {
  assert.deepEqual(parseLimits({ oomKillDisable: true, memory: '32m' }, HOST), {
    memory: 32 * MiB,
    memorySwap: 64 * MiB,
    oomKillDisable: true,
  });
  assert.deepEqual(parseLimits({}, HOST), {});
  assert.deepEqual(parseLimits({ oomKillDisable: false }, HOST), {});
});

test('flag syntax errors come before the daemon-style checks', () => {
  refuses({ memory: '4k', cpus: 'x' }, 'invalid argument "x" for "--cpus" flag: failed to parse x as a rational number');
});

test('parseNanoCpus, parseUintList, listCovered', () => {
  assert.equal(parseNanoCpus('1.5'), 1_500_000_000);
  assert.equal(parseNanoCpus('.5'), 500_000_000);
  assert.equal(parseNanoCpus('3/2'), 1_500_000_000);
  assert.equal(parseNanoCpus('1e-1'), 100_000_000);
  assert.equal(parseNanoCpus('0.000000001'), 1);
  assert.throws(() => parseNanoCpus('1/0'), /rational/);
  assert.throws(() => parseNanoCpus('.'), /rational/);
  assert.deepEqual(parseUintList('0-2,4'), [[0, 2], [4, 4]]);
  assert.deepEqual(parseUintList(''), []);
  assert.ok(listCovered([[0, 1]], [[0, 0], [1, 3]]));
  assert.ok(!listCovered([[0, 4]], [[0, 2], [4, 7]]));
  assert.ok(listCovered([[0, 99999999]], [[0, 99999999]]), 'no enumeration of huge ranges');
});
