/**
 * The Docker-shaped objects `inspect` prints: Docker's fields in Docker's order, typed
 * nils where Docker has them (so that `{{.Config.Entrypoint}}` prints "[]" and JSON says
 * null), maps marked so that their keys sort, the engine-private fields left out.
 */
import path = require('node:path');
import type { ContainerRecord } from '../../engine/containers';
import { ZERO_TIME } from '../../engine/containers';
import type { Engine } from '../../engine/engine';
import { containerSize, networksOf, stateString } from '../../engine/query';
import { logFileOf } from '../../engine/start';
import type { Image } from '../../image/types';
import { readJson } from '../../state/store';
import { asMap, asStruct, GoNil, nilMap, nilPtr, nilSlice } from './values';

const HOST_CONFIG_DEFAULTS = (): Record<string, unknown> => ({
  Binds: nilSlice(),
  ContainerIDFile: '',
  LogConfig: asStruct({ Type: 'json-file', Config: asMap({}) }),
  NetworkMode: 'none',
  PortBindings: asMap({}),
  RestartPolicy: asStruct({ Name: 'no', MaximumRetryCount: 0 }),
  AutoRemove: false,
  VolumeDriver: '',
  VolumesFrom: nilSlice(),
  ConsoleSize: [0, 0],
  Annotations: nilMap(true),
  CapAdd: nilSlice(),
  CapDrop: nilSlice(),
  CgroupnsMode: 'private',
  Dns: nilSlice(),
  DnsOptions: nilSlice(),
  DnsSearch: nilSlice(),
  ExtraHosts: nilSlice(),
  GroupAdd: nilSlice(),
  IpcMode: 'private',
  Cgroup: '',
  Links: nilSlice(),
  OomScoreAdj: 0,
  PidMode: '',
  Privileged: false,
  PublishAllPorts: false,
  ReadonlyRootfs: false,
  SecurityOpt: nilSlice(),
  StorageOpt: nilMap(true),
  Tmpfs: nilMap(true),
  UTSMode: '',
  UsernsMode: '',
  ShmSize: 67108864,
  Sysctls: nilMap(true),
  Runtime: 'mydocker',
  Isolation: '',
  CpuShares: 0,
  Memory: 0,
  NanoCpus: 0,
  CgroupParent: '',
  BlkioWeight: 0,
  BlkioWeightDevice: nilSlice(),
  BlkioDeviceReadBps: nilSlice(),
  BlkioDeviceWriteBps: nilSlice(),
  BlkioDeviceReadIOps: nilSlice(),
  BlkioDeviceWriteIOps: nilSlice(),
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: nilSlice(),
  DeviceCgroupRules: nilSlice(),
  DeviceRequests: nilSlice(),
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: nilPtr(),
  OomKillDisable: nilPtr(),
  PidsLimit: nilPtr(),
  Ulimits: nilSlice(),
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
  Mounts: nilSlice(true),
  MaskedPaths: nilSlice(),
  ReadonlyPaths: nilSlice(),
  Init: nilPtr(true),
});

const CONFIG_DEFAULTS = (): Record<string, unknown> => ({
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  ExposedPorts: nilMap(true),
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: nilSlice(),
  Cmd: nilSlice(),
  Healthcheck: nilPtr(true),
  ArgsEscaped: undefined,
  Image: '',
  Volumes: nilMap(),
  WorkingDir: '',
  Entrypoint: nilSlice(),
  NetworkDisabled: undefined,
  OnBuild: nilSlice(true),
  Labels: nilMap(),
  StopSignal: undefined,
  StopTimeout: nilPtr(true),
  Shell: nilSlice(true),
});

/** Map-typed fields: their keys sort in JSON and they print as map[...] in templates. */
const MAP_FIELDS = new Set(['Labels', 'Volumes', 'ExposedPorts', 'Tmpfs', 'Sysctls', 'StorageOpt', 'Annotations', 'PortBindings', 'Options', 'DriverOpts', 'Ports', 'Networks', 'Data']);

/** Docker's order for `defaults`, the record's values in place, the rest after; nulls typed. */
function merged(defaults: Record<string, unknown>, values: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(defaults)) {
    const v = values && Object.prototype.hasOwnProperty.call(values, k) ? values[k] : undefined;
    if (v === undefined) {
      if (d !== undefined) out[k] = d;
      continue;
    }
    out[k] = v === null && d instanceof GoNil ? new GoNil(d.kind, d.omitEmpty) : typed(k, v);
  }
  for (const [k, v] of Object.entries(values ?? {})) {
    if (k in out || v === undefined || !/^[A-Z]/.test(k)) continue;
    out[k] = typed(k, v);
  }
  return out;
}

/** Marks map-typed objects so that they sort and print as Go maps; structs keep their order. */
function typed(key: string, v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? asStruct(markTree(x as Record<string, unknown>)) : x));
  const o = markTree(v as Record<string, unknown>);
  return MAP_FIELDS.has(key) ? asMap(o) : asStruct(o);
}

function markTree(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typed(k, v);
  return out;
}

export interface InspectOptions {
  /** add SizeRw and SizeRootFs (`inspect -s`) */
  size?: boolean;
}

