/**
 * `container prune [-f] [--filter until=|label=]`: removes every container that is not
 * running, after asking (docker's prompt) unless -f. Answering anything but "y" cancels
 * quietly (exit 0), as docker.
 */
import fs = require('node:fs');
import { Command } from 'commander';
import { MydockerError } from '../common/errors';
import { globalRoot } from './main';
import { writeOut } from '../common/stdio';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export const PRUNE_WARNING = 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?';

/** One line from stdin, read synchronously (the prompt's answer); '' at end of input. */
export function readLineSync(fd = 0): string {
  const buf = Buffer.alloc(1);
  let line = '';
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, 1, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EOF') return line;
      throw e;
    }
    if (n === 0) return line;
    const ch = buf.toString('utf8', 0, 1);
    if (ch === '\n') return line;
    line += ch;
  }
}

/** docker's prompt.Confirm: "<message> [y/N] ", true only for "y" or "Y". */
export function confirm(message: string, input: () => string = () => readLineSync()): boolean {
  writeOut(`${message} [y/N] `);
  return input().trim().toLowerCase() === 'y';
}

interface PruneFlags {
  force?: boolean;
  filter?: string[];
}

export async function runPrune(cmd: Command, o: PruneFlags): Promise<void> {
  const { parseFilterFlags, validateFilters } = await import('../engine/query');
  const filters = parseFilterFlags(o.filter ?? [], '--filter');
  validateFilters(filters, ['until', 'label', 'label!']);
  let until: number | undefined;
  for (const v of filters.get('until')) {
    const { parseTimeArg } = await import('../engine/lifecycle');
    try {
      until = parseTimeArg(v);
    } catch {
      throw new MydockerError(`Error response from daemon: failed to parse value as time or duration: "${v}"`, { exitCode: 1 });
    }
  }
  if (!o.force && !confirm(PRUNE_WARNING)) return;
  const { Engine } = await import('../engine/engine');
  const { pruneContainers } = await import('../engine/remove');
  const { humanSize } = await import('./format/size');
  const engine = new Engine(globalRoot(cmd));
  const report = await pruneContainers(engine, (rec) => {
    if (until !== undefined && !(Date.parse(rec.Created) < until)) return false;
    if (!filters.matchKVList('label', rec.Config.Labels)) return false;
    for (const v of filters.get('label!')) {
      const i = v.indexOf('=');
      const k = i < 0 ? v : v.slice(0, i);
      const labels = rec.Config.Labels ?? {};
      if (Object.prototype.hasOwnProperty.call(labels, k) && (i < 0 || labels[k] === v.slice(i + 1))) return false;
    }
    return true;
  });
  let out = '';
  if (report.deleted.length) out = 'Deleted Containers:\n' + report.deleted.map((id) => id + '\n').join('') + '\n';
  writeOut(out + `Total reclaimed space: ${humanSize(report.reclaimed)}\n`);
}

export function registerPrune(parent: Command): Command {
  return parent
    .command('prune')
    .description('Remove all stopped containers')
    .usage('[OPTIONS]')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (e.g. "until=<timestamp>")', collect)
    .action(async (o: PruneFlags, cmd: Command) => {
      await runPrune(cmd, o);
    });
}
