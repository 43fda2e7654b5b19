/** Resource limits as Docker's flags express them, already validated and in base units. */
export interface CgroupLimits {
  /** bytes (-m) */
  memory?: number;
  /** bytes of memory+swap (--memory-swap); -1 = unlimited */
  memorySwap?: number;
  /** bytes (--memory-reservation) */
  memoryReservation?: number;
  /** relative weight (-c/--cpu-shares), v1 scale 2..262144 */
  cpuShares?: number;
  /** microseconds (--cpu-period) */
  cpuPeriod?: number;
  /** microseconds per period (--cpu-quota); --cpus N sets period 100000 and quota N*100000 */
  cpuQuota?: number;
  /** e.g. "0-1,3" (--cpuset-cpus) */
  cpusetCpus?: string;
  /** e.g. "0" (--cpuset-mems) */
  cpusetMems?: string;
  /** max pids (--pids-limit); -1 or 0 = unlimited */
  pidsLimit?: number;
  /** --oom-kill-disable */
  oomKillDisable?: boolean;
}

/** What the runtime needs to place the container's PID 1 into its cgroup before execve. */
export interface CgroupPlacement {
  /**
   * absolute paths of the files that place the container's first process: v2 cgroup.procs
   * files, into which the helper's monitor writes the pid; v1 `tasks` files, into which the
   * (single-threaded) child writes "0" itself, the one migration that needs no RCU wait
   */
  procsFiles: string[];
  /** v2: the container's cgroup directory, where the helper attaches the device program */
  devicesDir?: string;
  /** the container's cgroup path relative to each hierarchy root, e.g. "/mydocker/<id>" */
  path: string;
  /** Docker's warnings for limits this host cannot apply (they were dropped), if any */
  warnings?: string[];
}

/** Figures for `mydocker stats`, read from the container's cgroup. */
export interface CgroupStats {
  /** cumulative CPU time in nanoseconds */
  cpuUsageNs: number;
  memoryUsage: number;
  /** bytes; the host's total memory when unlimited */
  memoryLimit: number;
  pids: number;
  /**
   * bytes of inactive file cache (v1 memory.stat total_inactive_file, v2 inactive_file):
   * Docker's `stats` shows memoryUsage minus this
   */
  memoryInactiveFile?: number;
  /** bytes read from and written to block devices (v1 blkio, v2 io.stat), when accounted */
  blockRead?: number;
  blockWrite?: number;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Creates the container's cgroup(s) and writes the limits. Idempotent. */
  create(id: string, limits: CgroupLimits): CgroupPlacement;
  /** Removes the container's cgroup(s); retries briefly while the kernel still lists exiting tasks. */
  remove(id: string): void;
  /** Ids that have a cgroup under the engine's parent (for garbage collection of crashes). */
  list(): string[];
  stats(id: string): CgroupStats;
  /** True when the kernel OOM-killed a task of this cgroup. */
  oomKilled(id: string): boolean;
}
