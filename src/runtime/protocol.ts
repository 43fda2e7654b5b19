/**
 * The wire protocol between the engine and the C helper (native/shim.c).
 *
 * A plan is an ordered list of operations; each is an array of strings whose first
 * element names the op. The helper carries them out in order between clone() and
 * execve(); it makes no decisions of its own.
 */
export type Op = readonly string[];

/** Linux mount(2) flags used by the planner. */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  BIND: 0x1000,
  REC: 0x4000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  STRICTATIME: 0x1000000,
} as const;

/** clone(2) namespace flags. */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}

/** "<len>\n" then records "<n>\0f1\0...fn\0". Strings must not contain NUL. */
export function encodePlan(ops: readonly Op[]): Buffer {
  const parts: string[] = [];
  for (const op of ops) {
    parts.push(String(op.length));
    for (const f of op) {
      if (f.includes('\0')) throw new Error(`plan field contains a NUL byte: ${JSON.stringify(f)}`);
      parts.push(f);
    }
  }
  const body = Buffer.from(parts.join('\0') + '\0', 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

/** What the helper reports, one JSON line each. */
export interface ShimError {
  op: string;
  errno: number;
  args: string[];
}
export type ShimMessage =
  | { pid: number; startedAt: string }
  | { error: ShimError }
  | { exit: number; signal: number; finishedAt: string };
