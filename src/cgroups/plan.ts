/**
 * PURE planners: CgroupLimits -> the ordered list of cgroup file writes for one container.
 * The drivers carry the list out; nothing here touches the file system.
 *
 * The plans assume the container's cgroup as the kernel creates it (every limit at its
 * default, i.e. unlimited), unless told the current memory limit (re-applying limits to an
 * existing cgroup).
 */
import type { CgroupLimits } from './types';

export interface CgroupWrite {
  /** the controller whose hierarchy holds the file (v2: the controller that owns the file) */
  controller: string;
  /** file name inside the container's cgroup directory */
  file: string;
  value: string;
}

/** What the v1 planner must know about the host's v1 hierarchies. */
export interface V1PlanLayout {
  /** memory.memsw.limit_in_bytes exists (swap accounting is on) */
  hasMemsw: boolean;
  /** memory.oom_control exists (default true) */
  hasOomControl?: boolean;
}

/** What the v2 planner must know about the host. */
export interface V2PlanLayout {
  /** memory.swap.max exists (swap accounting is on); default true */
  hasSwap?: boolean;
}

/** What the cgroup currently holds, when it was not just created. */
export interface CurrentV1 {
  /** bytes in memory.limit_in_bytes now (default: unlimited) */
  memoryLimit?: number;
}

/** Shares' kernel range (v1 cpu.shares); the kernel clamps to it, Docker converts from it. */
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262144;

/**
 * Docker's (and runc's) conversion of v1 cpu.shares [2..262144] to v2 cpu.weight
 * [1..10000]: weight = 1 + ((shares - 2) * 9999) / 262142, in integer arithmetic.
 * The default 1024 shares becomes weight 39 (not the v2 default of 100), as in Docker.
 */
export function sharesToWeight(shares: number): number {
  if (shares <= 0) return 0;
  return 1 + Math.trunc(((shares - 2) * 9999) / 262142);
}

function unlimitedPids(n: number): boolean {
  return n <= 0;
}

/**
 * v1 writes, in the order the kernel accepts them:
 *
 * memory: the kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every
 * instant, and refuses (EINVAL) a write that would break it. A new cgroup has both at the
 * maximum, so the memory limit goes first (lowering it under the unlimited memsw), then
 * memsw. When the new memsw limit is unlimited (-1) or above the current memory limit
 * (raising an existing cgroup's limits), memsw must go first or the memory write would
 * exceed the old memsw. (Same rule as runc's setMemoryAndSwap.)
 *
 * cpu: each write to cpu.cfs_quota_us is validated against the cgroup's *current* period
 * (quota >= 1 ms, and quota/period must fit the parent's bandwidth); the period is written
 * first so that the quota is checked against the period it will be used with.
 *
 * cpuset: the driver has already copied the parent's cpus/mems into the new cgroup (the
 * kernel refuses to attach a task to a cpuset with empty cpus or mems); these writes narrow it.
 */
export function planV1(
  limits: CgroupLimits,
  layout: V1PlanLayout,
  current: CurrentV1 = {},
): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const mem = (file: string, value: number | string) =>
    w.push({ controller: 'memory', file, value: String(value) });

  const hasMemory = limits.memory !== undefined && limits.memory > 0;
  const swap = limits.memorySwap;
  const hasSwap = layout.hasMemsw && swap !== undefined && swap !== 0;
  if (hasMemory && hasSwap) {
    const curLimit = current.memoryLimit ?? Number.MAX_SAFE_INTEGER;
    if (swap! < 0 || curLimit < swap!) {
      mem('memory.memsw.limit_in_bytes', swap! < 0 ? -1 : swap!);
      mem('memory.limit_in_bytes', limits.memory!);
    } else {
      mem('memory.limit_in_bytes', limits.memory!);
      mem('memory.memsw.limit_in_bytes', swap!);
    }
  } else if (hasMemory) {
    mem('memory.limit_in_bytes', limits.memory!);
  } else if (hasSwap) {
    mem('memory.memsw.limit_in_bytes', swap! < 0 ? -1 : swap!);
  }
  if (limits.memoryReservation !== undefined && limits.memoryReservation > 0) {
    mem('memory.soft_limit_in_bytes', limits.memoryReservation);
  }
  if (limits.oomKillDisable && layout.hasOomControl !== false) {
    mem('memory.oom_control', 1);
  }

  if (limits.cpuShares !== undefined && limits.cpuShares !== 0) {
    w.push({ controller: 'cpu', file: 'cpu.shares', value: String(limits.cpuShares) });
  }
  if (limits.cpuPeriod !== undefined && limits.cpuPeriod !== 0) {
    w.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(limits.cpuPeriod) });
  }
  if (limits.cpuQuota !== undefined && limits.cpuQuota !== 0) {
    const q = limits.cpuQuota < 0 ? -1 : limits.cpuQuota;
    w.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(q) });
  }

  w.push(...cpusetAndPidsWrites(limits));
  return w;
}

