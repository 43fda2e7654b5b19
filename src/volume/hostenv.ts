/**
 * The real host facts the pure `-v/--mount` parser asks for (see ParseEnv in ./parse).
 */
import fs = require('node:fs');
import type { ParseEnv } from './parse';

/**
 * Does the path exist, following symlinks as stat(2) does? ENOENT and ENOTDIR mean no; any
 * other failure (EACCES, ELOOP, ...) is reported, as Docker reports its stat error.
 */
export function hostPathExists(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new Error(`stat ${p}: ${(e as Error).message.replace(/^[A-Z]+: /, '').replace(/, stat .*$/, '')}`);
  }
}

export function hostParseEnv(cwd: string = process.cwd()): ParseEnv {
  return { cwd, exists: hostPathExists };
}
