/**
 * cgroup v2 (unified) driver: one directory, `<mount>/<parent>/<id>`. A controller's files
 * exist in a cgroup only when its parent lists the controller in cgroup.subtree_control, so
 * the hierarchy root and the engine's parent enable what we use before the container's
 * directory is made.
 */
import path = require('node:path');
import { MydockerError } from '../common/errors';
import {
  Created,
  type DriverOptions,
  type ResolvedOptions,
  applyWrites,
  checkName,
  effectiveLimit,
  listChildren,
  parsePids,
  readFile,
  readOptional,
  removeAll,
  removeParentDirs,
  resolveOptions,
  writeFile,
} from './common';
import type { CgroupLayout, Hierarchy } from './discover';
import { parseBlockIo, parseFlatKeyed, parseNumber } from './fs';
import { type V2PlanLayout, controllersOf, planV2, warningsV2 } from './plan';
import type { CgroupDriver, CgroupLimits, CgroupPlacement, CgroupStats } from './types';

/** Controllers enabled for containers when the host offers them. */
export const V2_CONTROLLERS = ['cpuset', 'cpu', 'io', 'memory', 'pids'] as const;

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

export class V2Driver implements CgroupDriver {
  readonly version = 2 as const;
  readonly layout: CgroupLayout;
  readonly parent: string;
  readonly hierarchy: Hierarchy;
  private readonly o: ResolvedOptions;

  constructor(layout: CgroupLayout, opts: DriverOptions = {}) {
    if (layout.version !== 2) throw new Error('V2Driver needs a v2 layout');
    this.layout = layout;
    this.hierarchy = layout.hierarchies[0];
    this.o = resolveOptions(opts);
    this.parent = this.o.parent;
  }

  get parentDir(): string {
    return path.join(this.hierarchy.dir, this.parent);
  }

  dirOf(id: string): string {
    return path.join(this.parentDir, id);
  }

  /**
   * Enables in dir's cgroup.subtree_control the wanted controllers that dir has available
   * (its cgroup.controllers), writing only when some are missing. Returns what is enabled.
   */
  private enableSubtree(dir: string, available?: string[]): string[] {
    const cfs = this.o.fs;
    const avail = available ?? words(readFile(cfs, path.join(dir, 'cgroup.controllers')));
    const enabled = words(readFile(cfs, path.join(dir, 'cgroup.subtree_control')));
    const missing = V2_CONTROLLERS.filter((c) => avail.includes(c) && !enabled.includes(c));
    if (missing.length) {
      writeFile(cfs, path.join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
      enabled.push(...missing);
    }
    return enabled;
  }

  create(id: string, limits: CgroupLimits): CgroupPlacement {
    checkName('container', id);
    const cfs = this.o.fs;
    const h = this.hierarchy;
    const created = new Created(cfs);
    let pl: V2PlanLayout;
    try {
      // The root's cgroup.controllers was read by discovery.
      this.enableSubtree(h.dir, h.controllers);
      const pdir = this.parentDir;
      created.mkdir(pdir);
      const enabled = this.enableSubtree(pdir);
      pl = { hasSwap: cfs.exists(path.join(pdir, 'memory.swap.max')) };
      const writes = planV2(limits, pl);
      const missing = controllersOf(writes).filter((c) => !enabled.includes(c));
      if (missing.length) {
        throw new MydockerError(
          `cgroups: the ${missing.join(', ')} controller${missing.length > 1 ? 's are' : ' is'} not available in ${pdir}; cannot apply the requested limits`,
        );
      }
      const cdir = this.dirOf(id);
      created.mkdir(cdir);
      applyWrites(cfs, writes, () => cdir);
    } catch (e) {
      created.rollback();
      throw e;
    }
    const warnings = warningsV2(limits, pl);
    return {
      procsFiles: [path.join(this.dirOf(id), 'cgroup.procs')],
      devicesDir: this.dirOf(id),
      path: path.posix.join(h.root, this.parent, id),
      ...(warnings.length ? { warnings } : {}),
    };
  }

  remove(id: string): void {
    checkName('container', id);
    removeAll(this.o.fs, [this.dirOf(id)], this.o.removeTimeoutMs);
  }

  list(): string[] {
    return listChildren(this.o.fs, [this.parentDir]);
  }

  stats(id: string): CgroupStats {
    checkName('container', id);
    const cfs = this.o.fs;
    const dir = this.dirOf(id);
    const cpu = parseFlatKeyed(readFile(cfs, path.join(dir, 'cpu.stat')));
    const num = (file: string): number | undefined => {
      const t = readOptional(cfs, path.join(dir, file));
      return t === undefined ? undefined : parseNumber(t);
    };
    const memStat = parseFlatKeyed(readOptional(cfs, path.join(dir, 'memory.stat')) ?? '');
    const out: CgroupStats = {
      cpuUsageNs: (cpu.get('usage_usec') ?? 0) * 1000,
      memoryUsage: num('memory.current') ?? 0,
      memoryLimit: effectiveLimit(num('memory.max'), this.o.hostMemory()),
      pids: num('pids.current') ?? 0,
    };
    const inactive = memStat.get('inactive_file');
    if (inactive !== undefined) out.memoryInactiveFile = inactive;
    const io = readOptional(cfs, path.join(dir, 'io.stat'));
    if (io !== undefined) {
      const b = parseBlockIo(io);
      out.blockRead = b.read;
      out.blockWrite = b.write;
    }
    return out;
  }

  /** memory.events' `oom_kill` counter (counts the container's descendants too). */
  oomKilled(id: string): boolean {
    checkName('container', id);
    const text = readOptional(this.o.fs, path.join(this.dirOf(id), 'memory.events'));
    if (text === undefined) {
      readFile(this.o.fs, path.join(this.dirOf(id), 'cgroup.procs')); // the cgroup itself must exist
      return false;
    }
    return (parseFlatKeyed(text).get('oom_kill') ?? 0) > 0;
  }

  procs(id: string): number[] {
    checkName('container', id);
    const text = readOptional(this.o.fs, path.join(this.dirOf(id), 'cgroup.procs'));
    return text === undefined ? [] : parsePids(text);
  }

  removeParent(): void {
    removeParentDirs(this.o.fs, [this.parentDir]);
  }
}
