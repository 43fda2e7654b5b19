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
