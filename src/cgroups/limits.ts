/**
 * PURE parsing and validation of Docker's resource flags into CgroupLimits.
 *
 * Two kinds of errors, both UsageError (exit 125), worded as Docker words them:
 * - a value the flag cannot parse: `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'`
 *   (the flag parser's wording, checked first, flag by flag);
 * - a combination the engine refuses: `Minimum memory limit allowed is 6MB` (the daemon's
 *   verifyPlatformContainerResources wording, checked in the daemon's order).
 *
 * Host facts (CPU count, online CPUs and memory nodes) are injectable; by default they are
 * read lazily, only when a flag needs them.
 */
import fs = require('node:fs');
import os = require('node:os');
import { UsageError } from '../common/errors';
import { MAX_CPU_SHARES, MIN_CPU_SHARES } from './plan';
import type { CgroupLimits } from './types';

/** The flags, as strings from the command line (numbers are accepted for convenience). */
export interface ResourceFlags {
  memory?: string | number;
  memorySwap?: string | number;
  memoryReservation?: string | number;
  cpus?: string | number;
  cpuShares?: string | number;
  cpuPeriod?: string | number;
  cpuQuota?: string | number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: string | number;
  oomKillDisable?: boolean;
}

export interface HostInfo {
  /** CPUs this process may run on (Docker's sysinfo.NumCPU); default os.availableParallelism() */
  cpuCount?: number;
  /** online CPUs, list syntax; default /sys/devices/system/cpu/online */
  cpusOnline?: string;
  /** online memory nodes, list syntax; default /sys/devices/system/node/online, else "0" */
  memsOnline?: string;
}

/** Docker's flag names as its usage shows them (they appear in the parse errors). */
export const FLAG_NAMES = {
  memory: '-m, --memory',
  memorySwap: '--memory-swap',
  memoryReservation: '--memory-reservation',
  cpus: '--cpus',
  cpuShares: '-c, --cpu-shares',
  cpuPeriod: '--cpu-period',
  cpuQuota: '--cpu-quota',
  cpusetCpus: '--cpuset-cpus',
  cpusetMems: '--cpuset-mems',
  pidsLimit: '--pids-limit',
} as const;

/** Docker's linuxMinMemory: 6 MiB. */
export const MIN_MEMORY = 6 * 1024 * 1024;

const SIZE_RE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const UNIT: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/**
 * Docker's RAMInBytes: a number with an optional binary unit b, k, m, g, t, p (case does not
 * matter; "kb", "KiB", "1 g" are accepted), truncated to whole bytes. Throws
 * Error("invalid size: '<s>'") otherwise.
 */
export function ramInBytes(s: string): number {
  const m = SIZE_RE.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  let n = Number(m[1]);
  if (m[2]) n *= UNIT[m[2].toLowerCase()];
  n = Math.trunc(n);
  if (!Number.isSafeInteger(n)) throw new Error(`invalid size: '${s}'`);
  return n;
}

function flagError(flag: keyof typeof FLAG_NAMES, value: string, why: string): UsageError {
  return new UsageError(`invalid argument ${JSON.stringify(value)} for "${FLAG_NAMES[flag]}" flag: ${why}`);
}

function sizeFlag(flag: keyof typeof FLAG_NAMES, v: string | number): number {
  const s = String(v);
  try {
    return ramInBytes(s);
  } catch (e) {
    throw flagError(flag, s, (e as Error).message);
  }
}

