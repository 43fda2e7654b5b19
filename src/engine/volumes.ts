/**
 * Container mounts: volumes, binds and tmpfs from HostConfig -> the recorded Mounts and
 * the helper's planned mounts. Filled in with the volumes work; today there are none.
 */
import type { PlannedMount } from '../spec/plan';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';
import type { Image } from '../image/types';

/** At create: resolve -v/--mount/--tmpfs, create named/anonymous volumes, fill rec.Mounts. */
export function setupMounts(_engine: Engine, _rec: ContainerRecord, _image: Image): void {}

/** At start: the mounts the helper makes, parents first. */
export function plannedMounts(_engine: Engine, _rec: ContainerRecord): PlannedMount[] {
  return [];
}

/** At removal: with removeAnonymous (--rm, rm -v), delete the container's anonymous volumes. */
export function releaseMounts(_engine: Engine, _rec: ContainerRecord, _opts: { removeAnonymous: boolean }): void {}
