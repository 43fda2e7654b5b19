/**
 * Docker's masked and read-only paths, as data, plus the pure decisions the helper
 * needs to carry them out. A masked file is covered by a bind mount of the host's
 * `/dev/null` (which must really be the character device 1:3), a masked directory by
 * an empty read-only tmpfs; a read-only path is bind-mounted onto itself read-only.
 * `--privileged` (and `--security-opt systempaths=unconfined`) drops both lists.
 */

/** Hidden from the container: kernel memory, keyrings, timers, firmware, power capping (CVE-2020-8694). */
export const MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
]);

/** Visible but not writable: kernel tunables and triggers. */
export const READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
]);

export interface SystemPaths {
  maskedPaths: string[];
  readonlyPaths: string[];
}

/** The lists for one container; both empty when `unconfined` (privileged or systempaths=unconfined). */
export function systemPaths(opts: { privileged?: boolean; unconfined?: boolean } = {}): SystemPaths {
  if (opts.privileged || opts.unconfined) return { maskedPaths: [], readonlyPaths: [] };
  return { maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] };
}

/** What the helper does for one masked path, given what it found there (inside the container). */
export type MaskMethod = 'tmpfs-ro' | 'bind-dev-null' | 'skip';
export function maskMethod(found: 'directory' | 'file' | 'missing'): MaskMethod {
  switch (found) {
    case 'directory':
      return 'tmpfs-ro';
    case 'file':
      return 'bind-dev-null';
    case 'missing':
      return 'skip';
  }
}

/** Linux `major()` / `minor()` of a `dev_t` as `fs.Stats.rdev` gives it. */
export function devMajor(rdev: number): number {
  const d = BigInt(rdev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
}
export function devMinor(rdev: number): number {
  const d = BigInt(rdev);
  return Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
}

/**
 * True when a stat result is the real null device (character device 1:3). Masking with
 * anything else (a regular file or another device planted at the path) would expose it.
 */
export function isNullDevice(st: { isCharacterDevice(): boolean; rdev: number }): boolean {
  return st.isCharacterDevice() && devMajor(st.rdev) === 1 && devMinor(st.rdev) === 3;
}
