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
# Root runs apt-get itself (containers and CI images often have no sudo); a user is asked for
# sudo only when a package is missing, and the npm steps below run as that user either way.
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo); fi
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && [ "${#as_root[@]}" -eq 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run this script as root, or install sudo, to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}${as_root:+ (with sudo)}"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci: exactly the committed lock (it lists every platform's optional packages, so npm ci
# accepts it on any machine and nothing rewrites it).
npm ci --no-audit --no-fund
npm run build