/** An int64 flag, as the flag parser reads it (decimal, optional sign). */
function intFlag(flag: keyof typeof FLAG_NAMES, v: string | number): number {
  const s = String(v);
  if (!/^[+-]?\d+$/.test(s)) {
    throw flagError(flag, s, `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    throw flagError(flag, s, `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return n;
}

/**
 * Docker's --cpus: a rational number ("1.5", "3/2", "1e-1"), in nano-CPUs; more precise
 * than 1e-9 is refused.
 */
export function parseNanoCpus(s: string): number {
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(s);
  let num: bigint;
  let den: bigint;
  if (frac) {
    num = BigInt(frac[1]);
    den = BigInt(frac[2]);
    if (den === 0n) throw new Error(`failed to parse ${s} as a rational number`);
  } else {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) {
      throw new Error(`failed to parse ${s} as a rational number`);
    }
    const digits = (m[2] || '0') + (m[3] ?? '');
    let exp = -(m[3] ?? '').length + (m[4] ? Number(m[4]) : 0);
    if (Math.abs(exp) > 400) throw new Error('value is too precise');
    num = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
    den = 1n;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den = 10n ** BigInt(-exp);
  }
  const scaled = num * 1_000_000_000n;
  if (scaled % den !== 0n) throw new Error('value is too precise');
  const nano = scaled / den;
  if (nano > BigInt(Number.MAX_SAFE_INTEGER) || nano < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error('value out of range');
  }
  return Number(nano);
}

/** A CPU or memory-node list ("0-2,4") as inclusive ranges; Docker's ParseUintList. */
export function parseUintList(s: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (s === '') return out;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid format: ${s}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || !Number.isSafeInteger(hi)) throw new Error(`invalid format: ${s}`);
    out.push([lo, hi]);
  }
  return out;
}

/** True when every number of `requested` is in `available` (both in list syntax). */
export function listCovered(requested: Array<[number, number]>, available: Array<[number, number]>): boolean {
  const avail = available.slice().sort((a, b) => a[0] - b[0]);
  for (const [lo, hi] of requested) {
    let next = lo;
    for (const [alo, ahi] of avail) {
      if (alo > next) break;
      if (ahi >= next) next = ahi + 1;
      if (next > hi) break;
    }
    if (next <= hi) return false;
  }
  return true;
}

