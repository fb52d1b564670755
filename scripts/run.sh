#!/usr/bin/env bash
# Installs what is missing, builds Uwitter and starts it on http://127.0.0.1:8080.
# Data (SQLite database and keys) lives in ./data, created on first start; a
# first start fills in a few demo users and uweets. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake -S . -B build-run -G Ninja -DCMAKE_BUILD_TYPE=Release -DUWITTER_TESTS=OFF -DUWITTER_BENCH=OFF >/dev/null
cmake --build build-run -j"$(nproc)"
data=${UWITTER_DATA:-data}
demo=""
[ -e "$data/uwitter.db" ] || demo="--demo"
exec build-run/web/uwitter-web --listen 127.0.0.1:8080 --data "$data" $demo "$@"
