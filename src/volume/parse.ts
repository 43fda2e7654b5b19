/**
 * The `-v/--volume`, `--mount` and `--tmpfs` grammar, as Docker 23+ parses it on Linux.
 *
 * PURE: no file system, no process state. The two facts that need the host (the current
 * directory for `./relative` sources, and whether a `--mount type=bind` source exists)
 * come in through {@link ParseEnv}; `hostParseEnv()` in `./hostenv` gives the real ones.
 *
 * Docker checks a `-v` value twice: the client first splits it (its messages start with
 * `invalid spec: `), then the daemon parses it again (`invalid volume specification: '...'`,
 * `invalid mode: ...`, `invalid mount config for type "...": ...`). We keep both layers and
 * their order, so that every bad input gets the line Docker would print. Every error here is
 * a {@link UsageError} (exit 125) with one line.
 */
import path = require('node:path');
import { UsageError } from '../common/errors';
import { validateMounts } from './validate';

export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

export type MountSpec =
  | {
      type: 'bind';
      /** absolute, cleaned host path */
      source: string;
      /** absolute, cleaned container path */
      target: string;
      readonly: boolean;
      /** undefined: the default (rprivate) */
      propagation?: Propagation;
      /** `-v` creates a missing source directory (mkdir -p); `--mount` refuses a missing source */
      createSource: boolean;
    }
  | {
      type: 'volume';
      /** null: anonymous; a 64-hex name is generated when the volume is created */
      name: string | null;
      target: string;
      readonly: boolean;
      /** do not copy the image's content at the target into an empty volume */
      nocopy: boolean;
      /** `--mount volume-label=k=v`: labels for a volume created by this mount */
      labels?: Record<string, string>;
      /** `--mount volume-opt=k=v`: driver options for a volume created by this mount */
      driverOptions?: Record<string, string>;
    }
  | {
      type: 'tmpfs';
      target: string;
      readonly: boolean;
      /** size= in bytes (a percentage stays in `options`) */
      sizeBytes?: number;
      /** mode= (permission bits of the tmpfs root) */
      mode?: number;
      /**
       * The other mount options, merged with Docker's defaults (noexec, nosuid, nodev) the
       * way Docker merges them (the last of a flag and its opposite wins): flags such as
       * `noexec`, `exec`, `nosuid`, `noatime`, and data such as `uid=1000`, `nr_inodes=1k`,
       * `size=50%`. Never contains ro/rw, size=<bytes>, mode= or propagation flags.
       */
      options: string[];
    };

export interface ParseEnv {
  /** Directory against which `./x`, `../x`, `.` sources are made absolute. */
  cwd: string;
  /**
   * Does this host path exist (following symlinks, like stat(2))? Only asked for
   * `--mount type=bind` sources. May throw; the error's message is reported.
   */
  exists: (hostPath: string) => boolean;
}

export interface MountFlags {
  /** `-v` / `--volume` values, in command-line order */
  volumes?: readonly string[];
  /** `--mount` values */
  mounts?: readonly string[];
  /** `--tmpfs` values */
  tmpfs?: readonly string[];
}

/** Docker's allowed characters for a local volume name (its `RestrictedNameChars`). */
export const VOLUME_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's default options for every tmpfs mount (before the user's). */
export const TMPFS_DEFAULT_OPTIONS: readonly string[] = ['noexec', 'nosuid', 'nodev'];

const PROPAGATIONS: ReadonlySet<string> = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const RW_MODES: ReadonlySet<string> = new Set(['rw', 'ro']);
const LABEL_MODES: ReadonlySet<string> = new Set(['z', 'Z']);
const COPY_MODES: ReadonlySet<string> = new Set(['nocopy']);
const CONSISTENCY_MODES: ReadonlySet<string> = new Set(['consistent', 'cached', 'delegated']);

function fail(message: string): never {
  throw new UsageError(message);
}

// ---------------------------------------------------------------------------------------
// Volume names

/**
 * The reason a volume name is refused, in Docker's words (without the `create <name>: `
 * prefix), or null when the name is fine.
 */
export function volumeNameProblem(name: string): string | null {
  if (name.length === 1) {
    return 'volume name is too short, names should be at least two alphanumeric characters';
  }
  if (!VOLUME_NAME_RE.test(name)) {
    return (
      `${goQuote(name)} includes invalid characters for a local volume name, only ` +
      `${goQuote(VOLUME_NAME_CHARS)} are allowed. If you intended to pass a host directory, use absolute path`
    );
  }
  return null;
}

