import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileSeccomp,
  parseSeccompProfile,
  syscallNumber,
  SeccompProfile,
  SeccompRule,
  AUDIT_ARCH_X86_64,
  AUDIT_ARCH_I386,
  AUDIT_ARCH_AARCH64,
} from '../../../src/spec/security/seccomp';
import { DEFAULT_SECCOMP_PROFILE } from '../../../src/spec/security/seccomp-default';
import { SYSCALLS_X86_64, SYSCALLS_X86, SYSCALLS_AARCH64 } from '../../../src/spec/security/syscall-tables';
import { DEFAULT_CAP_MASK, allCapsMask, capabilityNumber } from '../../../src/spec/security/capabilities';
import { UsageError } from '../../../src/common/errors';
import { run, verify, RET_ALLOW, RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_LOG, retErrno } from './bpf-interp';

const EPERM = retErrno(1);
const ENOSYS = retErrno(38);
const KERNEL = '6.8.0-45-generic';
const cap = (name: string) => 1n << BigInt(capabilityNumber(name)!);
const ALL = allCapsMask(40);

type Arch = 'x86_64' | 'x86' | 'aarch64';
const AUDIT: Record<Arch, number> = { x86_64: AUDIT_ARCH_X86_64, x86: AUDIT_ARCH_I386, aarch64: AUDIT_ARCH_AARCH64 };
const TABLE: Record<Arch, Readonly<Record<string, number>>> = { x86_64: SYSCALLS_X86_64, x86: SYSCALLS_X86, aarch64: SYSCALLS_AARCH64 };

/** The default profile compiled; `kernel` null means an unknown kernel release. */
function prog(caps = DEFAULT_CAP_MASK, arch = 'x86_64', kernel: string | null = KERNEL): Buffer {
  const p = compileSeccomp(DEFAULT_SECCOMP_PROFILE, { caps, arch, kernelRelease: kernel ?? undefined });
  assert.ok(p);
  return p;
}

function call(p: Buffer, name: string, args: bigint[] = [], arch: Arch = 'x86_64'): number {
  const nr = syscallNumber(name, arch);
  assert.notEqual(nr, undefined, `${name} on ${arch}`);
  return run(p, { nr: nr!, arch: AUDIT[arch], args }).ret;
}

// --- An independent reference for the profile semantics (Docker's selection + runc +
// libseccomp's matching), evaluated directly on numbers, to compare the BPF against.
interface RefInput {
  caps: bigint;
  native: Arch;
  kernel: [number, number] | null;
}
const NATIVE_NAME: Record<Arch, string> = { x86_64: 'amd64', x86: 'x86', aarch64: 'arm64' };
const SCMP: Record<Arch, string> = { x86_64: 'SCMP_ARCH_X86_64', x86: 'SCMP_ARCH_X86', aarch64: 'SCMP_ARCH_AARCH64' };

function refAction(action: string, errnoRet?: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return RET_ALLOW;
    case 'SCMP_ACT_ERRNO':
      return retErrno(errnoRet ?? 1);
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return RET_TRAP;
    case 'SCMP_ACT_LOG':
      return RET_LOG;
    case 'SCMP_ACT_TRACE':
      return (0x7ff00000 | (errnoRet ?? 0)) >>> 0;
  }
  throw new Error(action);
}

function refHasCap(caps: bigint, c: string): boolean {
  const n = capabilityNumber(c);
  return n !== undefined && (caps & (1n << BigInt(n))) !== 0n;
}

function refKernelGE(k: [number, number] | null, min: string): boolean {
  if (!k) return false;
  const [a, b] = min.split('.').map(Number);
  return k[0] > a || (k[0] === a && k[1] >= b);
}

function refSelected(profile: SeccompProfile, input: RefInput): SeccompRule[] {
  return profile.syscalls.filter((r) => {
    const e = r.excludes;
    if (e?.arches?.includes(NATIVE_NAME[input.native])) return false;
    if (e?.caps?.some((c) => refHasCap(input.caps, c))) return false;
    if (e?.minKernel && refKernelGE(input.kernel, e.minKernel)) return false;
    const i = r.includes;
    if (i?.arches && i.arches.length && !i.arches.includes(NATIVE_NAME[input.native])) return false;
    if (i?.caps && !i.caps.every((c) => refHasCap(input.caps, c))) return false;
    if (i?.minKernel && !refKernelGE(input.kernel, i.minKernel)) return false;
    return true;
  });
}

