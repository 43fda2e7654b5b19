/**
 * A tiny classic-BPF assembler with symbolic labels, for seccomp filters.
 *
 * Classic BPF only jumps forward, and a conditional jump's offsets (jt, jf) are u8:
 * a target more than 255 instructions away needs a trampoline (`BPF_JMP|BPF_JA`,
 * whose offset is 32 bits). `assemble()` lays the program out, finds the conditional
 * jumps whose targets are too far, gives each of them an unconditional jump right
 * behind it, and repeats until nothing moves (the layout only grows, so it ends).
 */

// Instruction classes and fields (linux/bpf_common.h).
export const BPF_LD = 0x00;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_K = 0x00;
export const BPF_AND = 0x50;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

/** The kernel refuses programs longer than this (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Size of one `struct sock_filter`. */
export const SOCK_FILTER_SIZE = 8;

export type Label = number;
/** A jump target meaning "the instruction right after this one" (offset 0). */
export const NEXT: Label = -1;

interface Item {
  code: number;
  k: number;
  /** For conditional jumps: targets; for BPF_JA: jt is the target. -2 when unused. */
  jt: Label;
  jf: Label;
  /** Label placed before this item (several labels may share a position). */
  isLabel?: boolean;
}

export type JumpOp = 'jeq' | 'jgt' | 'jge' | 'jset';
const JUMP_CODE: Record<JumpOp, number> = {
  jeq: BPF_JMP | BPF_JEQ | BPF_K,
  jgt: BPF_JMP | BPF_JGT | BPF_K,
  jge: BPF_JMP | BPF_JGE | BPF_K,
  jset: BPF_JMP | BPF_JSET | BPF_K,
};

const UNUSED = -2;

export class BpfAssembler {
  private items: Item[] = [];
  private labelCount = 0;

  /** A fresh label, to be placed later with `place`. */
  label(): Label {
    return this.labelCount++;
  }

  /** Puts `l` at the current position. */
  place(l: Label): void {
    this.items.push({ code: 0, k: l, jt: UNUSED, jf: UNUSED, isLabel: true });
  }

  /** A = u32 at byte offset `off` of the input. */
  ldAbs(off: number): void {
    this.push(BPF_LD | BPF_W | BPF_ABS, off);
  }

  /** A &= k. */
  and(k: number): void {
    this.push(BPF_ALU | BPF_AND | BPF_K, k);
  }

  /** if (A op k) goto jt else goto jf. */
  jump(op: JumpOp, k: number, jt: Label, jf: Label): void {
    this.items.push({ code: JUMP_CODE[op], k: k >>> 0, jt, jf });
  }

  /** goto l. */
  ja(l: Label): void {
    this.items.push({ code: BPF_JMP | BPF_JA, k: 0, jt: l, jf: UNUSED });
  }

  /** return k. */
  ret(k: number): void {
    this.push(BPF_RET | BPF_K, k);
  }

  private push(code: number, k: number): void {
    this.items.push({ code, k: k >>> 0, jt: UNUSED, jf: UNUSED });
  }

  /** Lays the program out and encodes it as `struct sock_filter[]`, little-endian. */
  assemble(): Buffer {
    const items = this.items;
    const n = items.length;
    const isCond = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const it = items[i];
      if (!it.isLabel && (it.code & 0x07) === BPF_JMP && it.code !== (BPF_JMP | BPF_JA)) isCond[i] = 1;
    }
    // far[i]: bit 0 = jt needs a trampoline, bit 1 = jf needs one.
    const far = new Uint8Array(n);
    const pos = new Int32Array(n);
    const labelPos = new Int32Array(this.labelCount).fill(-1);
    const extra = (i: number) => (far[i] & 1) + ((far[i] >> 1) & 1);
    const targetOf = (i: number, l: Label): number => {
      if (l === NEXT) return pos[i] + 1 + extra(i);
      const p = labelPos[l];
      if (p < 0) throw new Error(`bpf: label ${l} never placed`);
      return p;
    };

    let total = 0;
    for (;;) {
      let p = 0;
      for (let i = 0; i < n; i++) {
        const it = items[i];
        if (it.isLabel) {
          labelPos[it.k] = p;
          continue;
        }
        pos[i] = p;
        p += 1 + extra(i);
      }
      total = p;
      let changed = false;
      for (let i = 0; i < n; i++) {
        if (!isCond[i]) continue;
        const it = items[i];
        const base = pos[i] + 1;
        if (!(far[i] & 1) && targetOf(i, it.jt) - base > 255) {
          far[i] |= 1;
          changed = true;
        }
        if (!(far[i] & 2) && targetOf(i, it.jf) - base > 255) {
          far[i] |= 2;
          changed = true;
        }
      }
      if (!changed) break;
    }

    const out = Buffer.alloc(total * SOCK_FILTER_SIZE);
    let w = 0;
    const emit = (code: number, jt: number, jf: number, k: number) => {
      if (jt < 0 || jt > 255 || jf < 0 || jf > 255) throw new Error(`bpf: jump offset out of range at ${w}`);
      // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, little-endian.
      const o = w * SOCK_FILTER_SIZE;
      out[o] = code & 0xff;
      out[o + 1] = code >>> 8;
      out[o + 2] = jt;
      out[o + 3] = jf;
      out[o + 4] = k & 0xff;
      out[o + 5] = (k >>> 8) & 0xff;
      out[o + 6] = (k >>> 16) & 0xff;
      out[o + 7] = k >>> 24;
      w++;
    };
    for (let i = 0; i < n; i++) {
      const it = items[i];
      if (it.isLabel) continue;
      const base = pos[i] + 1;
      if (isCond[i]) {
        const tFar = far[i] & 1;
        const fFar = (far[i] >> 1) & 1;
        const t = targetOf(i, it.jt);
        const f = targetOf(i, it.jf);
        if (t < base || f < base) throw new Error('bpf: backward jump');
        emit(it.code, tFar ? 0 : t - base, fFar ? tFar : f - base, it.k);
        if (tFar) emit(BPF_JMP | BPF_JA, 0, 0, t - (w + 1));
        if (fFar) emit(BPF_JMP | BPF_JA, 0, 0, f - (w + 1));
      } else if (it.code === (BPF_JMP | BPF_JA)) {
        const t = targetOf(i, it.jt);
        if (t < base) throw new Error('bpf: backward jump');
        emit(it.code, 0, 0, t - base);
      } else {
        emit(it.code, 0, 0, it.k);
      }
    }
    return out;
  }
}
