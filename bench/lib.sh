# Shared helpers of the benchmark scripts (sourced, not run).
#
# Every script: works in its own temporary engine root under /tmp, puts the containers'
# cgroups under its own parent (MYDOCKER_CGROUP_PARENT), writes its results to a directory
# under /tmp that it keeps, and on exit removes everything else it created, after proving
# from /proc/self/mountinfo that nothing is mounted under what it deletes.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
MYDOCKER="$REPO/bin/mydocker"
SHIM="$REPO/native/build/mydocker-shim"

# Node reads every certificate of NODE_EXTRA_CA_CERTS at start, which doubles its start
# time; a user's machine does not set it. Unsetting it here is `env -u NODE_EXTRA_CA_CERTS`
# for every command below, hyperfine's included.
unset NODE_EXTRA_CA_CERTS

RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-3}
if [ "$RUNS" -lt 20 ]; then RUNS=20; fi

log() { printf '%s\n' "$*" >&2; }

# hyperfine under a time limit: a command that hangs fails the run instead of blocking it.
hyperfine_limited() { timeout -k 10 "${BENCH_TIMEOUT:-1800}" hyperfine "$@"; }
die() { log "bench: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (containers need it)"

# ensure_pkgs CMD... : install the Debian packages of the same name that are missing.
ensure_pkgs() {
  local missing=() c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1; then
    log "bench: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } ||
      log "bench: could not install ${missing[*]}"
  fi
  for c in "${missing[@]}"; do command -v "$c" >/dev/null 2>&1 || log "bench: $c is not available"; done
}

# ensure_build: the helper (make is incremental) and the bundle when a source is newer.
ensure_build() {
  make -s -C "$REPO/native" >/dev/null
  if [ ! -f "$REPO/dist/mydocker.js" ] || [ -n "$(find "$REPO/src" -newer "$REPO/dist/mydocker.js" -print -quit)" ]; then
    log "bench: bundling the CLI"
    (cd "$REPO" && npm run -s build:js >/dev/null)
  fi
}

# has_verb VERB: the CLI lists VERB among its commands.
has_verb() {
  "$MYDOCKER" --help 2>/dev/null | grep -qE "^  $1( |$)"
}

# A private work directory, engine root and cgroup parent for this run.
setup_work() {
  local name=$1
  WORK=$(mktemp -d "/tmp/mydocker-bench-$name.XXXXXX")
  ROOT="$WORK/root"
  CGROUP_PARENT="mydocker-bench-$name-$$"
  export MYDOCKER_CGROUP_PARENT="$CGROUP_PARENT"
  # The monitors run from a copy of the helper (same bytes; MYDOCKER_SHIM is the engine's
  # own override): a test suite running at the same time kills every process of
  # native/build/mydocker-shim that was not there when its sandbox was made, ours too.
  mkdir -p "$WORK/bin"
  cp "$REPO/native/build/mydocker-shim" "$WORK/bin/mydocker-shim"
  SHIM="$WORK/bin/mydocker-shim"
  export MYDOCKER_SHIM="$SHIM"
  RESULTS=${BENCH_RESULTS:-/tmp/mydocker-bench-results}/$name-$(date +%Y%m%d-%H%M%S)
  mkdir -p "$RESULTS"
  # Podman 4.3 creates /run/containers/networks whatever --network-config-dir says, and
  # runc and crun make their default state directories even when told another (crun on
  # --version): on_exit removes those this run created, once empty.
  RUN_DIRS_CREATED=
  local d
  for d in /run/containers /run/libpod /run/runc /run/crun; do [ -e "$d" ] || RUN_DIRS_CREATED+=" $d"; done
  trap on_exit EXIT
  trap 'exit 130' INT TERM
}

# md ARGS...: the CLI on this run's root.
md() { "$MYDOCKER" --root "$ROOT" "$@"; }

# Mount points under a directory, deepest first (mountinfo escapes spaces as \040).
mounts_under() {
  awk -v p="$1/" '{ m = $5; gsub(/\\040/, " ", m); if (index(m "/", p) == 1) print m }' /proc/self/mountinfo | sort -r
}

# The cgroup directories of containers below this run's parent, in every hierarchy. Podman's
# own (its conmon cgroup, which it never removes) are not counted; on_exit removes them too.
cgroups_left() {
  local d
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT"; do
    [ -d "$d" ] && find "$d" -mindepth 1 -path "$d/podman" -prune -o -type d -print
  done
  return 0
}

# Monitors (the helper, or the engine's clean-up it execs into) of this run: processes of
# the helper or of node whose environment names this run's cgroup parent.
NODE_EXE=$(readlink -f "$(command -v node)")
shims_left() {
  local p e
  for p in /proc/[0-9]*; do
    e=$(readlink "$p/exe" 2>/dev/null) || continue
    [ "$e" = "$SHIM" ] || [ "$e" = "$NODE_EXE" ] || continue
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "MYDOCKER_CGROUP_PARENT=$CGROUP_PARENT" && echo "${p#/proc/}"
  done
  return 0
}

# Extra clean-up steps of a script run first by on_exit (containers of other runtimes).
CLEANUP_HOOKS=()
LEAKS=()

on_exit() {
  local rc=$? h m d p
  set +e
  for h in "${CLEANUP_HOOKS[@]}"; do "$h"; done
  for d in $RUN_DIRS_CREATED; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  # Monitors still finishing their clean-up get a moment.
  for _ in $(seq 50); do [ -z "$(shims_left)" ] && break; sleep 0.1; done
  if [ -n "$(shims_left)" ]; then
    LEAKS+=("monitor processes left (killed now): $(shims_left | tr '\n' ' ')")
    # Ours only: the copy of the helper in this run's directory, with this run's environment.
    for p in $(shims_left); do kill -KILL "$p" 2>/dev/null; done
    sleep 0.5
  fi
  m=$(mounts_under "$WORK")
  if [ -n "$m" ]; then
    LEAKS+=("mounts left under $WORK: $(echo "$m" | tr '\n' ' ')")
    while read -r d; do umount "$d" 2>/dev/null || umount -l "$d"; done <<<"$m"
  fi
  d=$(cgroups_left)
  [ -n "$d" ] && LEAKS+=("cgroups left: $(echo "$d" | tr '\n' ' ')")
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  if [ -z "$(mounts_under "$WORK")" ]; then
    rm -rf --one-file-system "$WORK"
  else
    LEAKS+=("$WORK kept: still mounted")
  fi
  if [ ${#LEAKS[@]} -gt 0 ]; then
    printf 'bench: LEAK: %s\n' "${LEAKS[@]}" | tee -a "$RESULTS/leaks.txt" >&2
    [ $rc -eq 0 ] && rc=3
  else
    log "bench: clean: no mounts, cgroups or monitor processes left; $WORK removed"
  fi
  exit $rc
}

# OCI runtimes and podman -------------------------------------------------------------

# write_bundle DIR ROOTFS: an OCI bundle running `true` (runc's default spec otherwise).
write_bundle() {
  local dir=$1 rootfs=$2 gen
  mkdir -p "$dir"
  cp -a "$rootfs" "$dir/rootfs"
  if command -v runc >/dev/null 2>&1; then gen=runc; else gen=crun; fi
  (cd "$dir" && "$gen" spec)
  node -e '
    const fs = require("fs"); const [file, parent] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(file, "utf8"));
    c.process.args = ["true"];
    c.process.terminal = false;
    c.root = { path: "rootfs", readonly: true };
    c.linux.cgroupsPath = `/${parent}/oci`;
    fs.writeFileSync(file, JSON.stringify(c, null, 2));
  ' "$dir/config.json" "$CGROUP_PARENT"
}

# probe CMD...: run once; on failure set PROBE_ERR to its last line of output.
probe() {
  local out
  if out=$("$@" 2>&1 </dev/null); then PROBE_ERR=; return 0; fi
  PROBE_ERR=$(printf '%s\n' "$out" | grep -v '^\s*$' | tail -1)
  return 1
}

# Podman kept inside the work directory: its storage, run and tmp dirs, network
# configuration, events file, and cgroups under this run's parent.
podman_base() {
  PODMAN=(podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" --tmpdir "$WORK/podman/tmp"
    --network-config-dir "$WORK/podman/net" --storage-driver vfs --cgroup-manager cgroupfs
    --events-backend file --runtime "$1")
}

podman_cleanup() {
  [ -d "$WORK/podman" ] || return 0
  "${PODMAN[@]}" rm -af -t 0 >/dev/null 2>&1 || true
}

# podman_setup ROOTFS: find the flags with which `podman run --rm --rootfs` works here.
# Sets PODMAN (global part), PODMAN_RUN (run options) and PODMAN_NOTES; returns 1 if none do.
podman_setup() {
  local rootfs=$1 rt hard nproc
  PODMAN_NOTES=()
  command -v podman >/dev/null 2>&1 || { PODMAN_NOTES+=("podman is not installed"); return 1; }
  CLEANUP_HOOKS+=(podman_cleanup)
  hard=$(ulimit -Hn)
  # Podman's default rlimits (nofile 1048576, and nproc above the 32768 = pid_max it gives
  # its monitor here) need CAP_SYS_RESOURCE, which root may lack (in a container).
  nproc=$(ulimit -Hu)
  [ "$nproc" = unlimited ] || [ "$nproc" -gt "$(cat /proc/sys/kernel/pid_max)" ] && nproc=$(cat /proc/sys/kernel/pid_max)
  for rt in crun runc; do
    command -v "$rt" >/dev/null 2>&1 || continue
    podman_base "$rt"
    local base=(--rm --network none --cgroup-parent "/$CGROUP_PARENT/podman")
    if probe "${PODMAN[@]}" run "${base[@]}" --rootfs "$rootfs" true; then
      PODMAN_RUN=("${base[@]}"); return 0
    fi
    PODMAN_NOTES+=("--runtime $rt: $PROBE_ERR")
    if probe "${PODMAN[@]}" run "${base[@]}" --ulimit host --rootfs "$rootfs" true; then
      PODMAN_RUN=("${base[@]}" --ulimit host); return 0
    fi
    PODMAN_NOTES+=("--runtime $rt --ulimit host: $PROBE_ERR")
    local lim=(--ulimit "nofile=$hard:$hard" --ulimit "nproc=$nproc:$nproc")
    if probe "${PODMAN[@]}" run "${base[@]}" "${lim[@]}" --rootfs "$rootfs" true; then
      PODMAN_RUN=("${base[@]}" "${lim[@]}"); return 0
    fi
    PODMAN_NOTES+=("--runtime $rt ${lim[*]}: $PROBE_ERR")
  done
  return 1
}

docker_answers() {
  command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1
}

# Machine facts for the results.
machine_facts() {
  echo "- nproc: $(nproc)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "- kernel: $(uname -r)"
  echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "- node: $(node --version)"
  echo "- hyperfine: $(hyperfine --version 2>/dev/null | cut -d' ' -f2)"
  echo "- mydocker: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null)$(cd "$REPO" && [ -n "$(git status --porcelain -- src bin native 2>/dev/null)" ] && echo ' (with uncommitted changes in src/bin/native)')"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}
