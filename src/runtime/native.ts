/**
 * The CLI's Node-API addon (native/addon.c, built next to the helper): the helper's
 * spawn, isatty and the window size, without child_process, net or tty; and the
 * file-system calls Node lacks.
 */
import path = require('node:path');
import fs = require('node:fs');

export interface NativeAddon {
  /** starts the helper with fd 3 a socket to us and fd 4 `planFd`; stdio ours, or /dev/null */
  spawnHelper(file: string, planFd: number, detach: boolean): { pid: number; ctl: number };
  /** true once the exited child is reaped (or is not ours), false while it runs */
  reap(pid: number): boolean;
  isatty(fd: number): boolean;
  winsize(fd: number): { rows: number; cols: number } | null;
  // file-system calls (src/sys/fsx.ts): 0, a value, or -errno
  mknod(path: string, mode: number, major: number, minor: number): number;
  lsetxattr(path: string, name: string, value: Buffer): number;
  lgetxattr(path: string, name: string): Buffer | number;
  llistxattr(path: string): Buffer | number;
  flock(fd: number, exclusive: boolean): number;
}

/** Where the built native files live: next to the bundle (dist/ -> native/build/) or the sources. */
export function nativeBuildFile(name: string): string {
  const candidates = [path.join(__dirname, '..', 'native', 'build', name), path.join(__dirname, '..', '..', 'native', 'build', name)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return candidates[0];
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (addon) return addon;
  const file = nativeBuildFile('mydocker.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(file) as NativeAddon;
  } catch (e) {
    throw new Error(`the native addon ${file} cannot be loaded (build it: make -C native): ${(e as Error).message}`);
  }
  return addon;
}
