/**
 * The v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE) built from the rules, run here by a
 * small interpreter of the instructions it uses; test/integration/devices-v2.test.ts loads
 * it into the kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACC_MKNOD,
  ACC_READ,
  ACC_WRITE,
  compileDeviceFilter,
  DEFAULT_DEVICE_RULES,
  DEV_BLOCK,
  DEV_CHAR,
  parseDeviceRule,
} from '../../../src/spec/security/devices';

/** Runs an encoded program on a device context; throws on anything it does not know. */
function run(prog: Buffer, type: number, access: number, major: number, minor: number): number {
  const ctx = [(access << 16) | type, major, minor];
  const r = new Array<bigint>(11).fill(0n);
  const u32 = (v: bigint) => v & 0xffffffffn;
  const u64 = (v: bigint) => v & 0xffffffffffffffffn;
  let pc = 0;
  for (let steps = 0; steps < 10000; steps++) {
    assert.ok(pc >= 0 && pc * 8 < prog.length, `pc ${pc} out of the program`);
    const code = prog[pc * 8];
    const dst = prog[pc * 8 + 1] & 0xf;
    const src = prog[pc * 8 + 1] >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = BigInt(prog.readInt32LE(pc * 8 + 4));
    pc++;
    switch (code) {
      case 0x61: // LDX W MEM
        assert.equal(src, 1, 'loads only from the context');
        assert.ok(off % 4 === 0 && off >= 0 && off <= 8);
        r[dst] = BigInt(ctx[off / 4] >>> 0);
        break;
      case 0x54: // ALU AND K (32 bits, zero-extended)
        r[dst] = u32(r[dst] & u32(imm));
        break;
      case 0x74: // ALU RSH K
        r[dst] = u32(r[dst]) >> imm;
        break;
      case 0xbf: // ALU64 MOV X
        r[dst] = r[src];
        break;
      case 0xb7: // ALU64 MOV K
        r[dst] = u64(imm);
        break;
      case 0x55: // JNE K
        if (r[dst] !== u64(imm)) pc += off;
        break;
      case 0x5d: // JNE X
        if (r[dst] !== r[src]) pc += off;
        break;
      case 0x95: // EXIT
        return Number(r[0]);
      default:
        throw new Error(`unexpected instruction 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('no exit');
}

const R = ACC_READ, W = ACC_WRITE, M = ACC_MKNOD;

test('rules in the v1 syntax parse; anything else is refused', () => {
  assert.deepEqual(parseDeviceRule('c 1:3 rwm'), { type: 'c', major: 1, minor: 3, access: R | W | M });
  assert.deepEqual(parseDeviceRule('b *:* m'), { type: 'b', major: undefined, minor: undefined, access: M });
  assert.deepEqual(parseDeviceRule('c 136:* rw'), { type: 'c', major: 136, minor: undefined, access: R | W });
  assert.deepEqual(parseDeviceRule('a'), { type: 'a', access: R | W | M });
  for (const bad of ['', 'x 1:3 rwm', 'c 1 rwm', 'c 1:3', 'c 1:3 rwx', 'c -1:3 r', 'c 1:3 rwmr', 'c 99999999999:0 r']) {
    assert.throws(() => parseDeviceRule(bad), /invalid device/, bad);
  }
});

test("Docker's default rules: the default nodes and the ptys open, mknod of anything, nothing else opens", () => {
  const p = compileDeviceFilter(DEFAULT_DEVICE_RULES);
  for (const [maj, min] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, 0], [136, 77]]) {
    for (const acc of [R, W, R | W, M, R | W | M]) assert.equal(run(p, DEV_CHAR, acc, maj, min), 1, `c ${maj}:${min} ${acc}`);
  }
  // any node may be made, but not opened
  assert.equal(run(p, DEV_BLOCK, M, 8, 0), 1);
  assert.equal(run(p, DEV_CHAR, M, 10, 229), 1);
  for (const acc of [R, W, R | W, R | M]) {
    assert.equal(run(p, DEV_BLOCK, acc, 8, 0), 0, `b 8:0 ${acc}`);
    assert.equal(run(p, DEV_CHAR, acc, 10, 229), 0, `c 10:229 (fuse) ${acc}`);
    assert.equal(run(p, DEV_CHAR, acc, 1, 1), 0, `c 1:1 (/dev/mem) ${acc}`);
    assert.equal(run(p, DEV_CHAR, acc, 1, 4), 0, `c 1:4 ${acc}`);
    assert.equal(run(p, DEV_CHAR, acc, 4, 1), 0, `c 4:1 (tty1) ${acc}`);
  }
  // a block device with the numbers of an allowed character device is still refused
  assert.equal(run(p, DEV_BLOCK, R, 1, 3), 0);
});

test('the access of a rule is an upper bound; first match wins; no rule refuses everything', () => {
  const ro = compileDeviceFilter(['c 1:3 r']);
  assert.equal(run(ro, DEV_CHAR, R, 1, 3), 1);
  assert.equal(run(ro, DEV_CHAR, W, 1, 3), 0);
  assert.equal(run(ro, DEV_CHAR, R | W, 1, 3), 0);
  assert.equal(run(ro, DEV_CHAR, R | M, 1, 3), 0);
  const none = compileDeviceFilter([]);
  assert.equal(run(none, DEV_CHAR, R, 1, 3), 0);
  assert.equal(run(none, DEV_BLOCK, M, 8, 0), 0);
  const any = compileDeviceFilter(['b *:* rwm']);
  assert.equal(run(any, DEV_BLOCK, R | W, 259, 3), 1);
  assert.equal(run(any, DEV_CHAR, R, 1, 3), 0);
});

test("'a' allows everything and ends the program: no unreachable instruction for the verifier", () => {
  const p = compileDeviceFilter(['c 1:3 r', 'a', 'c 1:5 rwm']);
  assert.equal(run(p, DEV_BLOCK, R | W | M, 8, 0), 1);
  assert.equal(run(p, DEV_CHAR, W, 1, 3), 1);
  // the program ends with the 'a' rule's "return 1"
  const last = p.length / 8 - 1;
  assert.equal(p[last * 8], 0x95, 'ends with exit');
  assert.equal(p.readInt32LE((last - 1) * 8 + 4), 1, 'returning 1');
  const alone = compileDeviceFilter(['a']);
  assert.equal(alone.length / 8, 6 + 2, 'the loads, then return 1');
});

test('encoding: 8 bytes per instruction, registers packed as dst | src << 4, little-endian', () => {
  const p = compileDeviceFilter(['c 1:3 rwm']);
  // r2 = *(u32 *)(r1 + 0)
  assert.deepEqual([...p.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0]);
  // r4 = *(u32 *)(r1 + 4)
  assert.deepEqual([...p.subarray(32, 40)], [0x61, 0x14, 4, 0, 0, 0, 0, 0]);
  assert.equal(p.length % 8, 0);
  // every jump lands inside the program
  for (let i = 0; i < p.length / 8; i++) {
    if ((p[i * 8] & 0x07) === 0x05 && p[i * 8] !== 0x95) {
      const to = i + 1 + p.readInt16LE(i * 8 + 2);
      assert.ok(to > i && to < p.length / 8, `jump at ${i} to ${to}`);
    }
  }
});
