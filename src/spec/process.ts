/**
 * Pure: the image's config plus the user's flags -> the container's process
 * (argv, env, working directory, hostname), with Docker's precedence rules.
 */
import { UsageError } from '../common/errors';
import type { ContainerConfig } from '../image/types';

export interface ProcessFlags {
  /** everything after IMAGE, untouched */
  command: string[];
  /** -e/--env, in order */
  env?: string[];
  /** parsed --env-file contents, in order (already KEY=VALUE or KEY) */
  envFileLines?: string[];
  workdir?: string;
  hostname?: string;
  /** --entrypoint; "" clears the image's entrypoint */
  entrypoint?: string;
  user?: string;
  tty: boolean;
}

export interface ResolvedProcess {
  argv: string[];
  /** the env recorded in Config.Env: image env overridden by the user's */
  configEnv: string[];
  /** the env the process gets: Docker adds PATH (if missing), HOSTNAME, TERM (with -t), HOME */
  env: string[];
  cwd: string;
  hostname: string;
  entrypoint: string[] | null;
  cmd: string[] | null;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function keyOf(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

/** Later entries replace earlier ones with the same key, keeping the first position. */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  const index = new Map(out.map((e, i) => [keyOf(e), i]));
  for (const e of overrides) {
    const k = keyOf(e);
    const i = index.get(k);
    if (i === undefined) {
      index.set(k, out.length);
      out.push(e);
    } else out[i] = e;
  }
  return out;
}

/** `-e KEY` takes the value from the caller's environment, or is dropped when unset (as Docker). */
export function expandEnvFlags(flags: string[], hostEnv: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const f of flags) {
    if (f.startsWith('=')) throw new UsageError(`invalid environment variable: ${f}`);
    if (f.includes('=')) out.push(f);
    else if (hostEnv[f] !== undefined) out.push(`${f}=${hostEnv[f]}`);
  }
  return out;
}

/** Parses an --env-file: KEY=VALUE lines, # comments and blank lines skipped, values verbatim. */
export function parseEnvFile(text: string, file: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const key = keyOf(line);
    if (/\s/.test(key)) throw new UsageError(`variable '${key}' contains whitespaces`);
    if (key === '') throw new UsageError(`no variable name on line '${raw}' in ${file}`);
    out.push(line.includes('=') ? line : key);
  });
  return out;
}

const HOSTNAME_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function resolveProcess(image: ContainerConfig, f: ProcessFlags, id: string, hostEnv: NodeJS.ProcessEnv = process.env): ResolvedProcess {
  let entrypoint: string[] | null = image.Entrypoint && image.Entrypoint.length ? [...image.Entrypoint] : null;
  let cmd: string[] | null = image.Cmd && image.Cmd.length ? [...image.Cmd] : null;
  if (f.entrypoint !== undefined) {
    // An explicit entrypoint also drops the image's Cmd, as Docker.
    entrypoint = f.entrypoint === '' ? null : [f.entrypoint];
    cmd = null;
  }
  if (f.command.length) cmd = [...f.command];
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw new UsageError('No command specified');

  const user = [
    ...expandEnvFlags(f.envFileLines ?? [], hostEnv),
    ...expandEnvFlags(f.env ?? [], hostEnv),
  ];
  const configEnv = mergeEnv(image.Env ?? [], user);

  const hostname = f.hostname ?? id.slice(0, 12);
  if (f.hostname !== undefined && (!HOSTNAME_RE.test(hostname) || hostname.length > 64)) {
    throw new UsageError(`invalid hostname format: ${hostname}`);
  }

  const cwd = f.workdir ?? (image.WorkingDir || '/');
  if (!cwd.startsWith('/')) {
    throw new UsageError(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);
  }

  return { argv, configEnv, env: processEnv(configEnv, hostname, f.tty), cwd, hostname, entrypoint, cmd };
}

/** The env a container's process gets: Docker adds PATH (if missing), HOSTNAME, TERM (with -t), HOME. */
export function processEnv(configEnv: string[], hostname: string, tty: boolean, home = '/root'): string[] {
  const base = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`];
  if (tty) base.push('TERM=xterm');
  const env = mergeEnv(base, configEnv);
  return env.some((e) => keyOf(e) === 'HOME') ? env : [...env, `HOME=${home}`];
}
