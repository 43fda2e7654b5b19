/**
 * flock(2)-based locks: the kernel releases a lock when its holder dies, so a crash
 * never leaves a resource locked. The lock file itself stays (it is never the state).
 */
import fs = require('node:fs');

// (Node opens every file close-on-exec.)
export function withLock<T>(file: string, fn: () => T): T {
  // Loaded on first use: the FFI library costs start-up time the common path avoids.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { fsx } = require('../sys/fsx') as typeof import('../sys/fsx');
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    fsx.flock(fd, 'ex');
    return fn();
  } finally {
    fs.closeSync(fd);
  }
}
