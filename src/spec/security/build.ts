/**
 * The security plan of one container process, as plain data: capability masks,
 * no_new_privs, the compiled seccomp program, masked and read-only paths. Pure: host
 * facts (last capability, architecture, kernel release) and the reader of a seccomp
 * profile file are passed in. `exec` reuses the plan of its container.
 *
 * Every `run` builds one, so the common case stays light: the default program for the
 * default capabilities is shipped precompiled, and the compiler, Docker's profile and
 * the system call tables (a few milliseconds to load) are loaded only when a program
 * must really be compiled or a profile parsed.
 */
import { UsageError } from '../../common/errors';
import { type CapabilitySets, computeCaps } from './capabilities';
import type { SeccompProfile } from './seccomp';
import { programKeyFrom } from './seccomp-key';
import { DEFAULT_PROFILE_KEY_PARTS, PRECOMPILED_DEFAULT_SECCOMP } from './seccomp-precompiled';
import { systemPaths } from './paths';

interface Compiler {
  compileSeccomp: typeof import('./seccomp').compileSeccomp;
  parseSeccompProfile: typeof import('./seccomp').parseSeccompProfile;
  DEFAULT_SECCOMP_PROFILE: typeof import('./seccomp-default').DEFAULT_SECCOMP_PROFILE;
}
let compilerCache: Compiler | undefined;
/** The seccomp compiler and Docker's default profile, loaded on first use. */
function compiler(): Compiler {
  if (!compilerCache) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const c = require('./seccomp') as typeof import('./seccomp');
    const d = require('./seccomp-default') as typeof import('./seccomp-default');
    /* eslint-enable @typescript-eslint/no-require-imports */
    compilerCache = { compileSeccomp: c.compileSeccomp, parseSeccompProfile: c.parseSeccompProfile, DEFAULT_SECCOMP_PROFILE: d.DEFAULT_SECCOMP_PROFILE };
  }
  return compilerCache;
}

export interface SecurityPlan {
  caps: CapabilitySets;
  noNewPrivileges: boolean;
  /** The seccomp program (`struct sock_filter[]`), or null for none. */
  seccomp: Buffer | null;
  maskedPaths: string[];
  readonlyPaths: string[];
}

export interface SecurityOptions {
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  privileged?: boolean;
  /**
   * `--security-opt` values: `seccomp=unconfined|builtin|<path>`, `no-new-privileges`,
   * `no-new-privileges=<bool>` (or the old `:` form), `systempaths=unconfined`;
   * `apparmor=...` and `label=...` are accepted and have no effect (no LSM is used).
   */
  securityOpts?: readonly string[];
  /** The host's /proc/sys/kernel/cap_last_cap. */
  lastCap: number;
  /** The host's architecture (`uname -m` or `process.arch`). */
  arch: string;
  /** The host's kernel release (`uname -r`); decides the profile's `minKernel` rules. */
  kernelRelease?: string;
  /** Reads a `seccomp=<path>` profile; throws when it cannot. */
  readFile?: (path: string) => string;
}

interface ParsedSecurityOpts {
  seccomp: { kind: 'default' } | { kind: 'unconfined' } | { kind: 'file'; path: string };
  noNewPrivileges: boolean;
  systemPathsUnconfined: boolean;
}

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return null;
}

/** Parses `--security-opt` values with Docker's grammar. */
export function parseSecurityOpts(opts: readonly string[]): ParsedSecurityOpts {
  const out: ParsedSecurityOpts = { seccomp: { kind: 'default' }, noNewPrivileges: false, systemPathsUnconfined: false };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') continue; // label disable
    let sep = opt.indexOf('=');
    if (sep < 0) sep = opt.indexOf(':');
    if (sep < 0) throw new UsageError(`invalid --security-opt: ${JSON.stringify(opt)}`);
    const k = opt.slice(0, sep);
    const v = opt.slice(sep + 1);
    switch (k) {
      case 'seccomp':
        if (v === '') throw new UsageError(`invalid --security-opt: ${JSON.stringify(opt)}: seccomp needs a profile path, "unconfined" or "builtin"`);
        out.seccomp = v === 'unconfined' ? { kind: 'unconfined' } : v === 'builtin' ? { kind: 'default' } : { kind: 'file', path: v };
        break;
      case 'no-new-privileges': {
        const b = parseBool(v);
        if (b === null) throw new UsageError(`invalid --security-opt: ${JSON.stringify(opt)}: not a boolean`);
        out.noNewPrivileges = b;
        break;
      }
      case 'systempaths':
        if (v !== 'unconfined') throw new UsageError(`invalid --security-opt: ${JSON.stringify(opt)}: systempaths only accepts "unconfined"`);
        out.systemPathsUnconfined = true;
        break;
      case 'apparmor':
      case 'label':
        break;
      default:
        throw new UsageError(`invalid --security-opt: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

/** Compiled default programs, by `seccompProgramKey`. */
const defaultCache = new Map<string, Buffer | null>();

/**
 * The default profile compiled for these capabilities. The common case (default
 * capabilities, or others the profile does not mention) is shipped precompiled; any other
 * is compiled once per process. Returns a copy the caller may keep.
 */
export function defaultSeccompProgram(caps: bigint, arch: string, kernelRelease?: string): Buffer | null {
  const opts = { caps, arch, kernelRelease };
  const key = programKeyFrom(DEFAULT_PROFILE_KEY_PARTS, opts);
  let prog = defaultCache.get(key);
  if (prog === undefined) {
    const shipped = Object.prototype.hasOwnProperty.call(PRECOMPILED_DEFAULT_SECCOMP, key) ? PRECOMPILED_DEFAULT_SECCOMP[key] : undefined;
    prog = shipped !== undefined ? Buffer.from(shipped, 'base64') : compiler().compileSeccomp(compiler().DEFAULT_SECCOMP_PROFILE, opts);
    defaultCache.set(key, prog);
  }
  return prog === null ? null : Buffer.from(prog);
}

/** Builds the security plan of a container. Bad input: a UsageError, nothing else done. */
export function buildSecurityPlan(o: SecurityOptions): SecurityPlan {
  const caps = computeCaps({ capAdd: o.capAdd, capDrop: o.capDrop, privileged: o.privileged, lastCap: o.lastCap });
  const sec = parseSecurityOpts(o.securityOpts ?? []);

  let profile: SeccompProfile | null = null;
  if (sec.seccomp.kind === 'file') {
    if (!o.readFile) throw new UsageError(`opening seccomp profile (${sec.seccomp.path}) failed: no reader`);
    let text: string;
    try {
      text = o.readFile(sec.seccomp.path);
    } catch (e) {
      throw new UsageError(`opening seccomp profile (${sec.seccomp.path}) failed: ${(e as Error).message}`, { cause: e });
    }
    // Parsed even under --privileged, so a broken profile is always reported.
    profile = compiler().parseSeccompProfile(text, sec.seccomp.path);
  }

  let seccomp: Buffer | null = null;
  if (!o.privileged && sec.seccomp.kind !== 'unconfined') {
    seccomp = profile
      ? compiler().compileSeccomp(profile, { caps: caps.bounding, arch: o.arch, kernelRelease: o.kernelRelease })
      : defaultSeccompProgram(caps.bounding, o.arch, o.kernelRelease);
  }
  const paths = systemPaths({ privileged: o.privileged, unconfined: sec.systemPathsUnconfined });
  return { caps, noNewPrivileges: sec.noNewPrivileges, seccomp, ...paths };
}