/** Throws Docker's `create <name>: ...` UsageError if the name cannot be a local volume's. */
export function validateVolumeName(name: string): void {
  const problem = volumeNameProblem(name);
  if (problem !== null) fail(`create ${name}: ${problem}`);
}

// ---------------------------------------------------------------------------------------
// Shared helpers

/** Go's %q for the strings we print (printable input; control characters escaped). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** path.Clean for an absolute or relative POSIX path ('' stays ''). */
function clean(p: string): string {
  if (p === '') return p;
  let c = path.posix.normalize(p);
  if (c.length > 1 && c.endsWith('/')) c = c.slice(0, -1);
  return c;
}

/** Docker's check order for a mount target: empty, then '/', then absolute. */
function targetProblem(target: string): string | null {
  if (target === '') return 'field Target must not be empty';
  if (clean(target) === '/') return "invalid specification: destination can't be '/'";
  if (!target.startsWith('/')) return `invalid mount path: '${target}' mount path must be absolute`;
  return null;
}

function mountConfigError(type: string, problem: string): string {
  return `invalid mount config for type ${goQuote(type)}: ${problem}`;
}

/** Makes `.`, `./x`, `../x`, `.x` absolute against cwd, as the Docker client does. */
function absolutize(source: string, cwd: string): string {
  if (!source.startsWith('/') && source.startsWith('.')) return path.posix.resolve(cwd, source);
  return source;
}

// ---------------------------------------------------------------------------------------
// -v / --volume

/** Docker's `linuxValidMountMode`: a comma list with at most one of each kind. */
function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, prop: 0, copy: 0, consistency: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts.rw++;
    else if (LABEL_MODES.has(o)) counts.label++;
    else if (PROPAGATIONS.has(o)) counts.prop++;
    else if (COPY_MODES.has(o)) counts.copy++;
    else if (CONSISTENCY_MODES.has(o)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

/**
 * The client's first pass over a `-v` value (compose's volume-spec splitter): it refuses an
 * empty section between colons and a fourth section. A single letter before the first
 * colon is taken as a Windows drive there, which is why `H:/d:ro:x` reaches the daemon's
 * check (and its wording) while `/h:/d:ro:x` does not; we keep that so that our messages
 * are Docker's for every input. It only ever refuses more, never accepts more.
 */
function clientSplitProblem(spec: string): string | null {
  if (spec.length === 0) return 'invalid empty volume spec';
  if (spec.length <= 2) return null;
  let source: string | null = null;
  let target: string | null = null;
  let buffer = '';
  const chars = [...spec];
  for (let i = 0; i <= chars.length; i++) {
    const end = i === chars.length;
    const ch = end ? '' : chars[i];
    if (!end && ch === ':' && buffer.length === 1 && /\p{L}/u.test(buffer)) {
      buffer += ch;
      continue;
    }
    if (end || ch === ':') {
      if (buffer.length === 0) return `invalid spec: ${spec}: empty section between colons`;
      if (source === null && end) return null; // anonymous volume
      if (source === null) source = buffer;
      else if (target === null) target = buffer;
      else if (!end) return `invalid spec: ${spec}: too many colons`;
      buffer = '';
      continue;
    }
    buffer += ch;
  }
  return null;
}

/** Parses one `-v` / `--volume` value. */
export function parseVolumeFlag(raw: string, env: Pick<ParseEnv, 'cwd'>): MountSpec {
  const clientProblem = clientSplitProblem(raw);
  if (clientProblem !== null) fail(clientProblem);

  // The client makes a relative bind source absolute before the daemon sees the value.
  let spec = raw;
  const colon = raw.indexOf(':');
  if (colon > 0) {
    const host = raw.slice(0, colon);
    if (host.startsWith('.')) spec = absolutize(host, env.cwd) + raw.slice(colon);
  }

  const invalidSpec = `invalid volume specification: '${spec}'`;
  if ((spec.match(/:/g) ?? []).length > 2) fail(invalidSpec);
  const arr = spec.split(':');
  if (arr[0] === '') fail(invalidSpec);

  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) {
    target = arr[0];
  } else if (arr.length === 2) {
    // `/foo:rw`: a destination with a mode is not a volume.
    if (validMountMode(arr[1])) fail(invalidSpec);
    [source, target] = arr;
  } else {
    [source, target, mode] = arr;
  }
  if (!validMountMode(mode)) fail(`invalid mode: ${mode}`);

  const options = mode === '' ? [] : mode.split(',');
  const readonly = options.includes('ro');
  const nocopy = options.includes('nocopy');
  const propagation = options.find((o) => PROPAGATIONS.has(o)) as Propagation | undefined;
  const type = source.startsWith('/') ? 'bind' : 'volume';

  const specError = (problem: string): never => fail(`${invalidSpec}: ${mountConfigError(type, problem)}`);
  const tp = targetProblem(target);
  if (tp !== null) specError(tp);

  if (type === 'bind') {
    if (nocopy) specError('field VolumeOptions must not be specified');
    return {
      type: 'bind',
      source: clean(source),
      target: clean(target),
      readonly,
      ...(propagation !== undefined ? { propagation } : {}),
      createSource: true,
    };
  }

  if (propagation !== undefined) specError('field BindOptions must not be specified');
  if (source !== '') validateVolumeName(source);
  return { type: 'volume', name: source === '' ? null : source, target: clean(target), readonly, nocopy };
}

