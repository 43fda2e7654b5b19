/**
 * Device rules, in the kernel's v1 `devices.allow` syntax ("c 1:3 rwm", "b *:* m", "a"),
 * and their cgroup v2 form: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE.
 *
 * cgroup v2 has no device files. The kernel runs the programs attached to a task's cgroup
 * (BPF_CGROUP_DEVICE) on every open and mknod of a device node, with a context
 *
 *   struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
 *
 * where access_type is (access << 16) | type, access a set of BPF_DEVCG_ACC_MKNOD (1),
 * READ (2) and WRITE (4), and type BPF_DEVCG_DEV_BLOCK (1) or CHAR (2). Returning 1
 * allows the access, 0 refuses it with EPERM. The program built here allows what the
 * first matching rule allows and refuses everything else, as the v1 controller does after
 * `devices.deny a`.
 */

/**
 * Docker's default device rules: nothing but the nodes /dev holds (null, zero, full,
 * random, urandom, tty, console, ptmx) and the pseudo-terminals; mknod of any node is
 * allowed (`m`), but a node made for anything else cannot be opened.
 */
export const DEFAULT_DEVICE_RULES: readonly string[] = Object.freeze([
  'c *:* m',
  'b *:* m',
  'c 1:3 rwm',
  'c 1:5 rwm',
  'c 1:7 rwm',
  'c 1:8 rwm',
  'c 1:9 rwm',
  'c 5:0 rwm',
  'c 5:1 rwm',
  'c 5:2 rwm',
  'c 136:* rwm',
]);

export const DEV_BLOCK = 1;
export const DEV_CHAR = 2;
export const ACC_MKNOD = 1;
export const ACC_READ = 2;
export const ACC_WRITE = 4;

export interface DeviceRule {
  /** 'a' (any), 'b' (block) or 'c' (character) */
  type: 'a' | 'b' | 'c';
  /** undefined for `*` */
  major?: number;
  minor?: number;
  /** a set of ACC_* bits */
  access: number;
}

/** Parses one rule of the v1 syntax: `type major:minor access`, or `a` alone (everything). */
export function parseDeviceRule(text: string): DeviceRule {
  if (text.trim() === 'a') return { type: 'a', access: ACC_MKNOD | ACC_READ | ACC_WRITE };
  const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]{1,3})$/.exec(text.trim());
  if (!m) throw new Error(`invalid device rule: ${JSON.stringify(text)}`);
  const num = (s: string): number | undefined => {
    if (s === '*') return undefined;
    const n = Number(s);
    // a jump's immediate is a signed 32-bit number (majors have 12 bits, minors 20)
    if (!Number.isSafeInteger(n) || n > 0x7fffffff) throw new Error(`invalid device number in ${JSON.stringify(text)}`);
    return n;
  };
  let access = 0;
  for (const c of m[4]) access |= c === 'm' ? ACC_MKNOD : c === 'r' ? ACC_READ : ACC_WRITE;
  return { type: m[1] as DeviceRule['type'], major: num(m[2]), minor: num(m[3]), access };
}

// eBPF encoding (linux/bpf.h): one instruction is 8 bytes,
// { u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm }.
const BPF_LDX = 0x01, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_ALU64 = 0x07;
const BPF_W = 0x00, BPF_MEM = 0x60, BPF_K = 0x00;
const BPF_AND = 0x50, BPF_RSH = 0x70, BPF_MOV = 0xb0;
const BPF_JNE = 0x50, BPF_EXIT = 0x90, BPF_X = 0x08;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/**
 * The program for a rule list (first match wins, no match refuses). Registers: r2 the
 * device type, r3 the requested access, r4 major, r5 minor; r1 (the context) is reused as
 * scratch once they are loaded.
 */
export function deviceFilterInsns(rules: readonly DeviceRule[]): Insn[] {
  const out: Insn[] = [
    ins(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0), // r2 = ctx->access_type
    ins(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff), // r2 &= 0xffff: the type
    ins(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0), // r3 = ctx->access_type
    ins(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16), // r3 >>= 16: the access
    ins(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0), // r4 = ctx->major
    ins(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0), // r5 = ctx->minor
  ];
  for (const r of rules) {
    // Each test jumps over the rest of this rule's block when it does not match.
    const tests: Array<(skip: number) => Insn[]> = [];
    if (r.type !== 'a') tests.push((skip) => [ins(BPF_JMP | BPF_JNE | BPF_K, 2, 0, skip, r.type === 'b' ? DEV_BLOCK : DEV_CHAR)]);
    const all = ACC_MKNOD | ACC_READ | ACC_WRITE;
    if ((r.access & all) !== all) {
      // the request must be a subset of the rule's access: (r3 & rule) == r3
      tests.push((skip) => [
        ins(BPF_ALU64 | BPF_MOV | BPF_X, 1, 3, 0, 0), // r1 = r3
        ins(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, r.access), // r1 &= rule
        ins(BPF_JMP | BPF_JNE | BPF_X, 1, 3, skip, 0), // r1 != r3: no match
      ]);
    }
    if (r.major !== undefined) tests.push((skip) => [ins(BPF_JMP | BPF_JNE | BPF_K, 4, 0, skip, r.major! | 0)]);
    if (r.minor !== undefined) tests.push((skip) => [ins(BPF_JMP | BPF_JNE | BPF_K, 5, 0, skip, r.minor! | 0)]);
    const allow = [ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1), ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)];
    // Lay the block out from its end, so that each test knows how far the end is.
    let block = allow;
    // (a test's jump is its last instruction: it skips what follows it in the block)
    for (const t of [...tests].reverse()) block = [...t(block.length), ...block];
    out.push(...block);
    // A rule that matches everything: what follows could never run, and the kernel's
    // verifier refuses unreachable instructions.
    if (tests.length === 0) return out;
  }
  out.push(ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0), ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return out;
}

export function encodeInsns(insns: readonly Insn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((i, k) => {
    b.writeUInt8(i.code, k * 8);
    b.writeUInt8((i.src << 4) | i.dst, k * 8 + 1);
    b.writeInt16LE(i.off, k * 8 + 2);
    b.writeInt32LE(i.imm | 0, k * 8 + 4);
  });
  return b;
}

/** The eBPF program (its instructions, encoded) that enforces `rules` on a v2 cgroup. */
export function compileDeviceFilter(rules: readonly string[]): Buffer {
  return encodeInsns(deviceFilterInsns(rules.map(parseDeviceRule)));
}
