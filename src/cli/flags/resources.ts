/**
 * `run` flags for resources: registration and their translation into HostConfig fields.
 *
 * The flags are Docker's, with its names, short forms and value types. Validation is the
 * cgroups library's parseLimits (Docker's messages, UsageError, exit 125); it runs in the
 * CLI before the engine is opened, so a bad value creates nothing at all.
 *
 * The record keeps Docker's HostConfig shape: --cpus is kept as NanoCpus (not converted to
 * a period and quota), --memory-swap defaults to twice the memory as the daemon records
 * it, and an unlimited PIDs limit (0 or -1) is recorded as null.
 */
import { type Command, Option } from 'commander';
import type { HostConfig } from '../../engine/containers';
import { type HostInfo, type ResourceFlags, parseLimits, parseNanoCpus } from '../../cgroups/limits';

/** The option definitions, in Docker's order of `docker run --help`. */
function options(): Option[] {
  return [
    new Option('-c, --cpu-shares <int>', 'CPU shares (relative weight)'),
    new Option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period'),
    new Option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
    new Option('--cpus <decimal>', 'Number of CPUs'),
    new Option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)'),
    new Option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)'),
    new Option('-m, --memory <bytes>', 'Memory limit'),
    new Option('--memory-reservation <bytes>', 'Memory soft limit'),
    new Option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
    new Option('--oom-kill-disable', 'Disable OOM Killer'),
    new Option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)'),
  ];
}

export function register(cmd: Command): void {
  for (const o of options()) cmd.addOption(o);
}

/** The flags as commander hands them over (strings; the switch as a boolean). */
export function flagsOf(o: Record<string, unknown>): ResourceFlags {
  const str = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  return {
    memory: str(o.memory),
    memorySwap: str(o.memorySwap),
    memoryReservation: str(o.memoryReservation),
    cpus: str(o.cpus),
    cpuShares: str(o.cpuShares),
    cpuPeriod: str(o.cpuPeriod),
    cpuQuota: str(o.cpuQuota),
    cpusetCpus: str(o.cpusetCpus),
    cpusetMems: str(o.cpusetMems),
    pidsLimit: str(o.pidsLimit),
    oomKillDisable: o.oomKillDisable === true,
  };
}

/**
 * Validates the resource flags (UsageError with Docker's message on the first problem) and
 * returns every resource field of HostConfig, zero when not set, as Docker's inspect shows them.
 * `host` overrides the host facts the checks use (CPU count, online CPUs and memory nodes).
 */
export function toHostConfig(o: Record<string, unknown>, _cwd: string, host: HostInfo = {}): Partial<HostConfig> {
  const flags = flagsOf(o);
  const limits = parseLimits(flags, host);
  // parseLimits has accepted --cpus, so it parses; the record keeps it as Docker does.
  const nanoCpus = flags.cpus !== undefined && flags.cpus !== '' ? parseNanoCpus(String(flags.cpus)) : 0;
  return {
    Memory: limits.memory ?? 0,
    MemorySwap: limits.memorySwap ?? 0,
    MemoryReservation: limits.memoryReservation ?? 0,
    NanoCpus: nanoCpus,
    CpuShares: limits.cpuShares ?? 0,
    CpuPeriod: nanoCpus ? 0 : (limits.cpuPeriod ?? 0),
    CpuQuota: nanoCpus ? 0 : (limits.cpuQuota ?? 0),
    CpusetCpus: limits.cpusetCpus ?? '',
    CpusetMems: limits.cpusetMems ?? '',
    PidsLimit: limits.pidsLimit !== undefined && limits.pidsLimit > 0 ? limits.pidsLimit : null,
    OomKillDisable: !!limits.oomKillDisable,
  };
}
