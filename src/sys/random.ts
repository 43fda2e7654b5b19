/**
 * Random bytes and hashing without loading node:crypto up front: crypto costs several
 * milliseconds to load, more than the rest of a container start's own work. Random ids
 * come from the kernel's /dev/urandom; sha256 loads crypto only when a hash is needed.
 */
import fs = require('node:fs');

export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    fs.readSync(fd, buf, 0, bytes, null);
  } finally {
    fs.closeSync(fd);
  }
  return buf.toString('hex');
}

/** A uniform integer in [0, n) for small n. */
export function randomIndex(n: number): number {
  const r = parseInt(randomHex(4), 16);
  return r % n;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const crypto = (): typeof import('node:crypto') => require('node:crypto');

export function sha256Hex(data: Buffer | string): string {
  return crypto().createHash('sha256').update(data).digest('hex');
}

export function createSha256(): import('node:crypto').Hash {
  return crypto().createHash('sha256');
}
