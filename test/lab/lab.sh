#!/usr/bin/env bash
# hoptrace Docker lab: a real dockerd inside its own network namespace, plus an "outside" host.
#
#   sudo test/lab/lab.sh up       # idempotent; a failed up cleans up after itself
#   sudo test/lab/lab.sh status   # exit 0 when fully up, 1 otherwise
#   sudo test/lab/lab.sh env      # KEY=VALUE lines (DOCKER_HOST, namespace names, ...)
#   sudo test/lab/lab.sh down     # removes everything; exit 1 (and lists it) if something is left
#
# HT_LAB_ID=x runs a second, independent lab (ht-x-dockerhost, /run/ht-lab-x, ...).
# Topology:   [containers] - docker0 198.18.0.1/24 - (ht-dockerhost) eth0 203.0.113.1/24
#                 === veth ===  eth0 203.0.113.2/24 (ht-outside), lo 198.19.0.1/32
# The machine's root network namespace is never touched: every link, address, route, sysctl
# and iptables rule is made inside the lab's own namespaces.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lab-env.sh
source "$HERE/lab-env.sh"

UP_TIMEOUT="${HT_LAB_TIMEOUT:-90}"

log() { echo "lab: $*" >&2; }
die() { echo "lab: error: $*" >&2; exit 1; }

need_root_and_tools() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, dockerd)"
  local t
  for t in ip nsenter dockerd containerd runc tcpdump iptables busybox "$HT_DOCKER_CLI"; do
    command -v "$t" >/dev/null || die "missing tool: $t (apt-get install docker.io busybox-static tcpdump iptables iproute2)"
  done
  if [[ "$HT_ENGINE" == 28 && ! -x "$HT_ENGINE28_DIR/usr/sbin/dockerd" ]]; then
    die "HT_ENGINE=28: $HT_ENGINE28_DIR/usr/sbin/dockerd is missing (run scripts/setup.sh as root)"
  fi
}

# The engine (and docker0 IPv6 setting) the running lab was started with, and the one asked
# for now: a lab up with another one is restarted.
running_engine() { cat "$HT_LAB_DIR/engine" 2>/dev/null || echo 20.10; }
asked_engine() { if [[ "${HT_LAB_DOCKER0_V6:-0}" == 1 ]]; then echo "$HT_ENGINE docker0-ipv6"; else echo "$HT_ENGINE"; fi; }

