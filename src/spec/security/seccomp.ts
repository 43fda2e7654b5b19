/**
 * Seccomp, computed entirely here: Docker's JSON profile format (parse and validate),
 * Docker's rule selection (by capabilities, architecture and kernel version), and a
 * compiler from the selected rules to the classic-BPF program the kernel runs. The C
 * helper only hands the returned bytes to `seccomp(SECCOMP_SET_MODE_FILTER)`.
 *
 * Semantics follow Docker + runc + libseccomp:
 * - the container's capabilities decide `includes.caps` / `excludes.caps` (Docker checks
 *   the bounding set); `includes.arches` is matched against the native architecture;
 *   `minKernel` against the host kernel (unknown kernel: a `minKernel` include does not
 *   apply and a `minKernel` exclude does not exclude);
 * - a rule whose action equals the default action is dropped (runc);
 * - a rule with two conditions on the same argument becomes one rule per condition (runc);
 * - per system call, a rule without conditions decides alone; otherwise the conditional
 *   rules are tried in profile order and the first that matches decides; otherwise the
 *   default action;
 * - names unknown on an architecture are ignored there (runc);
 * - system calls numbered above every number the profile names answer ENOSYS instead
 *   of the default action (runc), so that a C library can fall back from a system call
 *   newer than the profile;
 * - a foreign architecture, and x32 system calls on x86_64, kill the process.
 * Arguments are compared as unsigned 64-bit values (high and low 32-bit words), on
 * 32-bit architectures as 32-bit values, as libseccomp does.
 */
import { UsageError } from '../../common/errors';
import { capabilityNumber } from './capabilities';
import { BpfAssembler, BPF_MAXINSNS, Label, NEXT, SOCK_FILTER_SIZE } from './bpf';
import { SYSCALLS_AARCH64, SYSCALLS_X86, SYSCALLS_X86_64 } from './syscall-tables';
import {
  kernelAtLeast,
  normalizeArch,
  parseKernelVersion,
  programKeyFrom,
  type ProfileKeyParts,
  type SeccompArch,
  type SeccompCompileOptions,
} from './seccomp-key';

export { normalizeArch, parseKernelVersion, programKeyFrom };
export type { ProfileKeyParts, SeccompArch, SeccompCompileOptions };

// ---------------------------------------------------------------------------------------
// Profile model (Docker's JSON format)

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG';

export type SeccompOp =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArg {
  index: number;
  /** Compared value; for MASKED_EQ the mask. */
  value: bigint;
  /** For MASKED_EQ the value the masked argument must equal; otherwise unused. */
  valueTwo: bigint;
  op: SeccompOp;
}

export interface SeccompFilter {
  caps?: readonly string[];
  arches?: readonly string[];
  /** "<kernel>.<major>", e.g. "4.8". */
  minKernel?: string;
}

export interface SeccompRule {
  names: readonly string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: readonly SeccompArg[];
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
  comment?: string;
}

export interface SeccompArchMapEntry {
  architecture: string;
  subArchitectures: readonly string[];
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: readonly string[];
  archMap?: readonly SeccompArchMapEntry[];
  syscalls: readonly SeccompRule[];
}

const ACTIONS: ReadonlySet<string> = new Set([
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
]);
const OPS: ReadonlySet<string> = new Set([
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
]);
/** Architecture names a profile may use (libseccomp's); only some have a table here. */
const SCMP_ARCHES: ReadonlySet<string> = new Set([
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
]);

const MAX_ERRNO = 4095;
const U64_MAX = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------------------
// Architectures