function refCmp(op: string, arg: bigint, v: bigint, v2: bigint): boolean {
  switch (op) {
    case 'SCMP_CMP_EQ':
      return arg === v;
    case 'SCMP_CMP_NE':
      return arg !== v;
    case 'SCMP_CMP_LT':
      return arg < v;
    case 'SCMP_CMP_LE':
      return arg <= v;
    case 'SCMP_CMP_GT':
      return arg > v;
    case 'SCMP_CMP_GE':
      return arg >= v;
    case 'SCMP_CMP_MASKED_EQ':
      return (arg & v) === v2;
  }
  throw new Error(op);
}

type Mine = { ret: number; conds: { index: number; op: string; value: bigint; valueTwo: bigint }[] }[];
interface RefSection {
  wide: boolean;
  maxNr: number;
  byNr: Map<number, Mine>;
}
const refMemo = new WeakMap<SeccompProfile, Map<string, Map<Arch, RefSection>>>();

/** Per architecture section: the rules naming each number, minus those with the default action, split as runc does. */
function refSections(profile: SeccompProfile, input: RefInput): Map<Arch, RefSection> {
  const key = `${input.caps}/${input.native}/${input.kernel}`;
  let perInput = refMemo.get(profile);
  if (!perInput) refMemo.set(profile, (perInput = new Map()));
  const hit = perInput.get(key);
  if (hit) return hit;
  const sections: Arch[] = [input.native];
  if (input.native === 'x86_64') {
    let listed: readonly string[] = profile.architectures ?? [];
    if (profile.archMap?.length) {
      const e = profile.archMap.find((m) => m.architecture === SCMP.x86_64);
      listed = e ? [e.architecture, ...e.subArchitectures] : [];
    }
    if (listed.includes('SCMP_ARCH_X86')) sections.push('x86');
  }
  const def = refAction(profile.defaultAction, profile.defaultErrnoRet);
  const selected = refSelected(profile, input);
  const out = new Map<Arch, RefSection>();
  for (const sec of sections) {
    const table = TABLE[sec];
    let maxNr = -1;
    const byNr = new Map<number, Mine>();
    for (const r of selected) {
      const ret = refAction(r.action, r.errnoRet);
      const args = r.args ?? [];
      const idx = args.map((x) => x.index);
      const entries = new Set(idx).size !== idx.length ? args.map((c) => ({ ret, conds: [c] })) : [{ ret, conds: [...args] }];
      for (const n of r.names) {
        if (!(n in table)) continue;
        const nr = table[n];
        if (nr > maxNr) maxNr = nr;
        if (ret === def) continue;
        if (!byNr.has(nr)) byNr.set(nr, []);
        byNr.get(nr)!.push(...entries);
      }
    }
    out.set(sec, { wide: sec !== 'x86', maxNr, byNr });
  }
  perInput.set(key, out);
  return out;
}

/** What the filter must answer for (arch, nr, args), computed from the profile directly. */
function reference(profile: SeccompProfile, input: RefInput, arch: number, nr: number, args: bigint[]): number {
  const sections = refSections(profile, input);
  const sec = [...sections.keys()].find((s) => AUDIT[s] === arch);
  if (!sec) return RET_KILL_PROCESS;
  if (sec === 'x86_64' && nr >= 0x40000000) return RET_KILL_PROCESS;
  const { wide, maxNr, byNr } = sections.get(sec)!;
  const a = args.map((x) => (wide ? BigInt.asUintN(64, x) : BigInt.asUintN(32, x)));
  while (a.length < 6) a.push(0n);
  const def = refAction(profile.defaultAction, profile.defaultErrnoRet);
  const mine = byNr.get(nr) ?? [];
  const uncond = mine.find((m) => m.conds.length === 0);
  if (uncond) return uncond.ret;
  for (const m of mine) {
    if (
      m.conds.every((c) => {
        const v = wide ? c.value : c.value & 0xffffffffn;
        const v2 = wide ? c.valueTwo : c.valueTwo & 0xffffffffn;
        return refCmp(c.op, a[c.index], v, v2);
      })
    ) {
      return m.ret;
    }
  }
  if (mine.length > 0) return def;
  if (def !== RET_ALLOW && def !== RET_LOG && maxNr >= 0 && nr > maxNr) return ENOSYS;
  return def;
}

const ARG_SAMPLES: bigint[][] = [
  [],
  [0n],
  [1n, 2n, 3n],
  [0x11n],
  [0x20000n],
  [0x7e020000n],
  [0x100000000n],
  [0xffffffffn],
  [0xffffffffffffffffn],
  [38n],
  [39n],
  [40n],
  [41n],
  [8n],
  [0x20008n],
  [0x3d0f00n],
  [0n, 0x20000n],
];

