#!/usr/bin/env bash
# Detached containers (issue 5): N (default 50) `mydocker run -d busybox sleep 300` started
# one after another (the whole loop and each one timed), `mydocker ps` over them (hyperfine,
# against `node -e 0` and `ps` on an empty root), the resident memory of each container's
# monitor (target: at most 2 MiB; Podman's conmon is measured alongside when it runs here),
# then `rm -f` of them all (timed), and proof that nothing is left: no monitor or container
# process, no mount, no cgroup.
#
#   bench/lifecycle.sh        (as root; BENCH_CONTAINERS=N, BENCH_RUNS=N)
#
# Results: /tmp/mydocker-bench-results/lifecycle-<time>/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=${BENCH_CONTAINERS:-50}
ensure_pkgs hyperfine
command -v hyperfine >/dev/null 2>&1 || die "hyperfine is required"
ensure_build
setup_work lifecycle

NOTES=()
note() { NOTES+=("$1"); log "bench: $1"; }
now_us() { echo $(($(date +%s%N) / 1000)); }

# "id pid" of every container recorded in this run's root (State.Pid, 0 when none).
records() {
  node -e '
    const fs = require("fs"), path = require("path"), dir = path.join(process.argv[1], "containers");
    let ids = [];
    try { ids = fs.readdirSync(dir); } catch {}
    for (const id of ids) {
      try {
        const c = JSON.parse(fs.readFileSync(path.join(dir, id, "config.json"), "utf8"));
        console.log(id, (c.State && c.State.Pid) || 0);
      } catch {}
    }
  ' "$ROOT"
}