/**
 * The container as `docker inspect` shows it: Docker's fields in Docker's order, the
 * engine-private ones (LayerDirs) left out.
 */
export function containerView(engine: Engine, rec: ContainerRecord, opts: InspectOptions = {}): Record<string, unknown> {
  const dir = engine.containers.dir(rec.Id);
  const layerDirs = rec.LayerDirs ?? [];
  const size = opts.size ? containerSize(engine, rec) : undefined;
  const state = asStruct(
    {
      Status: stateString(rec.State),
      Running: rec.State.Running,
      Paused: rec.State.Paused,
      Restarting: rec.State.Restarting,
      OOMKilled: rec.State.OOMKilled,
      Dead: rec.State.Dead,
      Pid: rec.State.Pid,
      ExitCode: rec.State.ExitCode,
      Error: rec.State.Error,
      StartedAt: rec.State.StartedAt,
      FinishedAt: rec.State.FinishedAt,
      Health: (rec.State as { Health?: unknown }).Health ?? nilPtr(true),
    },
    true,
  );
  const nets = networksOf(rec);
  const recordedNs = (rec as unknown as { NetworkSettings?: Record<string, unknown> }).NetworkSettings;
  const networkSettings = recordedNs
    ? asStruct(markTree(recordedNs), true)
    : asStruct(
        {
          SandboxID: '',
          SandboxKey: '',
          Ports: asMap({}),
          Networks: asMap(
            Object.fromEntries(
              nets.map((n) => [
                n,
                asStruct(
                  {
                    IPAMConfig: nilPtr(),
                    Links: nilSlice(),
                    Aliases: nilSlice(),
                    MacAddress: '',
                    DriverOpts: nilMap(),
                    GwPriority: 0,
                    NetworkID: '',
                    EndpointID: '',
                    Gateway: '',
                    IPAddress: '',
                    IPPrefixLen: 0,
                    IPv6Gateway: '',
                    GlobalIPv6Address: '',
                    GlobalIPv6PrefixLen: 0,
                    DNSNames: nilSlice(),
                  },
                  true,
                ),
              ]),
            ),
          ),
        },
        true,
      );
  const base: Record<string, unknown> = {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args ?? [],
    State: state,
    Image: rec.Image,
    ResolvConfPath: path.join(dir, 'resolv.conf'),
    HostnamePath: path.join(dir, 'hostname'),
    HostsPath: path.join(dir, 'hosts'),
    LogPath: logFileOf(engine, rec.Id),
    Name: rec.Name,
    RestartCount: 0,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: nilSlice(),
    HostConfig: asStruct(merged(HOST_CONFIG_DEFAULTS(), rec.HostConfig as Record<string, unknown>), true),
    GraphDriver: asStruct({
      Data: asMap({
        LowerDir: [...layerDirs].reverse().join(':'),
        MergedDir: path.join(dir, 'merged'),
        UpperDir: path.join(dir, 'upper'),
        WorkDir: path.join(dir, 'work'),
      }),
      Name: 'overlay2',
    }),
    SizeRw: size ? size.SizeRw : nilPtr(true),
    SizeRootFs: size ? size.SizeRootFs : nilPtr(true),
    Mounts: (rec.Mounts ?? []).map((m) => asStruct(markTree(m as Record<string, unknown>))),
    Config: asStruct(merged(CONFIG_DEFAULTS(), rec.Config as unknown as Record<string, unknown>), true),
    NetworkSettings: networkSettings,
  };
  // Fields other parts of the engine add to the record later (Docker-shaped, capitalized).
  const PRIVATE = new Set(['LayerDirs']);
  for (const [k, v] of Object.entries(rec)) {
    if (k in base || PRIVATE.has(k) || !/^[A-Z]/.test(k) || v === undefined) continue;
    base[k] = typed(k, v);
  }
  return base;
}


/** An image as `docker image inspect` shows the fields this engine has. */
export function imageView(img: Image): Record<string, unknown> {
  let size = 0;
  for (const dir of img.layerDirs) size += readJson<{ size?: number }>(path.join(path.dirname(dir), 'meta.json'))?.size ?? 0;
  return {
    Id: img.id,
    RepoTags: img.repoTags,
    RepoDigests: [],
    Parent: '',
    Comment: '',
    Created: img.config.created ?? ZERO_TIME,
    DockerVersion: '',
    Author: '',
    Config: asStruct(merged(CONFIG_DEFAULTS(), img.config.config as Record<string, unknown>), true),
    Architecture: img.config.architecture,
    Os: img.config.os,
    Size: size,
    GraphDriver: asStruct({
      Data: asMap({ LowerDir: [...img.layerDirs].reverse().join(':') }),
      Name: 'overlay2',
    }),
    RootFS: asStruct({ Type: img.config.rootfs.type, Layers: img.config.rootfs.diff_ids }),
    Metadata: asStruct({ LastTagTime: ZERO_TIME }),
  };
}

/** A volume, as `docker volume inspect` shows it (the volume store's own shape, maps marked). */
export function volumeView(v: Record<string, unknown>): Record<string, unknown> {
  return markTree(v);
}