function compareAll(profile: SeccompProfile, p: Buffer, input: RefInput, archs: number[], nrs: number[], argSets = ARG_SAMPLES) {
  const insns = verify(p);
  let checked = 0;
  for (const arch of archs) {
    for (const nr of nrs) {
      for (const args of argSets) {
        const got = run(insns, { nr, arch, args }).ret;
        const want = reference(profile, input, arch, nr, args);
        if (got !== want) {
          assert.fail(`arch ${arch.toString(16)} nr ${nr} args ${args.map((x) => '0x' + x.toString(16))}: got ${got.toString(16)} want ${want.toString(16)}`);
        }
        checked++;
      }
    }
  }
  return checked;
}

const NR_SAMPLE = [...Array(520).keys(), 1000, 4095, 0x3fffffff, 0x40000000, 0x40000001, 0x7fffffff, 0xfffffffe, 0xffffffff];

describe('default profile on x86_64', () => {
  const p = prog();

  test('fits the kernel limit and passes the kernel-style verifier', () => {
    const n = p.length / 8;
    assert.ok(n > 50 && n <= 4096, `instructions: ${n}`);
    verify(p);
  });

  test('everyday system calls are allowed', () => {
    for (const n of ['read', 'write', 'openat', 'close', 'mmap', 'futex', 'epoll_wait', 'execve', 'exit_group', 'rt_sigreturn', 'getpid', 'chroot', 'arch_prctl', 'modify_ldt', 'set_robust_list', 'rseq']) {
      assert.equal(call(p, n), RET_ALLOW, n);
    }
  });

  test('every name of the allow list that exists on x86_64 and on i386 is allowed', () => {
    const names = DEFAULT_SECCOMP_PROFILE.syscalls[0].names;
    let count = 0;
    for (const arch of ['x86_64', 'x86'] as const) {
      for (const n of names) {
        if (!(n in TABLE[arch])) continue;
        assert.equal(call(p, n, [], arch), RET_ALLOW, `${n} on ${arch}`);
        count++;
      }
    }
    assert.ok(count > 600, `${count}`);
  });

  const DENIED = [
    'mount', 'umount2', 'unshare', 'setns', 'keyctl', 'add_key', 'request_key', 'kexec_load', 'kexec_file_load',
    'bpf', 'perf_event_open', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr',
    'init_module', 'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'acct', 'pivot_root',
    'sethostname', 'setdomainname', 'syslog', 'quotactl', 'iopl', 'ioperm', 'settimeofday', 'clock_settime',
    'vhangup', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'open_by_handle_at', 'kcmp', 'pidfd_getfd',
    'process_madvise', 'mbind', 'set_mempolicy', 'lookup_dcookie', 'fanotify_init', 'uselib', 'ustat', 'sysfs',
    'create_module', 'nfsservctl', 'get_kernel_syms', 'query_module', '_sysctl', 'name_to_handle_at',
  ].filter((n) => n !== 'name_to_handle_at'); // name_to_handle_at is allowed by Docker

  test('the system calls the issue names, and the other privileged ones, answer EPERM', () => {
    for (const n of DENIED) assert.equal(call(p, n), EPERM, n);
  });

  test('the same are refused for i386 processes', () => {
    for (const n of ['mount', 'umount', 'umount2', 'unshare', 'setns', 'keyctl', 'kexec_load', 'bpf', 'reboot', 'init_module', 'swapon', 'pivot_root']) {
      assert.equal(call(p, n, [], 'x86'), EPERM, n);
    }
  });

  test('clone: allowed without namespace flags, EPERM with any of them', () => {
    const SIGCHLD = 17n;
    assert.equal(call(p, 'clone', [SIGCHLD]), RET_ALLOW);
    assert.equal(call(p, 'clone', [0x3d0f00n]), RET_ALLOW, 'pthread_create flags');
    assert.equal(call(p, 'clone', [0x100000000n | SIGCHLD]), RET_ALLOW, 'high word is not a flag');
    const NS = { NEWNS: 0x20000n, NEWCGROUP: 0x02000000n, NEWUTS: 0x04000000n, NEWIPC: 0x08000000n, NEWUSER: 0x10000000n, NEWPID: 0x20000000n, NEWNET: 0x40000000n };
    for (const [k, f] of Object.entries(NS)) {
      assert.equal(call(p, 'clone', [f | SIGCHLD]), EPERM, k);
      assert.equal(call(p, 'clone', [f], 'x86'), EPERM, `${k} i386`);
    }
    assert.equal(call(p, 'clone', [SIGCHLD], 'x86'), RET_ALLOW);
  });

  test('clone3 answers ENOSYS so that the C library falls back to clone', () => {
    assert.equal(call(p, 'clone3'), ENOSYS);
    assert.equal(call(p, 'clone3', [], 'x86'), ENOSYS);
  });

  test('personality: only the harmless personas', () => {
    for (const v of [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn]) assert.equal(call(p, 'personality', [v]), RET_ALLOW, v.toString(16));
    for (const v of [0x0040000n /* ADDR_NO_RANDOMIZE */, 1n, 0x100000000n, 0x1ffffffffn]) {
      assert.equal(call(p, 'personality', [v]), EPERM, v.toString(16));
    }
  });

  test('socket: every family but AF_ALG and AF_VSOCK', () => {
    for (const f of [1n, 2n, 10n, 16n, 17n, 37n, 39n, 41n, 44n, 45n]) assert.equal(call(p, 'socket', [f]), RET_ALLOW, `af ${f}`);
    assert.equal(call(p, 'socket', [40n]), EPERM, 'AF_VSOCK');
    assert.equal(call(p, 'socket', [38n]), EPERM, 'AF_ALG');
    assert.equal(call(p, 'socket', [40n], 'x86'), EPERM, 'AF_VSOCK i386');
    assert.equal(call(p, 'socket', [2n], 'x86'), RET_ALLOW);
  });

  test('ptrace follows the minKernel 4.8 rule', () => {
    assert.equal(call(p, 'ptrace'), RET_ALLOW, 'kernel 6.8');
    assert.equal(call(prog(DEFAULT_CAP_MASK, 'x86_64', '4.4.0'), 'ptrace'), EPERM, 'kernel 4.4');
    assert.equal(call(prog(DEFAULT_CAP_MASK, 'x86_64', null), 'ptrace'), EPERM, 'unknown kernel');
    assert.equal(call(prog(DEFAULT_CAP_MASK | cap('CAP_SYS_PTRACE'), 'x86_64', '4.4.0'), 'ptrace'), RET_ALLOW, 'CAP_SYS_PTRACE');
  });

  test('a foreign architecture and x32 system calls kill the process', () => {
    assert.equal(run(p, { nr: 0, arch: AUDIT_ARCH_AARCH64 }).ret, RET_KILL_PROCESS);
    assert.equal(run(p, { nr: 0, arch: 0 }).ret, RET_KILL_PROCESS);
    assert.equal(run(p, { nr: 0, arch: 0x40000028 /* ARM */ }).ret, RET_KILL_PROCESS);
    assert.equal(run(p, { nr: 0x40000000, arch: AUDIT_ARCH_X86_64 }).ret, RET_KILL_PROCESS, 'x32 read');
    assert.equal(run(p, { nr: 0x40000000 | 165, arch: AUDIT_ARCH_X86_64 }).ret, RET_KILL_PROCESS, 'x32 mount');
    assert.equal(run(p, { nr: 0xffffffff, arch: AUDIT_ARCH_X86_64 }).ret, RET_KILL_PROCESS);
  });

  test('unknown numbers: EPERM inside the known range, ENOSYS above it', () => {
    assert.equal(run(p, { nr: 400, arch: AUDIT_ARCH_X86_64 }).ret, EPERM, 'hole 335..423');
    assert.equal(run(p, { nr: 600, arch: AUDIT_ARCH_X86_64 }).ret, ENOSYS);
    assert.equal(run(p, { nr: 0x3fffffff, arch: AUDIT_ARCH_X86_64 }).ret, ENOSYS);
    assert.equal(run(p, { nr: 0xffffffff, arch: AUDIT_ARCH_I386 }).ret, ENOSYS);
  });

  test('matches the reference semantics for every number, sample arguments, both architectures', () => {
    const input: RefInput = { caps: DEFAULT_CAP_MASK, native: 'x86_64', kernel: [6, 8] };
    const n = compareAll(DEFAULT_SECCOMP_PROFILE, p, input, [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, 0], NR_SAMPLE);
    assert.ok(n > 30000);
  });

  test('an allowed call costs few instructions (binary search)', () => {
    let worst = 0;
    for (const n of DEFAULT_SECCOMP_PROFILE.syscalls[0].names) {
      const nr = syscallNumber(n, 'x86_64');
      if (nr === undefined) continue;
      worst = Math.max(worst, run(p, { nr, arch: AUDIT_ARCH_X86_64 }).steps);
    }
    assert.ok(worst <= 16, `worst path ${worst} instructions`);
  });
});

