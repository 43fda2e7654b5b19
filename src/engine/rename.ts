/**
 * `rename OLD NEW`: the new name is reserved first (names/<new>, created O_EXCL, so of
 * two racing renames or creates exactly one gets it), then the record is rewritten,
 * then the old name is released. Renames are serialized by a lock; a crash between the
 * steps leaves at most a reservation whose container carries another name, which the
 * next rename of that name repairs (a reservation is only trusted if the record agrees).
 */
import fs = require('node:fs');
import path = require('node:path');
import { MydockerError } from '../common/errors';
import { withLock } from '../state/lock';
import type { Engine } from './engine';
import { VALID_NAME } from './names';
import { resolveFresh } from './query';

/** One line, exit 1, as docker: "failed to rename container: <the daemon's reason>". */
function failed(reason: string): MydockerError {
  return new MydockerError(`failed to rename container: ${reason}`, { exitCode: 1 });
}

function daemonError(msg: string): MydockerError {
  return failed(`Error response from daemon: ${msg}`);
}

/** The lock every rename takes (the kernel drops it if its holder dies). */
export function renameLockFile(engine: Engine): string {
  fs.mkdirSync(engine.paths.locksDir, { recursive: true, mode: 0o700 });
  return path.join(engine.paths.locksDir, 'rename.lock');
}

/**
 * Frees names/<name> if it was left by a rename that crashed: its container exists but
 * is called something else. A reservation whose record is not written yet (a create in
 * progress) is left alone. Call with the rename lock held.
 */
export function repairReservation(engine: Engine, name: string): void {
  const owner = engine.containers.nameOwner(name);
  if (!owner || !/^[0-9a-f]{64}$/.test(owner)) return;
  const rec = engine.containers.get(owner);
  if (rec && rec.Name !== `/${name}`) engine.containers.releaseName(name, owner);
}

export async function renameContainer(engine: Engine, oldRef: string, newName: string): Promise<void> {
  const from = oldRef.trim();
  let to = newName.trim();
  if (from.replace(/^\//, '') === '' || to.replace(/^\//, '') === '') throw daemonError('Neither old nor new names may be empty');
  let rec;
  try {
    rec = await resolveFresh(engine, from);
  } catch (e) {
    if (e instanceof MydockerError) throw failed(e.message);
    throw e;
  }
  if (!to.startsWith('/')) to = '/' + to;
  if (rec.Name === to) throw daemonError('Renaming a container with the same name as its current name');
  if (!VALID_NAME.test(to)) {
    throw daemonError(`Error when allocating new name: Invalid container name (${to}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  const id = rec.Id;
  const name = to.slice(1);
  withLock(renameLockFile(engine), () => {
    repairReservation(engine, name);
    try {
      engine.containers.reserveName(name, id);
    } catch (e) {
      if (e instanceof MydockerError) throw daemonError(`Error when allocating new name: ${e.message}`);
      throw e;
    }
    // The record as it is now (its state may have changed since it was resolved).
    const now = engine.containers.get(id);
    if (!now) {
      engine.containers.releaseName(name, id);
      throw daemonError(`No such container: ${from}`);
    }
    const old = now.Name.replace(/^\//, '');
    try {
      now.Name = to;
      engine.containers.save(now);
    } catch (e) {
      engine.containers.releaseName(name, id);
      throw e;
    }
    engine.containers.releaseName(old, id);
  });
}
