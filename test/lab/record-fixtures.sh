#!/usr/bin/env bash
# Record hoptrace's replay fixtures from a real Docker engine (see fixtures/README.md).
#
#   sudo test/lab/record-fixtures.sh                 # every scenario
#   sudo test/lab/record-fixtures.sh ping-out tcp-out
#
# Each scenario gets a fresh lab (test/lab/lab.sh, HT_LAB_ID=fx by default so it never
# disturbs a default lab used by the live tests): same addresses, no conntrack or neighbour
# state left over from the scenario before. tcpdump runs on every hop in that hop's own
# network namespace, is started before the traffic and stopped with SIGINT after it.
# fixtures/<scenario>/ gets path.json and one pcap per hop; other files there (README.md)
# are kept. The lab is torn down on exit, also on failure or Ctrl-C.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export HT_LAB_ID="${HT_LAB_ID:-fx}"
# shellcheck source=lab-env.sh
source "$HERE/lab-env.sh"
# shellcheck source=scenarios.sh
source "$HERE/scenarios.sh"
# shellcheck source=scenarios-modes.sh
source "$HERE/scenarios-modes.sh"
# Extra scenario files (space-separated paths), e.g. scenarios-truth.sh.
for extra in ${HT_SCENARIO_FILES:-}; do source "$extra"; done

ALL_SCENARIOS=(ping-out tcp-out dns-unreachable published-port container-to-container
  user-bridge ip-forward-off no-masquerade ping-ignored shared-bridge syn-unanswered
  udp-no-snat-busy "${MODES_SCENARIOS[@]}")
FIXTURES="${HT_FIXTURES_DIR:-$REPO/fixtures}"

CAP_PIDS=()  # tcpdump processes of the current scenario
CAPTURE_FLAGS=() # extra tcpdump options for the next add_hop (e.g. -p: no promiscuous mode)
CAP_FILES=()
HOPS='[]'    # path.json hops of the current scenario
DESCRIPTION=""
STOPPED_AT="" # when the captures were stopped (epoch seconds, microseconds), for path.json
CAPDIR=""

say() { echo "record: $*" >&2; }
fail() { echo "record: error: $*" >&2; exit 1; }

# ---- hops and captures ------------------------------------------------------------------

iface_addrs() { # iface_addrs NSPATH IFACE -> JSON array of its IPv4 addresses (and global IPv6 ones with FIXTURE_IPV6=1)
  local v6="${FIXTURE_IPV6:-0}"
  nsenter --net="$1" ip -j addr show dev "$2" |
    jq -c --arg v6 "$v6" '[.[0].addr_info[]? | select(.family == "inet" or ($v6 == "1" and .family == "inet6" and .scope == "global")) | .local]'
}

start_capture() { # start_capture NSPATH IFACE FILE
  local nspath="$1" iface="$2" file="$3" i
  # -Z root: Debian's tcpdump drops to user tcpdump, which may not write into the lab dir.
  # --immediate-mode: without it packets wait in a ring block (1 s timeout) and the last
  # ones of a capture are lost when SIGINT stops tcpdump before the block is handed over.
  nsenter --net="$nspath" tcpdump -Z root -nn --immediate-mode ${CAPTURE_FLAGS[@]+"${CAPTURE_FLAGS[@]}"} -i "$iface" -w "$file" -U -s 262144 \
    </dev/null >/dev/null 2>"$file.log" &
  CAP_PIDS+=($!)
  CAP_FILES+=("$file")
  for ((i = 0; i < 100; i++)); do
    grep -q 'listening on' "$file.log" 2>/dev/null && return 0
    kill -0 "${CAP_PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  cat "$file.log" >&2
  fail "tcpdump on $iface did not start"
}

# add_hop NSPATH IFACE NAME ROLE NETNS-LABEL: captures IFACE and appends the hop to path.json
add_hop() {
  local nspath="$1" iface="$2" name="$3" role="$4" label="$5"
  local n=$(($(jq length <<<"$HOPS") + 1))
  local file
  file="$(printf '%02d-%s.pcap' "$n" "$(tr -c 'a-zA-Z0-9\n-' '-' <<<"$name")")"
  HOPS="$(jq -c --arg file "$file" --arg name "$name" --arg role "$role" --arg netns "$label" \
    --arg iface "$iface" --argjson addrs "$(iface_addrs "$nspath" "$iface")" \
    '. + [{file: $file, name: $name, role: $role, netns: $netns, iface: $iface, addrs: $addrs}]' <<<"$HOPS")"
  start_capture "$nspath" "$iface" "$CAPDIR/$file"
}

