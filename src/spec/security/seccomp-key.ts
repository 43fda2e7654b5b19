/**
 * The light part of seccomp: architecture names, kernel versions, and the key that names
 * a compiled program. Starting a container with the default profile needs only this and
 * the precompiled programs; the compiler, the profile and the system call tables are
 * loaded when a program must really be compiled.
 */
import { UsageError } from '../../common/errors';

/** Architectures the compiler has system call tables for. */
export type SeccompArch = 'x86_64' | 'aarch64' | 'x86';

/** Accepts the kernel's, Node's, Go's and libseccomp's spellings. */
export function normalizeArch(a: string): SeccompArch {
  switch (a.toLowerCase()) {
    case 'x86_64':
    case 'amd64':
    case 'x64':
    case 'scmp_arch_x86_64':
      return 'x86_64';
    case 'aarch64':
    case 'arm64':
    case 'scmp_arch_aarch64':
      return 'aarch64';
    case 'x86':
    case 'i386':
    case 'i686':
    case 'ia32':
    case 'scmp_arch_x86':
      return 'x86';
    default:
      throw new UsageError(`seccomp: unsupported architecture ${JSON.stringify(a)}`);
  }
}

/** "6.8.0-45-generic" -> [6, 8]; null when it does not start with "<n>.<n>". */
export function parseKernelVersion(release: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return null;
  const k = Number(m[1]);
  const maj = Number(m[2]);
  if (k === 0 && maj === 0) return null;
  return [k, maj];
}

export interface SeccompCompileOptions {
  /** The container's capabilities (Docker checks the bounding set). */
  caps: bigint;
  /** The host's architecture ('x86_64', 'aarch64', or Node's 'x64', 'arm64'). */
  arch: string;
  /** The host's kernel release (`uname -r`); unknown when absent. */
  kernelRelease?: string;
}

export function kernelAtLeast(kernel: [number, number] | null, min: string): boolean | null {
  const want = parseKernelVersion(min);
  if (!kernel || !want) return null;
  return kernel[0] > want[0] || (kernel[0] === want[0] && kernel[1] >= want[1]);
}

/** What of a profile decides which of its rules apply: the capabilities and kernel versions it mentions. */
export interface ProfileKeyParts {
  capsMask: bigint;
  minKernels: readonly string[];
}

/** `seccompProgramKey` from precomputed parts. */
export function programKeyFrom(parts: ProfileKeyParts, opts: SeccompCompileOptions): string {
  const kernel = opts.kernelRelease ? parseKernelVersion(opts.kernelRelease) : null;
  let met = '';
  for (const t of parts.minKernels) if (kernelAtLeast(kernel, t) === true) met += (met ? ',' : '') + t;
  return `${normalizeArch(opts.arch)}:${(opts.caps & parts.capsMask).toString(16)}:${met}`;
}
