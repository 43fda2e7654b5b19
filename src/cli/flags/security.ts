/** `run` flags for security: registration and their translation into HostConfig fields. */
import type { Command } from 'commander';
import type { HostConfig } from '../../engine/containers';

export function register(_cmd: Command): void {}

export function toHostConfig(_o: Record<string, unknown>, _cwd: string): Partial<HostConfig> {
  return {};
}