stop_captures() {
  ((${#CAP_PIDS[@]})) || return 0
  sleep 0.5 # let the last packets reach every hop before the captures stop
  local pid i
  # Taken right before the SIGINTs: a packet still on its way at this time was in flight when
  # the captures stopped, not lost (the replay engine reads it from path.json's stoppedAt).
  STOPPED_AT="$(date +%s.%6N)"
  for pid in "${CAP_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${CAP_PIDS[@]}"; do
    for ((i = 0; i < 50 && $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0); i++)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  CAP_PIDS=()
  local f
  for f in "${CAP_FILES[@]}"; do
    if grep -Eq '^[1-9][0-9]* packets dropped by kernel' "$f.log"; then fail "tcpdump lost packets: $f ($(cat "$f.log"))"; fi
  done
}

# ---- containers -------------------------------------------------------------------------

run_container() { # run_container NAME [docker run options...] -- CMD...
  local name="$1"; shift
  local opts=()
  while (($#)) && [[ "$1" != -- ]]; do opts+=("$1"); shift; done
  shift
  local quiet=(--sysctl net.ipv6.conf.all.disable_ipv6=1)
  # Docker refuses IPv6 sysctls in network mode host; IPv6 scenarios want it on.
  [[ "${FIXTURE_IPV6:-0}" == 1 || " ${opts[*]} " == *" --network host "* ]] && quiet=()
  ht_docker run -d --name "$name" "${quiet[@]}" "${opts[@]}" "$HT_IMAGE" "$@" >/dev/null
}

container_ns() { echo "/proc/$(ht_docker inspect -f '{{.State.Pid}}' "$1")/ns/net"; }

# container_veth NAME -> the host-side veth peer of the container's eth0 (via its @ifN index)
container_veth() {
  local peer
  peer="$(nsenter --net="$(container_ns "$1")" ip -j link show eth0 | jq '.[0].link_index')"
  ip -n "$HT_NS_HOST" -j link show | jq -r --argjson i "$peer" '.[] | select(.ifindex == $i) | .ifname'
}

bridge_of() { ip -n "$HT_NS_HOST" -j link show dev "$1" | jq -r '.[0].master'; }
route_dev() { ip -n "$HT_NS_HOST" -j route get "$1" | jq -r '.[0].dev'; }

# The usual four Docker-host hops of container NAME towards DST: eth0, veth, bridge, uplink.
add_container_path() {
  local name="$1" dst="$2" veth
  veth="$(container_veth "$name")"
  add_hop "$(container_ns "$name")" eth0 "$name eth0" container "container:$name"
  add_hop "/var/run/netns/$HT_NS_HOST" "$veth" "$veth" veth host
  add_hop "/var/run/netns/$HT_NS_HOST" "$(bridge_of "$veth")" "$(bridge_of "$veth")" bridge host
  add_hop "/var/run/netns/$HT_NS_HOST" "$(route_dev "$dst")" "$(route_dev "$dst")" uplink host
}

# ---- one scenario -----------------------------------------------------------------------

install_fixture() { # install_fixture NAME DESCRIPTION
  local dest="$FIXTURES/$1" f
  mkdir -p "$dest"
  # Not interruptible: a fixture is either the old recording or the new one, never half of each.
  trap '' INT TERM
  rm -f "$dest"/*.pcap "$dest/path.json"
  for f in "${CAP_FILES[@]}"; do cp "$f" "$dest/"; done
  jq -n --arg d "$2" --argjson hops "$HOPS" --argjson stopped "$STOPPED_AT" \
    '{description: $d, stoppedAt: $stopped, hops: $hops}' >"$dest/path.json"
  trap 'exit 130' INT TERM
  for f in "${CAP_FILES[@]}"; do
    printf 'record: %-24s %-22s %3s packets\n' "$1" "$(basename "$f")" \
      "$(tcpdump -nn -r "$f" 2>/dev/null | wc -l)" >&2
  done
}

record_one() {
  local name="$1" fn="scenario_${1//-/_}"
  declare -F "$fn" >/dev/null || fail "unknown scenario '$name' (known: ${ALL_SCENARIOS[*]})"
  local engine_var="SCENARIO_ENGINE_${1//-/_}"
  export HT_ENGINE="${!engine_var:-20.10}"
  FIXTURE_IPV6=0
  say "== $name (engine $HT_ENGINE)"
  "$HERE/lab.sh" up
  CAPDIR="$HT_LAB_DIR/capture/$name"
  mkdir -p "$CAPDIR"
  HOPS='[]'
  CAP_FILES=()
  DESCRIPTION=""
  STOPPED_AT=""
  "$fn" # in this shell, not a subshell: it starts the captures and sets HOPS and DESCRIPTION
  stop_captures
  [[ -n "$STOPPED_AT" ]] || fail "$name started no capture"
  # A scenario may check that the recording shows what it is for (check_* in scenarios.sh).
  if declare -F "check_${1//-/_}" >/dev/null; then "check_${1//-/_}"; fi
  install_fixture "$name" "$DESCRIPTION"
  "$HERE/lab.sh" down
}

cleanup() {
  local rc=$?
  stop_captures || true
  "$HERE/lab.sh" down || rc=1
  exit "$rc"
}

main() {
  [[ $(id -u) -eq 0 ]] || fail "must run as root (sudo $0)"
  command -v jq >/dev/null || fail "missing tool: jq"
  local s
  for s in "$@"; do declare -F "scenario_${s//-/_}" >/dev/null || fail "unknown scenario '$s' (known: ${ALL_SCENARIOS[*]})"; done
  (($#)) || set -- "${ALL_SCENARIOS[@]}"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  "$HERE/lab.sh" down >/dev/null 2>&1 || true # a lab left over from an interrupted run
  for s in "$@"; do record_one "$s"; done
  say "done: $* -> $FIXTURES"
}

# record-live.sh sources this file for its lab, container and hop helpers: then nothing runs.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
