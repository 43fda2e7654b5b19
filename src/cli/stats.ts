/**
 * `mydocker stats [OPTIONS] [CONTAINER...]`: Docker's columns and number formats.
 *
 *   CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS
 *
 * Sizes as Docker prints them: memory in binary units with 4 significant digits ("20.5MiB"),
 * network and block I/O in decimal units with 3 ("1.2kB"); columns aligned as Docker's
 * table writer aligns them (at least 10 wide, 3 spaces of padding).
 */
import type { Command } from 'commander';
import type { StatsEntry } from '../engine/stats';
import { globalRoot } from './main';
import { writeOut } from '../common/stdio';

/** Go's %.<precision>g: shortest of fixed or exponent form, trailing zeros dropped. */
export function formatG(x: number, precision: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(precision)))));
  if (exp < -4 || exp >= precision) {
    const [m, e] = x.toExponential(precision - 1).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toFixed(Math.max(0, precision - 1 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

function customSize(size: number, base: number, units: string[], precision: number): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return `${formatG(size, precision)}${units[i]}`;
}

/** go-units BytesSize: "20.5MiB". */
export function bytesSize(n: number): string {
  return customSize(n, 1024, BINARY, 4);
}

/** go-units HumanSizeWithPrecision(n, 3): "1.2kB". */
export function humanSize(n: number): string {
  return customSize(n, 1000, DECIMAL, 3);
}

export const HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

export function rowOf(e: StatsEntry, trunc = true): string[] {
  return [
    trunc ? e.id.slice(0, 12) : e.id,
    e.name || '--',
    `${e.cpuPercent.toFixed(2)}%`,
    `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    `${e.memoryPercent.toFixed(2)}%`,
    `${humanSize(e.netRx)} / ${humanSize(e.netTx)}`,
    `${humanSize(e.blockRead)} / ${humanSize(e.blockWrite)}`,
    String(e.pids),
  ];
}

/** Go's tabwriter as Docker sets it up (minwidth 10, padding 3); the last column is not padded. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.slice(0, -1).forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 10, c.length + 3);
    });
  }
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join('') + '\n').join('');
}

export function render(entries: StatsEntry[], trunc = true): string {
  return table([HEADER, ...entries.map((e) => rowOf(e, trunc))]);
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('Display a live stream of container(s) resource usage statistics')
    .usage('[OPTIONS] [CONTAINER...]')
    .helpOption('--help', 'print usage')
    .argument('[containers...]')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('--no-stream', 'disable streaming stats and only pull the first result')
    .option('--no-trunc', 'do not truncate output')
    .action(async (refs: string[], o: { all?: boolean; stream: boolean; trunc: boolean }, cmd: Command) => {
      const { Engine } = await import('../engine/engine');
      const { collectGarbage } = await import('../engine/teardown');
      const st = await import('../engine/stats');
      const engine = new Engine(globalRoot(cmd));
      collectGarbage(engine);
      // Named containers are resolved once (an unknown name fails before any output).
      const named = refs.map((r) => engine.containers.resolve(r));
      const targets = () => (refs.length ? named : st.statsTargets(engine, !!o.all));

      if (!o.stream) {
        writeOut(render(await st.collectOnce(engine, targets()), o.trunc));
        return;
      }
      // Streaming: a reading per second, each against the one before, until interrupted.
      let prev = new Map<string, import('../engine/stats').StatsSample>();
      let stop = false;
      const onSignal = () => {
        stop = true;
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        for (let first = true; !stop; first = false) {
          const recs = targets().map((r) => engine.containers.get(r.Id) ?? r);
          const samples = recs.map((r) => st.sampleContainer(engine, r));
          if (!first) {
            const entries = samples.map((s) => st.entryOf(s, prev.get(s.id)));
            writeOut('\x1b[2J\x1b[H' + render(entries, o.trunc));
          }
          prev = new Map(samples.map((s) => [s.id, s]));
          const until = Date.now() + (first ? 100 : st.SAMPLE_INTERVAL_MS);
          while (!stop && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