// ---------------------------------------------------------------------------------------
// --mount

/** One record of Go's encoding/csv (the Docker client reads `--mount` with it). */
export function splitCsvRecord(s: string): string[] {
  const fields: string[] = [];
  const chars = [...s];
  let i = 0;
  for (;;) {
    let field = '';
    if (chars[i] === '"') {
      i++;
      for (;;) {
        if (i >= chars.length) {
          fail(`parse error on line 1, column ${chars.length + 1}: extraneous or missing " in quoted-field`);
        }
        if (chars[i] === '"') {
          if (chars[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += chars[i++];
      }
      if (i < chars.length && chars[i] !== ',') {
        fail(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
      }
    } else {
      while (i < chars.length && chars[i] !== ',') {
        if (chars[i] === '"') fail(`parse error on line 1, column ${i + 1}: bare " in non-quoted-field`);
        field += chars[i++];
      }
    }
    fields.push(field);
    if (i >= chars.length) break;
    i++; // the comma
  }
  return fields;
}

/** Go's strconv.ParseBool. */
function parseGoBool(v: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return null;
}

/**
 * docker/go-units RAMInBytes: `64m`, `1.5g`, `512 MiB`, `100` (bytes); binary multiples.
 * Returns null when the string is not a size.
 */
export function ramInBytes(s: string): number | null {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) return null;
  const size = Number.parseFloat(m[1]);
  if (!Number.isFinite(size)) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[unit] ?? 1;
  return Math.trunc(size * mult);
}

function setOnMap(target: Record<string, string>, kv: string): void {
  const eq = kv.indexOf('=');
  const k = eq < 0 ? kv : kv.slice(0, eq);
  const v = eq < 0 ? '' : kv.slice(eq + 1);
  if (k !== '') target[k] = v;
}

/** Parses one `--mount` value. `env.exists` is asked whether a bind source exists. */
export function parseMountFlag(raw: string, env: ParseEnv): MountSpec {
  if (raw.trim() === '') fail('value is empty');
  const fields = splitCsvRecord(raw);

  let type = 'volume';
  let source = '';
  let target = '';
  let readonly = false;
  let propagation: string | undefined;
  let hasBindOpts = false;
  let hasVolumeOpts = false;
  let hasTmpfsOpts = false;
  let nocopy = false;
  let driver: string | undefined;
  const labels: Record<string, string> = {};
  const driverOptions: Record<string, string> = {};
  let sizeBytes: number | undefined;
  let mode: number | undefined;

  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      switch (field) {
        case 'readonly':
        case 'ro':
          readonly = true;
          continue;
        case 'volume-nocopy':
          hasVolumeOpts = true;
          nocopy = true;
          continue;
        default:
          fail(`invalid field '${field}' must be a key=value pair`);
      }
    }
    const key = field.slice(0, eq);
    const val = field.slice(eq + 1);
    switch (key) {
      case 'type':
        type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        source = absolutize(val, env.cwd);
        break;
      case 'target':
      case 'dst':
      case 'destination':
        target = val;
        break;
      case 'readonly':
      case 'ro': {
        const b = parseGoBool(val);
        if (b === null) fail(`invalid value for ${key}: ${val}`);
        readonly = b;
        break;
      }
      case 'consistency':
        break; // accepted and ignored on Linux, as Docker does
      case 'bind-propagation':
        hasBindOpts = true;
        propagation = val.toLowerCase();
        break;
      case 'volume-nocopy': {
        hasVolumeOpts = true;
        const b = parseGoBool(val);
        if (b === null) fail(`invalid value for volume-nocopy: ${val}`);
        nocopy = b;
        break;
      }
      case 'volume-label':
        hasVolumeOpts = true;
        setOnMap(labels, val);
        break;
      case 'volume-driver':
        hasVolumeOpts = true;
        driver = val;
        break;
      case 'volume-opt':
        hasVolumeOpts = true;
        setOnMap(driverOptions, val);
        break;
      case 'tmpfs-size': {
        const n = ramInBytes(val);
        if (n === null) fail(`invalid value for ${key}: ${val}`);
        hasTmpfsOpts = true;
        sizeBytes = n;
        break;
      }
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val) || Number.parseInt(val, 8) > 0xffffffff) fail(`invalid value for ${key}: ${val}`);
        hasTmpfsOpts = true;
        mode = Number.parseInt(val, 8);
        break;
      }
      default:
        fail(`unexpected key '${key}' in '${field}'`);
    }
  }

  // The client's checks.
  if (type === '') fail('type is required');
  if (target === '') fail('target is required');
  if (hasVolumeOpts && type !== 'volume') fail(`cannot mix 'volume-*' options with mount type '${type}'`);
  if (hasBindOpts && type !== 'bind') fail(`cannot mix 'bind-*' options with mount type '${type}'`);
  if (hasTmpfsOpts && type !== 'tmpfs') fail(`cannot mix 'tmpfs-*' options with mount type '${type}'`);

  // The daemon's checks.
  const configError = (problem: string): never => fail(mountConfigError(type, problem));
  const tp = targetProblem(target);
  if (tp !== null) configError(tp);

  switch (type) {
    case 'bind': {
      if (source === '') configError('field Source must not be empty');
      if (propagation !== undefined && propagation !== '' && !PROPAGATIONS.has(propagation)) {
        configError(`invalid propagation mode: ${propagation}`);
      }
      if (!source.startsWith('/')) configError(`invalid mount path: '${source}' mount path must be absolute`);
      let exists: boolean;
      try {
        exists = env.exists(source);
      } catch (e) {
        configError(e instanceof Error ? e.message : String(e));
      }
      if (!exists!) configError(`bind source path does not exist: ${source}`);
      return {
        type: 'bind',
        source: clean(source),
        target: clean(target),
        readonly,
        ...(propagation ? { propagation: propagation as Propagation } : {}),
        createSource: false,
      };
    }
    case 'volume': {
      if (source !== '') validateVolumeName(source);
      if (driver !== undefined && driver !== '' && driver !== 'local') {
        fail(`error looking up volume plugin ${driver}: plugin ${goQuote(driver)} not found`);
      }
      return {
        type: 'volume',
        name: source === '' ? null : source,
        target: clean(target),
        readonly,
        nocopy,
        ...(Object.keys(labels).length > 0 ? { labels } : {}),
        ...(Object.keys(driverOptions).length > 0 ? { driverOptions } : {}),
      };
    }
    case 'tmpfs': {
      if (source !== '') configError('field Source must not be specified');
      return {
        type: 'tmpfs',
        target: clean(target),
        readonly,
        ...(sizeBytes ? { sizeBytes } : {}),
        ...(mode ? { mode } : {}),
        options: [...TMPFS_DEFAULT_OPTIONS],
      };
    }
    default:
      return configError('mount type unknown');
  }
}

