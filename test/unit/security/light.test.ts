/**
 * Every `run` builds a security plan: the default one must not load the seccomp compiler,
 * Docker's profile or the system call tables (milliseconds of module initialisation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../../src');

function loadedAfter(body: string): string[] {
  const script = `
    ${body}
    const mods = Object.keys(require.cache).filter((f) => f.includes('/spec/security/')).map((f) => require('node:path').basename(f));
    console.log(JSON.stringify(mods.sort()));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

test('the default plan (and --cap-add/--cap-drop the profile ignores) loads only the light modules', () => {
  const mods = loadedAfter(`
    const b = require(${JSON.stringify(path.join(SRC, 'spec/security/build.ts'))});
    const o = { lastCap: 40, arch: 'x86_64', kernelRelease: '6.8.0' };
    if (!b.buildSecurityPlan(o).seccomp) throw new Error('no program');
    b.buildSecurityPlan({ ...o, capAdd: ['NET_RAW'], capDrop: ['MKNOD'], securityOpts: ['no-new-privileges'] });`);
  for (const heavy of ['seccomp.ts', 'seccomp-default.ts', 'syscall-tables.ts', 'bpf.ts']) assert.ok(!mods.includes(heavy), `${heavy} loaded: ${mods}`);
});

test('the engine side (securityOf) imports only the light modules too', () => {
  const mods = loadedAfter(`require(${JSON.stringify(path.join(SRC, 'engine/security.ts'))});`);
  for (const heavy of ['seccomp.ts', 'seccomp-default.ts', 'syscall-tables.ts', 'bpf.ts', 'index.ts']) assert.ok(!mods.includes(heavy), `${heavy} loaded: ${mods}`);
});

test('a capability the default profile mentions compiles a program: then the compiler is loaded', () => {
  const mods = loadedAfter(`
    const b = require(${JSON.stringify(path.join(SRC, 'spec/security/build.ts'))});
    b.buildSecurityPlan({ lastCap: 40, arch: 'x86_64', kernelRelease: '6.8.0', capAdd: ['SYS_ADMIN'] });`);
  assert.ok(mods.includes('seccomp.ts') && mods.includes('seccomp-default.ts'), String(mods));
});
