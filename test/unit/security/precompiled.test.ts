import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRECOMPILED_DEFAULT_SECCOMP, DEFAULT_PROFILE_KEY_PARTS } from '../../../src/spec/security/seccomp-precompiled';
import { compileSeccomp, seccompProgramKey, profileKeyParts } from '../../../src/spec/security/seccomp';
import { DEFAULT_SECCOMP_PROFILE } from '../../../src/spec/security/seccomp-default';
import { DEFAULT_CAP_MASK, capabilityNumber } from '../../../src/spec/security/capabilities';
import { defaultSeccompProgram } from '../../../src/spec/security';
import { PRECOMPILED_INPUTS, renderPrecompiled } from './regen-precompiled';
import { readFileSync } from 'node:fs';
import path from 'node:path';

test('the shipped default programs are exactly what the compiler produces today', () => {
  const file = readFileSync(path.resolve(__dirname, '../../../src/spec/security/seccomp-precompiled.ts'), 'utf8');
  assert.ok(file === renderPrecompiled(), 'seccomp-precompiled.ts is stale: run node --import tsx test/unit/security/regen-precompiled.ts');
  for (const o of PRECOMPILED_INPUTS) {
    const key = seccompProgramKey(DEFAULT_SECCOMP_PROFILE, o);
    assert.deepEqual(Buffer.from(PRECOMPILED_DEFAULT_SECCOMP[key], 'base64'), compileSeccomp(DEFAULT_SECCOMP_PROFILE, o), key);
  }
  assert.deepEqual(DEFAULT_PROFILE_KEY_PARTS, profileKeyParts(DEFAULT_SECCOMP_PROFILE));
});

test('program keys: only capabilities the profile mentions, and met kernel thresholds, matter', () => {
  const k = (caps: bigint, kernelRelease?: string, arch = 'x86_64') => seccompProgramKey(DEFAULT_SECCOMP_PROFILE, { caps, arch, kernelRelease });
  const bit = (n: string) => 1n << BigInt(capabilityNumber(n)!);
  assert.equal(k(DEFAULT_CAP_MASK, '6.1.0'), 'x86_64:40000:4.8');
  assert.equal(k(DEFAULT_CAP_MASK | bit('CAP_NET_ADMIN'), '5.10.0-arch'), k(DEFAULT_CAP_MASK, '6.1.0'));
  assert.notEqual(k(DEFAULT_CAP_MASK | bit('CAP_SYS_ADMIN'), '6.1.0'), k(DEFAULT_CAP_MASK, '6.1.0'));
  assert.equal(k(DEFAULT_CAP_MASK, '4.4.0'), 'x86_64:40000:');
  assert.equal(k(DEFAULT_CAP_MASK, undefined), 'x86_64:40000:');
  assert.equal(k(DEFAULT_CAP_MASK, '6.1', 'arm64'), 'aarch64:40000:4.8');
});

test('defaultSeccompProgram equals a fresh compile, shipped or not', () => {
  const bit = (n: string) => 1n << BigInt(capabilityNumber(n)!);
  for (const caps of [DEFAULT_CAP_MASK, DEFAULT_CAP_MASK | bit('CAP_NET_ADMIN'), DEFAULT_CAP_MASK | bit('CAP_SYS_ADMIN'), 0n]) {
    for (const arch of ['x86_64', 'aarch64']) {
      for (const kernelRelease of ['6.8.0', '4.4.0', undefined]) {
        assert.deepEqual(defaultSeccompProgram(caps, arch, kernelRelease), compileSeccomp(DEFAULT_SECCOMP_PROFILE, { caps, arch, kernelRelease }));
      }
    }
  }
});
