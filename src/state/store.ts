/** Crash-safe state files: write a temp file beside the target, then rename over it. */
import fs = require('node:fs');
import path = require('node:path');

let counter = 0;

/**
 * Removes a file if it is there. (fs.rmSync would do, but its first call loads Node's
 * recursive-removal code: milliseconds on every container start.)
 */
export function unlinkIfExists(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (e: any) {
    if (e.code !== 'ENOENT') throw e;
  }
}

export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  fs.writeFileSync(tmp, data, { mode });
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    unlinkIfExists(tmp);
    throw e;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e: any) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw e;
  }
  return JSON.parse(text) as T;
}
