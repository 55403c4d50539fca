#!/usr/bin/env bash
# hoptrace multi-host lab: two Docker hosts joined by a swarm overlay network.
#
#   sudo HT_LAB_ID=v7 test/lab/multihost.sh up       # idempotent; a failed up tears down what it made
#   sudo HT_LAB_ID=v7 test/lab/multihost.sh status   # exit 0 when fully up
#   sudo HT_LAB_ID=v7 test/lab/multihost.sh env      # KEY=VALUE lines
#   sudo HT_LAB_ID=v7 test/lab/multihost.sh down     # removes everything; exit 1 listing what is left
#
# Topology (every namespace is the lab's own; the root network namespace is never touched):
#
#  c1 (overlay 198.18.100.x)                                   c2 (overlay 198.18.100.x)
#   |  ht-<id>-h1: dockerd, swarm manager                       |  ht-<id>-h2: dockerd, swarm worker
#   |  eth0 203.0.113.1/24                                      |  eth0 203.0.113.3/24, tcp :2375
#   +------------ ht-<id>-ul: bridge ul0 (the underlay) ---------+
#                              |
#                       ht-<id>-out: eth0 203.0.113.2/24 (default gateway of both hosts),
#                                    lo 198.19.0.1/32 (an "internet" address)
#
# Swarm in this lab: manager listens on 203.0.113.1:2377 (TCP), gossip on 7946 TCP+UDP,
# VXLAN data path on UDP 4789, all on eth0 (--advertise-addr/--listen-addr/--data-path-addr);
# every address pool Docker would take from 10/8 or 172.16/12 is moved into 198.18.0.0/15
# (daemon default-address-pools for docker_gwbridge, --default-addr-pool for swarm's ingress).
set -euo pipefail


HT_LAB_ID="${HT_LAB_ID:-mh}"
if [[ ! "$HT_LAB_ID" =~ ^[a-z0-9]{1,6}$ ]]; then
  echo "HT_LAB_ID must be 1-6 lowercase letters or digits (got '$HT_LAB_ID')" >&2
  exit 2
fi
P="ht-$HT_LAB_ID"
NS_H1="$P-h1" NS_H2="$P-h2" NS_UL="$P-ul" NS_OUT="$P-out"
NAMESPACES=("$NS_H1" "$NS_H2" "$NS_UL" "$NS_OUT")
LAB_DIR="/run/ht-mh-$HT_LAB_ID"
CGROUP_PREFIX="ht-mh-$HT_LAB_ID"
IMAGE="hoptrace-busybox"
H1_ADDR="203.0.113.1" H2_ADDR="203.0.113.3" OUT_ADDR="203.0.113.2" INTERNET_ADDR="198.19.0.1"
TCP_PORT=2375
OVERLAY_NET="ht-overlay" OVERLAY_SUBNET="198.18.100.0/24"
UP_TIMEOUT="${HT_LAB_TIMEOUT:-90}"
# HT_ENGINE as in lab-env.sh: 20.10 (Debian bookworm's docker.io) or 28 (unpacked by scripts/setup.sh).
HT_ENGINE="${HT_ENGINE:-20.10}"
case "$HT_ENGINE" in
  20.10) ;;
  28) PATH="${HT_ENGINE28_DIR:-/opt/ht-engine-28}/usr/sbin:${HT_ENGINE28_DIR:-/opt/ht-engine-28}/usr/bin:$PATH" ;;
  *) echo "HT_ENGINE must be 20.10 or 28 (got '$HT_ENGINE')" >&2; exit 2 ;;
esac
if [[ -x /usr/bin/docker ]]; then CLI=/usr/bin/docker; else CLI="$(command -v docker)"; fi

log() { echo "multihost: $*" >&2; }
die() { echo "multihost: error: $*" >&2; exit 1; }

