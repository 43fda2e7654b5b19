import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { MASKED_PATHS, READONLY_PATHS, systemPaths, maskMethod, isNullDevice, devMajor, devMinor } from '../../../src/spec/security/paths';

test("Docker's masked and read-only paths", () => {
  assert.deepEqual([...MASKED_PATHS].sort(), [
    '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug',
    '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware',
  ]);
  assert.deepEqual([...READONLY_PATHS].sort(), ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
});

test('--privileged and systempaths=unconfined drop both lists; copies are returned', () => {
  assert.deepEqual(systemPaths({ privileged: true }), { maskedPaths: [], readonlyPaths: [] });
  assert.deepEqual(systemPaths({ unconfined: true }), { maskedPaths: [], readonlyPaths: [] });
  const s = systemPaths();
  assert.equal(s.maskedPaths.length, 12);
  s.maskedPaths.pop();
  assert.equal(systemPaths().maskedPaths.length, 12);
});

test('mask method per kind', () => {
  assert.equal(maskMethod('directory'), 'tmpfs-ro');
  assert.equal(maskMethod('file'), 'bind-dev-null');
  assert.equal(maskMethod('missing'), 'skip');
});

test('dev_t decoding and the /dev/null check', () => {
  assert.equal(devMajor(0x103), 1);
  assert.equal(devMinor(0x103), 3);
  // Large numbers: major 259, minor 1048575 (new-style encoding).
  const rdev = Number((0xfffffn & 0xffn) | ((0xfffffn & ~0xffn) << 12n) | ((259n & 0xfffn) << 8n));
  assert.equal(devMajor(rdev), 259);
  assert.equal(devMinor(rdev), 0xfffff);
  assert.equal(isNullDevice({ isCharacterDevice: () => true, rdev: 0x103 }), true);
  assert.equal(isNullDevice({ isCharacterDevice: () => true, rdev: 0x105 }), false, '/dev/zero');
  assert.equal(isNullDevice({ isCharacterDevice: () => false, rdev: 0x103 }), false, 'block device 1:3');
  assert.equal(isNullDevice(statSync('/dev/null')), true);
  assert.equal(isNullDevice(statSync('/etc/hostname', { throwIfNoEntry: false }) ?? statSync('/')), false);
});
