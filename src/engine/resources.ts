/**
 * Resource limits: HostConfig (Docker's fields, as recorded at create) -> cgroup limits,
 * the reverse of the CLI's toHostConfig. Docker's conventions:
 *
 * - a zero, empty or absent field means "not set" and writes nothing (the new cgroup
 *   keeps the kernel's default, which is unlimited);
 * - NanoCpus becomes a 100 ms period and a quota of NanoCpus * period / 1e9 (integer
 *   division), and wins over CpuPeriod/CpuQuota (the CLI refuses both together);
 * - MemorySwap -1 is unlimited swap; PidsLimit null, 0 or -1 is unlimited.
 *
 * The record was validated when it was created; a value of the wrong type (a hand-edited
 * record) counts as not set rather than reaching the kernel.
 */
import type { CgroupLimits } from '../cgroups/types';
import type { HostConfig } from './containers';

/** Docker's CFS period for --cpus: 100 ms, in microseconds. */
export const NANO_CPUS_PERIOD = 100000;

function int(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function cgroupLimitsOf(hc: HostConfig): CgroupLimits {
  const limits: CgroupLimits = {};
  const memory = int(hc.Memory);
  if (memory > 0) limits.memory = memory;
  const swap = int(hc.MemorySwap);
  if (swap > 0 || swap === -1) limits.memorySwap = swap;
  const reservation = int(hc.MemoryReservation);
  if (reservation > 0) limits.memoryReservation = reservation;

  const shares = int(hc.CpuShares);
  if (shares > 0) limits.cpuShares = shares;
  const nano = int(hc.NanoCpus);
  if (nano > 0) {
    limits.cpuPeriod = NANO_CPUS_PERIOD;
    // nano * period / 1e9, exactly (the product would lose precision past 2^53)
    limits.cpuQuota = Math.floor(nano / (1e9 / NANO_CPUS_PERIOD));
  } else {
    const period = int(hc.CpuPeriod);
    const quota = int(hc.CpuQuota);
    if (period > 0) limits.cpuPeriod = period;
    if (quota > 0) limits.cpuQuota = quota;
    else if (quota < 0) limits.cpuQuota = -1;
  }

  const cpus = str(hc.CpusetCpus);
  if (cpus !== '') limits.cpusetCpus = cpus;
  const mems = str(hc.CpusetMems);
  if (mems !== '') limits.cpusetMems = mems;

  const pids = int(hc.PidsLimit);
  if (pids > 0) limits.pidsLimit = pids;
  if (hc.OomKillDisable === true) limits.oomKillDisable = true;
  return limits;
}
