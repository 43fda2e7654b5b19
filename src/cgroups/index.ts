/**
 * cgroups: resource limits and figures for containers, on v1, v2 or hybrid hosts.
 *
 *   const cg = openCgroups();                  // discovers this host's layout
 *   const limits = parseLimits(flags);         // UsageError (exit 125) on bad input
 *   const placement = cg.create(id, limits);   // the helper writes the pid into placement.procsFiles
 *   ...
 *   const oom = cg.oomKilled(id);
 *   cg.remove(id);
 */
import fs = require('node:fs');
import type { DriverOptions } from './common';
import { type CgroupLayout, discover } from './discover';
import type { CgroupFs } from './fs';
import type { CgroupDriver } from './types';
import { V1Driver } from './v1';
import { V2Driver } from './v2';

export * from './types';
export { DEFAULT_PARENT, type DriverOptions } from './common';
export { CgroupError, type CgroupFs, parseBlockIo, realCgroupFs } from './fs';
export {
  type CgroupLayout,
  type DiscoverOptions,
  type Hierarchy,
  type MountEntry,
  REQUIRED_CONTROLLERS,
  V1_CONTROLLERS,
  discover,
  parseMountinfo,
  parseProcCgroup,
} from './discover';
export {
  type CgroupWrite,
  type CurrentV1,
  type V1PlanLayout,
  type V2PlanLayout,
  planV1,
  planV2,
  sharesToWeight,
  warningsV1,
  warningsV2,
} from './plan';
export {
  FLAG_NAMES,
  type HostInfo,
  MIN_MEMORY,
  type ResourceFlags,
  parseLimits,
  parseNanoCpus,
  parseUintList,
  ramInBytes,
} from './limits';
export { V1Driver } from './v1';
export { V2Driver, V2_CONTROLLERS } from './v2';

/** A driver with the engine-side extras (garbage collection, tests). */
export interface EngineCgroups extends CgroupDriver {
  readonly layout: CgroupLayout;
  /** the parent cgroup's name under each hierarchy root */
  readonly parent: string;
  /** pids still in the container's cgroup ([] when it does not exist) */
  procs(id: string): number[];
  /** removes the (empty) parent cgroup in every hierarchy; ENOENT is fine, EBUSY is an error */
  removeParent(): void;
}

export interface OpenCgroupsOptions extends DriverOptions {
  /** mountinfo text (default: /proc/self/mountinfo) */
  mountinfo?: string;
  /** prefix for every cgroup file path (a fixture tree in tests); default "" */
  fsRoot?: string;
}

/** Discovers this host's cgroup layout and returns the matching driver. Spawns nothing. */
export function openCgroups(opts: OpenCgroupsOptions = {}): EngineCgroups {
  const text = opts.mountinfo ?? fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const cfs: CgroupFs | undefined = opts.fs;
  const layout = discover(text, {
    fsRoot: opts.fsRoot,
    ...(cfs ? { readFile: (f: string) => cfs.read(f) } : {}),
  });
  return layout.version === 2 ? new V2Driver(layout, opts) : new V1Driver(layout, opts);
}