describe('default profile with capabilities added', () => {
  test('CAP_SYS_ADMIN allows mount, unshare, setns, the new mount API, clone with flags, clone3', () => {
    const p = prog(DEFAULT_CAP_MASK | cap('CAP_SYS_ADMIN'));
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'bpf', 'perf_event_open', 'sethostname', 'syslog', 'clone3']) {
      assert.equal(call(p, n), RET_ALLOW, n);
    }
    assert.equal(call(p, 'clone', [0x20000n | 17n]), RET_ALLOW);
    assert.equal(call(p, 'clone', [0x10000000n], 'x86'), RET_ALLOW);
    // Never allowed, whatever the capabilities.
    for (const n of ['keyctl', 'add_key', 'request_key', 'kexec_load', 'swapon', 'swapoff', 'pivot_root']) assert.equal(call(p, n), EPERM, n);
  });

  test('each guarded system call opens with its own capability only', () => {
    const cases: [string, string][] = [
      ['reboot', 'CAP_SYS_BOOT'],
      ['init_module', 'CAP_SYS_MODULE'],
      ['finit_module', 'CAP_SYS_MODULE'],
      ['delete_module', 'CAP_SYS_MODULE'],
      ['acct', 'CAP_SYS_PACCT'],
      ['kcmp', 'CAP_SYS_PTRACE'],
      ['iopl', 'CAP_SYS_RAWIO'],
      ['settimeofday', 'CAP_SYS_TIME'],
      ['clock_settime', 'CAP_SYS_TIME'],
      ['vhangup', 'CAP_SYS_TTY_CONFIG'],
      ['mbind', 'CAP_SYS_NICE'],
      ['syslog', 'CAP_SYSLOG'],
      ['bpf', 'CAP_BPF'],
      ['perf_event_open', 'CAP_PERFMON'],
      ['open_by_handle_at', 'CAP_DAC_READ_SEARCH'],
    ];
    for (const [n, c] of cases) {
      assert.equal(call(prog(DEFAULT_CAP_MASK | cap(c)), n), RET_ALLOW, `${n} with ${c}`);
      assert.equal(call(prog(DEFAULT_CAP_MASK), n), EPERM, `${n} without ${c}`);
    }
    assert.equal(call(prog(DEFAULT_CAP_MASK | cap('CAP_SYS_BOOT')), 'mount'), EPERM);
  });

  test('chroot needs CAP_SYS_CHROOT, which is a default', () => {
    assert.equal(call(prog(DEFAULT_CAP_MASK & ~cap('CAP_SYS_CHROOT')), 'chroot'), EPERM);
  });

  test('matches the reference with all capabilities and with none', () => {
    for (const caps of [ALL, 0n, cap('CAP_SYS_ADMIN')]) {
      const p = prog(caps);
      compareAll(DEFAULT_SECCOMP_PROFILE, p, { caps, native: 'x86_64', kernel: [6, 8] }, [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386], NR_SAMPLE);
    }
  });
});

