/**
 * The mount flags as Docker records them in a container's HostConfig, and back. PURE.
 *
 *   -v / --volume   -> HostConfig.Binds   (the values, a relative source made absolute)
 *   --mount         -> HostConfig.Mounts  (Docker's mount.Mount shape)
 *   --tmpfs         -> HostConfig.Tmpfs   (destination -> options)
 *
 * The record keeps what the user asked for; everything a start needs is parsed from it
 * again, so that a stopped container starts with exactly its settings.
 */
import path = require('node:path');
import { MountFlags, MountSpec, ParseEnv, parseMountFlags, parseTmpfsFlag, parseVolumeFlag, Propagation, TMPFS_DEFAULT_OPTIONS } from './parse';
import { validateMounts } from './validate';

/** Docker's api/types/mount.Mount, as far as the local driver goes. */
export interface DockerMount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** The HostConfig fields of the mount flags. */
export interface MountHostConfig {
  Binds: string[] | null;
  Mounts?: DockerMount[];
  Tmpfs?: Record<string, string>;
}

/** Where a mount came from: the flag (or the image's VOLUME list). */
export type MountOrigin = 'volume' | 'mount' | 'tmpfs' | 'image';

export interface MountRequest {
  spec: MountSpec;
  origin: MountOrigin;
  /** the mode section of a `-v` value as typed (`ro`, `ro,nocopy`, ...), else '' */
  mode: string;
}

/** A `-v` value with a `./` or `../` source made absolute, as the Docker client sends it. */
export function absolutizeBind(raw: string, cwd: string): string {
  const colon = raw.indexOf(':');
  if (colon <= 0) return raw;
  const host = raw.slice(0, colon);
  if (!host.startsWith('.')) return raw;
  return path.posix.resolve(cwd, host) + raw.slice(colon);
}

/** The mode section of a `-v` value ('' when there is none). */
export function bindMode(raw: string): string {
  const parts = raw.split(':');
  return parts.length === 3 ? parts[2] : '';
}

function toDockerMount(s: MountSpec): DockerMount {
  switch (s.type) {
    case 'bind':
      return {
        Type: 'bind',
        Source: s.source,
        Target: s.target,
        ...(s.readonly ? { ReadOnly: true } : {}),
        ...(s.propagation ? { BindOptions: { Propagation: s.propagation } } : {}),
      };
    case 'volume': {
      const vo: NonNullable<DockerMount['VolumeOptions']> = {};
      if (s.nocopy) vo.NoCopy = true;
      if (s.labels) vo.Labels = { ...s.labels };
      if (s.driverOptions) vo.DriverConfig = { Name: 'local', Options: { ...s.driverOptions } };
      return {
        Type: 'volume',
        ...(s.name !== null ? { Source: s.name } : {}),
        Target: s.target,
        ...(s.readonly ? { ReadOnly: true } : {}),
        ...(Object.keys(vo).length > 0 ? { VolumeOptions: vo } : {}),
      };
    }
    case 'tmpfs': {
      const to: NonNullable<DockerMount['TmpfsOptions']> = {};
      if (s.sizeBytes) to.SizeBytes = s.sizeBytes;
      if (s.mode) to.Mode = s.mode;
      return {
        Type: 'tmpfs',
        Target: s.target,
        ...(s.readonly ? { ReadOnly: true } : {}),
        ...(Object.keys(to).length > 0 ? { TmpfsOptions: to } : {}),
      };
    }
  }
}

/** A recorded `--mount` back to its spec (the bind source is checked at create, not here). */
export function fromDockerMount(m: DockerMount): MountSpec {
  const readonly = m.ReadOnly === true;
  switch (m.Type) {
    case 'bind':
      return {
        type: 'bind',
        source: m.Source ?? '',
        target: m.Target,
        readonly,
        ...(m.BindOptions?.Propagation ? { propagation: m.BindOptions.Propagation as Propagation } : {}),
        createSource: false,
      };
    case 'volume': {
      const vo = m.VolumeOptions ?? {};
      return {
        type: 'volume',
        name: m.Source ? m.Source : null,
        target: m.Target,
        readonly,
        nocopy: vo.NoCopy === true,
        ...(vo.Labels ? { labels: { ...vo.Labels } } : {}),
        ...(vo.DriverConfig?.Options ? { driverOptions: { ...vo.DriverConfig.Options } } : {}),
      };
    }
    case 'tmpfs':
      return {
        type: 'tmpfs',
        target: m.Target,
        readonly,
        ...(m.TmpfsOptions?.SizeBytes ? { sizeBytes: m.TmpfsOptions.SizeBytes } : {}),
        ...(m.TmpfsOptions?.Mode ? { mode: m.TmpfsOptions.Mode } : {}),
        options: [...TMPFS_DEFAULT_OPTIONS],
      };
    default:
      throw new Error(`unknown mount type in the container's record: ${String((m as { Type?: unknown }).Type)}`);
  }
}

/**
 * Parses and checks every mount flag (the first bad one throws a one-line UsageError) and
 * returns the HostConfig fields to record. Nothing on the host is changed.
 */
export function mountFlagsToHostConfig(flags: MountFlags, env: ParseEnv): MountHostConfig {
  const specs = parseMountFlags(flags, env);
  const volumes = [...new Set(flags.volumes ?? [])];
  const mounts = flags.mounts ?? [];
  const tmpfs = [...new Set(flags.tmpfs ?? [])];
  const out: MountHostConfig = { Binds: volumes.length > 0 ? volumes.map((v) => absolutizeBind(v, env.cwd)) : null };
  if (mounts.length > 0) out.Mounts = specs.slice(volumes.length, volumes.length + mounts.length).map(toDockerMount);
  if (tmpfs.length > 0) {
    out.Tmpfs = {};
    const tmpfsSpecs = specs.slice(volumes.length + mounts.length);
    tmpfs.forEach((raw, i) => {
      const colon = raw.indexOf(':');
      out.Tmpfs![tmpfsSpecs[i].target] = colon < 0 ? '' : raw.slice(colon + 1);
    });
  }
  return out;
}

/** The recorded HostConfig fields back to the mount requests, checked as a whole again. */
export function requestsFromHostConfig(hc: { Binds?: string[] | null; Mounts?: Array<Record<string, unknown>>; Tmpfs?: Record<string, string> }): MountRequest[] {
  const out: MountRequest[] = [];
  for (const b of hc.Binds ?? []) out.push({ spec: parseVolumeFlag(b, { cwd: '/' }), origin: 'volume', mode: bindMode(b) });
  for (const m of hc.Mounts ?? []) out.push({ spec: fromDockerMount(m as unknown as DockerMount), origin: 'mount', mode: '' });
  for (const [dst, opts] of Object.entries(hc.Tmpfs ?? {})) {
    out.push({ spec: parseTmpfsFlag(opts === '' ? dst : `${dst}:${opts}`), origin: 'tmpfs', mode: '' });
  }
  const checked = validateMounts(out.map((r) => r.spec));
  return out.map((r, i) => ({ ...r, spec: checked[i] }));
}
