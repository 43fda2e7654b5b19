/**
 * The engine's context for one command: its root, and the stores and drivers it
 * needs, opened lazily so that a command pays only for what it uses.
 */
import fs = require('node:fs');
import path = require('node:path');
import { NotFoundError } from '../common/errors';
import { Paths, paths } from '../state/paths';
import { readJson, writeJsonAtomic } from '../state/store';
import { ContainerStore } from './containers';
import type { CgroupDriver } from '../cgroups/types';
import type { Image } from '../image/types';
import { ImageStore } from '../image/store';
import { normalizeReference } from '../image/reference';
import { ensureBusybox } from '../image/busybox';
import { openCgroups } from '../cgroups';

/** A started container's run, as recorded for crash repair (`running/<id>`). */
export interface RunInfo {
  pid: number;
  monitor: number;
  /** no CLI waits for the monitor's exit report (run -d, start without -a) */
  detached?: boolean;
}

export class Engine {
  readonly paths: Paths;
  readonly containers: ContainerStore;
  private imageStore?: ImageStore;
  private cgroupDriver?: CgroupDriver;

  constructor(readonly root: string) {
    this.paths = paths(root);
    for (const d of [this.paths.root, this.paths.containersDir, path.join(root, 'running')]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o711 });
    }
    this.containers = new ContainerStore(this.paths);
  }

  get images(): ImageStore {
    return (this.imageStore ??= new ImageStore(this.paths));
  }

  cgroups(): CgroupDriver {
    return (this.cgroupDriver ??= openCgroups({ parent: process.env.MYDOCKER_CGROUP_PARENT || 'mydocker' }));
  }

  /**
   * Finds an image; the built-in busybox is created from the host's static busybox the
   * first time it is asked for (no registry is reachable here).
   */
  resolveImage(ref: string): Image {
    const found = this.images.lookup(ref);
    if (found) return found;
    const name = normalizeReference(ref);
    if (name === 'busybox:latest') return ensureBusybox(this.images, this.paths);
    throw new NotFoundError(`Unable to find image '${name}' locally`);
  }

  /**
   * Records a started container for crash repair: its pid and its monitor's, and whether
   * the monitor runs detached (no CLI waits for its exit report).
   */
  markRunning(id: string, pid: number, monitor: number, detached: boolean): void {
    const info: RunInfo = { pid, monitor, detached };
    writeJsonAtomic(path.join(this.root, 'running', id), info);
  }

  /** What markRunning recorded for the container's current run, if it is recorded as running. */
  runInfo(id: string): RunInfo | undefined {
    return readJson<RunInfo>(path.join(this.root, 'running', id));
  }

  /** The command the monitor runs when the CLI is gone at the container's end. */
  cleanupCommand(id: string): string[] {
    const script = process.argv[1] ? path.resolve(process.argv[1]) : '';
    return [process.execPath, '--', script, '--root', this.root, 'container', 'cleanup', id];
  }
}
