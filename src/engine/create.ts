/**
 * `create`: the container's record and directories. Nothing is mounted here: every
 * mount is made by the helper inside the container's own mount namespace at start.
 */
import fs = require('node:fs');
import path = require('node:path');
import { ContainerRecord, HostConfig, ZERO_TIME } from './containers';
import { resolveProcess, ProcessFlags } from '../spec/process';
import { etcHosts, resolvConf } from '../spec/etc';
import type { Image } from '../image/types';
import type { Engine } from './engine';
import { setupMounts } from './volumes';
import { removeContainer } from './teardown';

export interface CreateOptions extends ProcessFlags {
  image: string;
  interactive: boolean;
  name?: string;
  /** HostConfig fields from the flag modules (resources, mounts, security, AutoRemove) */
  hostConfig: Partial<HostConfig> & { AutoRemove: boolean };
}

function hostResolvConf(): string {
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

export function createContainer(engine: Engine, image: Image, opts: CreateOptions): ContainerRecord {
  const store = engine.containers;
  const id = store.newId();
  const proc = resolveProcess(image.config.config, opts, id);
  const dir = store.dir(id);
  // The directory first, the name second: a reservation whose directory does not exist
  // is known to be stale (see ContainerStore.reserveName).
  fs.mkdirSync(dir, { mode: 0o700 });
  let name: string;
  try {
    name = store.reserveName(opts.name, id);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const now = new Date().toISOString();
  const rec: ContainerRecord = {
    Id: id,
    Created: now,
    Path: proc.argv[0],
    Args: proc.argv.slice(1),
    State: {
      Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
      Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
    },
    Image: image.id,
    Name: '/' + name,
    Config: {
      Hostname: proc.hostname,
      Domainname: '',
      User: opts.user ?? image.config.config.User ?? '',
      AttachStdin: opts.interactive,
      AttachStdout: true,
      AttachStderr: true,
      Tty: opts.tty,
      OpenStdin: opts.interactive,
      StdinOnce: opts.interactive,
      Env: proc.configEnv,
      Cmd: proc.cmd,
      Image: opts.image,
      Volumes: image.config.config.Volumes ?? null,
      WorkingDir: opts.workdir ?? image.config.config.WorkingDir ?? '',
      Entrypoint: proc.entrypoint,
      Labels: image.config.config.Labels ?? {},
    },
    HostConfig: { NetworkMode: 'none', ...opts.hostConfig },
    Mounts: [],
    LayerDirs: image.layerDirs,
  };
  try {
    for (const d of ['upper', 'work', 'merged']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'hostname'), proc.hostname + '\n');
    fs.writeFileSync(path.join(dir, 'hosts'), etcHosts(null, proc.hostname));
    fs.writeFileSync(path.join(dir, 'resolv.conf'), resolvConf(hostResolvConf()));
    setupMounts(engine, rec, image);
    store.save(rec);
    return rec;
  } catch (e) {
    removeContainer(engine, rec, { removeAnonymousVolumes: true });
    throw e;
  }
}