ns_exists() { [[ -e "/var/run/netns/$1" ]] && ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

# pid from a pidfile, only if that process is still alive and belongs to this lab
lab_pid() {
  local f="$1" pid
  [[ -s "$f" ]] || return 1
  pid="$(tr -dc 0-9 <"$f")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$HT_LAB_DIR/" || return 1
  echo "$pid"
}

docker_answers() { [[ -S "$HT_DOCKER_SOCK" ]] && timeout 10 "$HT_DOCKER_CLI" -H "unix://$HT_DOCKER_SOCK" version >/dev/null 2>&1; }

is_up() {
  ns_exists "$HT_NS_HOST" && ns_exists "$HT_NS_OUTSIDE" && lab_pid "$HT_LAB_DIR/dockerd.launch.pid" >/dev/null &&
    docker_answers && ht_docker image inspect "$HT_IMAGE" >/dev/null 2>&1
}

make_namespaces() {
  ip netns add "$HT_NS_HOST"
  ip netns add "$HT_NS_OUTSIDE"
  local ns
  for ns in "$HT_NS_HOST" "$HT_NS_OUTSIDE"; do
    # No IPv6: router solicitations and MLD reports would add noise to every capture.
    ht_in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  # Both ends are created directly inside the lab namespaces, never in the root namespace.
  ip -n "$HT_NS_HOST" link add eth0 type veth peer name eth0 netns "$HT_NS_OUTSIDE"
  ip -n "$HT_NS_HOST" addr add "$HT_UPLINK_ADDR/24" dev eth0
  ip -n "$HT_NS_HOST" link set eth0 up
  ip -n "$HT_NS_HOST" route add default via "$HT_OUTSIDE_ADDR"
  ip -n "$HT_NS_OUTSIDE" addr add "$HT_OUTSIDE_ADDR/24" dev eth0
  ip -n "$HT_NS_OUTSIDE" addr add "$HT_INTERNET_ADDR/32" dev lo
  ip -n "$HT_NS_OUTSIDE" link set eth0 up
  # The outside host deliberately has no route to 198.18.0.0/15: un-NATed packets get no reply.
  ht_in_ns "$HT_NS_HOST" sysctl -qw net.ipv4.ip_forward=1
  enable_uplink_ipv6
}

# IPv6 on the uplink veth and lo only, without router solicitations, DAD or autoconfiguration,
# so that captures see no IPv6 chatter unless a test makes IPv6 traffic. The outside routes
# the "global" test subnet back to the Docker host, never the ULA one.
enable_uplink_ipv6() {
  local ns
  for ns in "$HT_NS_HOST" "$HT_NS_OUTSIDE"; do
    ht_in_ns "$ns" sysctl -qw net.ipv6.conf.eth0.accept_ra=0 net.ipv6.conf.eth0.accept_dad=0 \
      net.ipv6.conf.eth0.router_solicitations=0 net.ipv6.conf.eth0.disable_ipv6=0 net.ipv6.conf.lo.disable_ipv6=0
  done
  ht_in_ns "$HT_NS_HOST" sysctl -qw net.ipv6.conf.all.forwarding=1
  ip -n "$HT_NS_HOST" addr add "$HT_UPLINK_ADDR6/64" dev eth0 nodad
  ip -n "$HT_NS_HOST" -6 route add default via "$HT_OUTSIDE_ADDR6"
  ip -n "$HT_NS_OUTSIDE" addr add "$HT_OUTSIDE_ADDR6/64" dev eth0 nodad
  ip -n "$HT_NS_OUTSIDE" addr add "$HT_INTERNET_ADDR6/128" dev lo
  ip -n "$HT_NS_OUTSIDE" -6 route add "$HT_V6_GLOBAL_SUBNET" via "$HT_UPLINK_ADDR6"
}

write_configs() {
  mkdir -p "$HT_LAB_DIR"/{data,exec,containerd/root,containerd/state,containerd/opt}
  chmod 700 "$HT_LAB_DIR"
  # Our own containerd: dockerd would otherwise share a system containerd (/run/containerd).
  cat >"$HT_LAB_DIR/containerd.toml" <<EOF
version = 2
root = "$HT_LAB_DIR/containerd/root"
state = "$HT_LAB_DIR/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$HT_LAB_DIR/containerd/containerd.sock"
[ttrpc]
  address = "$HT_LAB_DIR/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$HT_LAB_DIR/containerd/opt"
EOF
  # Our own config file, so a host's /etc/docker/daemon.json (mirrors, ...) is not read, and
  # the identity key goes to the lab directory instead of /etc/docker/key.json.
  # 28 has no key.json any more, and refuses the option.
  if [[ "$HT_ENGINE" == 28 ]]; then echo '{}' >"$HT_LAB_DIR/daemon.json"
  else echo "{\"deprecated-key-path\": \"$HT_LAB_DIR/key.json\"}" >"$HT_LAB_DIR/daemon.json"; fi
  asked_engine >"$HT_LAB_DIR/engine"
}

wait_for() { # wait_for SECONDS DESCRIPTION PIDFILE-OF-PROCESS CMD...
  local secs="$1" what="$2" pidf="$3"; shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$pidf")" 2>/dev/null || { log "$what exited during start-up"; return 1; }
    ((SECONDS < deadline)) || { log "$what did not answer within ${secs}s"; return 1; }
    sleep 0.3
  done
}

start_daemons() {
  # nsenter directly (not through a shell function) so that $! is the daemon itself.
  # cgroupfs, not systemd: containers then live under /sys/fs/cgroup/.../$HT_CGROUP_PARENT,
  # where `down` can find them, on cgroup v1 and v2 hosts alike.
  nsenter --net="/var/run/netns/$HT_NS_HOST" containerd --config "$HT_LAB_DIR/containerd.toml" \
    </dev/null >"$HT_LAB_DIR/containerd.log" 2>&1 &
  echo $! >"$HT_LAB_DIR/containerd.pid"
  wait_for 30 containerd "$HT_LAB_DIR/containerd.pid" test -S "$HT_LAB_DIR/containerd/containerd.sock" ||
    { tail -n 30 "$HT_LAB_DIR/containerd.log" >&2; return 1; }

  # HT_LAB_DOCKER0_V6=1: the default bridge gets IPv6 too (a ULA subnet; NAT66 on engine 28).
  local default_bridge_v6=()
  if [[ "${HT_LAB_DOCKER0_V6:-0}" == 1 ]]; then default_bridge_v6=(--ipv6 --fixed-cidr-v6 "$HT_DOCKER0_V6"); fi
  nsenter --net="/var/run/netns/$HT_NS_HOST" dockerd \
    --config-file "$HT_LAB_DIR/daemon.json" \
    --containerd "$HT_LAB_DIR/containerd/containerd.sock" \
    --storage-driver vfs --data-root "$HT_LAB_DIR/data" --exec-root "$HT_LAB_DIR/exec" \
    -H "unix://$HT_DOCKER_SOCK" --pidfile "$HT_LAB_DIR/dockerd.pid" \
    --bip "$HT_DOCKER_BIP" --iptables=true --ip-forward=true "${default_bridge_v6[@]}" \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$HT_CGROUP_PARENT" \
    </dev/null >"$HT_LAB_DIR/dockerd.log" 2>&1 &
  echo $! >"$HT_LAB_DIR/dockerd.launch.pid" # dockerd writes dockerd.pid itself (and refuses an existing one)
  wait_for "$UP_TIMEOUT" dockerd "$HT_LAB_DIR/dockerd.launch.pid" docker_answers ||
    { log "dockerd log tail ($HT_LAB_DIR/dockerd.log):"; tail -n 40 "$HT_LAB_DIR/dockerd.log" >&2; return 1; }
}

make_image() {
  ht_docker image inspect "$HT_IMAGE" >/dev/null 2>&1 && return 0
  local bb rootfs="$HT_LAB_DIR/rootfs"
  bb="$(command -v busybox)"
  # A dynamically linked busybox would not run in a rootfs without libc.
  if ldd "$bb" >/dev/null 2>&1; then die "$bb is not static: apt-get install busybox-static"; fi
  rm -rf "$rootfs"
  mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root,var/www}
  cp "$bb" "$rootfs/bin/busybox"
  chroot "$rootfs" /bin/busybox --install -s /bin
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  echo 'hello from hoptrace-busybox' >"$rootfs/var/www/index.html"
  tar -C "$rootfs" -c . | ht_docker import -c 'CMD ["/bin/sh"]' - "$HT_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

cmd_up() {
  need_root_and_tools
  if is_up && [[ "$(running_engine)" == "$(asked_engine)" ]]; then log "already up ($HT_NS_HOST, $HT_DOCKER_SOCK, engine $(asked_engine))"; return 0; fi
  if is_up; then log "up with engine $(running_engine), $(asked_engine) asked: restarting"; fi
  if ns_exists "$HT_NS_HOST" || ns_exists "$HT_NS_OUTSIDE" || [[ -e "$HT_LAB_DIR" ]]; then
    log "half-up lab found: tearing it down first"
    cmd_down
  fi
  # EXIT, not ERR: set -e failures inside functions do not fire an un-inherited ERR trap.
  trap 'rc=$?; if ((rc != 0)); then log "up failed: tearing down"; cmd_down || true; fi' EXIT
  write_configs
  make_namespaces
  start_daemons
  make_image
  trap - EXIT
  log "up: dockerd $HT_ENGINE in $HT_NS_HOST, DOCKER_HOST=unix://$HT_DOCKER_SOCK, image $HT_IMAGE"
}

# Every process that belongs to this lab: by its paths, by its namespaces, by its cgroups.
lab_processes() {
  {
    pgrep -f -- "$HT_LAB_DIR/" || true
    local ns
    for ns in "$HT_NS_HOST" "$HT_NS_OUTSIDE"; do
      ns_exists "$ns" && { ip netns pids "$ns" 2>/dev/null || true; }
    done
    cat /sys/fs/cgroup/*/"$HT_CGROUP_PARENT"/*/cgroup.procs /sys/fs/cgroup/"$HT_CGROUP_PARENT"/*/cgroup.procs 2>/dev/null || true
  } | sort -un | grep -vx -e "$$" -e "${BASHPID:-$$}" -e "$PPID" || true
}

stop_pid() { # stop_pid PID SECONDS: TERM, wait, then KILL
  local pid="$1" secs="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
}

lab_mounts() { awk -v d="$HT_LAB_DIR/" 'index($5, d) == 1 || $5"/" == d {print $5}' /proc/self/mountinfo | sort -r; }
lab_cgroups() { find /sys/fs/cgroup -maxdepth 3 -type d -name "$HT_CGROUP_PARENT" 2>/dev/null || true; }

cmd_down() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  set +e
  local pid ns m cg
  if lab_pid "$HT_LAB_DIR/dockerd.launch.pid" >/dev/null && docker_answers; then
    local ids
    ids="$(timeout 20 "$HT_DOCKER_CLI" -H "unix://$HT_DOCKER_SOCK" ps -aq 2>/dev/null)"
    [[ -n "$ids" ]] && timeout 60 "$HT_DOCKER_CLI" -H "unix://$HT_DOCKER_SOCK" rm -f $ids >/dev/null 2>&1
  fi
  pid="$(lab_pid "$HT_LAB_DIR/dockerd.launch.pid")" && stop_pid "$pid" 20
  pid="$(lab_pid "$HT_LAB_DIR/containerd.pid")" && stop_pid "$pid" 10
  local round
  for round in TERM KILL; do
    for pid in $(lab_processes); do kill "-$round" "$pid" 2>/dev/null; done
    for ((i = 0; i < 25; i++)); do [[ -z "$(lab_processes)" ]] && break; sleep 0.2; done
  done
  for m in $(lab_mounts); do umount -l "$m" 2>/dev/null; done
  for ns in "$HT_NS_HOST" "$HT_NS_OUTSIDE"; do
    ns_exists "$ns" && ip netns del "$ns"
  done
  for cg in $(lab_cgroups); do find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; done
  [[ -d "$HT_LAB_DIR" && -z "$(lab_mounts)" ]] && rm -rf --one-file-system "$HT_LAB_DIR"
  set -e
  verify_gone
}

verify_gone() {
  local left=0 ns
  for ns in "$HT_NS_HOST" "$HT_NS_OUTSIDE"; do
    if ns_exists "$ns" || [[ -e "/var/run/netns/$ns" ]]; then echo "left: namespace $ns" >&2; left=1; fi
  done
  local procs; procs="$(lab_processes)"
  if [[ -n "$procs" ]]; then echo "left: processes:" >&2; ps -o pid=,args= -p "${procs//$'\n'/,}" >&2; left=1; fi
  [[ -z "$(lab_mounts)" ]] || { echo "left: mounts: $(lab_mounts | tr '\n' ' ')" >&2; left=1; }
  [[ ! -e "$HT_LAB_DIR" ]] || { echo "left: directory $HT_LAB_DIR" >&2; left=1; }
  [[ -z "$(lab_cgroups)" ]] || { echo "left: cgroups: $(lab_cgroups | tr '\n' ' ')" >&2; left=1; }
  if ((left)); then log "down: NOT clean"; return 1; fi
  log "down: nothing left"
}

cmd_status() {
  local ok=0 pid
  for ns in "$HT_NS_HOST" "$HT_NS_OUTSIDE"; do
    if ns_exists "$ns"; then echo "namespace $ns: present"; else echo "namespace $ns: absent"; ok=1; fi
  done
  if pid="$(lab_pid "$HT_LAB_DIR/containerd.pid")"; then echo "containerd: pid $pid"; else echo "containerd: not running"; ok=1; fi
  if pid="$(lab_pid "$HT_LAB_DIR/dockerd.launch.pid")"; then echo "dockerd: pid $pid"; else echo "dockerd: not running"; ok=1; fi
  if docker_answers; then echo "docker socket: answers ($HT_DOCKER_SOCK)"; else echo "docker socket: no answer"; ok=1; fi
  if docker_answers && ht_docker image inspect "$HT_IMAGE" >/dev/null 2>&1; then echo "image $HT_IMAGE: present"; else echo "image $HT_IMAGE: absent"; ok=1; fi
  echo "engine: $(running_engine) (asked: $(asked_engine))"
  [[ "$(running_engine)" == "$(asked_engine)" ]] || ok=1
  if ((ok == 0)); then echo "lab: up"; else echo "lab: not up"; fi
  return "$ok"
}

cmd_env() {
  cat <<EOF
HT_LAB_ID=$HT_LAB_ID
HT_ENGINE=$HT_ENGINE
HT_NS_HOST=$HT_NS_HOST
HT_NS_OUTSIDE=$HT_NS_OUTSIDE
HT_LAB_DIR=$HT_LAB_DIR
DOCKER_HOST=unix://$HT_DOCKER_SOCK
HT_DOCKER_CLI=$HT_DOCKER_CLI
HT_IMAGE=$HT_IMAGE
HT_UPLINK_ADDR=$HT_UPLINK_ADDR
HT_OUTSIDE_ADDR=$HT_OUTSIDE_ADDR
HT_INTERNET_ADDR=$HT_INTERNET_ADDR
HT_DOCKER_BIP=$HT_DOCKER_BIP
HT_USER_SUBNET=$HT_USER_SUBNET
HT_UPLINK_ADDR6=$HT_UPLINK_ADDR6
HT_OUTSIDE_ADDR6=$HT_OUTSIDE_ADDR6
HT_INTERNET_ADDR6=$HT_INTERNET_ADDR6
HT_V6_GLOBAL_SUBNET=$HT_V6_GLOBAL_SUBNET
HT_V6_ULA_SUBNET=$HT_V6_ULA_SUBNET
HT_DOCKER0_V6=$HT_DOCKER0_V6
EOF
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up|down|status|env   (HT_LAB_ID=x for a second lab)" >&2; exit 2 ;;
esac
