/**
 * `mydocker volume create|ls|inspect|rm|prune`, with Docker's flags and output.
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../common/errors';
import { globalRoot } from './main';
import type { Volume, VolumeInspect } from '../volume/store';

const collect = (v: string, prev: string[] = []) => [...prev, v];

// ------------------------------------------------------------------------------- output

/** docker/go-units HumanSize: decimal units, 4 significant digits ("1.2kB", "0B"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

/**
 * Docker's table: columns padded to the widest cell plus 3 spaces (at least 10 wide, as the
 * CLI's tabwriter), the last column not padded.
 */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(10, ...all.map((r) => (r[c] ?? '').length + 3)));
  return all
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join(''))
    .join('\n') + '\n';
}

function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (typeof v === 'object') {
    if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
    return `map[${Object.keys(v as object).sort().map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

/**
 * The part of Go's templates that `--format` is used with in practice: `{{.Field}}`,
 * `{{json .}}`, `{{json .Field}}`, and `\t` / `\n` escapes. Anything else is refused.
 */
export function formatTemplate(template: string, obj: Record<string, unknown>): string {
  const t = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return t.replace(/\{\{(.*?)\}\}/g, (_, inner: string) => {
    const m = /^\s*(json\s+)?\.([A-Za-z_][A-Za-z0-9_]*)?\s*$/.exec(inner);
    if (!m) throw new UsageError(`template parsing error: unsupported action {{${inner}}}`);
    const value = m[2] === undefined ? obj : obj[m[2]];
    if (m[2] !== undefined && !(m[2] in obj)) {
      throw new UsageError(`template: :1: executing "" at <.${m[2]}>: can't evaluate field ${m[2]}`);
    }
    return m[1] ? JSON.stringify(value ?? null) : goValue(value);
  });
}

function labelString(labels: Record<string, string> | null): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

// ------------------------------------------------------------------------------- filters

export type Filters = Map<string, string[]>;

/** `--filter key=value` values; Docker's messages for a malformed one or an unknown key. */
export function parseFilters(values: readonly string[], allowed: readonly string[]): Filters {
  const f: Filters = new Map();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid argument "${v}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const key = v.slice(0, eq).trim().toLowerCase();
    if (!allowed.includes(key)) throw new UsageError(`Error response from daemon: invalid filter '${key}'`);
    f.set(key, [...(f.get(key) ?? []), v.slice(eq + 1)]);
  }
  return f;
}

function matchLabel(labels: Record<string, string> | null, want: string): boolean {
  const eq = want.indexOf('=');
  const k = eq < 0 ? want : want.slice(0, eq);
  if (!labels || !(k in labels)) return false;
  return eq < 0 || labels[k] === want.slice(eq + 1);
}

function parseBoolFilter(key: string, v: string): boolean {
  if (['true', '1'].includes(v.toLowerCase())) return true;
  if (['false', '0'].includes(v.toLowerCase())) return false;
  throw new UsageError(`Error response from daemon: invalid filter '${key}=${v}'`);
}

/** Does the volume pass every filter? (Values of one key: any, `label!`: none; keys: all.) */
export function matchesFilters(v: Volume, f: Filters, used: boolean): boolean {
  for (const [key, values] of f) {
    let ok: boolean;
    switch (key) {
      case 'name':
        ok = values.some((val) => v.Name.includes(val));
        break;
      case 'driver':
        ok = values.some((val) => v.Driver === val);
        break;
      case 'label':
        ok = values.some((val) => matchLabel(v.Labels, val));
        break;
      case 'label!':
        ok = values.every((val) => !matchLabel(v.Labels, val));
        break;
      case 'dangling':
        ok = values.some((val) => parseBoolFilter(key, val) === !used);
        break;
      default:
        ok = true; // `all` is an option of prune, not a property of the volume
    }
    if (!ok) return false;
  }
  return true;
}

function keyValues(list: readonly string[] | undefined): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    out[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
  }
  return out;
}

// ------------------------------------------------------------------------------- prompt

function readLineSync(): string {
  const buf = Buffer.alloc(1);
  const bytes: number[] = [];
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, 1, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        continue;
      }
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0 || buf[0] === 0x0a) break;
    bytes.push(buf[0]);
  }
  return Buffer.from(bytes).toString('utf8').trim();
}

/** Docker's confirmation prompt; anything but y/yes is no. */
function confirm(warning: string): boolean {
  process.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = readLineSync().toLowerCase();
  return answer === 'y' || answer === 'yes';
}

// ------------------------------------------------------------------------------- commands

async function open(cmd: Command) {
  const { Engine } = await import('../engine/engine');
  const { openVolumeStore } = await import('../volume/store');
  const { inUseBy, volumeUsers } = await import('../engine/volumes');
  const engine = new Engine(globalRoot(cmd));
  const store = openVolumeStore(engine.paths);
  return { engine, store, inUseBy: () => inUseBy(engine), volumeUsers: () => volumeUsers(engine) };
}

