/**
 * Pure planner: a container's settings -> the ordered list of steps the C helper
 * performs between clone() and execve(). No I/O here; every decision is data.
 */
import { CLONE, MS, Op, hex } from '../runtime/protocol';

export interface BindMount {
  /** absolute host path */
  source: string;
  /** absolute path inside the container */
  target: string;
  readonly: boolean;
  /** create the target as a file (for a file source) instead of a directory */
  file: boolean;
  /** MS_* propagation flag, if any */
  propagation?: number;
}

export interface TmpfsMount {
  target: string;
  /** mount data, e.g. "size=65536k,mode=1777" */
  data: string;
  flags: number;
}

export type PlannedMount = ({ kind: 'bind' } & BindMount) | ({ kind: 'tmpfs' } & TmpfsMount);

export interface SecuritySettings {
  caps?: { bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint };
  noNewPrivileges?: boolean;
  /** compiled classic BPF program, 8 bytes per instruction */
  seccomp?: Buffer | null;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  user?: { uid: number; gid: number; additionalGids: number[] };
  rlimits?: Array<{ resource: number; soft: bigint | number; hard: bigint | number }>;
  /** --privileged: /sys is mounted read-write, as Docker does */
  writableSys?: boolean;
}

/** The process a plan starts, in a new container (run) or a running one (exec). */
export interface ProcessPlanInput {
  env: string[];
  argv: string[];
  cwd: string;
  tty: boolean;
  stdin: boolean;
  winsize?: { rows: number; cols: number };
  security?: SecuritySettings;
  /** files that place the process in its cgroups (see CgroupPlacement.procsFiles) */
  cgroupProcs: string[];
  /** relay the monitor's own stdio to and from the container (a foreground run) */
  attach: boolean;
  /** the monitor leaves the caller's session once the container runs (run -d) */
  detach?: boolean;
}

export interface PlanInput extends ProcessPlanInput {
  /** where the overlay is mounted (inside the container's mount namespace only) */
  rootfs: string;
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  readonlyRootfs?: boolean;
  hostname: string;
  /** host files bind-mounted onto /etc/hostname, /etc/hosts, /etc/resolv.conf */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  mounts: PlannedMount[];
  /** unshare a cgroup namespace once placed in the cgroup (v2 hosts, as Docker) */
  cgroupns?: boolean;
  /** v2: the device program (an eBPF program of spec/security/devices) and the cgroup to attach it to */
  devices?: { cgroupDir: string; program: Buffer };
  exitFile: string;
  /** the command the monitor runs if the CLI is gone when the container exits */
  cleanup: string[];
  /** json-file log the monitor writes the container's output to */
  logFile?: string;
}

/** `exec`: a new process in a running container's namespaces and cgroup. */
export interface ExecPlanInput extends ProcessPlanInput {
  /** host pid of the container's init: its namespaces are joined */
  pid: number;
}

const DEVICES: Array<[name: string, major: number, minor: number]> = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

/** Docker's default /dev layout: device nodes, then the links a libc expects. */
const DEV_LINKS: Array<[target: string, link: string]> = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['pts/ptmx', '/dev/ptmx'],
];

function mountIn(src: string, dst: string, fstype: string, flags: number, data: string, create: 'd' | 'f' | '-', nofollow: boolean): Op {
  return ['mountin', src, dst, fstype, hex(flags), data, create, nofollow ? '1' : '0'];
}

/** Overlay options are comma separated; a path with a comma or colon would be misread. */
export function overlayData(lower: string[], upper: string, work: string): string {
  for (const p of [...lower, upper, work]) {
    if (/[,:]/.test(p)) throw new Error(`overlay path contains ',' or ':': ${p}`);
  }
  // Docker lists the topmost layer first; our layerDirs are lowest first.
  return `lowerdir=${[...lower].reverse().join(':')},upperdir=${upper},workdir=${work}`;
}

