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

# echo_requests PCAP -> one "SRC IP-ID ICMP-ID" line per ICMP echo request in PCAP
echo_requests() {
  tcpdump -nn -v -r "$1" 'icmp[icmptype] == icmp-echo' 2>/dev/null | paste - - |
    sed -nE 's/.* id ([0-9]+), offset .*[[:space:]]([0-9.]+) > [0-9.]+: ICMP echo request, id ([0-9]+), seq .*/\2 \1 \3/p'
}

scenario_shared_bridge() {
  DESCRIPTION="Two containers on docker0 ping the outside host $HT_OUTSIDE_ADDR at the same time with the same ICMP echo id (busybox ping uses its pid, the same in both containers); c2 starts first, so MASQUERADE keeps c2's id and rewrites c1's to a free one at the uplink. Traced: c1 (4 echoes); c2's 4 echoes share docker0 and eth0 only."
  run_container c1 -- sleep 3600
  run_container c2 -- sleep 3600
  # The same docker execs in the same order in both containers give both pings the same pid,
  # hence the same echo id. (The warm-up pings collide too; their conntrack entries use that
  # earlier pid, so they do not take the id of the recorded pings.)
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  in_c c2 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  # c2's first echo creates the conntrack entry that owns the id on 203.0.113.1; c1's, 0.3 s
  # later, then needs another id. Each docker exec takes about as long to start as the other.
  in_c c2 ping -c 4 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR" >&2 &
  local c2ping=$!
  sleep 0.3
  in_c c1 ping -c 4 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR" >&2
  wait "$c2ping"
}

# Refuse a recording that does not show what shared-bridge is for: one echo id sent by both
# containers, c1's rewritten at the uplink, c2's kept.
check_shared_bridge() {
  local c1ids c2ids c1ipids upids
  c1ids="$(echo_requests "$CAPDIR/01-c1-eth0.pcap" | awk '{print $3}' | sort -u)"
  c2ids="$(echo_requests "$CAPDIR/03-docker0.pcap" | awk '$1 == "198.18.0.3" {print $3}' | sort -u)"
  [[ -n "$c1ids" && "$c1ids" != *$'\n'* ]] || fail "shared-bridge: c1 sent echo ids '${c1ids//$'\n'/ }', want exactly one"
  [[ "$c2ids" == "$c1ids" ]] || fail "shared-bridge: c2 sent echo id(s) '${c2ids//$'\n'/ }', c1 sent $c1ids: no collision"
  # NAT keeps the IP id: c1's requests at the uplink are the ones with c1's IP ids.
  c1ipids="$(echo_requests "$CAPDIR/01-c1-eth0.pcap" | awk '{print $2}')"
  upids="$(echo_requests "$CAPDIR/04-eth0.pcap" | awk -v ipids="$c1ipids" \
    'BEGIN { n = split(ipids, a, "\n"); for (i = 1; i <= n; i++) mine[a[i]] = 1 } ($2 in mine) {print $3}' | sort -u)"
  [[ -n "$upids" && "$upids" != "$c1ids" && "$upids" != *$'\n'* ]] ||
    fail "shared-bridge: c1's echo id $c1ids left the uplink as '${upids//$'\n'/ }', want one other id (rerun)"
  [[ "$(echo_requests "$CAPDIR/04-eth0.pcap" | awk '{print $3}' | sort -u | grep -cx "$c1ids")" == 1 ]] ||
    fail "shared-bridge: c2's echo id $c1ids is not kept at the uplink"
  say "shared-bridge: both containers sent echo id $c1ids; c1's left the uplink as $upids"
}

SYN_DROP_PORT=5001
syn_sent() { nsenter --net="$1" ss -Htn state syn-sent | grep -q .; }

scenario_syn_unanswered() {
  DESCRIPTION="Unanswered TCP connect: c1 connects to $HT_OUTSIDE_ADDR:$SYN_DROP_PORT, where the outside host drops SYNs (iptables DROP in its INPUT chain); c1's kernel retransmits the SYN every second (tcp_syn_linear_timeouts; same ports and sequence number, IP id and TCP timestamp advance) until nc is killed 2.5 s after the first: 3 SYNs at every hop, SNATed at the uplink, nothing comes back."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  nsenter --net="$OUTSIDE_NS" iptables -A INPUT -p tcp --dport "$SYN_DROP_PORT" --syn -j DROP
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  local c1ns client
  c1ns="$(container_ns c1)"
  in_c c1 nc "$HT_OUTSIDE_ADDR" "$SYN_DROP_PORT" </dev/null >&2 2>&1 &
  client=$!
  wait_until 5 syn_sent "$c1ns"
  # Retransmissions come 1 s apart (Linux >= 6.6 retransmits a SYN linearly 4 times before
  # backing off): killing nc at 2.5 s leaves 3 SYNs, well clear of the 4th at 3 s.
  sleep 2.4
  in_c c1 killall nc
  wait "$client" || true
}

check_syn_unanswered() {
  local f n
  for f in "${CAP_FILES[@]}"; do
    n="$(tcpdump -nn -r "$f" 2>/dev/null | wc -l)"
    [[ "$(tcpdump -nn -r "$f" "tcp[tcpflags] == tcp-syn and dst port $SYN_DROP_PORT" 2>/dev/null | wc -l)" == 3 && "$n" == 3 ]] ||
      fail "syn-unanswered: $(basename "$f") holds $n packets, want exactly 3 SYNs (rerun)"
  done
}

scenario_udp_no_snat_busy() {
  DESCRIPTION="UDP without SNAT on a busy bridge: a nat rule exempts c1 (198.18.0.2) from Docker's MASQUERADE; c1 runs nslookup example.test $HT_OUTSIDE_ADDR, whose query and its retry 2.5 s later leave the uplink with the private source 198.18.0.2 and get nothing back (the outside host has no route to it), while c2 on the same docker0 pings $HT_OUTSIDE_ADDR (8 echoes, SNATed and answered). Traced: c1."
  run_container c1 -- sleep 3600
  run_container c2 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  in_c c2 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  # Inserted ahead of Docker's own rule: packets from c1 leave the nat table un-NATed.
  nsenter --net="$HOST_NS" iptables -t nat -I POSTROUTING 1 -s 198.18.0.2/32 -j RETURN
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c2 ping -c 8 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR" >&2 &
  local c2ping=$!
  sleep 0.3
  expect_failure in_c c1 nslookup -type=a example.test "$HT_OUTSIDE_ADDR"
  wait "$c2ping"
}

check_udp_no_snat_busy() {
  local f n
  for f in "${CAP_FILES[@]:0:2}"; do # c1's own hops: its two queries and nothing else
    n="$(tcpdump -nn -r "$f" 2>/dev/null | wc -l)"
    [[ "$n" == 2 && "$(tcpdump -nn -r "$f" 'udp dst port 53' 2>/dev/null | wc -l)" == 2 ]] ||
      fail "udp-no-snat-busy: $(basename "$f") holds $n packets, want c1's 2 DNS queries (rerun)"
  done
  [[ "$(tcpdump -nn -r "${CAP_FILES[3]}" 'src 198.18.0.2 and udp dst port 53' 2>/dev/null | wc -l)" == 2 ]] ||
    fail "udp-no-snat-busy: c1's queries did not leave the uplink un-NATed"
}
