/**
 * Resource limits: `--ulimit name=soft[:hard]` with Docker's names and grammar, the
 * caller's own limits read from `/proc/self/limits` text, and the check that no
 * requested limit goes above the caller's hard limit (raising a hard limit needs
 * CAP_SYS_RESOURCE, which root on some hosts does not have: asking anyway would fail
 * at start, after the container was half made). Limits not requested are inherited.
 * Values are bigints; RLIM_INFINITY is 2^64-1 ("unlimited", or -1 on the command line).
 */
import { UsageError } from '../../common/errors';

export const RLIM_INFINITY = (1n << 64n) - 1n;

/** Docker's `--ulimit` names and their RLIMIT_* numbers (the same on x86_64 and aarch64). */
export const ULIMIT_RESOURCES: Readonly<Record<string, number>> = Object.freeze({
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  locks: 10,
  sigpending: 11,
  msgqueue: 12,
  nice: 13,
  rtprio: 14,
  rttime: 15,
});

/** RLIMIT_* number -> Docker's name (RLIMIT_AS, 9, has none: Docker refuses it). */
export const RLIMIT_NAMES: readonly string[] = Object.freeze([
  'cpu', 'fsize', 'data', 'stack', 'core', 'rss', 'nproc', 'nofile', 'memlock', 'as', 'locks',
  'sigpending', 'msgqueue', 'nice', 'rtprio', 'rttime',
]);

export interface Rlimit {
  /** Docker's name, e.g. "nofile". */
  name: string;
  /** RLIMIT_* number. */
  resource: number;
  soft: bigint;
  hard: bigint;
}

export interface Limit {
  soft: bigint;
  hard: bigint;
}

function parseValue(s: string, arg: string): bigint {
  const v = s.trim();
  if (v === 'unlimited' || v === '-1') return RLIM_INFINITY;
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`invalid ulimit value ${JSON.stringify(s)} in ${JSON.stringify(arg)}: expected a number, -1 or unlimited`);
  const n = BigInt(v);
  if (n >= RLIM_INFINITY) return RLIM_INFINITY;
  return n;
}

/** Parses one `--ulimit` value, e.g. `nofile=1024:2048` or `core=0`. */
export function parseUlimit(arg: string): Rlimit {
  const eq = arg.indexOf('=');
  if (eq < 0) throw new UsageError(`invalid ulimit argument: ${arg}`);
  const name = arg.slice(0, eq);
  if (!Object.prototype.hasOwnProperty.call(ULIMIT_RESOURCES, name)) {
    throw new UsageError(`invalid ulimit type: ${name}`);
  }
  const parts = arg.slice(eq + 1).split(':');
  if (parts.length > 2) {
    throw new UsageError(`too many limit value arguments - ${arg.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  }
  const soft = parseValue(parts[0], arg);
  const hard = parts.length === 2 ? parseValue(parts[1], arg) : soft;
  if (soft > hard) {
    throw new UsageError(`ulimit soft limit must be less than or equal to hard limit: ${fmt(soft)} > ${fmt(hard)}`);
  }
  return { name, resource: ULIMIT_RESOURCES[name], soft, hard };
}

/** Parses every `--ulimit`; a name given twice keeps the last value, as Docker. */
export function parseUlimits(args: readonly string[]): Rlimit[] {
  const byName = new Map<string, Rlimit>();
  for (const a of args) {
    const r = parseUlimit(a);
    byName.delete(r.name);
    byName.set(r.name, r);
  }
  return [...byName.values()];
}

const PROC_LABELS: Readonly<Record<string, number>> = {
  'Max cpu time': 0,
  'Max file size': 1,
  'Max data size': 2,
  'Max stack size': 3,
  'Max core file size': 4,
  'Max resident set': 5,
  'Max processes': 6,
  'Max open files': 7,
  'Max locked memory': 8,
  'Max address space': 9,
  'Max file locks': 10,
  'Max pending signals': 11,
  'Max msgqueue size': 12,
  'Max nice priority': 13,
  'Max realtime priority': 14,
  'Max realtime timeout': 15,
};

/** Parses the text of `/proc/<pid>/limits` into RLIMIT_* number -> limits. */
export function parseProcLimits(text: string): Map<number, Limit> {
  const out = new Map<number, Limit>();
  for (const line of text.split('\n')) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const res = PROC_LABELS[m[1]];
    if (res === undefined) continue;
    const v = (s: string) => (s === 'unlimited' ? RLIM_INFINITY : /^[0-9]+$/.test(s) ? BigInt(s) : null);
    const soft = v(m[2]);
    const hard = v(m[3]);
    if (soft !== null && hard !== null) out.set(res, { soft, hard });
  }
  return out;
}

/**
 * Checks the requested limits against the caller's: a hard limit may be lowered, never
 * raised (the caller may lack CAP_SYS_RESOURCE). A resource the caller's limits do not
 * mention is let through. Returns the limits to set, in request order.
 */
export function clampRlimits(requested: readonly Rlimit[], caller: ReadonlyMap<number, Limit>): Rlimit[] {
  for (const r of requested) {
    const c = caller.get(r.resource);
    if (c && r.hard > c.hard) {
      throw new UsageError(
        `--ulimit ${r.name}=${fmt(r.soft)}:${fmt(r.hard)}: hard limit ${fmt(r.hard)} is above this user's hard limit ` +
          `${fmt(c.hard)} (raising it needs CAP_SYS_RESOURCE)`,
      );
    }
  }
  return requested.map((r) => ({ ...r }));
}

function fmt(v: bigint): string {
  return v === RLIM_INFINITY ? 'unlimited' : v.toString();
}