// ---------------------------------------------------------------------------------------
// --tmpfs

/** mount(2) flags Docker accepts in a tmpfs option list; the key groups a flag with its opposite. */
const TMPFS_FLAGS: ReadonlyMap<string, string> = new Map([
  ['ro', 'rdonly'],
  ['rw', 'rdonly'],
  ['suid', 'nosuid'],
  ['nosuid', 'nosuid'],
  ['dev', 'nodev'],
  ['nodev', 'nodev'],
  ['exec', 'noexec'],
  ['noexec', 'noexec'],
  ['sync', 'sync'],
  ['async', 'sync'],
  ['dirsync', 'dirsync'],
  ['mand', 'mand'],
  ['nomand', 'mand'],
  ['atime', 'noatime'],
  ['noatime', 'noatime'],
  ['diratime', 'nodiratime'],
  ['nodiratime', 'nodiratime'],
  ['relatime', 'relatime'],
  ['norelatime', 'relatime'],
  ['strictatime', 'strictatime'],
  ['nostrictatime', 'strictatime'],
  ['private', 'propagation'],
  ['rprivate', 'propagation'],
  ['shared', 'propagation'],
  ['rshared', 'propagation'],
  ['slave', 'propagation'],
  ['rslave', 'propagation'],
]);
const TMPFS_DATA_KEYS: ReadonlySet<string> = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/** Docker's message for an option it does not know (Go's %q of the split option). */
function invalidTmpfsOption(option: string): never {
  const eq = option.indexOf('=');
  const parts = eq < 0 ? [option] : [option.slice(0, eq), option.slice(eq + 1)];
  return fail(`invalid tmpfs option [${parts.map(goQuote).join(' ')}]`);
}