host_ns() { case "$1" in h1) echo "$NS_H1" ;; h2) echo "$NS_H2" ;; esac; }
host_addr() { case "$1" in h1) echo "$H1_ADDR" ;; h2) echo "$H2_ADDR" ;; esac; }
sock() { echo "$LAB_DIR/$1/docker.sock"; }
# h1 over its unix socket; h2 only over TCP on the underlay, from the outside namespace.
dk() {
  local h="$1"; shift
  if [[ "$h" == h1 ]]; then timeout 120 "$CLI" -H "unix://$(sock h1)" "$@"
  else timeout 120 nsenter --net="/var/run/netns/$NS_OUT" "$CLI" -H "tcp://$H2_ADDR:$TCP_PORT" "$@"; fi
}

ns_exists() { [[ -e "/var/run/netns/$1" ]] && ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

lab_pid() { # pid from a pidfile, only if alive and started by this lab
  local f="$1" pid
  [[ -s "$f" ]] || return 1
  pid="$(tr -dc 0-9 <"$f")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$LAB_DIR/" || return 1
  echo "$pid"
}

answers() { [[ -S "$(sock "$1")" ]] && timeout 10 "$CLI" -H "unix://$(sock "$1")" version >/dev/null 2>&1; }
swarm_state() { timeout 10 "$CLI" -H "unix://$(sock "$1")" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true; }
running() { [[ "$(timeout 10 "$CLI" -H "unix://$(sock "$1")" inspect -f '{{.State.Running}}' "$2" 2>/dev/null)" == true ]]; }

is_up() {
  local ns h
  for ns in "${NAMESPACES[@]}"; do ns_exists "$ns" || return 1; done
  for h in h1 h2; do
    lab_pid "$LAB_DIR/$h/dockerd.launch.pid" >/dev/null && answers "$h" && [[ "$(swarm_state "$h")" == active ]] || return 1
  done
  running h1 c1 && running h2 c2
}

make_namespaces() {
  local ns
  for ns in "${NAMESPACES[@]}"; do
    ip netns add "$ns"
    # No IPv6: router solicitations and MLD reports would add noise to every capture.
    nsenter --net="/var/run/netns/$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_UL" link add ul0 type bridge
  ip -n "$NS_UL" link set ul0 up
  local peer port
  for peer in h1:"$NS_H1" h2:"$NS_H2" out:"$NS_OUT"; do
    port="p-${peer%%:*}"
    # Both ends are made inside the lab namespaces, never in the root namespace.
    ip -n "$NS_UL" link add "$port" type veth peer name eth0 netns "${peer#*:}"
    ip -n "$NS_UL" link set "$port" master ul0 up
    ip -n "${peer#*:}" link set eth0 up
  done
  ip -n "$NS_H1" addr add "$H1_ADDR/24" dev eth0
  ip -n "$NS_H2" addr add "$H2_ADDR/24" dev eth0
  ip -n "$NS_OUT" addr add "$OUT_ADDR/24" dev eth0
  ip -n "$NS_OUT" addr add "$INTERNET_ADDR/32" dev lo
  for ns in "$NS_H1" "$NS_H2"; do
    ip -n "$ns" route add default via "$OUT_ADDR"
    nsenter --net="/var/run/netns/$ns" sysctl -qw net.ipv4.ip_forward=1
  done
}

write_configs() { # write_configs h1|h2 BIP POOL
  local h="$1" bip="$2" pool="$3" d="$LAB_DIR/$1"
  mkdir -p "$d"/{data,exec,containerd/root,containerd/state,containerd/opt}
  cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/containerd/containerd.sock"
[ttrpc]
  address = "$d/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"
EOF
  # default-address-pools: docker_gwbridge and any local network come from 198.18.0.0/15.
  # 28 has no key.json any more and refuses the option.
  local key=""
  [[ "$HT_ENGINE" == 28 ]] || key="\"deprecated-key-path\": \"$d/key.json\", "
  cat >"$d/daemon.json" <<EOF
{$key"bip": "$bip", "default-address-pools": [{"base": "$pool", "size": 24}]}
EOF
}

wait_for() { # wait_for SECONDS WHAT PIDFILE CMD...
  local secs="$1" what="$2" pidf="$3"; shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$pidf")" 2>/dev/null || { log "$what exited during start-up"; return 1; }
    ((SECONDS < deadline)) || { log "$what did not answer within ${secs}s"; return 1; }
    sleep 0.3
  done
}

start_host() { # start_host h1|h2
  local h="$1" d="$LAB_DIR/$1" ns; ns="$(host_ns "$1")"
  nsenter --net="/var/run/netns/$ns" containerd --config "$d/containerd.toml" </dev/null >"$d/containerd.log" 2>&1 &
  echo $! >"$d/containerd.pid"
  wait_for 30 "$h containerd" "$d/containerd.pid" test -S "$d/containerd/containerd.sock" ||
    { tail -n 30 "$d/containerd.log" >&2; return 1; }
  local tls=()
  # 28 refuses a TCP socket without TLS unless told --tls=false (the underlay is the lab's own).
  [[ "$HT_ENGINE" == 28 ]] && tls=(--tls=false)
  nsenter --net="/var/run/netns/$ns" dockerd --config-file "$d/daemon.json" \
    --containerd "$d/containerd/containerd.sock" \
    --storage-driver vfs --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/dockerd.pid" \
    -H "unix://$d/docker.sock" -H "tcp://$(host_addr "$h"):$TCP_PORT" "${tls[@]}" \
    --iptables=true --ip-forward=true \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$CGROUP_PREFIX-$h" \
    </dev/null >"$d/dockerd.log" 2>&1 &
  echo $! >"$d/dockerd.launch.pid"
}

wait_host() {
  wait_for "$UP_TIMEOUT" "$1 dockerd" "$LAB_DIR/$1/dockerd.launch.pid" answers "$1" ||
    { log "$1 dockerd log tail:"; tail -n 40 "$LAB_DIR/$1/dockerd.log" >&2; return 1; }
}

make_image() { # make_image h1|h2: a busybox rootfs through `docker import`, no registry
  dk "$1" image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  local bb rootfs="$LAB_DIR/rootfs"
  bb="$(command -v busybox)"
  if ldd "$bb" >/dev/null 2>&1; then die "$bb is not static: apt-get install busybox-static"; fi
  if [[ ! -d "$rootfs" ]]; then
    mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root}
    cp "$bb" "$rootfs/bin/busybox"
    chroot "$rootfs" /bin/busybox --install -s /bin
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\n' >"$rootfs/etc/group"
  fi
  tar -C "$rootfs" -c . | dk "$1" import -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
}

make_swarm() {
  dk h1 swarm init --advertise-addr "$H1_ADDR" --listen-addr "$H1_ADDR:2377" --data-path-addr "$H1_ADDR" \
    --default-addr-pool 198.18.128.0/17 --default-addr-pool-mask-length 24 >/dev/null
  local token; token="$(dk h1 swarm join-token -q worker)"
  dk h2 swarm join --token "$token" --advertise-addr "$H2_ADDR" --listen-addr "$H2_ADDR:2377" \
    --data-path-addr "$H2_ADDR" "$H1_ADDR:2377" >/dev/null
  dk h1 network create -d overlay --attachable --subnet "$OVERLAY_SUBNET" "$OVERLAY_NET" >/dev/null
  dk h1 run -d --name c1 --hostname c1 --network "$OVERLAY_NET" "$IMAGE" sleep 1d >/dev/null
  dk h2 run -d --name c2 --hostname c2 --network "$OVERLAY_NET" "$IMAGE" sleep 1d >/dev/null
}

# An SSH server in h2's namespace on 203.0.113.3:22 (when openssh-server is installed), so
# h2's engine can also be reached as ssh://root@203.0.113.3: key login only, with a lab key, and
# DOCKER_HOST set for the session so `docker system dial-stdio` reaches h2's dockerd.
start_sshd() {
  [[ -x /usr/sbin/sshd ]] || { log "no /usr/sbin/sshd: ssh:// endpoint not available (apt-get install openssh-server)"; return 0; }
  local d="$LAB_DIR/ssh"
  mkdir -p "$d/home/.ssh" && chmod 700 "$d" "$d/home/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C ht-lab-host -f "$d/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C ht-lab-client -f "$d/home/.ssh/id_ed25519"
  cp "$d/home/.ssh/id_ed25519.pub" "$d/authorized_keys"
  cat >"$d/sshd_config" <<EOF
ListenAddress $H2_ADDR:22
HostKey $d/host_ed25519
AuthorizedKeysFile $d/authorized_keys
PidFile $d/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=unix://$(sock h2)
EOF
  # sshd refuses to start without its privilege separation directory; `down` removes it if we made it.
  if [[ ! -d /run/sshd ]]; then mkdir -p /run/sshd && touch "$LAB_DIR/made-run-sshd"; fi
  nsenter --net="/var/run/netns/$NS_H2" /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
}

cmd_up() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, dockerd)"
  local t
  for t in ip nsenter dockerd containerd runc busybox iptables "$CLI"; do
    command -v "$t" >/dev/null || die "missing tool: $t (apt-get install docker.io busybox-static iptables iproute2)"
  done
  if is_up; then log "already up"; return 0; fi
  local ns
  for ns in "${NAMESPACES[@]}"; do
    if ns_exists "$ns"; then log "half-up lab found: tearing it down first"; cmd_down; break; fi
  done
  [[ -e "$LAB_DIR" ]] && { log "half-up lab found: tearing it down first"; cmd_down; }
  trap 'rc=$?; if ((rc != 0)); then log "up failed: tearing down"; cmd_down || true; fi' EXIT
  mkdir -p "$LAB_DIR" && chmod 700 "$LAB_DIR"
  write_configs h1 198.18.0.1/24 198.18.64.0/20
  write_configs h2 198.18.2.1/24 198.18.80.0/20
  make_namespaces
  start_host h1
  start_host h2
  wait_host h1
  wait_host h2
  make_image h1
  make_image h2
  rm -rf "$LAB_DIR/rootfs"
  make_swarm
  start_sshd
  trap - EXIT
  log "up: swarm of $NS_H1 ($H1_ADDR, manager) and $NS_H2 ($H2_ADDR, tcp://$H2_ADDR:$TCP_PORT); c1, c2 on $OVERLAY_NET"
}

lab_processes() { # every process of this lab: by its paths, its namespaces, its cgroups
  {
    pgrep -f -- "$LAB_DIR/" || true
    local ns
    for ns in "${NAMESPACES[@]}"; do ns_exists "$ns" && { ip netns pids "$ns" 2>/dev/null || true; }; done
    cat /sys/fs/cgroup/*/"$CGROUP_PREFIX"-h?/*/cgroup.procs /sys/fs/cgroup/"$CGROUP_PREFIX"-h?/*/cgroup.procs 2>/dev/null || true
  } | sort -un | grep -vx -e "$$" -e "${BASHPID:-$$}" -e "$PPID" || true
}

stop_pid() { # TERM, wait up to SECONDS, then KILL
  local pid="$1" secs="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 5; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

lab_mounts() { awk -v d="$LAB_DIR/" 'index($5, d) == 1 || $5"/" == d {print $5}' /proc/self/mountinfo | sort -r; }
lab_cgroups() { find /sys/fs/cgroup -maxdepth 3 -type d -name "$CGROUP_PREFIX-h?" 2>/dev/null || true; }

cmd_down() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  set +e
  local h pid ns m cg ids round i
  for h in h2 h1; do
    answers "$h" || continue
    ids="$(timeout 20 "$CLI" -H "unix://$(sock "$h")" ps -aq 2>/dev/null)"
    [[ -n "$ids" ]] && timeout 60 "$CLI" -H "unix://$(sock "$h")" rm -f $ids >/dev/null 2>&1
    # Leaving the swarm makes dockerd delete its overlay namespaces and VXLAN links itself.
    timeout 30 "$CLI" -H "unix://$(sock "$h")" swarm leave --force >/dev/null 2>&1
  done
  for h in h2 h1; do
    pid="$(lab_pid "$LAB_DIR/$h/dockerd.launch.pid")" && stop_pid "$pid" 20
    pid="$(lab_pid "$LAB_DIR/$h/containerd.pid")" && stop_pid "$pid" 10
  done
  for round in TERM KILL; do
    for pid in $(lab_processes); do kill "-$round" "$pid" 2>/dev/null; done
    for ((i = 0; i < 25; i++)); do [[ -z "$(lab_processes)" ]] && break; sleep 0.2; done
  done
  for m in $(lab_mounts); do umount -l "$m" 2>/dev/null; done
  [[ -e "$LAB_DIR/made-run-sshd" ]] && rmdir /run/sshd 2>/dev/null
  for ns in "${NAMESPACES[@]}"; do ns_exists "$ns" && ip netns del "$ns"; done
  for cg in $(lab_cgroups); do find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; done
  [[ -d "$LAB_DIR" && -z "$(lab_mounts)" ]] && rm -rf --one-file-system "$LAB_DIR"
  set -e
  verify_gone
}

verify_gone() {
  local left=0 ns procs
  for ns in "${NAMESPACES[@]}"; do
    if ns_exists "$ns" || [[ -e "/var/run/netns/$ns" ]]; then echo "left: namespace $ns" >&2; left=1; fi
  done
  procs="$(lab_processes)"
  if [[ -n "$procs" ]]; then echo "left: processes:" >&2; ps -o pid=,args= -p "${procs//$'\n'/,}" >&2; left=1; fi
  [[ -z "$(lab_mounts)" ]] || { echo "left: mounts: $(lab_mounts | tr '\n' ' ')" >&2; left=1; }
  [[ ! -e "$LAB_DIR" ]] || { echo "left: directory $LAB_DIR" >&2; left=1; }
  [[ -z "$(lab_cgroups)" ]] || { echo "left: cgroups: $(lab_cgroups | tr '\n' ' ')" >&2; left=1; }
  if ((left)); then log "down: NOT clean"; return 1; fi
  log "down: nothing left"
}

cmd_status() {
  local ok=0 ns h pid
  for ns in "${NAMESPACES[@]}"; do
    if ns_exists "$ns"; then echo "namespace $ns: present"; else echo "namespace $ns: absent"; ok=1; fi
  done
  for h in h1 h2; do
    if pid="$(lab_pid "$LAB_DIR/$h/dockerd.launch.pid")"; then echo "$h dockerd: pid $pid"; else echo "$h dockerd: not running"; ok=1; fi
    if answers "$h"; then echo "$h swarm: $(swarm_state "$h")"; else echo "$h docker socket: no answer"; ok=1; fi
  done
  if running h1 c1 && running h2 c2; then echo "containers c1 (h1), c2 (h2): running"; else echo "containers: not running"; ok=1; fi
  if ((ok == 0)) && is_up; then echo "multihost: up"; else echo "multihost: not up"; ok=1; fi
  return "$ok"
}

cmd_env() {
  cat <<EOF
HT_LAB_ID=$HT_LAB_ID
HT_ENGINE=$HT_ENGINE
HT_MH_DIR=$LAB_DIR
HT_NS_H1=$NS_H1
HT_NS_H2=$NS_H2
HT_NS_UNDERLAY=$NS_UL
HT_NS_OUTSIDE=$NS_OUT
HT_H1_DOCKER_HOST=unix://$(sock h1)
HT_H1_EXEC_ROOT=$LAB_DIR/h1/exec
HT_H1_ADDR=$H1_ADDR
HT_H2_DOCKER_HOST=tcp://$H2_ADDR:$TCP_PORT
HT_H2_EXEC_ROOT=$LAB_DIR/h2/exec
HT_H2_ADDR=$H2_ADDR
HT_H2_SSH=$([[ -x /usr/sbin/sshd ]] && echo "ssh://root@$H2_ADDR")
HT_SSH_HOME=$LAB_DIR/ssh/home
HT_OUTSIDE_ADDR=$OUT_ADDR
HT_INTERNET_ADDR=$INTERNET_ADDR
HT_OVERLAY_NET=$OVERLAY_NET
HT_OVERLAY_SUBNET=$OVERLAY_SUBNET
HT_IMAGE=$IMAGE
HT_DOCKER_CLI=$CLI
EOF
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up|down|status|env   (HT_LAB_ID=x names the lab)" >&2; exit 2 ;;
esac
