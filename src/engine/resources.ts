/**
 * Resource limits: HostConfig (Docker's fields, as recorded) -> cgroup limits.
 * Filled in with the cgroups work; today no limits are derived.
 */
import type { CgroupLimits } from '../cgroups/types';
import type { HostConfig } from './containers';

export function cgroupLimitsOf(_hc: HostConfig): CgroupLimits {
  return {};
}