export function buildPlan(p: PlanInput): Op[] {
  const ops: Op[] = [];
  const ns = CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWPID | CLONE.NEWNET;
  ops.push(['ns', hex(ns)]);
  for (const f of p.cgroupProcs) ops.push(['cgroup', f]);
  if (p.devices) ops.push(['devices', p.devices.cgroupDir, p.devices.program.toString('hex')]);
  if (p.cgroupns) ops.push(['unshare', hex(CLONE.NEWCGROUP)]);
  ops.push(['private']);

  // The rootfs: an overlay of the read-only image layers and the container's upper dir.
  // Mounted writable even for --read-only: mount points (/etc/hostname, volume targets)
  // may have to be created in it first; the root is made read-only after pivot_root.
  ops.push(['mount', 'overlay', p.rootfs, 'overlay', '0x0', overlayData(p.lowerDirs, p.upperDir, p.workDir)]);
  ops.push(['root', p.rootfs]);

  // Kernel file systems. NOFOLLOW: an image whose /proc or /dev is a symlink is refused,
  // so they can never be mounted onto a path of the image's choosing.
  ops.push(mountIn('proc', '/proc', 'proc', MS.NOSUID | MS.NOEXEC | MS.NODEV, '', 'd', true));
  ops.push(mountIn('tmpfs', '/dev', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k', 'd', true));
  for (const [name, major, minor] of DEVICES) {
    ops.push(['mknod', `/dev/${name}`, 'c', String(major), String(minor), '0666', '0', '0']);
  }
  for (const [target, link] of DEV_LINKS) ops.push(['symlink', target, link]);
  ops.push(mountIn('devpts', '/dev/pts', 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5', 'd', true));
  ops.push(mountIn('shm', '/dev/shm', 'tmpfs', MS.NOSUID | MS.NOEXEC | MS.NODEV, 'mode=1777,size=65536k', 'd', true));
  ops.push(mountIn('mqueue', '/dev/mqueue', 'mqueue', MS.NOSUID | MS.NOEXEC | MS.NODEV, '', 'd', true));
  const sysRo = p.security?.writableSys ? 0 : MS.RDONLY;
  ops.push(mountIn('sysfs', '/sys', 'sysfs', sysRo | MS.NOSUID | MS.NOEXEC | MS.NODEV, '', 'd', true));
  if (p.tty) ops.push(['mkfile', '/dev/console']);

  // Files Docker manages in /etc. Bind mounts, so the image's own files stay untouched.
  const ro = p.readonlyRootfs ? MS.RDONLY : 0;
  ops.push(mountIn(p.etcFiles.hostname, '/etc/hostname', '', MS.BIND | ro, '', 'f', false));
  ops.push(mountIn(p.etcFiles.hosts, '/etc/hosts', '', MS.BIND | ro, '', 'f', false));
  ops.push(mountIn(p.etcFiles.resolvConf, '/etc/resolv.conf', '', MS.BIND | ro, '', 'f', false));

  // User mounts, parents first (the caller sorted them).
  for (const m of p.mounts) {
    if (m.kind === 'bind') {
      const flags = MS.BIND | MS.REC | (m.readonly ? MS.RDONLY : 0) | (m.propagation ?? 0);
      ops.push(mountIn(m.source, m.target, '', flags, '', m.file ? 'f' : 'd', false));
    } else {
      ops.push(mountIn('tmpfs', m.target, 'tmpfs', m.flags, m.data, 'd', false));
    }
  }

  // Docker creates a missing working directory; a file in its place is an error.
  if (p.cwd !== '/') ops.push(['mkdir', p.cwd, '0755']);

  ops.push(['pivot']);

  const sec = p.security ?? {};
  for (const path of sec.maskedPaths ?? []) ops.push(['mask', path]);
  for (const path of sec.readonlyPaths ?? []) ops.push(['readonly', path]);
  if (p.readonlyRootfs) ops.push(['remountro']);

  ops.push(['hostname', p.hostname]);
  ops.push(['ifup', 'lo']);
  for (const r of sec.rlimits ?? []) ops.push(['rlimit', String(r.resource), String(r.soft), String(r.hard)]);
  processOps(ops, p, sec);
  if (p.logFile) ops.push(['log', p.logFile]);
  ops.push(['exitfile', p.exitFile]);
  ops.push(['cleanup', ...p.cleanup]);
  return ops;
}

/** The process itself: argv, env, stdio, identity, privileges. Shared by run and exec. */
function processOps(ops: Op[], p: ProcessPlanInput, sec: SecuritySettings): void {
  for (const e of p.env) ops.push(['env', e]);
  ops.push(['argv', ...p.argv]);
  ops.push(['cwd', p.cwd]);
  ops.push(['tty', p.tty ? '1' : '0']);
  ops.push(['stdin', p.stdin ? '1' : '0']);
  ops.push(['attach', p.attach ? '1' : '0']);
  if (p.detach) ops.push(['detach', '1']);
  if (p.winsize) ops.push(['winsize', String(p.winsize.rows), String(p.winsize.cols)]);
  if (sec.user) ops.push(['user', String(sec.user.uid), String(sec.user.gid), ...sec.user.additionalGids.map(String)]);
  if (sec.caps) {
    const c = sec.caps;
    ops.push(['caps', hex(c.bounding), hex(c.effective), hex(c.permitted), hex(c.inheritable), hex(c.ambient)]);
  }
  if (sec.noNewPrivileges) ops.push(['nnp', '1']);
  if (sec.seccomp) ops.push(['seccomp', sec.seccomp.toString('hex')]);
}

export function buildExecPlan(p: ExecPlanInput): Op[] {
  const ops: Op[] = [['join', String(p.pid)]];
  for (const f of p.cgroupProcs) ops.push(['cgroup', f]);
  const sec = p.security ?? {};
  for (const r of sec.rlimits ?? []) ops.push(['rlimit', String(r.resource), String(r.soft), String(r.hard)]);
  processOps(ops, p, sec);
  return ops;
}