describe('default profile on aarch64', () => {
  const p = prog(DEFAULT_CAP_MASK, 'aarch64');
  test('numbers and decisions', () => {
    assert.equal(call(p, 'read', [], 'aarch64'), RET_ALLOW);
    assert.equal(syscallNumber('read', 'arm64'), 63);
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'keyctl', 'kexec_load', 'bpf', 'perf_event_open', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'add_key', 'request_key', 'init_module', 'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'acct', 'pivot_root']) {
      assert.equal(call(p, n, [], 'aarch64'), EPERM, n);
    }
    assert.equal(call(p, 'clone', [0x20000n], 'aarch64'), EPERM);
    assert.equal(call(p, 'clone', [17n], 'aarch64'), RET_ALLOW);
    assert.equal(call(p, 'clone3', [], 'aarch64'), ENOSYS);
    assert.equal(run(p, { nr: 63, arch: AUDIT_ARCH_X86_64 }).ret, RET_KILL_PROCESS);
    assert.equal(run(p, { nr: 0x40000000, arch: AUDIT_ARCH_AARCH64 }).ret, ENOSYS, 'no x32 on arm64');
  });
  test('matches the reference', () => {
    compareAll(DEFAULT_SECCOMP_PROFILE, p, { caps: DEFAULT_CAP_MASK, native: 'aarch64', kernel: [6, 8] }, [AUDIT_ARCH_AARCH64, AUDIT_ARCH_X86_64], NR_SAMPLE);
  });
});

// --- Docker's JSON format

/** The default profile written out as Docker's JSON. */
function toJson(p: SeccompProfile): string {
  return JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(\d+)@@"/g, '$1');
}