interface ArchInfo {
  arch: SeccompArch;
  /** One more than the highest number in the table. */
  limit: number;
  /** AUDIT_ARCH_* as the kernel reports it in seccomp_data.arch. */
  audit: number;
  /** libseccomp's name, as in a profile's `architectures` / `archMap`. */
  scmp: string;
  /** The name `includes.arches` / `excludes.arches` use (Docker's, from Go's GOARCH). */
  native: string;
  bits: 32 | 64;
  table: ReadonlyMap<string, number>;
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** x32 system calls arrive as AUDIT_ARCH_X86_64 with this bit set in the number. */
export const X32_SYSCALL_BIT = 0x40000000;

function archInfo(
  arch: SeccompArch,
  audit: number,
  scmp: string,
  native: string,
  bits: 32 | 64,
  obj: Readonly<Record<string, number>>,
): ArchInfo {
  const table = new Map(Object.entries(obj));
  let limit = 0;
  for (const nr of table.values()) if (nr >= limit) limit = nr + 1;
  return { arch, limit, audit, scmp, native, bits, table };
}

const ARCHES: Readonly<Record<SeccompArch, ArchInfo>> = {
  x86_64: archInfo('x86_64', AUDIT_ARCH_X86_64, 'SCMP_ARCH_X86_64', 'amd64', 64, SYSCALLS_X86_64),
  x86: archInfo('x86', AUDIT_ARCH_I386, 'SCMP_ARCH_X86', 'x86', 32, SYSCALLS_X86),
  aarch64: archInfo('aarch64', AUDIT_ARCH_AARCH64, 'SCMP_ARCH_AARCH64', 'arm64', 64, SYSCALLS_AARCH64),
};

/** Names resolved to numbers, per names list and architecture (lists are reused across compiles). */
const resolved = new WeakMap<readonly string[], Map<SeccompArch, Int32Array>>();
function resolveNames(names: readonly string[], a: ArchInfo): Int32Array {
  let byArch = resolved.get(names);
  if (!byArch) resolved.set(names, (byArch = new Map()));
  let nrs = byArch.get(a.arch);
  if (!nrs) {
    const tmp: number[] = [];
    for (const n of names) {
      const nr = a.table.get(n);
      if (nr !== undefined) tmp.push(nr);
    }
    byArch.set(a.arch, (nrs = Int32Array.from(tmp)));
  }
  return nrs;
}
/** Which compatible sub-architectures a native architecture can run (and we have tables for). */
const SUB_ARCHES: Readonly<Record<SeccompArch, readonly SeccompArch[]>> = {
  x86_64: ['x86'],
  aarch64: [],
  x86: [],
};

/** The number of system call `name` on `arch`, or undefined if that architecture lacks it. */
export function syscallNumber(name: string, arch: string): number | undefined {
  return ARCHES[normalizeArch(arch)].table.get(name);
}

// ---------------------------------------------------------------------------------------
// Parsing Docker's JSON profile

/**
 * Parses and validates a profile in Docker's format. Every problem is one UsageError
 * line naming the field. `source` (a path) is named in the message.
 */
export function parseSeccompProfile(text: string, source = 'profile'): SeccompProfile {
  const fail = (msg: string): never => {
    throw new UsageError(`invalid seccomp profile ${source}: ${msg}`);
  };
  // JSON numbers lose precision above 2^53; argument values are u64. Mark the raw
  // digits of every "value"/"valueTwo" as a string starting with NUL before parsing.
  const marked = text.replace(/("value(?:Two)?"\s*:\s*)(-?[0-9][0-9.eE+-]*)/g, '$1"\\u0000$2"');
  let raw: unknown;
  try {
    raw = JSON.parse(marked);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(raw)) return fail('the top level must be a JSON object');

  const defaultAction = raw.defaultAction;
  const syscallsRaw = raw.syscalls;
  if (defaultAction === undefined || defaultAction === '') {
    if (syscallsRaw === undefined || syscallsRaw === null || (Array.isArray(syscallsRaw) && syscallsRaw.length === 0)) {
      // Docker: no default action and no rules means no filter at all.
      return { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] };
    }
    return fail('defaultAction is missing');
  }
  const profile: {
    defaultAction: SeccompAction;
    defaultErrnoRet?: number;
    architectures?: string[];
    archMap?: SeccompArchMapEntry[];
    syscalls: SeccompRule[];
  } = { defaultAction: parseAction(defaultAction, 'defaultAction', fail), syscalls: [] };
  if (raw.defaultErrnoRet !== undefined && raw.defaultErrnoRet !== null) {
    profile.defaultErrnoRet = parseErrno(raw.defaultErrnoRet, 'defaultErrnoRet', fail);
  }
  if (raw.architectures !== undefined && raw.architectures !== null) {
    profile.architectures = parseStringList(raw.architectures, 'architectures', fail).map((a, i) =>
      parseScmpArch(a, `architectures[${i}]`, fail),
    );
  }
  if (raw.archMap !== undefined && raw.archMap !== null) {
    if (!Array.isArray(raw.archMap)) return fail('archMap must be an array');
    profile.archMap = raw.archMap.map((e, i) => {
      const where = `archMap[${i}]`;
      if (!isObject(e)) return fail(`${where} must be an object`);
      const architecture = parseScmpArch(e.architecture, `${where}.architecture`, fail);
      const subs =
        e.subArchitectures === undefined || e.subArchitectures === null
          ? []
          : parseStringList(e.subArchitectures, `${where}.subArchitectures`, fail).map((a, j) =>
              parseScmpArch(a, `${where}.subArchitectures[${j}]`, fail),
            );
      return { architecture, subArchitectures: subs };
    });
  }
  if ((profile.architectures?.length ?? 0) > 0 && (profile.archMap?.length ?? 0) > 0) {
    return fail("both 'architectures' and 'archMap' are specified, use either 'architectures' or 'archMap'");
  }
  if (syscallsRaw !== undefined && syscallsRaw !== null) {
    if (!Array.isArray(syscallsRaw)) return fail('syscalls must be an array');
    profile.syscalls = syscallsRaw.map((r, i) => parseRule(r, `syscalls[${i}]`, fail));
  }
  return profile;
}

