/**
 * `ps [-a] [-q] [-s] [--no-trunc] [-n N] [-l] [--filter K=V]... [--format F]`: the
 * containers, newest first, in Docker's table (CONTAINER ID, IMAGE, COMMAND, CREATED,
 * STATUS, PORTS, NAMES) or a Go template per container.
 *
 * Failures as docker's: a filter without "=" is a flag error (exit 125); an unknown
 * filter or a bad value is the daemon's "invalid filter" (exit 1); a template that does
 * not parse or names an unknown field fails before anything is listed (exit 1).
 */
import { Command } from 'commander';
import { MydockerError, UsageError } from '../common/errors';
import type { ContainerSummary } from '../engine/query';
import { globalRoot } from './main';
import { goTimeString, runningFor, statusText } from './format/duration';
import { containerSizeText } from './format/size';
import { ellipsis, goQuote, truncateId } from './format/text';
import { GO_TYPE } from './format/gofmt';
import { nilPtr } from './format/values';
import { familiarString, parseNormalizedNamed } from '../image/reference';
import { writeOut, writeErr } from '../common/stdio';

const collect = (v: string, prev: string[] = []) => [...prev, v];

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** The column names of the table format (docker's NewContainerContext header). */
export const CONTAINER_HEADER: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
  HealthStatus: 'HEALTH STATUS',
};

const EMPTY: ContainerSummary = {
  Id: '',
  Names: [],
  Image: '',
  ImageID: '',
  Command: '',
  Created: 0,
  State: 'created',
  StateDetail: {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: '',
    FinishedAt: '',
  },
  Labels: {},
  Mounts: [],
  Networks: [],
};

/**
 * What a `ps` template sees: docker's ContainerContext, one method per column. Unknown
 * fields fail as docker's do ("can't evaluate field X in type *formatter.ContainerContext").
 */
export class ContainerContext {
  /** set when a template asked for .Size (docker then computes sizes) */
  sizeUsed = false;

  constructor(
    private readonly c: ContainerSummary,
    private readonly trunc: boolean,
    private readonly now: number,
  ) {
    Object.defineProperty(this, GO_TYPE, { value: '*formatter.ContainerContext', enumerable: false });
  }

  ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }

  Names(): string {
    const names = this.c.Names.map((n) => n.replace(/^\//, ''));
    if (this.trunc) return names.find((n) => !n.includes('/')) ?? '';
    return names.join(',');
  }

  Image(): string {
    const image = this.c.Image;
    if (image === '') return '<no image>';
    if (!this.trunc) return image;
    if (truncateId(this.c.ImageID) === truncateId(image)) return truncateId(image);
    return familiar(image);
  }

  Command(): string {
    return goQuote(this.trunc ? ellipsis(this.c.Command, 20) : this.c.Command);
  }

  CreatedAt(): string {
    return goTimeString(this.c.Created);
  }

  RunningFor(): string {
    return runningFor(this.c.Created, this.now);
  }

  Ports(): string {
    return '';
  }

  State(): string {
    return this.c.State;
  }

  Status(): string {
    return this.c.Id === '' ? '' : statusText(this.c.StateDetail, this.now);
  }

  Size(): string {
    this.sizeUsed = true;
    return containerSizeText(this.c.SizeRw ?? 0, this.c.SizeRootFs ?? 0);
  }

  Labels(): string {
    return Object.entries(this.c.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(',');
  }

  Label(name: string): string {
    return this.c.Labels?.[name] ?? '';
  }

  Mounts(): string {
    return this.c.Mounts.map((m) => {
      const name = m.Name ? m.Name : m.Source;
      return this.trunc ? ellipsis(name, 15) : name;
    }).join(',');
  }

  LocalVolumes(): string {
    return String(this.c.Mounts.filter((m) => m.Driver === 'local').length);
  }

  Networks(): string {
    return this.c.Networks.join(',');
  }

  Platform(): unknown {
    return nilPtr();
  }

  HealthStatus(): string {
    return '';
  }

  /** `{{json .}}`: every column, keys sorted (docker marshals the context as a map). */
  toJSON(): Record<string, unknown> {
    const used = this.sizeUsed;
    const m: Record<string, unknown> = {
      Command: this.Command(),
      CreatedAt: this.CreatedAt(),
      HealthStatus: this.HealthStatus(),
      ID: this.ID(),
      Image: this.Image(),
      Labels: this.Labels(),
      LocalVolumes: this.LocalVolumes(),
      Mounts: this.Mounts(),
      Names: this.Names(),
      Networks: this.Networks(),
      Platform: null,
      Ports: this.Ports(),
      RunningFor: this.RunningFor(),
      Size: this.Size(),
      State: this.State(),
      Status: this.Status(),
    };
    this.sizeUsed = used;
    return m;
  }
}

/** "busybox", "localhost:5000/a:t": the reference without docker.io/library and digest. */
function familiar(image: string): string {
  try {
    const ref = parseNormalizedNamed(image);
    if (ref.digest !== undefined) delete ref.digest;
    return familiarString(ref);
  } catch {
    return image;
  }
}

/** docker's NewContainerFormat. */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === 'table' || source === '') {
    if (quiet) return '{{.ID}}';
    return size ? DEFAULT_TABLE + '\t{{.Size}}' : DEFAULT_TABLE;
  }
  if (source === 'raw') {
    if (quiet) return 'container_id: {{.ID}}';
    let f = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';
    if (size) f += 'size: {{.Size}}\\n';
    return f;
  }
  return quiet ? '{{.ID}}' : source;
}

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  size?: boolean;
  trunc?: boolean;
  latest?: boolean;
  last?: number;
  format?: string;
  filter?: string[];
}

