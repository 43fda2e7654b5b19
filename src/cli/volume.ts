/**
 * `mydocker volume create|ls|inspect|rm|prune`, with Docker's flags and output.
 */
import fs = require('node:fs');
import { Command } from 'commander';
import { UsageError } from '../common/errors';
import { globalRoot } from './main';
import { GO_TYPE } from './format/gofmt';
import type { Volume } from '../volume/store';
import { writeOut, writeErr } from '../common/stdio';

const collect = (v: string, prev: string[] = []) => [...prev, v];

// ------------------------------------------------------------------------------- output

/** Docker's default `volume ls` format and its header. */
const VOLUME_TABLE = 'table {{.Driver}}\t{{.Name}}';
const VOLUME_HEADER = { Driver: 'DRIVER', Name: 'VOLUME NAME', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', Availability: 'AVAILABILITY', Group: 'GROUP', Status: 'STATUS' };

/** One row of `volume ls` as Docker's volume context shows it to a template. */
export function volumeRow(v: Volume): Record<string, unknown> {
  const row: Record<string, unknown> = {
    Availability: 'N/A',
    Driver: v.Driver,
    Group: 'N/A',
    Labels: labelString(v.Labels),
    Links: 'N/A',
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Scope: v.Scope,
    Size: 'N/A',
    Status: 'N/A',
  };
  Object.defineProperty(row, GO_TYPE, { enumerable: false, value: '*formatter.volumeContext' });
  Object.defineProperty(row, 'Label', { enumerable: false, value: (name: string) => v.Labels?.[String(name)] ?? '' });
  return row;
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
  writeOut(`${warning}\nAre you sure you want to continue? [y/N] `);
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
      writeOut(`${v.Name}\n`);
    });

  volume
    .command('ls')
    .alias('list')
    .description('List volumes')
    .usage('[OPTIONS]')
    .helpOption('--help', 'print usage')
    .option('-q, --quiet', 'only display volume names')
    .option('-f, --filter <filter>', "provide filter values (e.g. 'dangling=true')", collect)
    .option('--format <string>', 'format output using a custom template')
    .action(async (o: { quiet?: boolean; filter?: string[]; format?: string }, cmd: Command) => {
      const filters = parseFilters(o.filter ?? [], ['dangling', 'driver', 'label', 'name']);
      const { store, volumeUsers } = await open(cmd);
      const users = filters.has('dangling') ? volumeUsers() : new Map<string, string[]>();
      const vols = store.list().filter((v) => matchesFilters(v, filters, (users.get(v.Name)?.length ?? 0) > 0));
      const { renderList } = await import('./format/formatter');
      const format = o.quiet ? '{{.Name}}' : o.format !== undefined && o.format !== '' ? o.format : VOLUME_TABLE;
      writeOut(renderList(format, vols.map((v) => volumeRow(v)), { header: VOLUME_HEADER }));
    });

  volume
    .command('inspect')
    .description('Display detailed information on one or more volumes')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .helpOption('--help', 'print usage')
    .argument('<volume...>')
    .option('-f, --format <string>', 'format output using a custom template')
    .action(async (names: string[], o: { format?: string }, cmd: Command) => {
      const { runInspect } = await import('./inspect');
      await runInspect(cmd, names, { format: o.format, type: 'volume' });
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
          writeOut(`${n}\n`);
        } catch (e) {
          failed = true;
          writeErr(`mydocker: ${e instanceof Error ? e.message : String(e)}\n`);
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
      const { humanSize } = await import('./format/size');
      out += `Total reclaimed space: ${humanSize(r.reclaimedBytes)}\n`;
      writeOut(out);
      for (const f of r.failed) writeErr(`mydocker: ${f.error}\n`);
      if (r.failed.length > 0) process.exitCode = 1;
    });
}
