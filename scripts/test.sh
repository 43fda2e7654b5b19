#!/usr/bin/env bash
# Installs and builds (scripts/setup.sh), then runs the whole test suite as root:
# type check, unit tests (no root needed), integration tests (real containers).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
npm test
