/**
 * `stats`: a container's resource figures, read from its cgroup, computed as Docker's
 * `stats` computes them:
 *
 * - CPU %: the container's CPU time over the host's (both as deltas between two samples),
 *   times the number of online CPUs (100% is one CPU, as in Docker);
 * - memory: usage minus the inactive file cache (v1 total_inactive_file, v2 inactive_file),
 *   over the limit (the host's memory when unlimited);
 * - network: bytes of the container's own network namespace, loopback excluded (a container
 *   sharing the host's namespace shows none, as Docker shows none for --network host);
 * - block I/O: bytes read and written per the container's blkio/io cgroup;
 * - PIDs: pids.current.
 *
 * The parsers and the computation are pure; sampling reads /proc and the cgroup.
 */
import fs = require('node:fs');
import type { CgroupStats } from '../cgroups/types';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';

/** Docker's collector interval: CPU % is measured over one second. */
export const SAMPLE_INTERVAL_MS = 1000;

/** One reading of a container (and of the host's CPU time at the same moment). */
export interface StatsSample {
  id: string;
  /** without the leading slash */
  name: string;
  /** false when the container does not run (or its cgroup is gone): Docker shows zeros */
  running: boolean;
  cgroup?: CgroupStats;
  /** the host's CPU time in ns (Docker's system_cpu_usage), 0 when unknown */
  systemNs: number;
  onlineCpus: number;
  netRx: number;
  netTx: number;
}

/** A row of Docker's `stats` (its StatsEntry). */
export interface StatsEntry {
  id: string;
  name: string;
  cpuPercent: number;
  memory: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture we run on. */
const CLOCK_TICKS = 100;

/**
 * /proc/stat -> the host's CPU time in ns (Docker sums user, nice, system, idle, iowait, irq
 * and softirq of the "cpu" line) and the number of online CPUs (the "cpuN" lines).
 */
export function parseProcStat(text: string): { systemNs: number; onlineCpus: number } {
  let systemNs = 0;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      let ticks = 0;
      for (const v of f.slice(1, 8)) ticks += Number(v) || 0;
      systemNs = (ticks * 1e9) / CLOCK_TICKS;
    } else if (/^cpu\d+$/.test(f[0])) {
      onlineCpus++;
    }
  }
  return { systemNs, onlineCpus };
}

/** /proc/<pid>/net/dev -> received and transmitted bytes over every interface but loopback. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (iface === 'lo' || iface.includes('|')) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 9 || f.some((n) => !Number.isFinite(n))) continue;
    rx += f[0];
    tx += f[8];
  }
  return { rx, tx };
}

/** Docker's memory figure: usage without the inactive file cache. */
export function memoryUsage(s: CgroupStats): number {
  const inactive = s.memoryInactiveFile;
  return inactive !== undefined && inactive < s.memoryUsage ? s.memoryUsage - inactive : s.memoryUsage;
}

/** Docker's row from a sample and the one before it (CPU % needs both; 0 without one). */
export function entryOf(cur: StatsSample, prev?: StatsSample): StatsEntry {
  const entry: StatsEntry = {
    id: cur.id,
    name: cur.name,
    cpuPercent: 0,
    memory: 0,
    memoryLimit: 0,
    memoryPercent: 0,
    netRx: 0,
    netTx: 0,
    blockRead: 0,
    blockWrite: 0,
    pids: 0,
  };
  const cg = cur.cgroup;
  if (!cur.running || !cg) return entry;
  if (prev?.running && prev.cgroup) {
    const cpuDelta = cg.cpuUsageNs - prev.cgroup.cpuUsageNs;
    const systemDelta = cur.systemNs - prev.systemNs;
    if (cpuDelta > 0 && systemDelta > 0) entry.cpuPercent = (cpuDelta / systemDelta) * cur.onlineCpus * 100;
  }
  entry.memory = memoryUsage(cg);
  entry.memoryLimit = cg.memoryLimit;
  if (cg.memoryLimit > 0) entry.memoryPercent = (entry.memory / cg.memoryLimit) * 100;
  entry.netRx = cur.netRx;
  entry.netTx = cur.netTx;
  entry.blockRead = cg.blockRead ?? 0;
  entry.blockWrite = cg.blockWrite ?? 0;
  entry.pids = cg.pids;
  return entry;
}

function alive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function netOf(pid: number): { rx: number; tx: number } {
  let own: string;
  let theirs: string;
  try {
    own = fs.readlinkSync('/proc/self/ns/net');
    theirs = fs.readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return { rx: 0, tx: 0 };
  }
  if (own === theirs) return { rx: 0, tx: 0 };
  return parseNetDev(readOr(`/proc/${pid}/net/dev`, ''));
}

/** Reads one container now. A container that is not running reads as zeros. */
export function sampleContainer(engine: Engine, rec: ContainerRecord): StatsSample {
  const host = parseProcStat(readOr('/proc/stat', ''));
  const sample: StatsSample = {
    id: rec.Id,
    name: rec.Name.replace(/^\//, ''),
    running: false,
    systemNs: host.systemNs,
    onlineCpus: host.onlineCpus,
    netRx: 0,
    netTx: 0,
  };
  const pid = rec.State.Pid;
  if (!rec.State.Running || !alive(pid)) return sample;
  try {
    sample.cgroup = engine.cgroups().stats(rec.Id);
  } catch {
    return sample; // the container ended while we looked
  }
  const net = netOf(pid);
  sample.netRx = net.rx;
  sample.netTx = net.tx;
  sample.running = true;
  return sample;
}

/**
 * The containers `stats` shows without arguments: the running ones (all with -a), in the
 * order of Docker's container list (newest first).
 */
export function statsTargets(engine: Engine, all: boolean): ContainerRecord[] {
  return engine.containers
    .list()
    .filter((r) => all || r.State.Running)
    .sort((a, b) => b.Created.localeCompare(a.Created));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One `stats --no-stream` reading: two samples of every container, intervalMs apart, so that
 * CPU % covers that interval (as Docker's one-shot-less reading does). Containers that do
 * not run are not waited for.
 */
export async function collectOnce(engine: Engine, recs: ContainerRecord[], intervalMs = SAMPLE_INTERVAL_MS): Promise<StatsEntry[]> {
  const first = recs.map((r) => sampleContainer(engine, r));
  if (first.some((s) => s.running) && intervalMs > 0) await sleep(intervalMs);
  return recs.map((r, i) => {
    const fresh = engine.containers.get(r.Id) ?? r;
    return entryOf(sampleContainer(engine, fresh), first[i]);
  });
}
