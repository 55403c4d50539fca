# shellcheck shell=bash
# The fixture scenarios, sourced by record-fixtures.sh. Each scenario_* function runs in a
# fresh lab, sets DESCRIPTION, adds its hops (add_hop / add_container_path start the
# captures) and makes its traffic; record-fixtures.sh stops the captures and installs them.
# Every scenario first "warms" the neighbour caches (one ping before the captures start) and
# waits for them to settle, so that ARP does not land at a random place in the recording.

OUTSIDE_NS="/var/run/netns/$HT_NS_OUTSIDE"
HOST_NS="/var/run/netns/$HT_NS_HOST"

in_c() { ht_docker exec "$@"; }
wait_until() { # wait_until SECONDS CMD...: poll until CMD succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do ((SECONDS < deadline)) || fail "timed out waiting for: $*"; sleep 0.1; done
}
# A neighbour learned from a peer's ARP request starts STALE; its first use puts it in DELAY and
# 5 s later the kernel probes it (unicast ARP). Wait until no entry in the lab (the two hosts
# and every container) is DELAY/PROBE/INCOMPLETE: then all are REACHABLE for at least 15 s
# (half of base_reachable_time), longer than any scenario's traffic.
neighbours_settled() {
  local ns pid
  for ns in "$HOST_NS" "$OUTSIDE_NS"; do
    nsenter --net="$ns" ip neigh show | grep -Eq 'DELAY|PROBE|INCOMPLETE' && return 1
  done
  for pid in $(ht_docker ps -q | xargs -r "$HT_DOCKER_CLI" -H "unix://$HT_DOCKER_SOCK" inspect -f '{{.State.Pid}}'); do
    nsenter --net="/proc/$pid/ns/net" ip neigh show | grep -Eq 'DELAY|PROBE|INCOMPLETE' && return 1
  done
  return 0
}
settle() { sleep 0.2; wait_until 15 neighbours_settled; }
port_listening() { nsenter --net="$1" ss -Hltn "sport = :$2" | grep -q .; }
# Traffic that is expected to fail in this scenario: show its output, never abort on it.
expect_failure() { if "$@" >&2; then fail "expected to fail but succeeded: $*"; fi; }

scenario_ping_out() {
  DESCRIPTION="Outbound ping: container c1 on docker0 pings the outside host $HT_OUTSIDE_ADDR (3 echoes); MASQUERADE rewrites the source to $HT_UPLINK_ADDR at the uplink."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c1 ping -c 3 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR" >&2
}

scenario_tcp_out() {
  DESCRIPTION="Outbound TCP: c1 connects to $HT_OUTSIDE_ADDR:5000 (busybox nc on the outside host), sends 'ping', gets 'pong', both sides close; source NATed to $HT_UPLINK_ADDR at the uplink."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  nsenter --net="$OUTSIDE_NS" timeout 20 sh -c 'echo pong | busybox nc -l -p 5000' >&2 &
  local server=$!
  wait_until 10 port_listening "$OUTSIDE_NS" 5000
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c1 sh -c "echo ping | nc -w 3 $HT_OUTSIDE_ADDR 5000" >&2
  wait "$server"
}

scenario_dns_unreachable() {
  DESCRIPTION="DNS query to a host with no DNS server: c1 runs nslookup example.test $HT_OUTSIDE_ADDR; the outside host answers each UDP query to port 53 with ICMP port unreachable, which comes back through the NAT (quoted header de-NATed too)."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 nslookup -type=a example.test "$HT_OUTSIDE_ADDR"
}

scenario_published_port() {
  DESCRIPTION="Inbound request to a published port: c1 runs busybox httpd with -p 8080:80; the outside host fetches http://$HT_UPLINK_ADDR:8080/; DNAT rewrites the destination to c1:80 at the Docker host and the reply's source back."
  run_container c1 -p 8080:80 -- httpd -f -p 80 -h /var/www
  in_c c1 ping -c 1 -W 2 198.18.0.1 >/dev/null
  nsenter --net="$OUTSIDE_NS" busybox ping -c 1 -W 2 "$HT_UPLINK_ADDR" >/dev/null
  wait_until 10 port_listening "$(container_ns c1)" 80
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  nsenter --net="$OUTSIDE_NS" busybox wget -q -O - "http://$HT_UPLINK_ADDR:8080/" >&2
}

scenario_container_to_container() {
  DESCRIPTION="Container to container on one bridge: c1 pings c2 (3 echoes) across docker0; no NAT, the bridge forwards between its two veth ports."
  run_container c1 -- sleep 3600
  run_container c2 -- sleep 3600
  local c2ip v1 v2
  c2ip="$(ht_docker inspect -f '{{.NetworkSettings.IPAddress}}' c2)"
  in_c c1 ping -c 1 -W 2 "$c2ip" >/dev/null
  settle
  v1="$(container_veth c1)"
  v2="$(container_veth c2)"
  add_hop "$(container_ns c1)" eth0 "c1 eth0" container container:c1
  add_hop "$HOST_NS" "$v1" "$v1" veth host
  add_hop "$HOST_NS" "$(bridge_of "$v1")" "$(bridge_of "$v1")" bridge host
  add_hop "$HOST_NS" "$v2" "$v2" veth host
  add_hop "$(container_ns c2)" eth0 "c2 eth0" container container:c2
  in_c c1 ping -c 3 -i 0.5 -W 2 "$c2ip" >&2
}

scenario_user_bridge() {
  DESCRIPTION="User-defined bridge network (subnet $HT_USER_SUBNET): c1 pings the outside host $HT_OUTSIDE_ADDR (3 echoes) through br-<id>; MASQUERADE at the uplink."
  ht_docker network create --subnet "$HT_USER_SUBNET" htnet >/dev/null
  run_container c1 --network htnet -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c1 ping -c 3 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR" >&2
}

scenario_ip_forward_off() {
  DESCRIPTION="The Docker host with net.ipv4.ip_forward=0: c1 pings $HT_OUTSIDE_ADDR (3 echoes); the requests reach docker0 and are dropped before the uplink, no reply."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  nsenter --net="$HOST_NS" sysctl -qw net.ipv4.ip_forward=0
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 3 -i 0.5 -W 1 "$HT_OUTSIDE_ADDR"
}

scenario_no_masquerade() {
  DESCRIPTION="Docker's MASQUERADE rule for 198.18.0.0/24 removed: c1 pings $HT_OUTSIDE_ADDR (3 echoes); the requests leave the uplink with the private source 198.18.0.2, the outside host has no route back, no reply."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  nsenter --net="$HOST_NS" iptables -t nat -D POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 3 -i 0.5 -W 1 "$HT_OUTSIDE_ADDR"
}

scenario_ping_ignored() {
  DESCRIPTION="A destination that ignores pings: the 'internet' host $HT_INTERNET_ADDR (on the outside host, net.ipv4.icmp_echo_ignore_all=1) gets c1's 3 echoes, SNATed at the uplink, and never answers."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_INTERNET_ADDR" >/dev/null
  nsenter --net="$OUTSIDE_NS" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
  settle
  add_container_path c1 "$HT_INTERNET_ADDR"
  expect_failure in_c c1 ping -c 3 -i 0.5 -W 1 "$HT_INTERNET_ADDR"
}
