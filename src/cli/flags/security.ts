/**
 * `run` flags for security: --cap-add, --cap-drop, --privileged, --security-opt,
 * --ulimit, --group-add. They are checked here, before the engine is opened, so that a
 * bad value gets one line and exit 125 and nothing at all is created.
 *
 * The record keeps Docker's HostConfig shapes: capability names normalized to their
 * `CAP_` form (`ALL` kept), `null` for an empty list, a `seccomp=<file>` option replaced
 * by the profile's JSON itself (as Docker's client sends it, so that a later `start`
 * needs neither the file nor the caller's working directory), ulimits as
 * `{Name, Hard, Soft}` with -1 for unlimited. At start the same values go through the
 * same library again (src/engine/security.ts).
 */
import fs = require('node:fs');
import path = require('node:path');
import type { Command } from 'commander';
import { UsageError } from '../../common/errors';
import type { HostConfig } from '../../engine/containers';
import type { Limit } from '../../spec/security/rlimits';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(cmd: Command): void {
  cmd
    .option('--cap-add <list>', 'add Linux capabilities', collect)
    .option('--cap-drop <list>', 'drop Linux capabilities', collect)
    .option('--privileged', 'give extended privileges to this container')
    .option('--security-opt <list>', 'security options', collect)
    .option('--ulimit <ulimit>', 'ulimit options', collect)
    .option('--group-add <list>', 'add additional groups to join', collect);
}

/** Facts about the caller the checks depend on; tests pass their own. */
export interface SecurityHost {
  /** /proc/sys/kernel/cap_last_cap */
  lastCap: number;
  /** process.arch or `uname -m` */
  arch: string;
  /** `uname -r` */
  kernelRelease?: string;
  /** the caller's resource limits (RLIMIT_* number -> soft and hard) */
  callerLimits: () => ReadonlyMap<number, Limit>;
  /** reads a seccomp profile file */
  readFile: (file: string) => string;
}

/* eslint-disable @typescript-eslint/no-require-imports */
/** The library's light modules, loaded when a security flag is actually given (most runs give none). */
function lib() {
  return {
    ...(require('../../spec/security/capabilities') as typeof import('../../spec/security/capabilities')),
    ...(require('../../spec/security/build') as typeof import('../../spec/security/build')),
    ...(require('../../spec/security/rlimits') as typeof import('../../spec/security/rlimits')),
  };
}
/** The profile parser (with the compiler and the system call tables), only for a profile file. */
function parseProfile(text: string, source: string): void {
  (require('../../spec/security/seccomp') as typeof import('../../spec/security/seccomp')).parseSeccompProfile(text, source);
}
/* eslint-enable @typescript-eslint/no-require-imports */

function realHost(): SecurityHost {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { hostSecurityFacts, callerLimits } = require('../../engine/security') as typeof import('../../engine/security');
  return { ...hostSecurityFacts(), callerLimits, readFile: (f) => fs.readFileSync(f, 'utf8') };
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** `opening seccomp profile (x) failed: open x: no such file or directory`, as Docker's client. */
function readProfile(file: string, cwd: string, host: SecurityHost): string {
  try {
    return host.readFile(path.resolve(cwd, file));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new UsageError(`opening seccomp profile (${file}) failed: open ${file}: ${why}`, { cause: e });
  }
}

/**
 * Validates the security flags and returns their HostConfig fields. `host` overrides the
 * facts of this machine (unit tests).
 */
export function toHostConfig(o: Record<string, unknown>, cwd: string, host?: Partial<SecurityHost>): Partial<HostConfig> {
  const capAdd = list(o.capAdd);
  const capDrop = list(o.capDrop);
  const securityOpt = list(o.securityOpt);
  const ulimit = list(o.ulimit);
  const groupAdd = list(o.groupAdd);
  const privileged = o.privileged === true;
  const out: Partial<HostConfig> = {
    CapAdd: null,
    CapDrop: null,
    GroupAdd: groupAdd.length ? groupAdd : null,
    Privileged: privileged,
    SecurityOpt: null,
    Ulimits: null,
  };
  if (!capAdd.length && !capDrop.length && !securityOpt.length && !ulimit.length) return out;

  const s = lib();
  const h: SecurityHost = { ...realHost(), ...host } as SecurityHost;
  const norm = (field: string, names: string[]) =>
    names.map((n) => {
      try {
        return s.normalizeCapability(n, h.lastCap);
      } catch (e) {
        throw new UsageError(`invalid ${field}: ${(e as Error).message}`);
      }
    });
  if (capAdd.length) out.CapAdd = norm('CapAdd', capAdd);
  if (capDrop.length) out.CapDrop = norm('CapDrop', capDrop);

  if (securityOpt.length) {
    // Docker's grammar first (a bad key is refused before any file is read).
    s.parseSecurityOpts(securityOpt);
    out.SecurityOpt = securityOpt.map((opt) => {
      const m = /^seccomp[=:](.*)$/s.exec(opt);
      if (!m || m[1] === 'unconfined' || m[1] === 'builtin') return opt;
      const text = readProfile(m[1], cwd, h);
      // Checked (and compiled, below) now; kept as compact JSON, as Docker's client does.
      parseProfile(text, m[1]);
      return `seccomp=${JSON.stringify(JSON.parse(text))}`;
    });
  }
  if (capAdd.length || capDrop.length || securityOpt.length) {
    // The whole plan once, as start builds it: a profile that does not compile for this
    // machine is refused here. The result is cached for the start in this process.
    s.buildSecurityPlan({
      capAdd: out.CapAdd ?? [],
      capDrop: out.CapDrop ?? [],
      privileged,
      securityOpts: out.SecurityOpt ?? [],
      lastCap: h.lastCap,
      arch: h.arch,
      kernelRelease: h.kernelRelease,
      readFile: (p) => p,
    });
  }

  if (ulimit.length) {
    const parsed = s.clampRlimits(s.parseUlimits(ulimit), h.callerLimits());
    const num = (v: bigint) => (v === s.RLIM_INFINITY ? -1 : Number(v));
    out.Ulimits = parsed.map((r) => ({ Name: r.name, Hard: num(r.hard), Soft: num(r.soft) }));
  }
  return out;
}