type Fail = (msg: string) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseAction(v: unknown, where: string, fail: Fail): SeccompAction {
  if (typeof v !== 'string') return fail(`${where} must be a string`);
  if (v === 'SCMP_ACT_NOTIFY') return fail(`${where}: SCMP_ACT_NOTIFY is not supported`);
  if (!ACTIONS.has(v)) return fail(`${where}: unknown action ${JSON.stringify(v)}`);
  return v as SeccompAction;
}

function parseErrno(v: unknown, where: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ERRNO) {
    return fail(`${where} must be an integer from 0 to ${MAX_ERRNO}`);
  }
  return v;
}

function parseStringList(v: unknown, where: string, fail: Fail): string[] {
  if (!Array.isArray(v)) return fail(`${where} must be an array of strings`);
  for (const s of v) if (typeof s !== 'string') return fail(`${where} must be an array of strings`);
  return v as string[];
}

function parseScmpArch(v: unknown, where: string, fail: Fail): string {
  if (typeof v !== 'string') return fail(`${where} must be a string`);
  if (!SCMP_ARCHES.has(v)) return fail(`${where}: unknown architecture ${JSON.stringify(v)}`);
  return v;
}

function parseU64(v: unknown, where: string, fail: Fail): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v !== 'string' || !v.startsWith('\u0000')) return fail(`${where} must be a number`);
  const digits = v.slice(1);
  if (!/^[0-9]+$/.test(digits)) return fail(`${where} must be an unsigned 64-bit integer, not ${digits}`);
  const n = BigInt(digits);
  if (n > U64_MAX) return fail(`${where} ${digits} does not fit in 64 bits`);
  return n;
}

function parseFilter(v: unknown, where: string, fail: Fail): SeccompFilter | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return fail(`${where} must be an object`);
  const f: { caps?: string[]; arches?: string[]; minKernel?: string } = {};
  if (v.caps !== undefined && v.caps !== null) f.caps = parseStringList(v.caps, `${where}.caps`, fail);
  if (v.arches !== undefined && v.arches !== null) f.arches = parseStringList(v.arches, `${where}.arches`, fail);
  if (v.minKernel !== undefined && v.minKernel !== null && v.minKernel !== '') {
    if (typeof v.minKernel !== 'string' || parseKernelVersion(v.minKernel) === null) {
      return fail(`${where}.minKernel: invalid kernel version ${JSON.stringify(v.minKernel)}, expected "<kernel>.<major>"`);
    }
    f.minKernel = v.minKernel;
  }
  return f;
}

