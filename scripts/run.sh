#!/usr/bin/env bash
# Installs what is missing, builds Uwitter and starts it on http://127.0.0.1:8080.
# Data (SQLite database and keys) lives in ./data, created on first start; a
# first start fills in a few demo users and uweets. uwitter-notifier runs beside it
# (UDP 127.0.0.1:7700, HTTP 127.0.0.1:7701; log in data/notifier.log). Ctrl-C stops everything.
# Extra arguments go to uwitter-web. The build's output is in build-logs/run-build.log.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/quiet.sh
bash .ci/install-deps
t0=$SECONDS
printf 'building Uwitter (Release; log build-logs/run-build.log) ... '
quietly build-logs/run-build.log bash -c \
  "cmake -S . -B build-run -G Ninja -DCMAKE_BUILD_TYPE=Release -DUWITTER_TESTS=OFF -DUWITTER_BENCH=OFF &&
   cmake --build build-run -j$(nproc)"
echo "done ($(elapsed "$t0"))"
data=${UWITTER_DATA:-data}
demo=""
[ -e "$data/uwitter.db" ] || demo="--demo"
mkdir -p "$data"

# Start order for a clean first start: the key pair first (the same files uwitter-web
# would create), so the notifier trusts the key from its first datagram; then the
# notifier, and the web app only once the notifier listens, so that no datagram of
# the demo data is sent to nobody and counted as lost.
if [ ! -e "$data/keys/uwitter.key" ]; then
  build-run/sign/uwitter-keygen --out "$data/keys" >/dev/null
fi
notifier_out=$(mktemp)
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -f "$notifier_out"
}
trap stop_all EXIT
trap 'exit 130' INT TERM
build-run/notifier-udp/uwitter-notifier --listen-udp 127.0.0.1:7700 --listen-http 127.0.0.1:7701 \
  --db "$data/uwitter.db" --trust "$data/keys/uwitter.pub" --allow 127.0.0.0/8 \
  --cors-origin http://127.0.0.1:8080 --cors-origin http://localhost:8080 \
  --log-file "$data/notifier.log" > >(tee "$notifier_out") &
pids+=($!)
# Readiness: the notifier prints one "listening" line per socket (UDP, then HTTP).
for _ in $(seq 200); do
  [ "$(grep -c '^listening ' "$notifier_out")" -ge 2 ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "run.sh: uwitter-notifier exited at start" >&2; exit 1; }
  sleep 0.05
done
[ "$(grep -c '^listening ' "$notifier_out")" -ge 2 ] || { echo "run.sh: uwitter-notifier did not start listening in 10 s" >&2; exit 1; }
build-run/web/uwitter-web --listen 127.0.0.1:8080 --data "$data" $demo \
  --notify 127.0.0.1:7700 --notifier-url http://127.0.0.1:7701 "$@" &
pids+=($!)
wait "${pids[1]}"
