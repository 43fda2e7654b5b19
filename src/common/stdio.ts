/**
 * Our own output, written straight to fd 1 and 2. `process.stdout` and `process.stderr` are
 * created on first use and load Node's stream modules (and `net` for a pipe, `tty` for a
 * terminal): milliseconds on every command that prints. A plain write(2) is what those
 * streams do on Linux anyway (they are synchronous for files, pipes and terminals).
 */
import fs = require('node:fs');

/** Waits `ms` without spinning (a pipe that is full and non-blocking: give the reader time). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') pause(1);
      // The reader is gone (`mydocker ps | head -1`), or the descriptor was closed for us:
      // what is left has no one to read it.
      else if (code === 'EPIPE' || code === 'EBADF') return;
      else throw e;
    }
  }
}

export function writeOut(text: string): void {
  writeAll(1, text);
}

export function writeErr(text: string): void {
  writeAll(2, text);
}
