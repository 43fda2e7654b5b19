/**
 * Mount requests -> what inspect shows (Docker's `Mounts` entries) and what the helper
 * does (mount flags and data). PURE.
 */
import { MS } from '../runtime/protocol';
import type { MountSpec, Propagation } from './parse';
import type { MountRequest } from './hostconfig';
import type { MountPoint } from '../engine/containers';

/** mount(2) flags a tmpfs option may set (true) or clear (false). */
const TMPFS_FLAG_BITS: ReadonlyMap<string, [number, boolean]> = new Map([
  ['ro', [MS.RDONLY, true]],
  ['rw', [MS.RDONLY, false]],
  ['nosuid', [MS.NOSUID, true]],
  ['suid', [MS.NOSUID, false]],
  ['nodev', [MS.NODEV, true]],
  ['dev', [MS.NODEV, false]],
  ['noexec', [MS.NOEXEC, true]],
  ['exec', [MS.NOEXEC, false]],
  ['sync', [0x10, true]],
  ['async', [0x10, false]],
  ['mand', [0x40, true]],
  ['nomand', [0x40, false]],
  ['dirsync', [0x80, true]],
  ['noatime', [0x400, true]],
  ['atime', [0x400, false]],
  ['nodiratime', [0x800, true]],
  ['diratime', [0x800, false]],
  ['relatime', [0x200000, true]],
  ['norelatime', [0x200000, false]],
  ['strictatime', [MS.STRICTATIME, true]],
  ['nostrictatime', [MS.STRICTATIME, false]],
]);

/** Docker's size formatting for tmpfs data (ConvertTmpfsOptions): the largest unit that divides. */
export function tmpfsSizeOption(bytes: number): string {
  for (const [suffix, div] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
    if (bytes % div === 0) return `size=${bytes / div}${suffix}`;
  }
  return `size=${bytes}`;
}

/** The flags and data of a tmpfs mount. */
export function tmpfsMountArgs(s: Extract<MountSpec, { type: 'tmpfs' }>): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of s.options) {
    const bit = TMPFS_FLAG_BITS.get(o);
    if (bit) flags = bit[1] ? flags | bit[0] : flags & ~bit[0];
    else if (o.includes('=')) data.push(o);
    // propagation words have no meaning in the container's private namespace
  }
  if (s.readonly) flags |= MS.RDONLY;
  if (s.sizeBytes !== undefined) data.unshift(tmpfsSizeOption(s.sizeBytes));
  if (s.mode !== undefined) data.push(`mode=${s.mode.toString(8)}`);
  return { flags, data: data.join(',') };
}

/**
 * The propagation flag of a bind. The container's mount namespace is made private before
 * any mount, so the default (rprivate) needs no call; shared and slave are applied inside it.
 */
export function propagationFlag(p: Propagation | string | undefined): number | undefined {
  switch (p) {
    case 'shared':
    case 'rshared':
      return MS.SHARED;
    case 'slave':
    case 'rslave':
      return MS.SLAVE;
    default:
      return undefined;
  }
}

/** One entry of Docker's inspect `Mounts`, keys in Docker's order. */
export type InspectMount = MountPoint;

/**
 * What inspect shows for a mount, as Docker's daemon records it: a bind shows its mode as
 * typed and rprivate unless told otherwise; a named volume of `-v` shows mode "z" when no mode
 * was typed (Docker's label default for the local driver); an anonymous `-v /path`, a
 * `--mount` volume and a `--mount` tmpfs show none. (`--tmpfs` is not listed, as in Docker.)
 */
export function inspectMount(req: MountRequest, volume?: { name: string; source: string }): InspectMount {
  const s = req.spec;
  switch (s.type) {
    case 'bind':
      return {
        Type: 'bind',
        Source: s.source,
        Destination: s.target,
        Mode: req.mode,
        RW: !s.readonly,
        Propagation: s.propagation ?? 'rprivate',
      };
    case 'volume': {
      const mode = req.origin === 'volume' && s.name !== null && req.mode === '' ? 'z' : req.mode;
      return {
        Type: 'volume',
        Name: volume?.name ?? s.name ?? '',
        Source: volume?.source ?? '',
        Destination: s.target,
        Driver: 'local',
        Mode: mode,
        RW: !s.readonly,
        Propagation: '',
      };
    }
    case 'tmpfs':
      return { Type: 'tmpfs', Source: '', Destination: s.target, Mode: '', RW: !s.readonly, Propagation: '' };
  }
}
