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

# The lab's second Docker engine (HT_ENGINE=28, test/lab/README.md): docker.io 28.5, containerd
# and tini from Debian unstable, unpacked into /opt/ht-engine-28 and never installed. A sources
# list and package lists of our own, so the machine's apt configuration stays bookworm only.
ENGINE28=/opt/ht-engine-28
if [ "$(id -u)" -eq 0 ] && [ ! -x "$ENGINE28/usr/sbin/dockerd" ] && [ ! -x "$ENGINE28/usr/bin/dockerd" ]; then
  echo "setup: fetching docker.io 28 from Debian unstable into $ENGINE28"
  aptdir="$(mktemp -d /tmp/ht-engine-28.XXXXXX)"
  chmod 755 "$aptdir" # apt drops to user _apt to download
  mkdir -p "$aptdir/lists/partial" "$aptdir/debs"
  # The machine's own Debian mirror (the first deb URI apt is configured with), suite unstable.
  mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)"
  [ -n "$mirror" ] || mirror="$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null)"
  [ -n "$mirror" ] || { echo "setup: no Debian mirror found in /etc/apt to fetch docker.io 28 from" >&2; exit 1; }
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror unstable main" >"$aptdir/sources.list"
  apt_unstable=(apt-get -qq -o "Dir::Etc::SourceList=$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache" -o Debug::NoLocking=1)
  "${apt_unstable[@]}" update
  (cd "$aptdir/debs" && "${apt_unstable[@]}" download docker.io containerd tini)
  rm -rf "$ENGINE28.tmp" && mkdir -p "$ENGINE28.tmp"
  for deb in "$aptdir"/debs/*.deb; do dpkg -x "$deb" "$ENGINE28.tmp"; done
  ls "$aptdir"/debs/*.deb | xargs -n1 basename >"$ENGINE28.tmp/DEBS"
  rm -rf "$ENGINE28" && mv "$ENGINE28.tmp" "$ENGINE28"
  rm -rf "$aptdir"
fi

# npm ci: exactly the committed lock (it lists every platform's optional packages, so npm ci
# accepts it on any machine and nothing rewrites it).
npm ci --no-audit --no-fund
npm run build
