/**
 * Security settings of a container's process, derived from its record at start.
 * Filled in with the security work; today the process keeps the helper's defaults.
 */
import type { SecuritySettings } from '../spec/plan';
import type { ContainerRecord } from './containers';
import type { Engine } from './engine';

export function securityOf(_engine: Engine, _rec: ContainerRecord): SecuritySettings {
  return {};
}

/**
 * At start, after the resource cgroups: the device cgroup that allows only the default
 * device nodes. Returns more cgroup.procs files for the helper to place the pid in.
 */
export function setupDeviceCgroup(_engine: Engine, _rec: ContainerRecord): string[] {
  return [];
}

/** At the container's end (idempotent): remove the device cgroup. */
export function removeDeviceCgroup(_engine: Engine, _id: string): void {}
