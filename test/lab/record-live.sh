#!/usr/bin/env bash
# Records the issue-14 cases with hoptrace's own `--record` (the live CLI: per-hop pcaps,
# path.json with stoppedAt, host.json with the host's evidence) into fixtures/record-<case>/:
#
#   sudo HT_LAB_ID=d8 test/lab/record-live.sh                    # every case
#   sudo HT_LAB_ID=d8 test/lab/record-live.sh reject-reset ...   # some of them
#
# The conditions are the setup_* of scenarios-truth.sh, the commands those of scenarios-live.sh.
# Each case gets a fresh lab; the live report printed by hoptrace is kept beside the recording
# as live.txt (replaying the recording must say the same). Needs `npm run build` first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export HT_LAB_ID="${HT_LAB_ID:-fx}"
# shellcheck source=record-fixtures.sh
source "$HERE/record-fixtures.sh" # lab, containers, say/fail, cleanup (its main does not run)
# shellcheck source=scenarios-truth.sh
source "$HERE/scenarios-truth.sh"
# shellcheck source=scenarios-live.sh
source "$HERE/scenarios-live.sh"

CLI="$REPO/bin/hoptrace.js"
LIVE_NAME=""  # the case being recorded
LIVE_PID=""   # a running `hoptrace watch`, stopped on failure too
LIVE_DIR=""   # hoptrace runs here; it records into record-<case>/ (a relative --record, so
              # path.json's description names no machine path)

hoptrace_cmd() { DOCKER_HOST="unix://$HT_DOCKER_SOCK" NO_COLOR=1 node "$CLI" "$@"; }

# live_trace COMMAND ARGS...: runs hoptrace to its end; exit 0 or 1 (a flow not ok) are results.
live_trace() {
  local rc=0
  (cd "$LIVE_DIR" && hoptrace_cmd "$@" --text --record "record-$LIVE_NAME" >live.txt 2>live.log) || rc=$?
  cat "$LIVE_DIR/live.log" >&2
  ((rc <= 1)) || fail "hoptrace $* exited $rc"
}

# live_watch CONTAINER -- TRAFFIC...: `hoptrace watch CONTAINER` around the traffic, stopped
# by SIGINT half a second after it (as the tcpdump recordings are).
live_watch() {
  local name="$1" pid rc=0 i
  shift 2
  (cd "$LIVE_DIR" && exec env DOCKER_HOST="unix://$HT_DOCKER_SOCK" NO_COLOR=1 node "$CLI" watch "$name" --text --record "record-$LIVE_NAME" >live.txt 2>live.log) &
  pid=$!
  LIVE_PID=$pid
  for ((i = 0; i < 300; i++)); do
    grep -q 'capturing on' "$LIVE_DIR/live.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q 'capturing on' "$LIVE_DIR/live.log" || { cat "$LIVE_DIR/live.log" >&2; fail "hoptrace watch did not start"; }
  "$@"
  sleep 0.5
  kill -INT "$pid"
  wait "$pid" || rc=$?
  LIVE_PID=""
  cat "$LIVE_DIR/live.log" >&2
  ((rc <= 1)) || fail "hoptrace watch $name exited $rc"
}

install_live() { # install_live CASE: fixtures/record-CASE/ = the recording + live.txt
  local dest="$FIXTURES/record-$1" f
  trap '' INT TERM
  rm -rf "$dest"
  cp -r "$LIVE_DIR/record-$1" "$dest"
  cp "$LIVE_DIR/live.txt" "$dest/live.txt"
  trap 'exit 130' INT TERM
  for f in "$dest"/*.pcap; do
    printf 'record: %-28s %-22s %3s packets\n' "record-$1" "$(basename "$f")" "$(tcpdump -nn -r "$f" 2>/dev/null | wc -l)" >&2
  done
}

record_live_one() {
  local name="$1" fn="live_${1//-/_}"
  local engine_var="SCENARIO_ENGINE_${1//-/_}"
  export HT_ENGINE="${!engine_var:-20.10}"
  FIXTURE_IPV6=0
  LIVE_NAME="$name"
  say "== record-$name (engine $HT_ENGINE)"
  "$HERE/lab.sh" up
  LIVE_DIR="$HT_LAB_DIR/capture"
  rm -rf "$LIVE_DIR" && mkdir -p "$LIVE_DIR"
  "$fn"
  [[ -f "$LIVE_DIR/record-$name/path.json" ]] || fail "hoptrace wrote no recording for $name"
  # The same checks as the tcpdump recording's (scenarios-truth.sh), on hoptrace's hop files.
  CAP_FILES=("$LIVE_DIR/record-$name"/*.pcap)
  if declare -F "check_${1//-/_}" >/dev/null; then "check_${1//-/_}"; fi
  # Replaying the recording must say what the live trace said, but for the kernel's drop counters
  # and the clock's words, which only a live capture has.
  local same='^(packets per hop|timestamps): '
  diff <(grep -Ev "$same" "$LIVE_DIR/live.txt") \
    <(cd "$LIVE_DIR" && NO_COLOR=1 node "$CLI" replay "record-$name" --text | grep -Ev "$same") >&2 ||
    fail "$name: the replay of the recording differs from the live report (above)"
  install_live "$name"
  "$HERE/lab.sh" down
}

live_main() {
  [[ $(id -u) -eq 0 ]] || fail "must run as root (sudo $0)"
  [[ -f "$REPO/dist/cli.js" ]] || fail "build hoptrace first: npm run build"
  local s
  for s in "$@"; do declare -F "live_${s//-/_}" >/dev/null || fail "unknown case '$s' (known: ${TRUTH_SCENARIOS[*]})"; done
  (($#)) || set -- "${TRUTH_SCENARIOS[@]}"
  trap 'if [[ -n "$LIVE_PID" ]]; then kill -INT "$LIVE_PID" 2>/dev/null || true; wait "$LIVE_PID" 2>/dev/null || true; fi; cleanup' EXIT
  trap 'exit 130' INT TERM
  "$HERE/lab.sh" down >/dev/null 2>&1 || true # a lab left over from an interrupted run
  for s in "$@"; do record_live_one "$s"; done
  say "done: $* -> $FIXTURES/record-*"
}

live_main "$@"