function parseRule(r: unknown, where: string, fail: Fail): SeccompRule {
  if (!isObject(r)) return fail(`${where} must be an object`);
  let names: string[];
  if (r.name !== undefined && r.name !== null && r.name !== '') {
    if (Array.isArray(r.names) && r.names.length > 0) {
      return fail(`${where}: both 'name' and 'names' are specified, use either 'name' or 'names'`);
    }
    if (typeof r.name !== 'string') return fail(`${where}.name must be a string`);
    names = [r.name];
  } else {
    names = parseStringList(r.names ?? [], `${where}.names`, fail);
  }
  if (names.length === 0) return fail(`${where}: no system call names`);
  for (const n of names) if (!/^[a-z_][a-z0-9_]*$/.test(n)) return fail(`${where}: invalid system call name ${JSON.stringify(n)}`);
  const rule: {
    names: string[];
    action: SeccompAction;
    errnoRet?: number;
    args?: SeccompArg[];
    includes?: SeccompFilter;
    excludes?: SeccompFilter;
    comment?: string;
  } = { names, action: parseAction(r.action, `${where}.action`, fail) };
  if (r.errnoRet !== undefined && r.errnoRet !== null) {
    rule.errnoRet = parseErrno(r.errnoRet, `${where}.errnoRet`, fail);
    if (rule.action !== 'SCMP_ACT_ERRNO' && rule.action !== 'SCMP_ACT_TRACE') {
      return fail(`${where}: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE`);
    }
  }
  if (r.args !== undefined && r.args !== null) {
    if (!Array.isArray(r.args)) return fail(`${where}.args must be an array`);
    if (r.args.length > 6) return fail(`${where}.args: at most 6 conditions`);
    rule.args = r.args.map((a, j) => {
      const w = `${where}.args[${j}]`;
      if (!isObject(a)) return fail(`${w} must be an object`);
      const index = a.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) {
        return fail(`${w}.index must be an integer from 0 to 5`);
      }
      if (typeof a.op !== 'string' || !OPS.has(a.op)) return fail(`${w}.op: unknown operator ${JSON.stringify(a.op)}`);
      return { index, value: parseU64(a.value, `${w}.value`, fail), valueTwo: parseU64(a.valueTwo, `${w}.valueTwo`, fail), op: a.op as SeccompOp };
    });
  }
  const inc = parseFilter(r.includes, `${where}.includes`, fail);
  if (inc) rule.includes = inc;
  const exc = parseFilter(r.excludes, `${where}.excludes`, fail);
  if (exc) rule.excludes = exc;
  if (typeof r.comment === 'string') rule.comment = r.comment;
  return rule;
}

// ---------------------------------------------------------------------------------------
// Rule selection (Docker's setupSeccomp) and compilation


export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
const EPERM = 1;
const ENOSYS = 38;

/** The 32-bit value a filter returns for an action. */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET_ALLOW;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET_ERRNO | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET_TRAP;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET_TRACE | ((errnoRet ?? 0) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET_LOG;
  }
}

interface Cond {
  index: number;
  op: SeccompOp;
  value: bigint;
  valueTwo: bigint;
}
interface SelectedRule {
  names: readonly string[];
  ret: number;
  /** Conditions ANDed; empty = unconditional. */
  conds: readonly Cond[];
}

function capsHave(caps: bigint, name: string): boolean {
  const n = capabilityNumber(name.toUpperCase().startsWith('CAP_') ? name.toUpperCase() : 'CAP_' + name.toUpperCase());
  return n !== undefined && (caps & (1n << BigInt(n))) !== 0n;
}


/**
 * Docker's selection of a profile's rules for this container and host, as return values.
 * `named` lists the names of every selected rule, including those dropped afterwards for
 * having the default action (they still count for the ENOSYS limit, as in runc).
 */
function selectRules(
  profile: SeccompProfile,
  native: ArchInfo,
  opts: SeccompCompileOptions,
  defaultRet: number,
): { rules: SelectedRule[]; named: (readonly string[])[] } {
  const kernel = opts.kernelRelease ? parseKernelVersion(opts.kernelRelease) : null;
  const out: SelectedRule[] = [];
  const named: (readonly string[])[] = [];
  for (const rule of profile.syscalls) {
    const exc = rule.excludes;
    if (exc) {
      if (exc.arches && exc.arches.includes(native.native)) continue;
      if (exc.caps && exc.caps.some((c) => capsHave(opts.caps, c))) continue;
      if (exc.minKernel && kernelAtLeast(kernel, exc.minKernel) === true) continue;
    }
    const inc = rule.includes;
    if (inc) {
      if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(native.native)) continue;
      if (inc.caps && !inc.caps.every((c) => capsHave(opts.caps, c))) continue;
      if (inc.minKernel && kernelAtLeast(kernel, inc.minKernel) !== true) continue;
    }
    named.push(rule.names);
    const ret = actionValue(rule.action, rule.errnoRet);
    if (ret === defaultRet) continue; // runc: same as the default, nothing to add
    const args = rule.args ?? [];
    const perIndex = new Uint8Array(6);
    for (const a of args) perIndex[a.index]++;
    if (perIndex.some((c) => c > 1)) {
      for (const a of args) out.push({ names: rule.names, ret, conds: [a] });
    } else {
      out.push({ names: rule.names, ret, conds: args });
    }
  }
  return { rules: out, named };
}