describe('parsing profiles', () => {
  test('the default profile round-trips through JSON and compiles to the same program', () => {
    const parsed = parseSeccompProfile(toJson(DEFAULT_SECCOMP_PROFILE));
    for (const caps of [DEFAULT_CAP_MASK, ALL]) {
      for (const arch of ['x86_64', 'aarch64']) {
        assert.deepEqual(
          compileSeccomp(parsed, { caps, arch, kernelRelease: KERNEL }),
          compileSeccomp(DEFAULT_SECCOMP_PROFILE, { caps, arch, kernelRelease: KERNEL }),
        );
      }
    }
  });

  test('64-bit argument values keep their precision', () => {
    const p = parseSeccompProfile(
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_EQ"}]}]}',
    );
    assert.equal(p.syscalls[0].args![0].value, 0xffffffffffffffffn);
    assert.equal(p.syscalls[0].args![0].valueTwo, 9007199254740993n);
  });

  test('an empty profile means no filter, as Docker', () => {
    assert.equal(compileSeccomp(parseSeccompProfile('{}'), { caps: 0n, arch: 'x86_64' }), null);
  });

  test('the deprecated single "name" is accepted', () => {
    const p = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"read","action":"SCMP_ACT_ALLOW"}]}');
    assert.deepEqual(p.syscalls[0].names, ['read']);
  });

  const bad: [string, RegExp][] = [
    ['not json', /not valid JSON/],
    ['[]', /top level must be a JSON object/],
    ['{"defaultAction":"SCMP_ACT_NOPE"}', /unknown action "SCMP_ACT_NOPE"/],
    ['{"defaultAction":"SCMP_ACT_NOTIFY"}', /SCMP_ACT_NOTIFY is not supported/],
    ['{"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}', /defaultAction is missing/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":-1}', /defaultErrnoRet must be an integer/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}', /both 'architectures' and 'archMap'/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","architectures":["x86_64"]}', /architectures\[0\]: unknown architecture "x86_64"/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}}', /syscalls must be an array/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":"read","action":"SCMP_ACT_ALLOW"}]}', /syscalls\[0\]\.names must be an array of strings/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}', /syscalls\[0\]: no system call names/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"}]}', /both 'name' and 'names'/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"]}]}', /syscalls\[0\]\.action must be a string/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":5}]}', /errnoRet is only valid/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}', /args\[0\]\.index must be an integer from 0 to 5/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]}]}', /unknown operator "SCMP_CMP_LIKE"/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]}', /value must be an unsigned 64-bit integer/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1.5,"op":"SCMP_CMP_EQ"}]}]}', /value must be an unsigned 64-bit integer/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]}', /does not fit in 64 bits/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":"1","op":"SCMP_CMP_EQ"}]}]}', /value must be a number/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4"}}]}', /minKernel: invalid kernel version "4"/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"caps":"CAP_SYS_ADMIN"}}]}', /includes\.caps must be an array/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["Read Me"],"action":"SCMP_ACT_ALLOW"}]}', /invalid system call name/],
  ];
  for (const [text, re] of bad) {
    test(`refuses ${text.slice(0, 70)}`, () => {
      assert.throws(
        () => parseSeccompProfile(text, '/tmp/p.json'),
        (e: unknown) => e instanceof UsageError && e.exitCode === 125 && re.test(e.message) && e.message.startsWith('invalid seccomp profile /tmp/p.json: ') && !e.message.includes('\n'),
      );
    });
  }
});

// --- The compiler on custom profiles

function custom(text: string, caps = 0n, arch = 'x86_64'): { profile: SeccompProfile; p: Buffer } {
  const profile = parseSeccompProfile(text);
  const p = compileSeccomp(profile, { caps, arch, kernelRelease: KERNEL });
  assert.ok(p);
  return { profile, p };
}