/** The kernel's size syntax for tmpfs (memparse): digits with an optional k/m/g/t/p/e suffix. */
function tmpfsSizeBytes(v: string): number | null {
  const m = /^(\d+)([kKmMgGtTpPeE])?$/.exec(v);
  if (!m) return null;
  const shift = { '': 0, k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 }[(m[2] ?? '').toLowerCase()] ?? 0;
  return Number(m[1]) * 2 ** shift;
}

/** Parses one `--tmpfs /path[:options]` value. */
export function parseTmpfsFlag(raw: string): MountSpec {
  const colon = raw.indexOf(':');
  const target = colon < 0 ? raw : raw.slice(0, colon);
  const data = colon < 0 ? '' : raw.slice(colon + 1);

  // The daemon validates the destination first, with bare messages.
  if (clean(target) === '/') fail("invalid specification: destination can't be '/'");
  if (!target.startsWith('/')) fail(`invalid mount path: '${target}' mount path must be absolute`);

  // Docker's MergeTmpfsOptions over defaults + user options: the last of each kind wins.
  const all = [...TMPFS_DEFAULT_OPTIONS, ...(data === '' ? [] : data.split(','))];
  const seenFlag = new Set<string>();
  const seenData = new Set<string>();
  const merged: string[] = [];
  for (let i = all.length - 1; i >= 0; i--) {
    const o = all[i];
    if (o === 'defaults') continue;
    const flagKey = TMPFS_FLAGS.get(o);
    if (flagKey !== undefined) {
      if (!seenFlag.has(flagKey)) {
        seenFlag.add(flagKey);
        merged.unshift(o);
      }
      continue;
    }
    const eq = o.indexOf('=');
    if (eq < 0 || !TMPFS_DATA_KEYS.has(o.slice(0, eq))) invalidTmpfsOption(o);
    const k = o.slice(0, eq);
    if (!seenData.has(k)) {
      seenData.add(k);
      merged.unshift(o);
    }
  }

  let readonly = false;
  let sizeBytes: number | undefined;
  let mode: number | undefined;
  const options: string[] = [];
  for (const o of merged) {
    if (o === 'ro' || o === 'rw') {
      readonly = o === 'ro';
    } else if (TMPFS_FLAGS.get(o) === 'propagation') {
      // Mounts are made in the container's private namespace; propagation has no meaning.
    } else if (o.startsWith('size=')) {
      const v = o.slice(5);
      if (/^\d+%$/.test(v)) options.push(o);
      else {
        const n = tmpfsSizeBytes(v);
        if (n === null) fail(`invalid tmpfs size: ${v}`);
        sizeBytes = n;
      }
    } else if (o.startsWith('mode=')) {
      const v = o.slice(5);
      if (!/^[0-7]{1,4}$/.test(v)) fail(`invalid tmpfs mode: ${v}`);
      mode = Number.parseInt(v, 8);
    } else {
      options.push(o);
    }
  }
  return {
    type: 'tmpfs',
    target: clean(target),
    readonly,
    ...(sizeBytes !== undefined ? { sizeBytes } : {}),
    ...(mode !== undefined ? { mode } : {}),
    options,
  };
}

// ---------------------------------------------------------------------------------------
// All flags at once

/**
 * Parses every `-v`, `--mount` and `--tmpfs` value (in that order; the first bad one
 * throws), then checks the list as a whole (see `validateMounts`: normalized destinations,
 * /proc and /sys refused, duplicates refused). Identical `-v` values, and identical
 * `--tmpfs` values, count once, as in Docker (it keeps them in a set). The result keeps the
 * command-line order; `sortMounts` gives the order to mount them in.
 */
export function parseMountFlags(flags: MountFlags, env: ParseEnv): MountSpec[] {
  const list: MountSpec[] = [];
  for (const v of new Set(flags.volumes ?? [])) list.push(parseVolumeFlag(v, env));
  for (const m of flags.mounts ?? []) list.push(parseMountFlag(m, env));
  for (const t of new Set(flags.tmpfs ?? [])) list.push(parseTmpfsFlag(t));
  return validateMounts(list);
}
