# Sourced by scripts/run.sh --postgres and scripts/cluster.sh (after
# scripts/lib/quiet.sh): a local PostgreSQL server whose data lives in a
# folder of ./data, created on first start (initdb), run as `nobody` when the
# script runs as root (postgres refuses root), on 127.0.0.1 only, with its
# unix sockets beside the data (no system directory is touched).
#
#   start_postgres DATADIR PORT LOG   starts it (initdb first when DATADIR is
#                                     new) and waits until it accepts
#                                     connections (30 s at most); sets
#                                     pg_pid and pgbin. The caller stops it
#                                     (stop_postgres) in its exit trap.
#   stop_postgres                     fast shutdown (SIGINT) and wait.
#   create_database NAME PORT         creates NAME; status 0 when it did
#                                     (a first start: fill in demo data),
#                                     1 when it exists already.
#
# The server is started through "${child[@]}" when the caller sets it (the
# scripts use setpriv --pdeathsig, so it ends with them even after a kill -9).

pg_pid=""
pgbin=""

start_postgres() {
  local pgdata pgrun port=$2 log=$3
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$pgbin/postgres" ] || { echo "no PostgreSQL server in /usr/lib/postgresql (.ci/install-deps installs it)" >&2; return 1; }
  pgdata=$(realpath -m "$1"); pgrun="$pgdata-run"
  local as=(); [ "$(id -u)" -eq 0 ] && as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  mkdir -p "$pgrun" || return 1
  if [ ! -e "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"
    [ "${#as[@]}" -gt 0 ] && chown nobody:nogroup "$pgdata" "$pgrun"
    printf 'creating a PostgreSQL cluster in %s ... ' "$pgdata"
    quietly build-logs/initdb.log "${as[@]}" "$pgbin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 ||
      return 1  # (callers test our status, so set -e does not stop us here)
    echo done
  fi
  "${as[@]}" "${child[@]}" "$pgbin/postgres" -D "$pgdata" -p "$port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$pgrun" >>"$log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 300); do
    "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    kill -0 "$pg_pid" 2>/dev/null || { echo "postgres exited at start (see $log)" >&2; return 1; }
    sleep 0.1
  done
  "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" || { echo "postgres did not accept connections in 30 s" >&2; return 1; }
  echo "PostgreSQL on 127.0.0.1:$port (data in $pgdata)"
}

stop_postgres() {
  [ -n "$pg_pid" ] || return 0
  kill -INT "$pg_pid" 2>/dev/null || true
  wait "$pg_pid" 2>/dev/null || true
  pg_pid=""
}

create_database() {
  "$pgbin/createdb" -h 127.0.0.1 -p "$2" -U postgres "$1" 2>/dev/null
}
