/**
 * Start-up timeline for benchmarks: with MYDOCKER_TRACE=1, bin/mydocker collects named
 * marks (ms since the process started) and prints them on stderr at exit. Without it a
 * mark costs one property lookup.
 */
export function mark(name: string): void {
  (globalThis as { __mydockerMark?: (n: string) => void }).__mydockerMark?.(name);
}
