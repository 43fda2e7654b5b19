import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CAPABILITY_NAMES,
  DEFAULT_CAPABILITIES,
  DEFAULT_CAP_MASK,
  allCapsMask,
  capNames,
  capabilityNumber,
  computeCaps,
  formatCapMask,
  normalizeCapability,
} from '../../../src/spec/security/capabilities';
import { UsageError } from '../../../src/common/errors';

const bit = (n: string) => 1n << BigInt(capabilityNumber(n)!);

test('the table runs from CAP_CHOWN=0 to CAP_CHECKPOINT_RESTORE=40', () => {
  assert.equal(CAPABILITY_NAMES.length, 41);
  assert.equal(capabilityNumber('CAP_CHOWN'), 0);
  assert.equal(capabilityNumber('CAP_NET_RAW'), 13);
  assert.equal(capabilityNumber('CAP_SYS_ADMIN'), 21);
  assert.equal(capabilityNumber('CAP_MKNOD'), 27);
  assert.equal(capabilityNumber('CAP_SETFCAP'), 31);
  assert.equal(capabilityNumber('CAP_SYSLOG'), 34);
  assert.equal(capabilityNumber('CAP_PERFMON'), 38);
  assert.equal(capabilityNumber('CAP_BPF'), 39);
  assert.equal(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40);
});

test("Docker's 14 defaults make 00000000a80425fb", () => {
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
  let m = 0n;
  for (const c of DEFAULT_CAPABILITIES) m |= bit(c);
  assert.equal(m, DEFAULT_CAP_MASK);
  assert.equal(formatCapMask(DEFAULT_CAP_MASK), '00000000a80425fb');
  const caps = computeCaps({ lastCap: 40 });
  assert.deepEqual(caps, { bounding: DEFAULT_CAP_MASK, effective: DEFAULT_CAP_MASK, permitted: DEFAULT_CAP_MASK, inheritable: 0n, ambient: 0n });
});

test('names: with or without CAP_, any case', () => {
  assert.equal(normalizeCapability('net_admin'), 'CAP_NET_ADMIN');
  assert.equal(normalizeCapability('Cap_Sys_Admin'), 'CAP_SYS_ADMIN');
  assert.equal(normalizeCapability('all'), 'ALL');
  assert.throws(() => normalizeCapability('foo'), (e: unknown) => e instanceof UsageError && e.message === 'unknown capability: "CAP_FOO"' && e.exitCode === 125);
  assert.throws(() => computeCaps({ capAdd: ['NET_ADMIN', 'bogus'], lastCap: 40 }), /unknown capability: "CAP_BOGUS"/);
  assert.throws(() => computeCaps({ capDrop: ['CAP_'], lastCap: 40 }), /unknown capability: "CAP_"/);
});

test('a capability the host kernel does not have is unknown, as Docker', () => {
  assert.throws(() => computeCaps({ capAdd: ['BPF'], lastCap: 37 }), /unknown capability: "CAP_BPF"/);
  assert.equal(computeCaps({ capAdd: ['BPF'], lastCap: 39 }).bounding & bit('CAP_BPF'), bit('CAP_BPF'));
});

test('--cap-add and --cap-drop', () => {
  const m = computeCaps({ capAdd: ['SYS_ADMIN'], capDrop: ['NET_RAW', 'cap_mknod'], lastCap: 40 }).effective;
  assert.equal(m, (DEFAULT_CAP_MASK | bit('CAP_SYS_ADMIN')) & ~bit('CAP_NET_RAW') & ~bit('CAP_MKNOD'));
  assert.equal(formatCapMask(computeCaps({ capDrop: ['NET_RAW'], lastCap: 40 }).bounding), '00000000a80405fb');
});

test('a capability both dropped and added is added (Docker drops from the defaults, then adds)', () => {
  const m = computeCaps({ capAdd: ['NET_RAW'], capDrop: ['NET_RAW'], lastCap: 40 }).bounding;
  assert.equal(m, DEFAULT_CAP_MASK);
});

test('--cap-drop ALL keeps only --cap-add', () => {
  assert.equal(computeCaps({ capDrop: ['ALL'], lastCap: 40 }).bounding, 0n);
  assert.equal(computeCaps({ capDrop: ['all'], capAdd: ['chown', 'KILL'], lastCap: 40 }).bounding, bit('CAP_CHOWN') | bit('CAP_KILL'));
});

test('--cap-add ALL gives everything the host has, minus --cap-drop', () => {
  assert.equal(computeCaps({ capAdd: ['ALL'], lastCap: 40 }).bounding, allCapsMask(40));
  assert.equal(computeCaps({ capAdd: ['ALL'], lastCap: 37 }).bounding, (1n << 38n) - 1n);
  assert.equal(computeCaps({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'], lastCap: 40 }).bounding, allCapsMask(40) & ~bit('CAP_SYS_ADMIN'));
  // Docker's quirk: with ALL added, an ALL drop names no single capability.
  assert.equal(computeCaps({ capAdd: ['ALL'], capDrop: ['ALL'], lastCap: 40 }).bounding, allCapsMask(40));
});

test('--privileged: all capabilities up to cap_last_cap, inheritable and ambient still empty', () => {
  const c = computeCaps({ privileged: true, capDrop: ['SYS_ADMIN'], lastCap: 40 });
  assert.equal(c.bounding, 0x1ffffffffffn);
  assert.equal(formatCapMask(c.effective), '000001ffffffffff');
  assert.equal(c.inheritable, 0n);
  assert.equal(c.ambient, 0n);
  assert.equal(computeCaps({ privileged: true, lastCap: 38 }).bounding, 0x7fffffffffn);
  // A last cap beyond our table is clamped to it.
  assert.equal(computeCaps({ privileged: true, lastCap: 63 }).bounding, 0x1ffffffffffn);
});

test('capNames lists a mask in kernel order', () => {
  assert.deepEqual(capNames(bit('CAP_KILL') | bit('CAP_CHOWN')), ['CAP_CHOWN', 'CAP_KILL']);
  assert.equal(capNames(DEFAULT_CAP_MASK).length, 14);
});
