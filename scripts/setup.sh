#!/usr/bin/env bash
# Installs everything mydocker needs on a Debian 12 machine, as root, and builds it:
# Debian packages (only those missing), npm dependencies, the C helper, the bundled
# CLI, and a `mydocker` command on PATH. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in busybox-static gcc make libc6-dev iproute2 iptables util-linux hyperfine; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then need+=(nodejs npm); fi
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
make -s -C native
npm run -s build:js
ln -sf "$PWD/bin/mydocker" /usr/local/bin/mydocker
