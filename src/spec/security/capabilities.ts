/**
 * Linux capabilities as plain data: the name table, Docker's default set, and the
 * `--cap-add` / `--cap-drop` / `--privileged` arithmetic that turns flags into the
 * five masks the helper installs. Pure: the host's last capability is passed in.
 */
import { UsageError } from '../../common/errors';

/** Capability names in kernel order: index = capability number. */
export const CAPABILITY_NAMES: readonly string[] = Object.freeze([
  'CAP_CHOWN', // 0
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL', // 5
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', // 10
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', // 15
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', // 20
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', // 25
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', // 30
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM', // 35
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE', // 40
]);

/** The highest capability this table knows. */
export const CAP_LAST_KNOWN = CAPABILITY_NAMES.length - 1;

const CAP_NUMBER: ReadonlyMap<string, number> = new Map(CAPABILITY_NAMES.map((n, i) => [n, i]));

/** Docker's default capability set (moby `oci/caps/defaults.go`). */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

/** The mask of the default set: `/proc/self/status` shows it as 00000000a80425fb. */
export const DEFAULT_CAP_MASK = 0xa80425fbn;

export interface CapabilitySets {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export interface CapabilityOptions {
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  privileged?: boolean;
  /** The host's `/proc/sys/kernel/cap_last_cap`. Capabilities above it do not exist here. */
  lastCap: number;
}

/** The number of a capability, or undefined. `name` is the canonical `CAP_` form. */
export function capabilityNumber(name: string): number | undefined {
  return CAP_NUMBER.get(name);
}

/** Every capability from 0 up to `lastCap` (clamped to the table) as a mask. */
export function allCapsMask(lastCap: number): bigint {
  const last = clampLastCap(lastCap);
  return (1n << BigInt(last + 1)) - 1n;
}

/** Names of the capabilities set in `mask`, in kernel order. */
export function capNames(mask: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < CAPABILITY_NAMES.length; i++) if (mask & (1n << BigInt(i))) out.push(CAPABILITY_NAMES[i]);
  return out;
}

/** A mask as `/proc/<pid>/status` prints it (16 hex digits). */
export function formatCapMask(mask: bigint): string {
  return mask.toString(16).padStart(16, '0');
}

/**
 * Docker's normalisation: upper-case, `CAP_` prefix added when missing, `ALL` kept as
 * is, anything else unknown to this host refused with Docker's own message.
 */
export function normalizeCapability(raw: string, lastCap: number = CAP_LAST_KNOWN): string {
  let c = raw.trim().toUpperCase();
  if (c === 'ALL') return c;
  if (!c.startsWith('CAP_')) c = 'CAP_' + c;
  const n = CAP_NUMBER.get(c);
  if (n === undefined || n > clampLastCap(lastCap)) {
    throw new UsageError(`unknown capability: ${JSON.stringify(c)}`);
  }
  return c;
}

/**
 * The masks for a container's process. Docker's rules (moby `TweakCapabilities`):
 * - `--privileged`: every capability the host has;
 * - `--cap-add ALL`: every capability except those named in `--cap-drop`;
 * - `--cap-drop ALL`: only those named in `--cap-add`;
 * - otherwise the defaults minus `--cap-drop`, plus `--cap-add` (a capability both
 *   dropped and added ends up added).
 * Bounding, effective and permitted are that set; inheritable and ambient are empty.
 */
export function computeCaps(opts: CapabilityOptions): CapabilitySets {
  const all = allCapsMask(opts.lastCap);
  // Names are validated even under --privileged, so a typo is never silently accepted.
  const adds = (opts.capAdd ?? []).map((c) => normalizeCapability(c, opts.lastCap));
  const drops = (opts.capDrop ?? []).map((c) => normalizeCapability(c, opts.lastCap));
  let mask: bigint;
  if (opts.privileged) {
    mask = all;
  } else if (adds.includes('ALL')) {
    mask = all & ~namesMask(drops);
  } else if (drops.includes('ALL')) {
    mask = namesMask(adds);
  } else {
    mask = ((DEFAULT_CAP_MASK & all) & ~namesMask(drops)) | namesMask(adds);
  }
  return { bounding: mask, effective: mask, permitted: mask, inheritable: 0n, ambient: 0n };
}

function namesMask(names: readonly string[]): bigint {
  let m = 0n;
  for (const n of names) {
    const i = CAP_NUMBER.get(n);
    if (i !== undefined) m |= 1n << BigInt(i);
  }
  return m;
}

function clampLastCap(lastCap: number): number {
  if (!Number.isInteger(lastCap) || lastCap < 0) return CAP_LAST_KNOWN;
  return Math.min(lastCap, CAP_LAST_KNOWN);
}
