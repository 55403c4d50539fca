#!/usr/bin/env bash
# Sets up a fresh Debian machine for hoptrace: the system packages it builds and tests
# against, then the npm packages and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# libpcap-dev: `cap` builds against it. tcpdump: fixtures and the benchmarks compare with it.
# docker.io, busybox-static, iptables, iproute2, util-linux (nsenter): the Docker lab tests.
# tmux: the test that runs the terminal UI in a real terminal. jq: test/lab/record-fixtures.sh.
# tshark: reads back the annotated pcapng (--pcapng); chromium: renders the --html report headless.
packages=(libpcap-dev tcpdump docker.io busybox-static iptables iproute2 util-linux tmux jq tshark chromium nftables conntrack)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run this script as root (sudo) to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Not `npm ci`: with this machine's npm settings the lock file holds only this platform's
# optional packages (rollup's native builds), and npm ci refuses such a lock as out of sync.
# npm install with the committed lock installs the same versions and leaves the lock as it is.
npm install --no-audit --no-fund
npm run build
