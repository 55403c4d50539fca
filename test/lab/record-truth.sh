#!/usr/bin/env bash
# Records the issue-14 scenarios (scenarios-truth.sh) into fixtures/ and removes stoppedAt, so
# the fixtures are what plain tcpdump files give: the end of the capture is the last packet.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=scenarios-truth.sh
source "$HERE/scenarios-truth.sh" # for TRUTH_SCENARIOS only; record-fixtures.sh runs them
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=("${TRUTH_SCENARIOS[@]}")
HT_SCENARIO_FILES="$HERE/scenarios-truth.sh" "$HERE/record-fixtures.sh" "${SCENARIOS[@]}"
for s in "${SCENARIOS[@]}"; do
  f="${HT_FIXTURES_DIR:-$REPO/fixtures}/$s/path.json"
  jq 'del(.stoppedAt)' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
done