describe('compiler', () => {
  test('actions and errno values', () => {
    const { p } = custom(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 13,
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
          { names: ['write'], action: 'SCMP_ACT_KILL' },
          { names: ['openat'], action: 'SCMP_ACT_KILL_PROCESS' },
          { names: ['close'], action: 'SCMP_ACT_TRAP' },
          { names: ['getpid'], action: 'SCMP_ACT_LOG' },
          { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 28 },
          { names: ['rmdir'], action: 'SCMP_ACT_ERRNO' },
          { names: ['ptrace'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
        ],
      }),
    );
    assert.equal(call(p, 'read'), RET_ALLOW);
    assert.equal(call(p, 'write'), RET_KILL_THREAD);
    assert.equal(call(p, 'openat'), RET_KILL_PROCESS);
    assert.equal(call(p, 'close'), RET_TRAP);
    assert.equal(call(p, 'getpid'), RET_LOG);
    assert.equal(call(p, 'mkdir'), retErrno(28));
    assert.equal(call(p, 'rmdir'), retErrno(1), 'ERRNO without errnoRet is EPERM');
    assert.equal(call(p, 'ptrace'), 0x7ff00007);
    assert.equal(call(p, 'mount'), retErrno(13), 'defaultErrnoRet');
  });

  test('every comparison operator on 64-bit and 32-bit architectures, at word boundaries', () => {
    const values = [0n, 1n, 5n, 0xffffffffn, 0x100000000n, 0x100000005n, 0xfffffffffffffffen, 0xffffffffffffffffn];
    const ops = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE'];
    const syscalls = Object.keys(SYSCALLS_X86).filter((n) => n in SYSCALLS_X86_64).slice(0, ops.length * values.length + 8);
    const rules: object[] = [];
    let i = 0;
    for (const op of ops) for (const v of values) rules.push({ names: [syscalls[i++]], action: 'SCMP_ACT_ALLOW', args: [{ index: i % 6, value: `@@${v}@@`, op }] });
    // MASKED_EQ with masks in either word.
    for (const [m, w] of [[0xffn, 0x12n], [0xff00000000n, 0x1200000000n], [0xff000000ffn, 0x01000000ffn], [0xffn, 0x100000000n]] as [bigint, bigint][]) {
      rules.push({ names: [syscalls[i++]], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: `@@${m}@@`, valueTwo: `@@${w}@@`, op: 'SCMP_CMP_MASKED_EQ' }] });
    }
    // Two conditions on different arguments (AND) and on the same one (OR, as runc).
    rules.push({ names: [syscalls[i++]], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] });
    rules.push({ names: [syscalls[i++]], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2, op: 'SCMP_CMP_EQ' }] });
    const text = JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls: rules }).replace(/"@@(\d+)@@"/g, '$1');
    const { profile, p } = custom(text);
    const argVals = [0n, 1n, 2n, 4n, 5n, 6n, 0x12n, 0x112n, 0xffffffffn, 0xfffffffen, 0x100000000n, 0x100000004n, 0x100000005n, 0x100000006n, 0x1200000000n, 0x1200000012n, 0x01000000ffn, 0xfffffffffffffffen, 0xffffffffffffffffn];
    const argSets: bigint[][] = [];
    for (const v of argVals) argSets.push([v, v, v, v, v, v]);
    argSets.push([1n, 2n], [2n, 2n], [1n, 3n], [2n, 1n]);
    const nrs64 = syscalls.slice(0, i).map((n) => SYSCALLS_X86_64[n]);
    const nrs32 = syscalls.slice(0, i).map((n) => SYSCALLS_X86[n]);
    const input: RefInput = { caps: 0n, native: 'x86_64', kernel: [6, 8] };
    compareAll(profile, p, input, [AUDIT_ARCH_X86_64], nrs64, argSets);
    compareAll(profile, p, input, [AUDIT_ARCH_I386], nrs32, argSets);
    // Spot checks the reference agrees with by construction, stated plainly.
    const and = syscalls[i - 2];
    const or = syscalls[i - 1];
    assert.equal(call(p, and, [1n, 2n]), RET_ALLOW);
    assert.equal(call(p, and, [1n, 3n]), EPERM);
    assert.equal(call(p, or, [2n]), RET_ALLOW);
    assert.equal(call(p, or, [1n]), RET_ALLOW);
    assert.equal(call(p, or, [3n]), EPERM);
  });

  test('far jumps: a program of thousands of instructions stays correct', () => {
    // Many system calls with conditions make the blocks far from the search tree.
    const names = Object.keys(SYSCALLS_X86_64).slice(0, 200);
    const rules = names.map((n, i) => ({
      names: [n],
      action: i % 3 === 0 ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_ERRNO',
      errnoRet: i % 3 === 0 ? undefined : 1 + (i % 50),
      args: [
        { index: i % 6, value: i, op: 'SCMP_CMP_GE' },
        { index: (i + 1) % 6, value: 0xff, valueTwo: i & 0xff, op: 'SCMP_CMP_MASKED_EQ' },
      ],
    }));
    const { profile, p } = custom(JSON.stringify({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: rules }));
    const insns = verify(p);
    assert.ok(insns.length > 1500, `${insns.length} instructions`);
    assert.ok(insns.some((x) => x.code === 0x05 && x.k > 255), 'uses long jumps');
    const argSets = [[], [5n, 5n, 5n, 5n, 5n, 5n], [300n, 300n, 300n, 300n, 300n, 300n], [0x100n, 0x101n, 0x102n, 0x103n, 0x104n, 0x105n]];
    for (let i = 0; i < 200; i++) argSets.push([BigInt(i), BigInt(i), BigInt(i), BigInt(i), BigInt(i), BigInt(i)]);
    compareAll(profile, p, { caps: 0n, native: 'x86_64', kernel: [6, 8] }, [AUDIT_ARCH_X86_64], [...Object.values(SYSCALLS_X86_64).slice(0, 210), 400, 999], argSets);
  });

  test('a profile beyond the kernel limit of 4096 instructions is refused', () => {
    const rules = Object.keys(SYSCALLS_X86_64).map((n) => ({
      names: [n],
      action: 'SCMP_ACT_ALLOW',
      args: [0, 1, 2, 3, 4, 5].map((index) => ({ index, value: 7, op: 'SCMP_CMP_GT' })),
    }));
    const profile = parseSeccompProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: rules }));
    assert.throws(() => compileSeccomp(profile, { caps: 0n, arch: 'x86_64' }), (e: unknown) => e instanceof UsageError && /too large: \d+ BPF instructions/.test(e.message));
  });

  test('a rule with the default action is dropped, so a conditional exception still works (runc)', () => {
    const { p } = custom(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          { names: ['mount'], action: 'SCMP_ACT_ERRNO' },
          { names: ['mount'], action: 'SCMP_ACT_ALLOW', args: [{ index: 3, value: 5, op: 'SCMP_CMP_EQ' }] },
        ],
      }),
    );
    assert.equal(call(p, 'mount', [0n, 0n, 0n, 5n]), RET_ALLOW);
    assert.equal(call(p, 'mount', [0n, 0n, 0n, 6n]), EPERM);
  });

  test('an unconditional rule decides alone; conditional rules go in order', () => {
    const { p } = custom(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 25, args: [{ index: 1, value: 0x5401, op: 'SCMP_CMP_EQ' }] },
          { names: ['ioctl'], action: 'SCMP_ACT_ALLOW' },
          { names: ['fcntl'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 1, value: 4, op: 'SCMP_CMP_EQ' }] },
          { names: ['fcntl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 10, op: 'SCMP_CMP_LT' }] },
        ],
      }),
    );
    assert.equal(call(p, 'ioctl', [0n, 0x5401n]), RET_ALLOW);
    assert.equal(call(p, 'fcntl', [0n, 4n]), retErrno(22));
    assert.equal(call(p, 'fcntl', [0n, 3n]), RET_ALLOW);
    assert.equal(call(p, 'fcntl', [0n, 11n]), EPERM);
  });

  test('architectures list: without x86 an i386 process is killed', () => {
    const { p } = custom('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","close"],"action":"SCMP_ACT_ALLOW"}]}');
    assert.equal(run(p, { nr: 3, arch: AUDIT_ARCH_I386 }).ret, RET_KILL_PROCESS);
    assert.equal(call(p, 'read'), RET_ALLOW);
    assert.equal(call(p, 'close'), RET_ALLOW);
    assert.equal(call(p, 'write'), EPERM);
    assert.equal(call(p, 'mmap'), ENOSYS, 'above the highest number the profile names');
  });

  test('a default action of allow with a deny list', () => {
    const { p } = custom('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount","umount2"],"action":"SCMP_ACT_ERRNO"}]}');
    assert.equal(call(p, 'read'), RET_ALLOW);
    assert.equal(call(p, 'mount'), EPERM);
    assert.equal(run(p, { nr: 9999, arch: AUDIT_ARCH_X86_64 }).ret, RET_ALLOW);
  });

  test('unknown names are ignored on an architecture that lacks them', () => {
    const { p } = custom('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","no_such_call","set_tls"],"action":"SCMP_ACT_ALLOW"}]}');
    assert.equal(call(p, 'read'), RET_ALLOW);
  });
});

describe('syscallNumber', () => {
  test('known numbers', () => {
    assert.equal(syscallNumber('read', 'x86_64'), 0);
    assert.equal(syscallNumber('mount', 'x64'), 165);
    assert.equal(syscallNumber('clone3', 'amd64'), 435);
    assert.equal(syscallNumber('mount', 'aarch64'), 40);
    assert.equal(syscallNumber('mount', 'x86'), 21);
    assert.equal(syscallNumber('file_setattr', 'x86_64'), 469);
    assert.equal(syscallNumber('open', 'aarch64'), undefined);
    assert.equal(syscallNumber('nope', 'x86_64'), undefined);
    assert.throws(() => syscallNumber('read', 'sparc'), UsageError);
  });
});
