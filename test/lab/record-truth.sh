#!/usr/bin/env bash
# Records the issue-14 scenarios (scenarios-truth.sh) into fixtures/ and removes stoppedAt, so
# the fixtures are what plain tcpdump files give: the end of the capture is the last packet.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=(forward-off-fast reject-reset half-answered c2c-with-uplink reject-icmp ttl-expired remote-reset)
HT_SCENARIO_FILES="$HERE/scenarios-truth.sh" "$HERE/record-fixtures.sh" "${SCENARIOS[@]}"
for s in "${SCENARIOS[@]}"; do
  f="$REPO/fixtures/$s/path.json"
  jq 'del(.stoppedAt)' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
done
