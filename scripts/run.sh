#!/usr/bin/env bash
# Installs what is missing, builds Uwitter and starts it on http://127.0.0.1:8080.
# Data (SQLite database and keys) lives in ./data, created on first start; a
# first start fills in a few demo users and uweets. uwitter-notifier runs beside it
# (UDP 127.0.0.1:7700, HTTP 127.0.0.1:7701; log in data/notifier.log). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake -S . -B build-run -G Ninja -DCMAKE_BUILD_TYPE=Release -DUWITTER_TESTS=OFF -DUWITTER_BENCH=OFF >/dev/null
cmake --build build-run -j"$(nproc)"
data=${UWITTER_DATA:-data}
demo=""
[ -e "$data/uwitter.db" ] || demo="--demo"
mkdir -p "$data"
# The notifier beside the web app: it trusts the key the web app writes on first
# start (it re-reads --trust when the file appears) and reads the follow graph
# read-only. Ctrl-C stops both.
build-run/notifier-udp/uwitter-notifier --listen-udp 127.0.0.1:7700 --listen-http 127.0.0.1:7701 \
  --db "$data/uwitter.db" --trust "$data/keys/uwitter.pub" --allow 127.0.0.0/8 \
  --cors-origin http://127.0.0.1:8080 --cors-origin http://localhost:8080 \
  --log-file "$data/notifier.log" &
notifier=$!
trap 'kill "$notifier" 2>/dev/null || true; wait "$notifier" 2>/dev/null || true' EXIT
build-run/web/uwitter-web --listen 127.0.0.1:8080 --data "$data" $demo \
  --notify 127.0.0.1:7700 --notifier-url http://127.0.0.1:7701 "$@"
