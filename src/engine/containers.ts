/**
 * Container records: one directory per container under containers/<id>, holding the
 * Docker-shaped record (config.json), the overlay's upper and work dirs, the mount
 * point of the rootfs, and the files bind-mounted onto /etc.
 */
import fs = require('node:fs');
import path = require('node:path');
import { randomHex } from '../sys/random';
import { ConflictError, NotFoundError, UsageError } from '../common/errors';
import { Paths } from '../state/paths';
import { readJson, writeJsonAtomic, unlinkIfExists } from '../state/store';
import { VALID_NAME, generateName } from './names';
import { withLock } from '../state/lock';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface ContainerRecord {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** image id, sha256:... */
  Image: string;
  Name: string;
  Config: {
    Hostname: string;
    Domainname: string;
    User: string;
    AttachStdin: boolean;
    AttachStdout: boolean;
    AttachStderr: boolean;
    Tty: boolean;
    OpenStdin: boolean;
    StdinOnce: boolean;
    Env: string[];
    Cmd: string[] | null;
    /** the reference the user typed, e.g. "busybox" */
    Image: string;
    Volumes: Record<string, object> | null;
    WorkingDir: string;
    Entrypoint: string[] | null;
    Labels: Record<string, string>;
  };
  HostConfig: HostConfig;
  Mounts: MountPoint[];
  /** engine-private: layer dirs of the image, lowest first, captured at create */
  LayerDirs: string[];
}

/**
 * Docker's HostConfig fields. The CLI's flag modules fill them at create; everything a
 * start needs (limits, mounts, security) is derived from them again, so that a
 * stopped container can be started with exactly its settings.
 */
export interface HostConfig {
  AutoRemove: boolean;
  ReadonlyRootfs?: boolean;
  NetworkMode?: string;
  /** -v specs as typed */
  Binds?: string[] | null;
  /** --mount specs, parsed (Docker's HostConfig.Mounts shape) */
  Mounts?: Array<Record<string, unknown>>;
  /** --tmpfs: path -> options */
  Tmpfs?: Record<string, string>;
  // resources (Docker's names and units)
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  OomKillDisable?: boolean;
  // security
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Privileged?: boolean;
  SecurityOpt?: string[] | null;
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }> | null;
  [key: string]: unknown;
}

/** An entry of Docker's `Mounts` array in inspect. */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  [key: string]: unknown;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export class ContainerStore {
  constructor(private readonly p: Paths) {}

  dir(id: string): string {
    return path.join(this.p.containersDir, id);
  }

  file(id: string, name: string): string {
    return path.join(this.p.containersDir, id, name);
  }

  newId(): string {
    return randomHex(32);
  }

  /**
   * Reserve a name atomically: names/<name> is created with O_EXCL, so of two racing
   * creators exactly one wins. A reservation whose container no longer exists (a crash
   * between reservation and record) is taken over.
   */
  reserveName(name: string | undefined, id: string): string {
    fs.mkdirSync(this.p.namesDir, { recursive: true });
    if (name !== undefined) {
      if (!VALID_NAME.test(name)) {
        throw new UsageError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      }
      name = name.replace(/^\//, '');
      if (this.tryReserve(name, id)) return name;
      const owner = this.nameOwner(name);
      throw new ConflictError(
        `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    for (let i = 0; ; i++) {
      const n = generateName(i);
      if (this.tryReserve(n, id)) return n;
    }
  }

  private tryReserve(name: string, id: string): boolean {
    const f = path.join(this.p.namesDir, name);
    // link(2) publishes the file whole or not at all: a reader never sees it empty.
    const tmp = `${f}.${id}.new`;
    fs.writeFileSync(tmp, id);
    try {
      fs.linkSync(tmp, f);
      return true;
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
    } finally {
      unlinkIfExists(tmp);
    }
    // Stale reservation? Only if its container directory is gone (creators make their
    // directory before reserving a name). Taking one over is serialized by a lock, so
    // that of two takers only one wins; the kernel drops the lock if we die.
    const owner = this.nameOwner(name);
    if (!owner || owner === id || fs.existsSync(this.dir(owner))) return false;
    return withLock(path.join(this.p.namesDir, '.takeover.lock'), () => {
      if (this.nameOwner(name) !== owner || fs.existsSync(this.dir(owner))) return false;
      fs.writeFileSync(`${f}.${id}.take`, id);
      fs.renameSync(`${f}.${id}.take`, f);
      return true;
    });
  }

  nameOwner(name: string): string | undefined {
    try {
      return fs.readFileSync(path.join(this.p.namesDir, name), 'utf8');
    } catch {
      return undefined;
    }
  }

  releaseName(name: string, id: string): void {
    if (this.nameOwner(name) === id) unlinkIfExists(path.join(this.p.namesDir, name));
  }

  save(rec: ContainerRecord): void {
    writeJsonAtomic(this.file(rec.Id, 'config.json'), rec);
  }

  get(id: string): ContainerRecord | undefined {
    return readJson<ContainerRecord>(this.file(id, 'config.json'));
  }

  ids(): string[] {
    try {
      return fs.readdirSync(this.p.containersDir).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch {
      return [];
    }
  }

  list(): ContainerRecord[] {
    const out: ContainerRecord[] = [];
    for (const id of this.ids()) {
      const r = this.get(id);
      if (r) out.push(r);
    }
    return out;
  }

  /** Find by full id, name, or unique id prefix (Docker's order). */
  resolve(ref: string): ContainerRecord {
    // Only an id or a valid name is ever turned into a path under names/.
    if (!/^[0-9a-f]{1,64}$/.test(ref) && !VALID_NAME.test(ref)) {
      throw new NotFoundError(`Error response from daemon: No such container: ${ref}`, { exitCode: 1 });
    }
    const byId = /^[0-9a-f]{64}$/.test(ref) ? this.get(ref) : undefined;
    if (byId) return byId;
    const owner = this.nameOwner(ref.replace(/^\//, ''));
    if (owner) {
      const r = this.get(owner);
      if (r) return r;
    }
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = this.ids().filter((id) => id.startsWith(ref));
      if (matches.length > 1) throw new UsageError(`Error response from daemon: multiple IDs found with provided prefix: ${ref}`);
      if (matches.length === 1) {
        const r = this.get(matches[0]);
        if (r) return r;
      }
    }
    throw new NotFoundError(`Error response from daemon: No such container: ${ref}`, { exitCode: 1 });
  }
}