ppid_of() { awk '/^PPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# A container process of this run: its parent is a monitor of this run.
ours() {
  local pp
  pp=$(ppid_of "$1") || return 1
  [ -n "$pp" ] && [ "$(readlink "/proc/$pp/exe" 2>/dev/null)" = "$SHIM" ] &&
    tr '\0' '\n' <"/proc/$pp/environ" 2>/dev/null | grep -qx "MYDOCKER_CGROUP_PARENT=$CGROUP_PARENT"
}

# Clean-up on any exit: remove this run's containers, SIGKILL what still runs of them.
kill_containers() {
  local id pid
  has_verb rm && md rm -f $(records | cut -d' ' -f1) >/dev/null 2>&1
  while read -r id pid; do
    [ "$pid" -gt 0 ] 2>/dev/null && ours "$pid" && kill -KILL "$pid" 2>/dev/null
  done < <(records)
  return 0
}
CLEANUP_HOOKS+=(kill_containers)

md run --rm busybox true # builds the image: not timed

# 1. N detached containers, one after another.
echo "n,id,microseconds" >"$RESULTS/run-d.csv"
IDS=()
t_all=$(now_us)
for i in $(seq "$N"); do
  t0=$(now_us)
  id=$(md run -d busybox sleep 300)
  t1=$(now_us)
  IDS+=("$id")
  echo "$i,$id,$((t1 - t0))" >>"$RESULTS/run-d.csv"
done
t_all=$(($(now_us) - t_all))

# Every one is running, each under its own monitor.
PIDS=() SHIMS=()
while read -r id pid; do
  [ "$pid" -gt 0 ] && [ -d "/proc/$pid" ] || die "container $id is not running (pid $pid)"
  ours "$pid" || die "container $id: pid $pid is not under a monitor of this run"
  PIDS+=("$pid")
  SHIMS+=("$(ppid_of "$pid")")
done < <(records)
[ ${#PIDS[@]} -eq "$N" ] || die "expected $N containers, found ${#PIDS[@]}"

# 2. The monitors' memory: VmRSS from /proc/<pid>/status, and Pss (RSS with shared pages
# divided among their sharers) from smaps_rollup.
echo "shim_pid,container_pid,vmrss_kib,pss_kib" >"$RESULTS/monitor-memory.csv"
for i in "${!SHIMS[@]}"; do
  s=${SHIMS[$i]}
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$s/status")
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$s/smaps_rollup" 2>/dev/null || echo "")
  echo "$s,${PIDS[$i]},$rss,$pss" >>"$RESULTS/monitor-memory.csv"
done

# Podman's monitor on the same machine, for comparison (one detached `sleep`).
CONMON_KIB=
cp -a "$(ls -d "$ROOT"/layers/*/diff | head -1)" "$WORK/podman-rootfs"
if podman_setup "$WORK/podman-rootfs"; then
  run_opts=()
  for o in "${PODMAN_RUN[@]}"; do [ "$o" = --rm ] || run_opts+=("$o"); done
  if cid=$("${PODMAN[@]}" run -d "${run_opts[@]}" --rootfs "$WORK/podman-rootfs" sleep 300 2>/dev/null); then
    cpid=$("${PODMAN[@]}" inspect -f '{{.State.ConmonPid}}' "$cid")
    CONMON_KIB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$cpid/status")
    "${PODMAN[@]}" rm -f -t 0 "$cid" >/dev/null
  fi
else
  note "podman cannot run here: conmon not measured (${PODMAN_NOTES[*]: -1})"
fi

# 3. `ps` over the N containers (and over none, for the per-container part).
PS_ARGS=(-N --warmup "$WARMUP" --runs "$RUNS" --export-json "$RESULTS/ps.json" --export-markdown "$RESULTS/ps.md")
: >"$RESULTS/commands.txt"
addcmd() {
  PS_ARGS+=(-n "$1" "$2")
  printf '%s\t%s\n' "$1" "$2" >>"$RESULTS/commands.txt"
}
addcmd "node -e 0" "$(command -v node) -e 0"
if has_verb ps; then
  mkdir -p "$WORK/empty-root"
  addcmd "mydocker ps (0 containers)" "$MYDOCKER --root $WORK/empty-root ps"
  addcmd "mydocker ps ($N running)" "$MYDOCKER --root $ROOT ps"
  addcmd "mydocker ps -a ($N running)" "$MYDOCKER --root $ROOT ps -a"
  [ "$(md ps -q | wc -l)" -eq "$N" ] || note "ps lists $(md ps -q | wc -l) containers, not $N"
else
  note "ps does not exist yet: timed inspect of all containers instead"
  has_verb inspect && addcmd "mydocker inspect ($N ids)" "$MYDOCKER --root $ROOT inspect ${IDS[*]}"
fi
hyperfine_limited "${PS_ARGS[@]}"

# 4. Stop and remove them all.
t_rm=$(now_us)
if has_verb rm; then
  md rm -f "${IDS[@]}" >/dev/null
  rm_how="mydocker rm -f <$N ids> (one command)"
else
  for p in "${PIDS[@]}"; do kill -KILL "$p"; done
  rm_how="SIGKILL of the $N container pids (rm does not exist yet)"
  note "rm does not exist yet: containers killed with SIGKILL, records left to the work dir's removal"
fi
t_rm_cmd=$(($(now_us) - t_rm))
# ... until every monitor has finished its clean-up.
for _ in $(seq 300); do
  alive=0
  for p in "${SHIMS[@]}" "${PIDS[@]}"; do [ -d "/proc/$p" ] && alive=$((alive + 1)); done
  [ $alive -eq 0 ] && break
  sleep 0.05
done
t_rm_all=$(($(now_us) - t_rm))

# 5. Nothing is left.
for p in "${SHIMS[@]}" "${PIDS[@]}"; do [ -d "/proc/$p" ] && LEAKS+=("process $p still alive"); done
[ -n "$(mounts_under "$ROOT")" ] && LEAKS+=("mounts under $ROOT: $(mounts_under "$ROOT" | tr '\n' ' ')")
[ -n "$(cgroups_left)" ] && LEAKS+=("cgroups: $(cgroups_left | tr '\n' ' ')")
if has_verb rm && [ -n "$(ls -A "$ROOT/containers")" ]; then LEAKS+=("container records left: $(ls "$ROOT/containers" | wc -l)"); fi

# Summary.
machine_facts >"$RESULTS/machine.md"
node - "$RESULTS" "$N" "$t_all" "$t_rm_cmd" "$t_rm_all" "$rm_how" "$CONMON_KIB" <<'EOF' | tee "$RESULTS/summary.md"
const fs = require('fs');
const [dir, n, tAll, tRmCmd, tRmAll, rmHow, conmon] = process.argv.slice(2);
const csv = (f) => fs.readFileSync(`${dir}/${f}`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const median = (a) => { const s = [...a].sort((x, y) => x - y), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)];
const ms = (us) => (us / 1000).toFixed(1);
const runs = csv('run-d.csv').map((r) => Number(r[2]));
const k = Math.min(10, runs.length);
console.log(`### ${n} × \`mydocker run -d busybox sleep 300\`, one after another\n`);
console.log('| whole loop (s) | per container: median (ms) | mean | p90 | min | max | median of the first ' + k + ' | median of the last ' + k + ' |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
console.log(`| ${(tAll / 1e6).toFixed(2)} | ${ms(median(runs))} | ${ms(runs.reduce((a, b) => a + b, 0) / runs.length)} | ${ms(pct(runs, 90))} | ${ms(Math.min(...runs))} | ${ms(Math.max(...runs))} | ${ms(median(runs.slice(0, k)))} | ${ms(median(runs.slice(-k)))} |`);
const mem = csv('monitor-memory.csv');
const rss = mem.map((r) => Number(r[2])), pss = mem.map((r) => Number(r[3])).filter((x) => x > 0);
const kib = (x) => `${x} KiB (${(x / 1024).toFixed(2)} MiB)`;
console.log(`\n### Monitor memory (${mem.length} \`mydocker-shim\` processes; target ≤ 2 MiB each)\n`);
console.log('| | min | median | max | total |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| VmRSS | ${kib(Math.min(...rss))} | ${kib(median(rss))} | ${kib(Math.max(...rss))} | ${kib(rss.reduce((a, b) => a + b, 0))} |`);
if (pss.length) console.log(`| Pss | ${kib(Math.min(...pss))} | ${kib(median(pss))} | ${kib(Math.max(...pss))} | ${kib(pss.reduce((a, b) => a + b, 0))} |`);
console.log(`\nTarget ≤ 2048 KiB VmRSS per monitor: ${Math.max(...rss) <= 2048 ? 'met' : 'NOT met'} (max ${Math.max(...rss)} KiB).`);
if (conmon) console.log(`Podman's conmon for one detached \`sleep\` on this machine: VmRSS ${kib(Number(conmon))}.`);
const ps = JSON.parse(fs.readFileSync(`${dir}/ps.json`, 'utf8')).results;
const base = ps.find((r) => r.command === 'node -e 0');
console.log(`\n### Listing (hyperfine, ${ps[0].times.length} runs each)\n`);
console.log('| command | median (ms) | × median of `node -e 0` | mean ± σ (ms) |');
console.log('| --- | --- | --- | --- |');
for (const r of ps) console.log(`| \`${r.command}\` | ${(r.median * 1000).toFixed(1)} | ${(r.median / base.median).toFixed(2)} | ${(r.mean * 1000).toFixed(1)} ± ${(r.stddev * 1000).toFixed(1)} |`);
const p0 = ps.find((r) => r.command.startsWith('mydocker ps (0')), pN = ps.find((r) => r.command.startsWith('mydocker ps (' + n));
if (p0 && pN) console.log(`\nPer listed container: ${(((pN.median - p0.median) / Number(n)) * 1000).toFixed(2)} ms (difference of the medians / ${n}).`);
console.log(`\n### Removal\n\n${rmHow}: ${ms(Number(tRmCmd))} ms for the command; ${ms(Number(tRmAll))} ms until every monitor and container process was gone.`);
EOF
{
  [ ${#NOTES[@]} -gt 0 ] && printf -- '- %s\n' "${NOTES[@]}"
  echo "results: $RESULTS"
} | tee -a "$RESULTS/summary.md"