/** cpuset and pids: the same files, and the same values, in v1 and v2. */
function cpusetAndPidsWrites(limits: CgroupLimits): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (limits.cpusetCpus) w.push({ controller: 'cpuset', file: 'cpuset.cpus', value: limits.cpusetCpus });
  if (limits.cpusetMems) w.push({ controller: 'cpuset', file: 'cpuset.mems', value: limits.cpusetMems });
  if (limits.pidsLimit !== undefined) {
    const v = unlimitedPids(limits.pidsLimit) ? 'max' : String(limits.pidsLimit);
    w.push({ controller: 'pids', file: 'pids.max', value: v });
  }
  return w;
}

/**
 * v2 writes. The unified hierarchy has no ordering trap between memory.max and
 * memory.swap.max (swap.max counts swap alone, not memory+swap, so Docker's --memory-swap
 * becomes swap.max = memory-swap - memory). cpu.max takes quota and period in one write:
 * "<quota|max> [period]"; a period alone keeps the quota unlimited.
 */
export function planV2(limits: CgroupLimits, layout: V2PlanLayout = {}): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const hasMemory = limits.memory !== undefined && limits.memory > 0;
  if (hasMemory) w.push({ controller: 'memory', file: 'memory.max', value: String(limits.memory) });
  const swap = limits.memorySwap;
  if (layout.hasSwap !== false && swap !== undefined && swap !== 0) {
    if (swap < 0) {
      w.push({ controller: 'memory', file: 'memory.swap.max', value: 'max' });
    } else if (hasMemory) {
      const s = Math.max(0, swap - limits.memory!);
      w.push({ controller: 'memory', file: 'memory.swap.max', value: String(s) });
    }
  }
  if (limits.memoryReservation !== undefined && limits.memoryReservation > 0) {
    w.push({ controller: 'memory', file: 'memory.low', value: String(limits.memoryReservation) });
  }

  if (limits.cpuShares !== undefined && limits.cpuShares !== 0) {
    const weight = Math.min(10000, Math.max(1, sharesToWeight(limits.cpuShares)));
    w.push({ controller: 'cpu', file: 'cpu.weight', value: String(weight) });
  }
  const quota = limits.cpuQuota ?? 0;
  const period = limits.cpuPeriod ?? 0;
  if (quota !== 0 || period !== 0) {
    let v = quota > 0 ? String(quota) : 'max';
    if (period !== 0) v += ` ${period}`;
    w.push({ controller: 'cpu', file: 'cpu.max', value: v });
  }

  w.push(...cpusetAndPidsWrites(limits));
  return w;
}

/** Docker's warnings for limits the host cannot apply on v1 (the limit is then dropped). */
export function warningsV1(limits: CgroupLimits, layout: V1PlanLayout): string[] {
  const out: string[] = [];
  if (limits.memory && limits.memory > 0 && limits.memorySwap !== -1 && !layout.hasMemsw) {
    out.push(
      'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
    );
  }
  if (limits.oomKillDisable && layout.hasOomControl === false) {
    out.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
  }
  if (limits.oomKillDisable && !(limits.memory && limits.memory > 0)) {
    out.push(
      'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    );
  }
  return out;
}

/** Docker's warnings for limits the host cannot apply on v2 (the limit is then dropped). */
export function warningsV2(limits: CgroupLimits, layout: V2PlanLayout = {}): string[] {
  const out: string[] = [];
  if (limits.memory && limits.memory > 0 && limits.memorySwap !== -1 && limits.memorySwap !== undefined &&
      layout.hasSwap === false) {
    out.push(
      'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
    );
  }
  if (limits.oomKillDisable) {
    out.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
  }
  return out;
}

/** Controllers a plan writes to (to check they are mounted before creating anything). */
export function controllersOf(writes: CgroupWrite[]): string[] {
  return [...new Set(writes.map((w) => w.controller))];
}
