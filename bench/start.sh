#!/usr/bin/env bash
# Start-up cost of one container: `mydocker run --rm busybox true` against `node -e 0`
# (the floor of any Node CLI), `runc run` / `crun run` of an OCI bundle on the same busybox
# layer, `podman run --rm --rootfs` on it, and `docker run --rm` when a daemon answers,
# all in one hyperfine run. Target (issue 2): mydocker's median at most 1.5x node's.
#
#   bench/start.sh            (as root; BENCH_RUNS=N for more runs, default 30)
#
# A runtime that cannot run on this machine is left out, with the reason printed and
# written to the results. Results: /tmp/mydocker-bench-results/start-<time>/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_pkgs hyperfine runc crun podman
command -v hyperfine >/dev/null 2>&1 || die "hyperfine is required"
ensure_build
setup_work start

NOTES=()
note() { NOTES+=("$1"); log "bench: $1"; }

# The engine root, with the busybox image built on first use (not timed).
md run --rm busybox true
LAYERS=("$ROOT"/layers/*/diff)
[ ${#LAYERS[@]} -eq 1 ] && [ -d "${LAYERS[0]}" ] || die "expected one busybox layer under $ROOT/layers"
LAYER=${LAYERS[0]}

NAMES=() CMDS=()
add() { NAMES+=("$1"); CMDS+=("$2"); }

NODE=$(command -v node)
add "node -e 0" "$NODE -e 0"
add "mydocker run --rm busybox true" "$MYDOCKER --root $ROOT run --rm busybox true"

# OCI runtimes on a bundle whose rootfs is a copy of the same layer.
BUNDLE="$WORK/bundle"
oci_cleanup() {
  local rt
  for rt in runc crun; do
    [ -d "$WORK/$rt-state" ] || continue
    "$rt" --root "$WORK/$rt-state" delete -f "mdbench-$rt" >/dev/null 2>&1 || true
  done
}
CLEANUP_HOOKS+=(oci_cleanup)
if command -v runc >/dev/null 2>&1 || command -v crun >/dev/null 2>&1; then
  write_bundle "$BUNDLE" "$LAYER"
fi
for rt in runc crun; do
  if ! command -v "$rt" >/dev/null 2>&1; then note "$rt: not installed"; continue; fi
  cmd="$rt --root $WORK/$rt-state run -b $BUNDLE mdbench-$rt"
  # shellcheck disable=SC2086
  if probe $cmd; then
    add "$rt run" "$cmd"
  else
    note "$rt $("$rt" --version | head -1 | awk '{print $3}') cannot run here, left out: $PROBE_ERR"
  fi
done

# Podman on its own copy of the layer (it writes /etc files and mount points into it).
cp -a "$LAYER" "$WORK/podman-rootfs"
if podman_setup "$WORK/podman-rootfs"; then
  for n in "${PODMAN_NOTES[@]}"; do note "podman: failed with $n"; done
  add "podman run --rm --rootfs" "${PODMAN[*]} run ${PODMAN_RUN[*]} --rootfs $WORK/podman-rootfs true"
  [ ${#PODMAN_NOTES[@]} -gt 0 ] && note "podman: runs with ${PODMAN[*]: -2} ${PODMAN_RUN[*]}"
else
  for n in "${PODMAN_NOTES[@]}"; do note "podman: failed with $n"; done
  note "podman cannot run here, left out"
fi

# Docker, only if a daemon answers; the image is the same layer, imported.
if docker_answers; then
  docker_cleanup() { docker rmi -f mydocker-bench-busybox >/dev/null 2>&1 || true; }
  CLEANUP_HOOKS+=(docker_cleanup)
  tar -C "$LAYER" -c . | docker import - mydocker-bench-busybox >/dev/null
  add "docker run --rm" "docker run --rm --network none mydocker-bench-busybox true"
else
  note "docker: no daemon answers ($(command -v docker >/dev/null 2>&1 && echo 'docker info fails' || echo 'no docker client')), left out"
fi

# One hyperfine run over all of them: no shell, same warm-up and number of runs.
ARGS=(-N --warmup "$WARMUP" --runs "$RUNS" --export-json "$RESULTS/start.json" --export-markdown "$RESULTS/start.md")
: >"$RESULTS/commands.txt"
for i in "${!NAMES[@]}"; do
  ARGS+=(-n "${NAMES[$i]}" "${CMDS[$i]}")
  printf '%s\t%s\n' "${NAMES[$i]}" "${CMDS[$i]}" >>"$RESULTS/commands.txt"
done
machine_facts >"$RESULTS/machine.md"
printf '%s\n' "${NOTES[@]}" >"$RESULTS/notes.txt"

hyperfine_limited "${ARGS[@]}"

# Nothing of the runs stays behind: no container record, no runtime state.
[ -z "$(ls -A "$ROOT/containers")" ] || LEAKS+=("mydocker containers left: $(ls "$ROOT/containers")")

node "$BENCH_DIR/summary.mjs" "$RESULTS/start.json" "node -e 0" | tee "$RESULTS/summary.md"
ratio=$(node -e '
  const r = require(process.argv[1]).results;
  const m = (n) => r.find((x) => x.command === n).median;
  console.log((m("mydocker run --rm busybox true") / m("node -e 0")).toFixed(2));
' "$RESULTS/start.json")
verdict=$(node -e 'console.log(Number(process.argv[1]) <= 1.5 ? "met" : "NOT met")' "$ratio")

# The same commands interleaved round by round: each round runs every command once, so a
# load that changes during the run weighs on all of them alike (see interleave.mjs).
ROUNDS=${BENCH_ROUNDS:-$RUNS}
echo | tee -a "$RESULTS/summary.md"
echo "interleaved, $ROUNDS rounds:" | tee -a "$RESULTS/summary.md"
node "$BENCH_DIR/interleave.mjs" "$RESULTS/commands.txt" "$ROUNDS" "$WARMUP" "$RESULTS/interleaved.json" | tee -a "$RESULTS/summary.md"
iratio=$(node -e '
  const r = require(process.argv[1]).results;
  const t = (n) => r.find((x) => x.name === n).times_ms;
  const md = t("mydocker run --rm busybox true"), nd = t("node -e 0");
  const q = md.map((v, i) => v / nd[i]).sort((a, b) => a - b), m = q.length >> 1;
  console.log((q.length % 2 ? q[m] : (q[m - 1] + q[m]) / 2).toFixed(2));
' "$RESULTS/interleaved.json")
[ -z "$(ls -A "$ROOT/containers")" ] || LEAKS+=("mydocker containers left: $(ls "$ROOT/containers")")
{
  echo
  echo "mydocker / node median ratio: $ratio (target <= 1.5: $verdict); interleaved, median of per-round ratios: $iratio"
  [ ${#NOTES[@]} -gt 0 ] && printf -- '- %s\n' "${NOTES[@]}"
  echo "results: $RESULTS"
} | tee -a "$RESULTS/summary.md"
