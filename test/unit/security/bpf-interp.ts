/**
 * A classic-BPF interpreter for seccomp programs, written independently of the
 * compiler so the tests check behaviour, not the compiler against itself. It verifies
 * a program as the kernel does before running it (length, jumps in range, last
 * instruction a return, loads aligned inside `struct seccomp_data`), then runs it.
 */

export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  args?: readonly bigint[];
}

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const SECCOMP_DATA_SIZE = 64;

export function decode(prog: Buffer): Insn[] {
  if (prog.length % 8 !== 0) throw new Error(`program length ${prog.length} is not a multiple of 8`);
  const out: Insn[] = [];
  for (let o = 0; o < prog.length; o += 8) {
    out.push({ code: prog.readUInt16LE(o), jt: prog[o + 2], jf: prog[o + 3], k: prog.readUInt32LE(o + 4) });
  }
  return out;
}

/** The kernel's checks (bpf_check_classic + seccomp_check_filter), as far as we use them. */
export function verify(prog: Buffer): Insn[] {
  const insns = decode(prog);
  if (insns.length === 0 || insns.length > 4096) throw new Error(`bad length ${insns.length}`);
  insns.forEach((ins, pc) => {
    const cls = ins.code & 0x07;
    switch (ins.code) {
      case 0x20: // ld w abs
        if (ins.k & 3 || ins.k >= SECCOMP_DATA_SIZE) throw new Error(`pc ${pc}: bad load offset ${ins.k}`);
        break;
      case 0x00: // ld imm
      case 0x54: // and k
      case 0x44: // or k
      case 0x06: // ret k
      case 0x16: // ret a
      case 0x07: // tax
      case 0x87: // txa
        break;
      case 0x05: // ja
        if (pc + 1 + ins.k >= insns.length) throw new Error(`pc ${pc}: ja out of range`);
        break;
      case 0x15:
      case 0x25:
      case 0x35:
      case 0x45:
        if (pc + 1 + ins.jt >= insns.length || pc + 1 + ins.jf >= insns.length) {
          throw new Error(`pc ${pc}: conditional jump out of range`);
        }
        break;
      default:
        throw new Error(`pc ${pc}: opcode 0x${ins.code.toString(16)} (class ${cls}) not allowed`);
    }
  });
  const last = insns[insns.length - 1].code;
  if (last !== 0x06 && last !== 0x16) throw new Error('last instruction is not a return');
  return insns;
}

export function seccompData(d: SeccompData): Buffer {
  const b = Buffer.alloc(SECCOMP_DATA_SIZE);
  b.writeUInt32LE(d.nr >>> 0, 0);
  b.writeUInt32LE(d.arch >>> 0, 4);
  b.writeBigUInt64LE(d.ip ?? 0n, 8);
  (d.args ?? []).forEach((a, i) => b.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  return b;
}

export interface RunResult {
  ret: number;
  /** Instructions executed. */
  steps: number;
}

export function run(prog: Buffer | Insn[], d: SeccompData): RunResult {
  const insns = Buffer.isBuffer(prog) ? verify(prog) : prog;
  const data = seccompData(d);
  let A = 0;
  let X = 0;
  let pc = 0;
  let steps = 0;
  for (;;) {
    const ins = insns[pc];
    if (!ins) throw new Error(`fell off the program at ${pc}`);
    steps++;
    pc++;
    switch (ins.code) {
      case 0x20:
        A = data.readUInt32LE(ins.k);
        break;
      case 0x00:
        A = ins.k;
        break;
      case 0x54:
        A = (A & ins.k) >>> 0;
        break;
      case 0x44:
        A = (A | ins.k) >>> 0;
        break;
      case 0x07:
        X = A;
        break;
      case 0x87:
        A = X;
        break;
      case 0x05:
        pc += ins.k;
        break;
      case 0x15:
        pc += A === ins.k ? ins.jt : ins.jf;
        break;
      case 0x25:
        pc += A > ins.k ? ins.jt : ins.jf;
        break;
      case 0x35:
        pc += A >= ins.k ? ins.jt : ins.jf;
        break;
      case 0x45:
        pc += (A & ins.k) !== 0 ? ins.jt : ins.jf;
        break;
      case 0x06:
        return { ret: ins.k >>> 0, steps };
      case 0x16:
        return { ret: A >>> 0, steps };
      default:
        throw new Error(`opcode 0x${ins.code.toString(16)}`);
    }
  }
}

export const RET_ALLOW = 0x7fff0000;
export const RET_KILL_PROCESS = 0x80000000;
export const RET_KILL_THREAD = 0;
export const RET_TRAP = 0x00030000;
export const RET_LOG = 0x7ffc0000;
export const retErrno = (e: number) => (0x00050000 | e) >>> 0;
