// Interleaved, paired timing: a complement to hyperfine for small differences on a noisy
// machine. hyperfine runs all runs of one command, then all of the next, so a change of
// load between those blocks reads as a difference between the commands. Here every round
// runs each command once (in an order that rotates from round to round), and the cost of
// a command over the baseline is the median of the per-round differences: a load that
// changes slowly cancels out.
//
//   node bench/interleave.mjs COMMANDS.tsv ROUNDS WARMUP OUT.json
//
// COMMANDS.tsv: one "name<TAB>command line" per line (split on spaces, no shell); the
// first line is the baseline. Prints a markdown table; writes every time to OUT.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const [file, roundsArg, warmupArg, out] = process.argv.slice(2);
const rounds = Number(roundsArg), warmup = Number(warmupArg);
const cmds = readFileSync(file, 'utf8').trim().split('\n').map((l) => {
  const [name, line] = l.split('\t');
  return { name, argv: line.split(' ').filter(Boolean), times: [] };
});

// CPU time of waited-for descendants (cutime + cstime of /proc/self/stat, in clock ticks of
// 10 ms): too coarse for one run, unbiased summed over many.
const TICK_MS = 10;
function childTicks() {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[13]) + Number(rest[14]);
}

function once(c) {
  const k0 = childTicks();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.argv[0], c.argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000, killSignal: 'SIGKILL' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status ?? r.signal}: ${String(r.stderr).trim()}`);
  c.cpuTicks = (c.cpuTicks ?? 0) + childTicks() - k0;
  return ms;
}

for (let w = 0; w < warmup; w++) for (const c of cmds) once(c);
for (const c of cmds) c.cpuTicks = 0;
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[(i + r) % cmds.length];
    c.times[r] = once(c);
  }
}

const median = (a) => { const s = [...a].sort((x, y) => x - y), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const base = cmds[0], ref = cmds[1];
const cpuMs = (c) => (c.cpuTicks * TICK_MS) / rounds;
const rows = [
  ['command', 'median (ms)', `× median of \`${base.name}\``, `median of per-round × \`${base.name}\``, `Δ vs \`${ref.name}\`: median of per-round differences (ms)`, 'rounds where slower', 'CPU user+sys, mean (ms)', `Δ CPU vs \`${ref.name}\` (ms)`],
  ['---', '---', '---', '---', '---', '---', '---', '---'],
];
for (const c of cmds) {
  const diffs = c.times.map((t, i) => t - ref.times[i]);
  const slower = diffs.filter((d) => d > 0).length;
  rows.push([
    `\`${c.name}\``,
    median(c.times).toFixed(1),
    (median(c.times) / median(base.times)).toFixed(2),
    median(c.times.map((t, i) => t / base.times[i])).toFixed(2),
    c === ref ? '—' : (median(diffs) >= 0 ? '+' : '') + median(diffs).toFixed(1),
    c === ref ? '—' : `${slower}/${rounds}`,
    cpuMs(c).toFixed(1),
    c === ref ? '—' : ((cpuMs(c) - cpuMs(ref)) >= 0 ? '+' : '') + (cpuMs(c) - cpuMs(ref)).toFixed(1),
  ]);
}
console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
writeFileSync(out, JSON.stringify({ rounds, warmup, results: cmds.map((c) => ({ name: c.name, command: c.argv.join(' '), times_ms: c.times, cpu_ms_mean: cpuMs(c) })) }, null, 2));
