/**
 * Security settings of a container's process, derived from its record at start (and at
 * `exec`, with the exec's user): capabilities, no_new_privs, the seccomp program, masked
 * and read-only paths, the user and its groups from the image's /etc/passwd and
 * /etc/group, resource limits; and the v1 device cgroup that allows only the default
 * device nodes.
 *
 * Every decision is the pure library's (src/spec/security); this module only gathers
 * the facts it needs: the host's last capability, architecture and kernel release, the
 * capabilities the engine itself holds, the caller's resource limits, and two files of
 * the image read through its layers.
 */
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { UsageError } from '../common/errors';
import { checkName, errnoCode, opError, realCgroupFs, removeCgroupDir, writeError } from '../cgroups/fs';
import { parseMountinfo } from '../cgroups/discover';
// The light modules of the library, not its index: see src/spec/security/build.ts.
import { buildSecurityPlan } from '../spec/security/build';
import { capabilityNumber, type CapabilitySets, DEFAULT_CAP_MASK } from '../spec/security/capabilities';
import { clampRlimits, type Limit, parseProcLimits, RLIM_INFINITY, type Rlimit, ULIMIT_RESOURCES } from '../spec/security/rlimits';
import { resolveUser } from '../spec/security/user';
import type { SecuritySettings } from '../spec/plan';
import { LayeredRootfs } from '../volume/layers';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';
import { compileDeviceFilter, DEFAULT_DEVICE_RULES } from '../spec/security/devices';
import type { CgroupPlacement } from '../cgroups/types';

/** The settings, plus what the process environment needs from them. */
export interface ContainerSecurity extends SecuritySettings {
  /** the user's home directory from the image's passwd ("/root" for root, "/" when unknown): HOME when the env has none */
  home: string;
}

// ------------------------------------------------------------------ host facts

interface HostFacts {
  lastCap: number;
  arch: string;
  kernelRelease: string;
}

let facts: HostFacts | undefined;

/** This machine's last capability, architecture and kernel release (read once per process). */
export function hostSecurityFacts(): HostFacts {
  if (!facts) {
    let lastCap = -1; // unknown: the library then uses every capability it knows
    try {
      lastCap = Number.parseInt(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10);
    } catch {
      /* no /proc/sys: keep the library's table */
    }
    facts = { lastCap: Number.isInteger(lastCap) ? lastCap : -1, arch: process.arch, kernelRelease: os.release() };
  }
  return facts;
}

/** The calling process's resource limits, from /proc/self/limits. */
export function callerLimits(): Map<number, Limit> {
  return parseProcLimits(fs.readFileSync('/proc/self/limits', 'utf8'));
}