/** The architecture sections of the filter: native first, then compatible sub-architectures. */
function filterArches(profile: SeccompProfile, native: ArchInfo): ArchInfo[] {
  let listed: readonly string[] = profile.architectures ?? [];
  if (profile.archMap && profile.archMap.length > 0) {
    const entry = profile.archMap.find((e) => e.architecture === native.scmp);
    listed = entry ? [entry.architecture, ...entry.subArchitectures] : [];
  }
  const out: ArchInfo[] = [native];
  for (const sub of SUB_ARCHES[native.arch]) {
    const info = ARCHES[sub];
    if (listed.includes(info.scmp)) out.push(info);
  }
  return out;
}

type Leaf = { ret: number } | { rules: { ret: number; conds: readonly Cond[] }[]; fallback: number };


export function profileKeyParts(profile: SeccompProfile): ProfileKeyParts {
  let capsMask = 0n;
  const thresholds = new Set<string>();
  for (const r of profile.syscalls) {
    for (const f of [r.includes, r.excludes]) {
      if (!f) continue;
      for (const c of f.caps ?? []) {
        const n = capabilityNumber(c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : 'CAP_' + c.toUpperCase());
        if (n !== undefined) capsMask |= 1n << BigInt(n);
      }
      if (f.minKernel) thresholds.add(f.minKernel);
    }
  }
  return { capsMask, minKernels: [...thresholds].sort() };
}


/**
 * The inputs a compiled program really depends on, as a string: the architecture, the
 * capabilities the profile's rules mention (others cannot change the program), and which
 * of its `minKernel` thresholds the kernel meets. Equal keys give equal programs, so a
 * key can name a cached program (`--cap-add NET_ADMIN` shares the default program).
 */
export function seccompProgramKey(profile: SeccompProfile, opts: SeccompCompileOptions): string {
  return programKeyFrom(profileKeyParts(profile), opts);
}

/**
 * Compiles `profile` for a container with capabilities `opts.caps` on `opts.arch` into
 * a seccomp classic-BPF program (`struct sock_filter[]`, little-endian, 8 bytes each).
 * Returns null when the profile asks for no filtering at all.
 */
export function compileSeccomp(profile: SeccompProfile, opts: SeccompCompileOptions): Buffer | null {
  if (profile.defaultAction === 'SCMP_ACT_ALLOW' && profile.syscalls.length === 0) return null;
  const native = ARCHES[normalizeArch(opts.arch)];
  const defaultRet = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const { rules, named } = selectRules(profile, native, opts, defaultRet);
  const arches = filterArches(profile, native);
  // runc answers ENOSYS above the newest system call the profile knows, unless the
  // default already lets everything through.
  const enosysAbove = defaultRet !== SECCOMP_RET_ALLOW && defaultRet !== SECCOMP_RET_LOG;

  const asm = new BpfAssembler();
  const badArch = asm.label();
  const sections = arches.map(() => asm.label());
  asm.ldAbs(4); // seccomp_data.arch
  arches.forEach((a, i) => {
    const last = i === arches.length - 1;
    asm.jump('jeq', a.audit, sections[i], last ? badArch : NEXT);
  });
  arches.forEach((a, i) => {
    asm.place(sections[i]);
    emitArchSection(asm, a, rules, named, defaultRet, enosysAbove, badArch);
  });
  asm.place(badArch);
  asm.ret(SECCOMP_RET_KILL_PROCESS);
  const prog = asm.assemble();
  const count = prog.length / SOCK_FILTER_SIZE;
  if (count > BPF_MAXINSNS) {
    throw new UsageError(`seccomp profile too large: ${count} BPF instructions (the kernel allows ${BPF_MAXINSNS})`);
  }
  return prog;
}

