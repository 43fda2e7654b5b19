/**
 * `run` flags for volumes: -v/--volume, --mount, --tmpfs (--read-only is a flag of run
 * itself). They are parsed and checked here, before the engine is opened, so that a bad
 * value gets one line and exit 125 and nothing at all is created.
 */
import type { Command } from 'commander';
import type { HostConfig } from '../../engine/containers';
import { mountFlagsToHostConfig } from '../../volume/hostconfig';
import { hostParseEnv } from '../../volume/hostenv';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(cmd: Command): void {
  cmd
    .option('-v, --volume <list>', 'bind mount a volume', collect)
    .option('--mount <mount>', 'attach a filesystem mount to the container', collect)
    .option('--tmpfs <tmpfs>', 'mount a tmpfs directory', collect);
}

export function toHostConfig(o: Record<string, unknown>, cwd: string): Partial<HostConfig> {
  const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);
  const volumes = list(o.volume);
  const mounts = list(o.mount);
  const tmpfs = list(o.tmpfs);
  if (!volumes && !mounts && !tmpfs) return { Binds: null };
  const hc = mountFlagsToHostConfig({ volumes, mounts, tmpfs }, hostParseEnv(cwd));
  return { ...hc, Mounts: hc.Mounts as Array<Record<string, unknown>> | undefined };
}