/** The capabilities this process holds (permitted set): it cannot hand out others. */
function heldCapabilities(): bigint | undefined {
  try {
    const m = /^CapPrm:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Narrows the masks to what the engine holds: `capset` refuses to raise a permitted
 * capability the caller lacks (root on some hosts has no CAP_SYS_RESOURCE), and
 * `--privileged` or `--cap-add ALL` mean "everything this engine can give". A capability
 * added by name that the engine does not hold is an error, not a silent drop.
 */
function clampCaps(caps: CapabilitySets, capAdd: readonly string[]): CapabilitySets {
  // Docker's defaults are held by any root; only a wider set needs the check (and the read).
  if (!(caps.permitted & ~DEFAULT_CAP_MASK)) return caps;
  const held = heldCapabilities();
  if (held === undefined) return caps;
  for (const name of capAdd) {
    const n = capabilityNumber(name);
    if (n !== undefined && !(held & (1n << BigInt(n)))) {
      throw new UsageError(`cannot add capability ${name}: this engine does not hold it (raising it is not possible)`);
    }
  }
  const missing = caps.permitted & ~held;
  if (!missing) return caps;
  return {
    bounding: caps.bounding & held,
    effective: caps.effective & held,
    permitted: caps.permitted & held,
    inheritable: caps.inheritable & held,
    ambient: caps.ambient & held,
  };
}

// ------------------------------------------------------------------ the image's files

const MAX_ETC_FILE = 16 << 20;

/**
 * Reads a regular file of the container's rootfs as the overlay will show it (the image
 * layers, lowest first, then the container's upper dir), or null when it is missing or
 * not a regular file. Paths are resolved inside the rootfs; the last component is opened
 * without following a link and must be a regular file (never a FIFO that would block).
 * While the container runs (`exec`), its processes may rename things in the upper dir
 * meanwhile: the opened file is then checked to be the one resolved.
 */
function readRootfsFile(view: LayeredRootfs, file: string, running: boolean): string | null {
  let r;
  try {
    r = view.resolve(file);
  } catch (e) {
    if (e instanceof UsageError) return null; // a symbolic-link loop: no such file
    throw e;
  }
  if (r.kind !== 'file' || !r.st.isFile()) return null;
  let fd: number;
  try {
    fd = fs.openSync(r.host, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return null;
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return null;
    if (running) {
      const member = view.root.members.find((m) => r.host.startsWith(m + path.sep));
      if (!member || fs.readlinkSync(`/proc/self/fd/${fd}`) !== fs.realpathSync.native(member) + r.host.slice(member.length)) return null;
    }
    if (st.size > MAX_ETC_FILE) throw new UsageError(`the image's ${file} is too large (${st.size} bytes)`);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

// ------------------------------------------------------------------ settings

/** `seccomp=<json>` is a profile given inline (as the CLI records a file); anything else a path. */
function profileSource(p: string): string {
  return p.trimStart().startsWith('{') ? p : fs.readFileSync(p, 'utf8');
}

function rlimitsOf(ulimits: NonNullable<ContainerRecord['HostConfig']['Ulimits']>): Rlimit[] {
  const big = (v: number) => (v < 0 ? RLIM_INFINITY : BigInt(v));
  return ulimits.map((u) => {
    const resource = ULIMIT_RESOURCES[u.Name];
    if (resource === undefined) throw new UsageError(`invalid ulimit type: ${u.Name}`);
    return { name: u.Name, resource, soft: big(u.Soft), hard: big(u.Hard) };
  });
}

/**
 * The security settings of the container's process (PID 1 at start, or the process of
 * an `exec`: pass the record with the exec's `-u` as Config.User). Bad input (an unknown
 * user or group, a limit above the caller's): a UsageError, nothing done.
 */
export function securityOf(engine: Engine, rec: ContainerRecord): ContainerSecurity {
  const hc = rec.HostConfig;
  const host = hostSecurityFacts();
  const capAdd = hc.CapAdd ?? [];
  const plan = buildSecurityPlan({
    capAdd,
    capDrop: hc.CapDrop ?? [],
    privileged: !!hc.Privileged,
    securityOpts: hc.SecurityOpt ?? [],
    lastCap: host.lastCap,
    arch: host.arch,
    kernelRelease: host.kernelRelease,
    readFile: profileSource,
  });

  const view = LayeredRootfs.fromLayers(rec.LayerDirs, path.join(engine.containers.dir(rec.Id), 'upper'));
  const running = !!rec.State?.Running;
  const groupAdd = Array.isArray(hc.GroupAdd) ? (hc.GroupAdd as unknown[]).map(String) : [];
  const user = resolveUser({
    user: rec.Config.User,
    passwd: readRootfsFile(view, '/etc/passwd', running),
    group: readRootfsFile(view, '/etc/group', running),
    groupAdd,
  });

  const out: ContainerSecurity = {
    caps: clampCaps(plan.caps, capAdd.includes('ALL') ? [] : capAdd),
    noNewPrivileges: plan.noNewPrivileges,
    seccomp: plan.seccomp,
    maskedPaths: plan.maskedPaths,
    readonlyPaths: plan.readonlyPaths,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    home: user.home,
    writableSys: !!hc.Privileged,
  };
  if (hc.Ulimits && hc.Ulimits.length) {
    out.rlimits = clampRlimits(rlimitsOf(hc.Ulimits), callerLimits()).map((r) => ({ resource: r.resource, soft: r.soft, hard: r.hard }));
  }
  return out;
}

// ------------------------------------------------------------------ device cgroup

export { DEFAULT_DEVICE_RULES };

let devicesMount: string | null | undefined;

/** The v1 `devices` hierarchy's mount point, or null when it is not mounted. */
function devicesHierarchy(): string | null {
  if (devicesMount === undefined) {
    const mounts = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).filter(
      (m) => m.fsType === 'cgroup' && m.superOptions.includes('devices'),
    );
    const m = mounts.find((x) => x.root === '/') ?? mounts[0];
    devicesMount = m ? m.mountPoint : null;
  }
  return devicesMount;
}

function parentName(engine: Engine): string {
  const p = (engine.cgroups() as { parent?: unknown }).parent;
  return typeof p === 'string' ? p : process.env.MYDOCKER_CGROUP_PARENT || 'mydocker';
}

function deviceCgroupDir(engine: Engine, id: string): string | null {
  checkName('container', id);
  const mount = devicesHierarchy();
  return mount === null ? null : path.join(mount, parentName(engine), id);
}

/** mkdir that accepts an existing directory (a restart after a crash). */
function mkdirOnce(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    if (errnoCode(e) !== 'EEXIST') throw e;
  }
}

/** Writes each rule with its own write(2): the kernel takes one rule per write. */
function writeRules(file: string, rules: readonly string[]): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY);
  } catch (e) {
    throw opError('open', file, e);
  }
  try {
    for (const r of rules) {
      try {
        fs.writeSync(fd, r);
      } catch (e) {
        throw writeError(file, r, e);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * cgroup v2 has no device files: the policy is an eBPF program the helper attaches to the
 * container's cgroup (the `devices` op). Docker's default rules; none under --privileged.
 */
export function deviceProgramOf(rec: ContainerRecord, placement: CgroupPlacement): { cgroupDir: string; program: Buffer } | undefined {
  if (!placement.devicesDir || rec.HostConfig.Privileged) return undefined;
  return { cgroupDir: placement.devicesDir, program: compileDeviceFilter(DEFAULT_DEVICE_RULES) };
}

/**
 * At start, after the resource cgroups: the device cgroup that allows only the default
 * device nodes (everything under --privileged). Returns the `tasks` file in which the
 * helper's child places itself (see CgroupPlacement.procsFiles).
 *
 * cgroup v1 only: on v2 the same rules are an eBPF program (deviceProgramOf).
 */
export function setupDeviceCgroup(engine: Engine, rec: ContainerRecord): string[] {
  if (engine.cgroups().version !== 1) return [];
  const dir = deviceCgroupDir(engine, rec.Id);
  if (dir === null) return [];
  try {
    mkdirOnce(dir);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw opError('create', dir, e);
    // The first container under this parent: make the parent (inheriting the root's rules).
    try {
      mkdirOnce(path.dirname(dir));
      mkdirOnce(dir);
    } catch (e2) {
      throw opError('create', dir, e2);
    }
  }
  try {
    if (rec.HostConfig.Privileged) {
      writeRules(path.join(dir, 'devices.allow'), ['a']);
    } else {
      writeRules(path.join(dir, 'devices.deny'), ['a']);
      writeRules(path.join(dir, 'devices.allow'), DEFAULT_DEVICE_RULES);
    }
  } catch (e) {
    removeDeviceCgroup(engine, rec.Id);
    throw e;
  }
  return [path.join(dir, 'tasks')];
}

/**
 * The device cgroup's `tasks` file of a running container, for an `exec` to join
 * ([] when the container has none).
 */
export function deviceCgroupProcs(engine: Engine, id: string): string[] {
  if (engine.cgroups().version !== 1) return [];
  const dir = deviceCgroupDir(engine, id);
  if (dir === null) return [];
  const procs = path.join(dir, 'tasks');
  return fs.existsSync(procs) ? [procs] : [];
}

/** At the container's end (idempotent): remove the device cgroup, retrying briefly while the kernel still lists exiting tasks. */
export function removeDeviceCgroup(engine: Engine, id: string): void {
  let dir: string | null;
  try {
    if (engine.cgroups().version !== 1) return;
    dir = deviceCgroupDir(engine, id);
  } catch {
    return;
  }
  if (dir === null) return;
  removeCgroupDir(realCgroupFs, dir, Date.now() + 1000);
}