function emitArchSection(
  asm: BpfAssembler,
  a: ArchInfo,
  rules: readonly SelectedRule[],
  named: readonly (readonly string[])[],
  defaultRet: number,
  enosysAbove: boolean,
  badArch: Label,
): void {
  // Per system call number: the rules that name it, in profile order.
  const perNr: ({ ret: number; conds: readonly Cond[] }[] | undefined)[] = new Array(a.limit);
  let lastRuleNr = -1;
  for (const r of rules) {
    const nrs = resolveNames(r.names, a);
    for (let i = 0; i < nrs.length; i++) {
      const nr = nrs[i];
      const list = perNr[nr];
      if (list) list.push(r);
      else perNr[nr] = [r];
      if (nr > lastRuleNr) lastRuleNr = nr;
    }
  }
  // The ENOSYS limit counts every selected name, whatever its action (runc).
  let maxNr = lastRuleNr;
  for (const names of named) {
    const nrs = resolveNames(names, a);
    for (let i = 0; i < nrs.length; i++) if (nrs[i] > maxNr) maxNr = nrs[i];
  }

  // Segments [start, next start) of the 32-bit number space, each with one leaf.
  const starts: number[] = [];
  const leaves: Leaf[] = [];
  const add = (start: number, leaf: Leaf) => {
    const prev = leaves[leaves.length - 1];
    if (prev && 'ret' in prev && 'ret' in leaf && prev.ret === leaf.ret) return; // merge
    starts.push(start);
    leaves.push(leaf);
  };
  let cursor = 0;
  for (let nr = 0; nr <= lastRuleNr; nr++) {
    const list = perNr[nr];
    if (!list) continue;
    if (nr > cursor) add(cursor, { ret: defaultRet });
    let uncond: { ret: number } | undefined;
    for (const r of list) {
      if (r.conds.length === 0) {
        uncond = r;
        break;
      }
    }
    add(nr, uncond ? { ret: uncond.ret } : { rules: list, fallback: defaultRet });
    cursor = nr + 1;
  }
  const x32 = a.arch === 'x86_64';
  const top = x32 ? X32_SYSCALL_BIT : 0x100000000;
  if (enosysAbove && maxNr >= 0) {
    if (cursor <= maxNr) add(cursor, { ret: defaultRet });
    if (maxNr + 1 < top) add(maxNr + 1, { ret: (SECCOMP_RET_ERRNO | ENOSYS) >>> 0 });
  } else if (cursor < top) {
    add(cursor, { ret: defaultRet });
  }
  const segLabels: (Label | null)[] = leaves.map(() => null);
  // x32 numbers are refused as a foreign architecture.
  let x32Leaf = -1;
  if (x32) {
    starts.push(X32_SYSCALL_BIT);
    leaves.push({ ret: SECCOMP_RET_KILL_PROCESS });
    segLabels.push(badArch);
    x32Leaf = leaves.length - 1;
  }

  // One return per distinct value, at the end of the section.
  const retLabels = new Map<number, Label>();
  const retLabel = (v: number): Label => {
    let l = retLabels.get(v);
    if (l === undefined) retLabels.set(v, (l = asm.label()));
    return l;
  };
  const condBlocks: { label: Label; leaf: Extract<Leaf, { rules: unknown }> }[] = [];
  const target = (i: number): Label => {
    if (i === x32Leaf) return badArch;
    const leaf = leaves[i];
    if ('ret' in leaf) return retLabel(leaf.ret);
    let l = segLabels[i];
    if (l === null) {
      l = segLabels[i] = asm.label();
      condBlocks.push({ label: l, leaf });
    }
    return l;
  };

  asm.ldAbs(0); // seccomp_data.nr
  // Binary search over the segments: each node is one `jge start`.
  const emitTree = (lo: number, hi: number, self: Label | null): void => {
    // segments [lo, hi), hi - lo >= 2
    if (self !== null) asm.place(self);
    const mid = (lo + hi) >>> 1;
    const left = mid - lo === 1 ? target(lo) : asm.label();
    const right = hi - mid === 1 ? target(mid) : asm.label();
    asm.jump('jge', starts[mid], right, left);
    if (mid - lo > 1) emitTree(lo, mid, left);
    if (hi - mid > 1) emitTree(mid, hi, right);
  };
  if (leaves.length === 1) asm.ja(target(0));
  else emitTree(0, leaves.length, null);

  for (const { label, leaf } of condBlocks) {
    asm.place(label);
    emitConditional(asm, a.bits, leaf.rules, retLabel(leaf.fallback), retLabel);
  }
  for (const [v, l] of retLabels) {
    asm.place(l);
    asm.ret(v);
  }
}

