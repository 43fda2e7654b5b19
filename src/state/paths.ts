import path = require('node:path');

/** Default engine root; `--root` and MYDOCKER_ROOT override it. */
export const DEFAULT_ROOT = '/var/lib/mydocker';

export function resolveRoot(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag || env.MYDOCKER_ROOT || DEFAULT_ROOT);
}

/**
 * Every on-disk location of the engine, derived from one root so that tests can run
 * side by side in temporary roots.
 */
export interface Paths {
  root: string;
  /** image/repositories.json, image/configs/<hex>.json */
  imageDir: string;
  /** layers/<chain-id hex>/diff (extracted, read-only lower dirs), layers/<hex>/meta.json */
  layersDir: string;
  /** containers/<id>/{config.json,upper,work,merged,hostname,hosts,resolv.conf} */
  containersDir: string;
  /** names/<name> -> container id (created O_EXCL: the atomic name reservation) */
  namesDir: string;
  /** volumes/<name>/_data */
  volumesDir: string;
  /** tmp/ for atomic writes and staging on the same file system */
  tmpDir: string;
  /** locks/ */
  locksDir: string;
}

export function paths(root: string): Paths {
  return {
    root,
    imageDir: path.join(root, 'image'),
    layersDir: path.join(root, 'layers'),
    containersDir: path.join(root, 'containers'),
    namesDir: path.join(root, 'names'),
    volumesDir: path.join(root, 'volumes'),
    tmpDir: path.join(root, 'tmp'),
    locksDir: path.join(root, 'locks'),
  };
}
