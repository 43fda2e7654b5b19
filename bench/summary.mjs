// Summary of one hyperfine run (its --export-json file): each command's median as a ratio
// to a baseline command's median, and as a difference in milliseconds, in one markdown table.
//
//   node bench/summary.mjs RESULT.json "BASELINE NAME" ["SECOND BASELINE NAME"]
//
// With a second baseline, a last column gives each command's difference to that one too
// (e.g. the cost of a flag over the plain `run`). The CPU column is user+system time of the
// command and all the descendants it waited for (hyperfine's means): less sensitive than wall
// time to waiting for a busy CPU. Machines are noisy: compare only figures of the same run.
import { readFileSync } from 'node:fs';

const [file, baseName, secondName] = process.argv.slice(2);
if (!file || !baseName) {
  console.error('usage: summary.mjs RESULT.json BASELINE [SECOND]');
  process.exit(2);
}
const { results } = JSON.parse(readFileSync(file, 'utf8'));
const find = (name) => {
  const r = results.find((x) => x.command === name);
  if (!r) throw new Error(`no command named ${JSON.stringify(name)} in ${file}`);
  return r;
};
const base = find(baseName);
const second = secondName ? find(secondName) : undefined;
const ms = (s) => (s * 1000).toFixed(1);
const signed = (s) => (s >= 0 ? '+' : '') + ms(s);

const cpu = (r) => r.user + r.system;
const head = ['command', 'runs', 'median (ms)', `× median of \`${baseName}\``, 'mean ± σ (ms)', 'min … max (ms)', 'CPU user+sys, mean (ms)'];
if (second) head.push(`Δ median vs \`${secondName}\` (ms)`, `Δ CPU vs \`${secondName}\` (ms)`);
const rows = [head, head.map(() => '---')];
for (const r of results) {
  const row = [
    `\`${r.command}\``,
    String(r.times.length),
    ms(r.median),
    (r.median / base.median).toFixed(2),
    `${ms(r.mean)} ± ${ms(r.stddev ?? 0)}`,
    `${ms(r.min)} … ${ms(r.max)}`,
    ms(cpu(r)),
  ];
  if (second) row.push(r === second ? '—' : signed(r.median - second.median), r === second ? '—' : signed(cpu(r) - cpu(second)));
  rows.push(row);
}
console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