function emitConditional(
  asm: BpfAssembler,
  bits: 32 | 64,
  rules: readonly { ret: number; conds: readonly Cond[] }[],
  fallback: Label,
  retLabel: (v: number) => Label,
): void {
  rules.forEach((rule, i) => {
    const nextRule = i === rules.length - 1 ? fallback : asm.label();
    rule.conds.forEach((c, j) => {
      const last = j === rule.conds.length - 1;
      emitCond(asm, bits, c, last ? retLabel(rule.ret) : NEXT, nextRule);
    });
    if (i !== rules.length - 1) asm.place(nextRule);
  });
}

const lo32 = (v: bigint) => Number(v & 0xffffffffn);
const hi32 = (v: bigint) => Number((v >> 32n) & 0xffffffffn);

/** Emits a test of one condition: jumps to `succ` when it holds, to `fail` when not. */
function emitCond(asm: BpfAssembler, bits: 32 | 64, c: Cond, succ: Label, fail: Label): void {
  const end = succ === NEXT ? asm.label() : succ;
  const loOff = 16 + 8 * c.index; // seccomp_data.args[i], little-endian: low word first
  const hiOff = loOff + 4;
  const v = c.value;
  const wide = bits === 64;
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      if (wide) {
        asm.ldAbs(hiOff);
        asm.jump('jeq', hi32(v), NEXT, fail);
      }
      asm.ldAbs(loOff);
      asm.jump('jeq', lo32(v), end, fail);
      break;
    case 'SCMP_CMP_NE':
      if (wide) {
        asm.ldAbs(hiOff);
        asm.jump('jeq', hi32(v), NEXT, end);
      }
      asm.ldAbs(loOff);
      asm.jump('jeq', lo32(v), fail, end);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      const op = c.op === 'SCMP_CMP_GT' ? 'jgt' : 'jge';
      if (wide) {
        asm.ldAbs(hiOff);
        asm.jump('jgt', hi32(v), end, NEXT);
        asm.jump('jeq', hi32(v), NEXT, fail);
      }
      asm.ldAbs(loOff);
      asm.jump(op, lo32(v), end, fail);
      break;
    }
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // not (arg >= v) / not (arg > v)
      const op = c.op === 'SCMP_CMP_LT' ? 'jge' : 'jgt';
      if (wide) {
        asm.ldAbs(hiOff);
        asm.jump('jgt', hi32(v), fail, NEXT);
        asm.jump('jeq', hi32(v), NEXT, end);
      }
      asm.ldAbs(loOff);
      asm.jump(op, lo32(v), fail, end);
      break;
    }
    case 'SCMP_CMP_MASKED_EQ': {
      const m = v;
      const want = c.valueTwo;
      if (wide) {
        if (hi32(m) === 0) {
          if (hi32(want) !== 0) {
            asm.ja(fail); // (hi & 0) can never equal a non-zero word
            break;
          }
        } else {
          asm.ldAbs(hiOff);
          asm.and(hi32(m));
          asm.jump('jeq', hi32(want), NEXT, fail);
        }
      }
      asm.ldAbs(loOff);
      asm.and(lo32(m));
      asm.jump('jeq', lo32(want), end, fail);
      break;
    }
  }
  if (succ === NEXT) asm.place(end);
}

// ---------------------------------------------------------------------------------------
// Inspection helpers

/** Decodes a program back into `{code, jt, jf, k}` records (for tests and debugging). */
export function decodeFilter(prog: Buffer): { code: number; jt: number; jf: number; k: number }[] {
  const out: { code: number; jt: number; jf: number; k: number }[] = [];
  for (let o = 0; o + SOCK_FILTER_SIZE <= prog.length; o += SOCK_FILTER_SIZE) {
    out.push({ code: prog.readUInt16LE(o), jt: prog.readUInt8(o + 2), jf: prog.readUInt8(o + 3), k: prog.readUInt32LE(o + 4) });
  }
  return out;
}
