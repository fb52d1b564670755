# Sourced by scripts/*.sh: run a step with its output in a log file, shown only on failure.
#
#   quietly LOG COMMAND...   runs COMMAND with stdout+stderr to LOG; on failure prints the
#                            end of LOG to stderr and returns COMMAND's status.
#   elapsed SECONDS_START     "1m05s" since a $SECONDS value.

quietly() {
  local log=$1
  shift
  mkdir -p "$(dirname "$log")"
  if "$@" >"$log" 2>&1; then
    return 0
  else
    local rc=$?
    echo "failed (exit $rc): $*; the end of $log:" >&2
    tail -n 60 "$log" | sed 's/^/  | /' >&2
    return "$rc"
  fi
}

elapsed() {
  local s=$((SECONDS - $1))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}
