# shellcheck shell=bash
# Names and paths of one hoptrace Docker lab, sourced by lab.sh and record-fixtures.sh.
# HT_LAB_ID lets two labs run side by side (for example the lab's own test while the live
# tests use the default lab); everything a lab owns is derived from it, so `down` can find
# and remove exactly that lab's namespaces, processes, mounts and cgroups and nothing else.
HT_LAB_ID="${HT_LAB_ID:-}"
if [[ -n "$HT_LAB_ID" && ! "$HT_LAB_ID" =~ ^[a-z0-9]{1,6}$ ]]; then
  echo "HT_LAB_ID must be 1-6 lowercase letters or digits (got '$HT_LAB_ID')" >&2
  exit 2
fi
HT_PREFIX="ht-${HT_LAB_ID:+$HT_LAB_ID-}"
HT_NS_HOST="${HT_PREFIX}dockerhost"
HT_NS_OUTSIDE="${HT_PREFIX}outside"
HT_LAB_DIR="/run/ht-lab${HT_LAB_ID:+-$HT_LAB_ID}"
HT_CGROUP_PARENT="ht-lab${HT_LAB_ID:+-$HT_LAB_ID}"
HT_DOCKER_SOCK="$HT_LAB_DIR/docker.sock"
HT_IMAGE="hoptrace-busybox"

# Address plan (only 198.18.0.0/15 and 203.0.113.0/24).
HT_UPLINK_ADDR="203.0.113.1"     # ht-dockerhost eth0
HT_OUTSIDE_ADDR="203.0.113.2"    # ht-outside eth0, the Docker host's default gateway
HT_INTERNET_ADDR="198.19.0.1"    # extra "internet" host on ht-outside's lo, reached by routing
HT_DOCKER_BIP="198.18.0.1/24"    # docker0
HT_USER_SUBNET="198.18.1.0/24"   # user-defined bridge network
# IPv6 (only 2001:db8::/32, the lab's "global" space, and fd00::/8): on the uplink only; every
# other interface starts with IPv6 off, and Docker turns it on for an --ipv6 network.
HT_UPLINK_ADDR6="2001:db8::1"      # ht-dockerhost eth0 (/64)
HT_OUTSIDE_ADDR6="2001:db8::2"     # ht-outside eth0, the Docker host's IPv6 gateway
HT_INTERNET_ADDR6="2001:db8:ff::1" # on ht-outside's lo, reached by routing
HT_V6_GLOBAL_SUBNET="2001:db8:1::/64" # an --ipv6 network the outside routes back to the Docker host
HT_V6_ULA_SUBNET="fd00:18:1::/64"      # an --ipv6 network nobody routes to: needs NAT66
HT_DOCKER0_V6="fd00:18::/64"           # docker0's IPv6 subnet with HT_LAB_DOCKER0_V6=1

# The engine: 20.10 = Debian bookworm's docker.io (the default); 28 = docker.io 28.5 from Debian
# unstable, unpacked by scripts/setup.sh into /opt/ht-engine-28 (its dockerd, containerd,
# docker-proxy first on PATH; bookworm's runc, since unstable's needs a newer glibc).
HT_ENGINE="${HT_ENGINE:-20.10}"
HT_ENGINE28_DIR="${HT_ENGINE28_DIR:-/opt/ht-engine-28}"
case "$HT_ENGINE" in
  20.10) ;;
  28) PATH="$HT_ENGINE28_DIR/usr/sbin:$HT_ENGINE28_DIR/usr/bin:$PATH"; export PATH ;;
  *) echo "HT_ENGINE must be 20.10 or 28 (got '$HT_ENGINE')" >&2; exit 2 ;;
esac

# Prefer the distribution's docker CLI (same release as dockerd) when both exist.
if [[ -x /usr/bin/docker ]]; then HT_DOCKER_CLI=/usr/bin/docker; else HT_DOCKER_CLI="$(command -v docker || echo docker)"; fi

ht_in_ns() { # ht_in_ns NS CMD...  (nsenter, not `ip netns exec`: no /sys remount)
  local ns="$1"; shift
  nsenter --net="/var/run/netns/$ns" "$@"
}

ht_docker() {
  "$HT_DOCKER_CLI" -H "unix://$HT_DOCKER_SOCK" "$@"
}