function readTrim(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function cpuCountOf(host: HostInfo): number {
  return host.cpuCount ?? os.availableParallelism();
}

function cpusOnlineOf(host: HostInfo): string {
  return host.cpusOnline ?? readTrim('/sys/devices/system/cpu/online') ?? `0-${cpuCountOf(host) - 1}`;
}

function memsOnlineOf(host: HostInfo): string {
  return host.memsOnline ?? readTrim('/sys/devices/system/node/online') ?? '0';
}

/** Which limits were given at all (a flag set to its "unset" value, e.g. -m 0, counts as not given). */
function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/**
 * Parses and validates the resource flags. Throws UsageError with Docker's message for the
 * first problem found. The result is in base units (bytes, microseconds) and follows
 * Docker's defaults: with -m and no --memory-swap, memory+swap is twice the memory.
 */
export function parseLimits(flags: ResourceFlags, host: HostInfo = {}): CgroupLimits {
  // 1. Each flag must parse (the flag parser runs before any validation).
  const memory = present(flags.memory) ? sizeFlag('memory', flags.memory!) : 0;
  let memorySwap = 0;
  if (present(flags.memorySwap)) {
    memorySwap = String(flags.memorySwap) === '-1' ? -1 : sizeFlag('memorySwap', flags.memorySwap!);
  }
  const memoryReservation = present(flags.memoryReservation)
    ? sizeFlag('memoryReservation', flags.memoryReservation!)
    : 0;
  let nanoCpus: number | undefined;
  if (present(flags.cpus)) {
    const s = String(flags.cpus);
    try {
      nanoCpus = parseNanoCpus(s);
    } catch (e) {
      throw flagError('cpus', s, (e as Error).message);
    }
  }
  const cpuShares = present(flags.cpuShares) ? intFlag('cpuShares', flags.cpuShares!) : 0;
  const cpuPeriod = present(flags.cpuPeriod) ? intFlag('cpuPeriod', flags.cpuPeriod!) : 0;
  const cpuQuota = present(flags.cpuQuota) ? intFlag('cpuQuota', flags.cpuQuota!) : 0;
  const pidsLimit = present(flags.pidsLimit) ? intFlag('pidsLimit', flags.pidsLimit!) : undefined;
  const cpusetCpus = flags.cpusetCpus ?? '';
  const cpusetMems = flags.cpusetMems ?? '';

  // 2. The daemon's checks, in its order: memory, pids, cpu, cpuset.
  if (memory !== 0 && memory < MIN_MEMORY) {
    throw new UsageError('Minimum memory limit allowed is 6MB');
  }
  if (memory > 0 && memorySwap > 0 && memorySwap < memory) {
    throw new UsageError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory === 0 && memorySwap > 0) {
    throw new UsageError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (memoryReservation > 0 && memoryReservation < MIN_MEMORY) {
    throw new UsageError('Minimum memory reservation allowed is 6MB');
  }
  if (memory > 0 && memoryReservation > 0 && memory < memoryReservation) {
    throw new UsageError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (pidsLimit !== undefined && pidsLimit < -1) {
    throw flagError(
      'pidsLimit',
      String(flags.pidsLimit),
      'a PIDs limit must be a positive number, or 0 or -1 for unlimited',
    );
  }

  if (nanoCpus !== undefined && cpuPeriod > 0) {
    throw new UsageError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (nanoCpus !== undefined && cpuQuota > 0) {
    throw new UsageError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  }
  if (nanoCpus !== undefined) {
    // Docker lets 0 mean "unset" and leaves values under 0.01 to the kernel, which refuses a
    // quota under 1 ms; both are refused here with the message that names the valid range.
    const n = cpuCountOf(host);
    if (nanoCpus < 10_000_000 || nanoCpus > n * 1e9) {
      throw new UsageError(`Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`);
    }
  }
  if (cpuShares < 0 || (cpuShares > 0 && cpuShares < MIN_CPU_SHARES)) {
    throw new UsageError(`The minimum allowed cpu-shares is ${MIN_CPU_SHARES}`);
  }
  if (cpuShares > MAX_CPU_SHARES) {
    throw new UsageError(`The maximum allowed cpu-shares is ${MAX_CPU_SHARES}`);
  }
  if (cpuPeriod !== 0 && (cpuPeriod < 1000 || cpuPeriod > 1000000)) {
    throw new UsageError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (cpuQuota > 0 && cpuQuota < 1000) {
    throw new UsageError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  }

  if (cpusetCpus !== '') {
    let req: Array<[number, number]>;
    try {
      req = parseUintList(cpusetCpus);
    } catch (e) {
      throw new UsageError(`Invalid value ${cpusetCpus} for cpuset cpus: ${(e as Error).message}`);
    }
    const online = cpusOnlineOf(host);
    if (!listCovered(req, parseUintList(online))) {
      throw new UsageError(`Requested CPUs are not available - requested ${cpusetCpus}, available: ${online}`);
    }
  }
  if (cpusetMems !== '') {
    let req: Array<[number, number]>;
    try {
      req = parseUintList(cpusetMems);
    } catch (e) {
      throw new UsageError(`Invalid value ${cpusetMems} for cpuset mems: ${(e as Error).message}`);
    }
    const online = memsOnlineOf(host);
    if (!listCovered(req, parseUintList(online))) {
      throw new UsageError(
        `Requested memory nodes are not available - requested ${cpusetMems}, available: ${online}`,
      );
    }
  }

  // 3. Docker's defaults and conversions.
  const limits: CgroupLimits = {};
  if (memory > 0) {
    limits.memory = memory;
    // Docker's adaptContainerSettings: by default, memory+swap is twice the memory.
    limits.memorySwap = memorySwap !== 0 ? memorySwap : memory * 2;
  } else if (memorySwap === -1) {
    limits.memorySwap = -1;
  }
  if (memoryReservation > 0) limits.memoryReservation = memoryReservation;
  if (cpuShares > 0) limits.cpuShares = cpuShares;
  if (nanoCpus !== undefined) {
    // Docker: period 100 ms, quota = nanoCPUs * period / 1e9 (integer division).
    limits.cpuPeriod = 100000;
    limits.cpuQuota = Math.floor(nanoCpus / 10000);
  } else {
    if (cpuPeriod !== 0) limits.cpuPeriod = cpuPeriod;
    if (cpuQuota !== 0) limits.cpuQuota = cpuQuota < 0 ? -1 : cpuQuota;
  }
  if (cpusetCpus !== '') limits.cpusetCpus = cpusetCpus;
  if (cpusetMems !== '') limits.cpusetMems = cpusetMems;
  if (pidsLimit !== undefined) limits.pidsLimit = pidsLimit <= 0 ? -1 : pidsLimit;
  if (flags.oomKillDisable) limits.oomKillDisable = true;
  return limits;
}
