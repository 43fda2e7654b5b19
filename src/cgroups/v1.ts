/**
 * cgroup v1 driver: one directory per hierarchy (cpu and cpuacct may be one hierarchy or
 * two), `<mount>/<parent>/<id>`, and a cgroup.procs file in each for the helper to join.
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
import { type V1PlanLayout, controllersOf, planV1, warningsV1 } from './plan';
import type { CgroupDriver, CgroupLimits, CgroupPlacement, CgroupStats } from './types';

export class V1Driver implements CgroupDriver {
  readonly version = 1 as const;
  readonly layout: CgroupLayout;
  readonly parent: string;
  private readonly o: ResolvedOptions;
  private planLayoutCache?: V1PlanLayout;

  constructor(layout: CgroupLayout, opts: DriverOptions = {}) {
    if (layout.version !== 1) throw new Error('V1Driver needs a v1 layout');
    this.layout = layout;
    this.o = resolveOptions(opts);
    this.parent = this.o.parent;
  }

  /** `<mount>/<parent>` of a hierarchy. */
  parentDir(h: Hierarchy): string {
    return path.join(h.dir, this.parent);
  }

  /** `<mount>/<parent>/<id>` in the hierarchy of a controller, or undefined if it is not mounted. */
  dirOf(controller: string, id: string): string | undefined {
    const h = this.layout.byController[controller];
    return h && path.join(h.dir, this.parent, id);
  }

  private planLayout(): V1PlanLayout {
    if (!this.planLayoutCache) {
      const mem = this.layout.byController.memory;
      this.planLayoutCache = {
        hasMemsw: !!mem && this.o.fs.exists(path.join(mem.dir, 'memory.memsw.limit_in_bytes')),
        hasOomControl: !!mem && this.o.fs.exists(path.join(mem.dir, 'memory.oom_control')),
      };
    }
    return this.planLayoutCache;
  }

  create(id: string, limits: CgroupLimits): CgroupPlacement {
    checkName('container', id);
    const cfs = this.o.fs;
    const pl = this.planLayout();
    const missing = controllersOf(planV1(limits, pl)).filter((c) => !this.layout.byController[c]);
    if (missing.length) {
      throw new MydockerError(
        `cgroups: the ${missing.join(', ')} controller${missing.length > 1 ? 's are' : ' is'} not mounted; cannot apply the requested limits`,
      );
    }

    const created = new Created(cfs);
    try {
      let memoryPreexisted = false;
      for (const h of this.layout.hierarchies) {
        const pdir = this.parentDir(h);
        const pmade = created.mkdir(pdir);
        const isCpuset = h.controllers.includes('cpuset');
        if (isCpuset) this.initCpuset(pdir, h.dir, pmade, []);
        const cdir = path.join(pdir, id);
        const cmade = created.mkdir(cdir);
        if (isCpuset) {
          // the plan narrows what the user asked for; initialise only what it leaves empty
          const skip = [limits.cpusetCpus ? 'cpuset.cpus' : '', limits.cpusetMems ? 'cpuset.mems' : ''];
          this.initCpuset(cdir, pdir, cmade, skip);
        }
        if (!cmade && h.controllers.includes('memory')) memoryPreexisted = true;
      }
      let current = {};
      if (memoryPreexisted) {
        const f = path.join(this.dirOf('memory', id)!, 'memory.limit_in_bytes');
        current = { memoryLimit: parseNumber(readFile(cfs, f)) };
      }
      applyWrites(cfs, planV1(limits, pl, current), (c) => this.dirOf(c, id)!);
    } catch (e) {
      created.rollback();
      throw e;
    }
    const first = this.layout.hierarchies[0];
    const warnings = warningsV1(limits, pl);
    return {
      // `tasks`, not cgroup.procs: the helper's child moves itself by writing "0", which
      // skips the kernel's threadgroup lock and the RCU grace period its write side waits
      // for (10-25 ms here). The child is single-threaded, so its one thread is the process.
      procsFiles: this.layout.hierarchies.map((h) => path.join(this.parentDir(h), id, 'tasks')),
      path: path.posix.join(first.root, this.parent, id),
      ...(warnings.length ? { warnings } : {}),
    };
  }

  /**
   * A new v1 cpuset has empty cpus and mems (unless cgroup.clone_children is set), and the
   * kernel refuses to attach a task to it (ENOSPC); copy them from the parent.
   */
  private initCpuset(dir: string, from: string, fresh: boolean, skip: string[]): void {
    const cfs = this.o.fs;
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (skip.includes(f)) continue;
      if (!fresh && readFile(cfs, path.join(dir, f)).trim() !== '') continue;
      const v = readFile(cfs, path.join(from, f)).trim();
      writeFile(cfs, path.join(dir, f), v);
    }
  }

  remove(id: string): void {
    checkName('container', id);
    const dirs = this.layout.hierarchies.map((h) => path.join(this.parentDir(h), id));
    removeAll(this.o.fs, dirs, this.o.removeTimeoutMs);
  }

  list(): string[] {
    return listChildren(this.o.fs, this.layout.hierarchies.map((h) => this.parentDir(h)));
  }

  stats(id: string): CgroupStats {
    checkName('container', id);
    const cfs = this.o.fs;
    const num = (controller: string, file: string): number | undefined => {
      const dir = this.dirOf(controller, id);
      if (!dir) return undefined;
      return parseNumber(readFile(cfs, path.join(dir, file)));
    };
    const memDir = this.dirOf('memory', id);
    const memStat = memDir ? parseFlatKeyed(readOptional(cfs, path.join(memDir, 'memory.stat')) ?? '') : new Map();
    const out: CgroupStats = {
      cpuUsageNs: num('cpuacct', 'cpuacct.usage') ?? 0,
      memoryUsage: num('memory', 'memory.usage_in_bytes') ?? 0,
      memoryLimit: effectiveLimit(num('memory', 'memory.limit_in_bytes'), this.o.hostMemory()),
      pids: num('pids', 'pids.current') ?? 0,
    };
    const inactive = memStat.get('total_inactive_file');
    if (inactive !== undefined) out.memoryInactiveFile = inactive;
    const blkDir = this.dirOf('blkio', id);
    const blk = blkDir && readOptional(cfs, path.join(blkDir, 'blkio.throttle.io_service_bytes_recursive'));
    if (blk !== undefined) {
      const io = parseBlockIo(blk);
      out.blockRead = io.read;
      out.blockWrite = io.write;
    }
    return out;
  }

  /** memory.oom_control's `oom_kill` counter (kernel 4.13+); false on kernels without it. */
  oomKilled(id: string): boolean {
    checkName('container', id);
    const dir = this.dirOf('memory', id);
    if (!dir) return false;
    const m = parseFlatKeyed(readFile(this.o.fs, path.join(dir, 'memory.oom_control')));
    return (m.get('oom_kill') ?? 0) > 0;
  }

  /** Pids in the container's cgroup (to kill what a crashed monitor left behind). */
  procs(id: string): number[] {
    checkName('container', id);
    const h = this.layout.byController.pids ?? this.layout.hierarchies[0];
    const text = readOptional(this.o.fs, path.join(this.parentDir(h), id, 'cgroup.procs'));
    return text === undefined ? [] : parsePids(text);
  }

  /** Removes the engine's parent cgroup in every hierarchy; fails (EBUSY) while containers remain. */
  removeParent(): void {
    removeParentDirs(this.o.fs, this.layout.hierarchies.map((h) => this.parentDir(h)));
  }
}
