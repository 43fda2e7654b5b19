/** Container records written straight into a temporary engine root (no kernel needed). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../../src/engine/engine';
import { ContainerRecord, ZERO_TIME } from '../../../src/engine/containers';

export function tempEngine(): { engine: Engine; cleanup: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-unit-'));
  return { engine: new Engine(root), cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

let counter = 0;

export interface Fake {
  name: string;
  status?: 'created' | 'exited';
  exitCode?: number;
  created?: string;
  image?: string;
  labels?: Record<string, string>;
  args?: string[];
  id?: string;
}

export function addRecord(engine: Engine, f: Fake): ContainerRecord {
  const id = f.id ?? (String(++counter).padStart(4, '0') + 'a'.repeat(60)).slice(0, 64);
  const exited = (f.status ?? 'exited') === 'exited';
  const rec: ContainerRecord = {
    Id: id,
    Created: f.created ?? new Date(Date.now() - 60_000 + counter * 1000).toISOString(),
    Path: 'sh',
    Args: f.args ?? ['-c', `exit ${f.exitCode ?? 0}`],
    State: {
      Status: exited ? 'exited' : 'created',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: f.exitCode ?? 0,
      Error: '',
      StartedAt: exited ? new Date(Date.now() - 30_000).toISOString() : ZERO_TIME,
      FinishedAt: exited ? new Date(Date.now() - 20_000).toISOString() : ZERO_TIME,
    },
    Image: 'sha256:' + 'b'.repeat(64),
    Name: '/' + f.name,
    Config: {
      Hostname: id.slice(0, 12),
      Domainname: '',
      User: '',
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: ['PATH=/bin'],
      Cmd: ['sh'],
      Image: f.image ?? 'busybox',
      Volumes: null,
      WorkingDir: '',
      Entrypoint: null,
      Labels: f.labels ?? {},
    },
    HostConfig: { AutoRemove: false, NetworkMode: 'none' },
    Mounts: [],
    LayerDirs: [],
  };
  fs.mkdirSync(path.join(engine.containers.dir(id), 'upper'), { recursive: true });
  engine.containers.reserveName(f.name, id);
  engine.containers.save(rec);
  return rec;
}
