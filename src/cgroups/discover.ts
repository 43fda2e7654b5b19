/**
 * Finds the cgroup hierarchies from /proc/self/mountinfo and decides between the v1 and the
 * v2 (unified) driver.
 *
 * Layouts met in practice:
 * - pure v2: one cgroup2 mount (usually /sys/fs/cgroup) whose cgroup.controllers lists
 *   cpu, memory, pids and more;
 * - v1: one cgroup mount per hierarchy, the controllers in the super options ("rw,memory");
 *   cpu and cpuacct are often co-mounted ("rw,cpu,cpuacct") but may be separate mounts;
 * - hybrid: v1 controllers plus a cgroup2 mount (e.g. /sys/fs/cgroup/unified) that holds
 *   nothing we need (on some machines only hugetlb). The v1 driver is chosen there.
 */
import fs = require('node:fs');
import path = require('node:path');
import { MydockerError } from '../common/errors';

/** Controllers every container needs; v2 is chosen only when a cgroup2 mount has all of them. */
export const REQUIRED_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

/** v1 hierarchies the engine places a container in (when mounted); blkio for its I/O figures. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer', 'blkio'] as const;

/** v1 subsystem names as they appear in mount options (anything else there is an option). */
const V1_SUBSYSTEMS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'io', 'memory', 'devices', 'freezer', 'net_cls',
  'perf_event', 'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

export interface MountEntry {
  /** root of the mount inside its file system ("/" unless a bind mount or a cgroup namespace) */
  root: string;
  mountPoint: string;
  fsType: string;
  /** per-superblock options, e.g. ["rw", "cpu", "cpuacct"] */
  superOptions: string[];
}

export interface Hierarchy {
  version: 1 | 2;
  /** mount point as the kernel reports it, e.g. /sys/fs/cgroup/memory */
  mountPoint: string;
  /** where the driver reads and writes: fsRoot joined with mountPoint */
  dir: string;
  /** the mount's root inside the hierarchy; cgroup paths reported to the kernel start here */
  root: string;
  /** v1: the subsystems of this mount (a named hierarchy as "name=systemd");
   *  v2: the contents of cgroup.controllers at the mount point */
  controllers: string[];
}

export interface CgroupLayout {
  version: 1 | 2;
  /** v2: the one unified hierarchy; v1: each distinct hierarchy the engine uses, once */
  hierarchies: Hierarchy[];
  /** v1: controller name -> its hierarchy (co-mounted controllers share one entry);
   *  v2: every available controller -> the unified hierarchy */
  byController: Record<string, Hierarchy>;
  /** the hybrid's (or v2's) cgroup2 mount, when there is one */
  unified?: Hierarchy;
}

export interface DiscoverOptions {
  /** prefix for every file read or written (a fixture tree in tests); default "" (the host) */
  fsRoot?: string;
  /** reads a file (default fs.readFileSync); used for cgroup.controllers */
  readFile?: (file: string) => string;
}

/** Undoes the octal escapes of mountinfo (\040 space, \011 tab, \012 newline, \134 backslash). */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/<pid>/mountinfo; lines it cannot read are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 3) continue;
    out.push({
      root: unescapeMountField(fields[3]),
      mountPoint: unescapeMountField(fields[4]),
      fsType: fields[sep + 1],
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

/**
 * Parses /proc/<pid>/cgroup into controller -> path (v1 lines "4:memory:/a/b"; the v2 line
 * "0::/a/b" under the key ""). Co-mounted controllers ("2:cpu,cpuacct:/") get one key each.
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[2] === '') out.set('', m[3]);
    for (const c of m[2].split(',')) if (c) out.set(c, m[3]);
  }
  return out;
}

function hostPath(fsRoot: string, p: string): string {
  return fsRoot ? path.join(fsRoot, p) : p;
}

/**
 * Chooses the driver and its hierarchies. v2 when a cgroup2 mount offers cpu, memory and
 * pids in its cgroup.controllers; otherwise v1 with the v1 mounts (the first mount of each
 * subsystem wins, preferring one whose root is "/": a bind mount of a sub-tree is not the
 * hierarchy's root). Throws when neither is usable.
 */
export function discover(mountinfoText: string, opts: DiscoverOptions = {}): CgroupLayout {
  const fsRoot = opts.fsRoot ?? '';
  const readFile = opts.readFile ?? ((f: string) => fs.readFileSync(f, 'utf8'));
  const mounts = parseMountinfo(mountinfoText);

  const v2: Hierarchy[] = [];
  for (const m of mounts) {
    if (m.fsType !== 'cgroup2') continue;
    const dir = hostPath(fsRoot, m.mountPoint);
    let controllers: string[];
    try {
      controllers = readFile(path.join(dir, 'cgroup.controllers')).split(/\s+/).filter(Boolean);
    } catch {
      continue; // unreadable, or not really there: not usable
    }
    v2.push({ version: 2, mountPoint: m.mountPoint, dir, root: m.root, controllers });
  }
  const hasRequired = (h: Hierarchy) => REQUIRED_CONTROLLERS.every((c) => h.controllers.includes(c));
  const usable = v2.find(hasRequired);
  if (usable) {
    const byController: Record<string, Hierarchy> = {};
    for (const c of usable.controllers) byController[c] = usable;
    return { version: 2, hierarchies: [usable], byController, unified: usable };
  }
  const unified = v2[0];

  const byController: Record<string, Hierarchy> = {};
  const seen = new Map<string, Hierarchy>();
  for (const m of mounts) {
    if (m.fsType !== 'cgroup') continue;
    const controllers = m.superOptions.filter((o) => V1_SUBSYSTEMS.has(o) || o.startsWith('name='));
    if (controllers.length === 0) continue;
    const key = controllers.slice().sort().join(',');
    const prev = seen.get(key);
    if (prev && (prev.root === '/' || m.root !== '/')) continue;
    const h: Hierarchy = {
      version: 1,
      mountPoint: m.mountPoint,
      dir: hostPath(fsRoot, m.mountPoint),
      root: m.root,
      controllers,
    };
    seen.set(key, h);
  }
  for (const h of seen.values()) {
    for (const c of h.controllers) {
      if ((V1_CONTROLLERS as readonly string[]).includes(c)) byController[c] = h;
    }
  }
  const hierarchies = [...new Set(Object.values(byController))];
  if (!REQUIRED_CONTROLLERS.some((c) => byController[c])) {
    throw new MydockerError(
      'cgroups: no usable cgroup hierarchy: no cgroup2 mount offers cpu, memory and pids, ' +
        'and no cgroup v1 controller is mounted',
    );
  }
  // Stable order: the order of V1_CONTROLLERS, so procs files and errors are predictable.
  hierarchies.sort((a, b) => firstIndex(a) - firstIndex(b));
  return { version: 1, hierarchies, byController, unified };
}

function firstIndex(h: Hierarchy): number {
  const idx = h.controllers
    .map((c) => (V1_CONTROLLERS as readonly string[]).indexOf(c))
    .filter((i) => i >= 0);
  return Math.min(...idx);
}