function parseLast(v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new UsageError(`invalid argument "${v}" for "-n, --last" flag: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

export async function runPs(cmd: Command, o: PsFlags): Promise<void> {
  const { parseFilterFlags, listContainers } = await import('../engine/query');
  const filters = parseFilterFlags(o.filter ?? []);
  const quiet = !!o.quiet;
  let size = !!o.size;
  const format = o.format ?? '';
  if (format !== '' && quiet) writeErr('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');

  // As docker: a --format is checked before anything is listed, and asking for .Size
  // turns sizes on.
  if (format !== '') {
    const { parseTemplate, dockerFuncs, TemplateParseError, TemplateExecError } = await import('./format/template');
    let probe;
    try {
      probe = parseTemplate(format, dockerFuncs);
    } catch (e) {
      if (e instanceof TemplateParseError) throw new MydockerError(`failed to parse template: ${e.message}`, { exitCode: 1 });
      throw e;
    }
    const ctx = new ContainerContext(EMPTY, true, Date.now());
    try {
      probe.execute(ctx);
    } catch (e) {
      if (e instanceof TemplateExecError) throw new MydockerError(`failed to execute template: ${e.message}`, { exitCode: 1 });
      throw e;
    }
    if (!quiet && !size && !cmd.getOptionValueSource('size') && ctx.sizeUsed) size = true;
  }

  let limit = o.last ?? -1;
  if (o.latest && limit === -1) limit = 1;

  const { Engine } = await import('../engine/engine');
  const engine = new Engine(globalRoot(cmd));
  const rows = await listContainers(engine, { all: !!o.all, limit, size, filters });
  const { renderList } = await import('./format/formatter');
  const now = Date.now();
  const trunc = o.trunc !== false;
  const text = renderList(
    containerFormat(format, quiet, size),
    rows.map((r) => new ContainerContext(r, trunc, now)),
    { header: CONTAINER_HEADER },
  );
  writeOut(text);
}

export interface PsCommandOptions {
  /** "ps" (default), or "ls" under `container` */
  name?: string;
  aliases?: string[];
}

/** Registers `ps` (or `container ls` with `{ name: 'ls', aliases: ['ps', 'list'] }`). */
export function registerPs(parent: Command, opts: PsCommandOptions = {}): Command {
  const c = parent
    .command(opts.name ?? 'ps')
    .description('List containers')
    .usage('[OPTIONS]')
    .argument('[args...]')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'filter output based on conditions provided', collect)
    .option('--format <format>', 'format output using a custom template')
    .option('-n, --last <n>', 'show n last created containers (includes all states)', parseLast)
    .option('-l, --latest', 'show the latest created container (includes all states)')
    .option('--no-trunc', "don't truncate output")
    .option('-q, --quiet', 'only display container IDs')
    .option('-s, --size', 'display total file sizes');
  if (opts.aliases?.length) c.aliases(opts.aliases);
  c.action(async (args: string[], o: PsFlags, cmd: Command) => {
    if (args.length) throw new UsageError(`"mydocker ${cmd.name()}" accepts no arguments.`);
    await runPs(cmd, o);
  });
  return c;
}
