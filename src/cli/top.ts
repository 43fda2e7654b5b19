/**
 * `top CONTAINER [ps OPTIONS]`: the host's `ps` (default `-ef`) limited to the
 * container's processes — the pids of its cgroup — laid out as docker's table.
 */
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { MydockerError } from '../common/errors';
import { globalRoot } from './main';
import { tabwrite } from './format/tabwriter';
import { writeOut } from '../common/stdio';

export interface ProcessList {
  Titles: string[];
  Processes: string[][];
}

function daemonError(msg: string): MydockerError {
  return new MydockerError(`Error response from daemon: ${msg}`, { exitCode: 1 });
}

/** docker refuses ps arguments that redefine the PID column ("pid=" is the only one allowed). */
export function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+([^\s]*)=\s*(PID[^\s]*)/g)) {
    if (m[1] !== 'pid') throw daemonError(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

const fields = (s: string) => s.split(/[\t\n\f\r ]+/).filter(Boolean);

/** docker's parsePSOutput: keeps the lines of `pids` (and their thread lines, "-"). */
export function parsePsOutput(output: string, pids: readonly number[]): ProcessList {
  const lines = output.split('\n');
  const list: ProcessList = { Titles: fields(lines[0] ?? ''), Processes: [] };
  const pidIndex = list.Titles.indexOf('PID');
  if (pidIndex < 0) throw daemonError("Couldn't find PID field in ps output");
  const append = (f: string[]) => {
    const n = list.Titles.length;
    list.Processes.push([...f.slice(0, n - 1), f.slice(n - 1).join(' ')]);
  };
  let previousIncluded = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const f = fields(line);
    if (f[pidIndex] === '-') {
      if (previousIncluded) append(f);
      continue;
    }
    if (!/^\d+$/.test(f[pidIndex] ?? '')) throw daemonError(`Unexpected pid '${f[pidIndex]}': strconv.Atoi: parsing ${JSON.stringify(f[pidIndex])}: invalid syntax`);
    if (pids.includes(Number(f[pidIndex]))) {
      previousIncluded = true;
      append(f);
    } else previousIncluded = false;
  }
  return list;
}

/** Runs the host's ps for the pids, as docker: with -q first, without it if ps refuses. */
export function runHostPs(psArgs: string, pids: readonly number[]): string {
  const args = psArgs.split(' ');
  let r = spawnSync('ps', [...args, `-q${pids.join(',')}`], { encoding: 'utf8' });
  if (r.status !== 0 || r.error) {
    r = spawnSync('ps', args, { encoding: 'utf8' });
    if (r.status !== 0 || r.error) {
      const first = (r.stderr ?? '').split('\n')[0] || (r.error ? r.error.message : `exit status ${r.status}`);
      throw daemonError(`ps: ${first}`);
    }
  }
  return r.stdout;
}

export function formatTop(list: ProcessList): string {
  let text = list.Titles.join('\t') + '\n';
  for (const p of list.Processes) text += p.join('\t') + '\n';
  return tabwrite(text, { minwidth: 20, padding: 3 });
}

export async function runTop(cmd: Command, ref: string, psOptions: string[]): Promise<void> {
  const psArgs = psOptions.length ? psOptions.join(' ') : '-ef';
  validatePsArgs(psArgs);
  const { Engine } = await import('../engine/engine');
  const { resolveFresh, containerPids } = await import('../engine/query');
  const engine = new Engine(globalRoot(cmd));
  let rec;
  try {
    rec = await resolveFresh(engine, ref);
  } catch (e) {
    if (e instanceof MydockerError) throw new MydockerError(e.message, { exitCode: 1 });
    throw e;
  }
  if (!rec.State.Running) throw daemonError(`container ${rec.Id} is not running`);
  const pids = containerPids(engine, rec);
  writeOut(formatTop(parsePsOutput(runHostPs(psArgs, pids), pids)));
}

export function registerTop(parent: Command): Command {
  return parent
    .command('top')
    .description('Display the running processes of a container')
    .usage('CONTAINER [ps OPTIONS]')
    .argument('<container>')
    .argument('[ps_options...]')
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (ref: string, psOptions: string[], _o: unknown, cmd: Command) => {
      await runTop(cmd, ref, psOptions);
    });
}
