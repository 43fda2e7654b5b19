#!/usr/bin/env bash
# What `-v` bind volumes and resource flags add to `mydocker run --rm busybox true`:
# 0, 1 and 3 bind volumes, and `-m 64m --cpus 1 --pids-limit 100`, in one hyperfine run,
# as ratios to `node -e 0` and as differences to the plain run; then the same commands
# interleaved round by round (bench/interleave.mjs), whose paired differences resist a
# machine's changing load better.
#
#   bench/volumes.sh          (as root; BENCH_RUNS=N, default 30; BENCH_ROUNDS=N, default BENCH_RUNS)
#
# Results: /tmp/mydocker-bench-results/volumes-<time>/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_pkgs hyperfine
command -v hyperfine >/dev/null 2>&1 || die "hyperfine is required"
ensure_build
setup_work volumes

md run --rm busybox true # builds the image: not timed

# Host directories for the bind volumes; each run writes nothing into them.
for i in 1 2 3; do mkdir -p "$WORK/vol$i" && echo "$i" >"$WORK/vol$i/file"; done
V1="-v $WORK/vol1:/v1"
V3="$V1 -v $WORK/vol2:/v2 -v $WORK/vol3:/v3"
LIMITS="-m 64m --cpus 1 --pids-limit 100"
BASE="$MYDOCKER --root $ROOT run --rm"

NAMES=("node -e 0" "run --rm busybox true" "run --rm (1 -v) busybox true" "run --rm (3 -v) busybox true"
  "run --rm $LIMITS busybox true" "run --rm (3 -v) $LIMITS busybox true")
CMDS=("$(command -v node) -e 0" "$BASE busybox true" "$BASE $V1 busybox true" "$BASE $V3 busybox true"
  "$BASE $LIMITS busybox true" "$BASE $V3 $LIMITS busybox true")

# Each variant works (and the volume is really there) before it is timed.
# shellcheck disable=SC2086
md run --rm $V3 busybox cat /v1/file /v2/file /v3/file | tr '\n' ' ' | grep -qx '1 2 3 ' || die "volumes not visible in the container"
# shellcheck disable=SC2086
WARN=$(md run --rm $LIMITS busybox true 2>&1 >/dev/null) || die "resource flags refused: $WARN"
[ -n "$WARN" ] && log "bench: the engine warns for the resource flags: $WARN"

ARGS=(-N --warmup "$WARMUP" --runs "$RUNS" --export-json "$RESULTS/volumes.json" --export-markdown "$RESULTS/volumes.md")
: >"$RESULTS/commands.txt"
for i in "${!NAMES[@]}"; do
  ARGS+=(-n "${NAMES[$i]}" "${CMDS[$i]}")
  printf '%s\t%s\n' "${NAMES[$i]}" "${CMDS[$i]}" >>"$RESULTS/commands.txt"
done
machine_facts >"$RESULTS/machine.md"

hyperfine_limited "${ARGS[@]}"

[ -z "$(ls -A "$ROOT/containers")" ] || LEAKS+=("mydocker containers left: $(ls "$ROOT/containers")")
for i in 1 2 3; do [ "$(cat "$WORK/vol$i/file")" = "$i" ] || LEAKS+=("volume $i lost its data"); done

node "$BENCH_DIR/summary.mjs" "$RESULTS/volumes.json" "node -e 0" "run --rm busybox true" | tee "$RESULTS/summary.md"
node -e '
  const r = require(process.argv[1]).results;
  const m = (n) => r.find((x) => x.command === n).median * 1000;
  const base = m("run --rm busybox true");
  const per = (m("run --rm (3 -v) busybox true") - base) / 3;
  const lim = m(process.argv[2]) - base;
  console.log(`\nper bind volume: ${per >= 0 ? "+" : ""}${per.toFixed(1)} ms (3 volumes vs none, /3), ${(per / base * 100).toFixed(1)}% of the plain run`);
  console.log(`resource flags: ${lim >= 0 ? "+" : ""}${lim.toFixed(1)} ms, ${(lim / base * 100).toFixed(1)}% of the plain run`);
' "$RESULTS/volumes.json" "run --rm $LIMITS busybox true" | tee -a "$RESULTS/summary.md"
[ -n "$WARN" ] && echo "engine warnings for the resource flags: $WARN" | tee -a "$RESULTS/summary.md"

# The same commands interleaved round by round, with paired differences: small costs are
# easier to see this way on a machine whose load changes (see interleave.mjs).
ROUNDS=${BENCH_ROUNDS:-$RUNS}
echo "interleaved, $ROUNDS rounds:" | tee -a "$RESULTS/summary.md"
node "$BENCH_DIR/interleave.mjs" "$RESULTS/commands.txt" "$ROUNDS" "$WARMUP" "$RESULTS/interleaved.json" | tee -a "$RESULTS/summary.md"
[ -z "$(ls -A "$ROOT/containers")" ] || LEAKS+=("mydocker containers left: $(ls "$ROOT/containers")")
echo "results: $RESULTS"