/** `mydocker volume ...` */
export function registerVolume(program: Command): void {
  const volume = program.command('volume').description('Manage volumes').helpOption('--help', 'print usage');

  volume
    .command('create')
    .description('Create a volume')
    .usage('[OPTIONS] [VOLUME]')
    .helpOption('--help', 'print usage')
    .argument('[volume]')
    .option('-d, --driver <string>', 'specify volume driver name', 'local')
    .option('--label <label>', 'set metadata for a volume', collect)
    .option('-o, --opt <option>', 'set driver specific options', collect)
    .option('--name <string>', 'specify volume name')
    .action(async (arg: string | undefined, o: { driver: string; label?: string[]; opt?: string[]; name?: string }, cmd: Command) => {
      if (arg !== undefined && o.name !== undefined && arg !== o.name) {
        throw new UsageError('conflicting options: either specify --name or provide positional arg, not both');
      }
      const { store } = await open(cmd);
      const v = store.create(arg ?? o.name, { driver: o.driver, labels: keyValues(o.label), driverOptions: keyValues(o.opt) });
      process.stdout.write(`${v.Name}\n`);
    });

  volume
    .command('ls')
    .alias('list')
    .description('List volumes')
    .usage('[OPTIONS]')
    .helpOption('--help', 'print usage')
    .option('-q, --quiet', 'only display volume names')
    .option('-f, --filter <filter>', "provide filter values (e.g. 'dangling=true')", collect)
    .option('--format <string>', 'format output using a Go template subset')
    .action(async (o: { quiet?: boolean; filter?: string[]; format?: string }, cmd: Command) => {
      const filters = parseFilters(o.filter ?? [], ['dangling', 'driver', 'label', 'name']);
      const { store, volumeUsers } = await open(cmd);
      const users = filters.has('dangling') ? volumeUsers() : new Map<string, string[]>();
      const vols = store.list().filter((v) => matchesFilters(v, filters, (users.get(v.Name)?.length ?? 0) > 0));
      if (o.quiet) {
        process.stdout.write(vols.map((v) => `${v.Name}\n`).join(''));
      } else if (o.format !== undefined && o.format !== 'table') {
        const lines = vols.map((v) =>
          formatTemplate(o.format!, { Name: v.Name, Driver: v.Driver, Scope: v.Scope, Mountpoint: v.Mountpoint, Labels: labelString(v.Labels), Links: 'N/A', Size: 'N/A' }),
        );
        process.stdout.write(lines.map((l) => `${l}\n`).join(''));
      } else {
        process.stdout.write(formatTable(['DRIVER', 'VOLUME NAME'], vols.map((v) => [v.Driver, v.Name])));
      }
    });

  volume
    .command('inspect')
    .description('Display detailed information on one or more volumes')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .helpOption('--help', 'print usage')
    .argument('<volume...>')
    .option('-f, --format <string>', 'format output using a Go template subset')
    .action(async (names: string[], o: { format?: string }, cmd: Command) => {
      const { store } = await open(cmd);
      const found: VolumeInspect[] = [];
      const errors: string[] = [];
      for (const n of names) {
        const v = store.find(n);
        if (v) found.push(store.inspect([n])[0]);
        else errors.push(`Error response from daemon: get ${n}: no such volume`);
      }
      if (o.format !== undefined && o.format !== '') {
        process.stdout.write(found.map((v) => `${formatTemplate(o.format!, v as unknown as Record<string, unknown>)}\n`).join(''));
      } else {
        process.stdout.write(JSON.stringify(found, null, 4) + '\n');
      }
      for (const e of errors) process.stderr.write(`mydocker: ${e}\n`);
      if (errors.length > 0) process.exitCode = 1;
    });

  volume
    .command('rm')
    .alias('remove')
    .description('Remove one or more volumes')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .helpOption('--help', 'print usage')
    .argument('<volume...>')
    .option('-f, --force', 'force the removal of one or more volumes')
    .action(async (names: string[], o: { force?: boolean }, cmd: Command) => {
      const { store, inUseBy } = await open(cmd);
      const users = inUseBy();
      let failed = false;
      for (const n of names) {
        try {
          store.remove(n, { force: !!o.force, inUseBy: users });
          process.stdout.write(`${n}\n`);
        } catch (e) {
          failed = true;
          process.stderr.write(`mydocker: ${e instanceof Error ? e.message : String(e)}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });

  volume
    .command('prune')
    .description('Remove unused local volumes')
    .usage('[OPTIONS]')
    .helpOption('--help', 'print usage')
    .option('-a, --all', 'remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', "provide filter values (e.g. 'label=<label>')", collect)
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (o: { all?: boolean; filter?: string[]; force?: boolean }, cmd: Command) => {
      const filters = parseFilters(o.filter ?? [], ['label', 'label!', 'all']);
      let all = !!o.all;
      for (const v of filters.get('all') ?? []) all = parseBoolFilter('all', v) || all;
      const warning = all
        ? 'WARNING! This will remove all local volumes not used by at least one container.'
        : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
      if (!o.force && !confirm(warning)) return;
      const { store, inUseBy } = await open(cmd);
      const r = store.prune({ all, inUseBy: inUseBy(), filter: (v) => matchesFilters(v, filters, false) });
      let out = '';
      if (r.removed.length > 0) out += `Deleted Volumes:\n${r.removed.map((n) => `${n}\n`).join('')}\n`;
      out += `Total reclaimed space: ${humanSize(r.reclaimedBytes)}\n`;
      process.stdout.write(out);
      for (const f of r.failed) process.stderr.write(`mydocker: ${f.error}\n`);
      if (r.failed.length > 0) process.exitCode = 1;
    });
}
