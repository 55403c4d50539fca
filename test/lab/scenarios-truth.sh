# shellcheck shell=bash
# Scenarios of issue 14 ("every line true"), sourced by record-fixtures.sh after scenarios.sh.
# Each case has a setup_* (the condition: containers, rules, servers) shared by two recordings:
#   scenario_*  plain tcpdump on the four hops, kept without stoppedAt (test/lab/record-truth.sh)
#   live_*      hoptrace's own `--record` (test/lab/record-live.sh, in scenarios-live.sh)
# so the two fixtures of a case differ only in who captured them.

TRUTH_SCENARIOS=(forward-off-fast reject-reset half-answered c2c-with-uplink reject-icmp ttl-expired
  remote-reset reset-after-answer fin-close ipv6-ula-routed)

# Real recordings of the findings no other fixture shows (issue 14: "No fixture produces
# reply-dropped, hop-not-seeing-flow or partial-loss").
FINDING_SCENARIOS=(reply-dropped partial-loss c2c-bridge-not-promisc)

# c1 on docker0, its neighbour caches warmed by one ping to DST (default the outside host).
c1_warm() {
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "${1:-$HT_OUTSIDE_ADDR}" >/dev/null
}

setup_forward_off_fast() {
  c1_warm
  nsenter --net="$HOST_NS" sysctl -qw net.ipv4.ip_forward=0
  settle
}
scenario_forward_off_fast() {
  DESCRIPTION="Issue 14 case 1: net.ipv4.ip_forward=0 on the Docker host, c1 pings $HT_OUTSIDE_ADDR 3 times 0.2 s apart; the requests reach docker0 and never the uplink, no ICMP error, no reply."
  setup_forward_off_fast
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 3 -i 0.2 -W 1 "$HT_OUTSIDE_ADDR"
}

setup_reject_reset() {
  c1_warm
  nsenter --net="$HOST_NS" iptables -I DOCKER-USER -i docker0 -p tcp --dport 80 -j REJECT --reject-with tcp-reset
  settle
}
scenario_reject_reset() {
  DESCRIPTION="Issue 14 case 2: iptables -I DOCKER-USER -i docker0 -p tcp --dport 80 -j REJECT --reject-with tcp-reset on the Docker host; c1 connects to $HT_OUTSIDE_ADDR:80: the SYN reaches docker0 and never the uplink, the host answers with a reset carrying $HT_OUTSIDE_ADDR's address."
  setup_reject_reset
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 nc -w 2 "$HT_OUTSIDE_ADDR" 80 </dev/null
}

setup_half_answered() {
  c1_warm
  nsenter --net="$OUTSIDE_NS" iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode nth --every 2 --packet 1 -j DROP
  settle
}
scenario_half_answered() {
  DESCRIPTION="Issue 14 case 3: the outside host drops every second echo request (iptables INPUT -m statistic --mode nth --every 2 --packet 1 -j DROP); c1 pings $HT_OUTSIDE_ADDR 6 times: 6 requests leave the uplink, 3 replies come back."
  setup_half_answered
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c1 ping -c 6 -i 0.3 -W 1 "$HT_OUTSIDE_ADDR" >&2 || true
}

C2_ADDR="" # c2's address, set by setup_c2c_with_uplink
setup_c2c_with_uplink() {
  run_container c1 -- sleep 3600
  run_container c2 -- sleep 3600
  C2_ADDR="$(ht_docker inspect -f '{{.NetworkSettings.IPAddress}}' c2)"
  in_c c1 ping -c 1 -W 2 "$C2_ADDR" >/dev/null
  settle
}
scenario_c2c_with_uplink() {
  DESCRIPTION="Issue 14 case 5: c1 pings c2 (3 echoes) on docker0 while the uplink eth0 is captured too (as watch does): the uplink is not on this path."
  setup_c2c_with_uplink
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c1 ping -c 3 -i 0.3 -W 2 "$C2_ADDR" >&2
}

setup_reject_icmp() {
  c1_warm
  nsenter --net="$HOST_NS" iptables -I DOCKER-USER -i docker0 -p icmp --icmp-type echo-request -j REJECT
  settle
}
scenario_reject_icmp() {
  DESCRIPTION="Issue 14 case 5: iptables -I DOCKER-USER -i docker0 -p icmp -j REJECT (icmp-port-unreachable) on the Docker host; c1 pings $HT_OUTSIDE_ADDR 3 times: each request reaches docker0 and is answered by the host."
  setup_reject_icmp
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 3 -i 0.3 -W 1 "$HT_OUTSIDE_ADDR"
}

setup_ttl_expired() { c1_warm; settle; }
scenario_ttl_expired() {
  DESCRIPTION="Issue 14 case 1 (errors): c1 pings $HT_OUTSIDE_ADDR with TTL 1, 2 echoes: the Docker host's forwarding answers each with ICMP time exceeded from 198.18.0.1."
  setup_ttl_expired
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 2 -i 0.3 -W 1 -t 1 "$HT_OUTSIDE_ADDR"
}

setup_remote_reset() { c1_warm; settle; }
scenario_remote_reset() {
  DESCRIPTION="A reset from the remote: c1 connects to $HT_OUTSIDE_ADDR:5003 where nothing listens; the outside host's kernel answers the SYN with a reset that crosses the uplink."
  setup_remote_reset
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 nc -w 2 "$HT_OUTSIDE_ADDR" 5003 </dev/null
}

# A one-connection HTTP-like server on the outside host, port 5004. It waits 0.3 s (the request
# is in by then), answers, and closes 0.1 s later (the answer acknowledged by then). `rst`
# never reads the request: Linux closes a socket with unread data by a reset (RFC 2525 2.17),
# as small HTTP servers do that answer without reading the whole request. `fin` reads it first:
# a normal close.
OUTSIDE_SERVER_PID=""
serve_once() { # serve_once rst|fin
  nsenter --net="$OUTSIDE_NS" timeout 20 python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5004))
s.listen(1)
c, _ = s.accept()
time.sleep(0.3)
if sys.argv[1] == "fin":
    c.recv(65536)
c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
time.sleep(0.1)
c.close()
' "$1" >&2 &
  OUTSIDE_SERVER_PID=$!
  wait_until 10 port_listening "$OUTSIDE_NS" 5004
}
# c1's request: one line of HTTP, then nc waits for the server to close.
http_request() { in_c c1 sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $HT_OUTSIDE_ADDR 5004" >&2 || true; }

setup_reset_after_answer() { c1_warm; serve_once rst; settle; }
scenario_reset_after_answer() {
  DESCRIPTION="Issue 14 (a reset after the answer): c1 sends an HTTP request to $HT_OUTSIDE_ADDR:5004, whose server answers without reading the request and closes: the outside host's kernel ends the connection with a reset after the answer."
  setup_reset_after_answer
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  http_request
  wait "$OUTSIDE_SERVER_PID" || true
}

# The recording shows what it is for (record-fixtures.sh and record-live.sh call these with
# CAP_FILES set to the hop files): on every hop, the server's answer and then its reset, or an
# answer and no reset at all.
server_answered() { [[ "$(tcpdump -nn -r "$1" "tcp src port 5004 and tcp[tcpflags] & tcp-push != 0" 2>/dev/null | wc -l)" == 1 ]]; }
check_reset_after_answer() {
  local f last
  for f in "${CAP_FILES[@]}"; do
    last="$(tcpdump -nn -r "$f" 2>/dev/null | tail -1)"
    server_answered "$f" && [[ "$last" == *".5004 > "*"Flags [R"* ]] ||
      fail "reset-after-answer: $(basename "$f") does not end with the server's reset after its answer (rerun)"
  done
}
check_fin_close() {
  local f
  for f in "${CAP_FILES[@]}"; do
    server_answered "$f" && [[ "$(tcpdump -nn -r "$f" "tcp[tcpflags] & tcp-rst != 0" 2>/dev/null | wc -l)" == 0 ]] ||
      fail "fin-close: $(basename "$f") lacks the answer or holds a reset (rerun)"
  done
}

setup_fin_close() { c1_warm; serve_once fin; settle; }
scenario_fin_close() {
  DESCRIPTION="The negative of reset-after-answer: the same request to $HT_OUTSIDE_ADDR:5004, whose server reads it, answers and closes normally (FIN both ways)."
  setup_fin_close
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  http_request
  wait "$OUTSIDE_SERVER_PID" || true
}

# Engine 20.10 has no ip6tables: a ULA subnet is routed without NAT66. The outside host routes
# it back to the Docker host (only in this scenario), so the replies come.
setup_ipv6_ula_routed() {
  FIXTURE_IPV6=1
  ht_docker network create --ipv6 --subnet 198.18.8.0/24 --subnet "$HT_V6_ULA_SUBNET" v6r >/dev/null
  nsenter --net="$OUTSIDE_NS" ip -6 route add "$HT_V6_ULA_SUBNET" via "$HT_UPLINK_ADDR6"
  run_container c6 --network v6r -- sleep 3600
  # its address is tentative (duplicate address detection) for about a second after the start
  wait_until 10 in_c c6 ping -c 1 -W 1 "$HT_OUTSIDE_ADDR6"
  settle
}
scenario_ipv6_ula_routed() {
  DESCRIPTION="Issue 14 case 5 (IPv6): engine 20.10 (no ip6tables, so no NAT66), c6 on an --ipv6 network with the ULA subnet $HT_V6_ULA_SUBNET, which the outside host routes back to the Docker host, pings $HT_OUTSIDE_ADDR6 (3 echoes): its own ULA source leaves the uplink and the replies come."
  setup_ipv6_ula_routed
  add_container_path c6 "$HT_OUTSIDE_ADDR6"
  in_c c6 ping -c 3 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR6" >&2
}

setup_reply_dropped() {
  c1_warm
  nsenter --net="$HOST_NS" iptables -I DOCKER-USER -i eth0 -p icmp --icmp-type echo-reply -j DROP
  settle
}
scenario_reply_dropped() {
  DESCRIPTION="The replies dropped on the Docker host: iptables -I DOCKER-USER -i eth0 -p icmp --icmp-type echo-reply -j DROP; c1 pings $HT_OUTSIDE_ADDR 3 times: the requests leave by eth0, the replies reach eth0 and never docker0."
  setup_reply_dropped
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 3 -i 0.3 -W 1 "$HT_OUTSIDE_ADDR"
}

setup_partial_loss() {
  c1_warm
  nsenter --net="$HOST_NS" iptables -I DOCKER-USER -i docker0 -p icmp --icmp-type echo-request -m statistic --mode nth --every 2 --packet 1 -j DROP
  settle
}
scenario_partial_loss() {
  DESCRIPTION="Some requests dropped on the Docker host: iptables -I DOCKER-USER -i docker0 -p icmp --icmp-type echo-request -m statistic --mode nth --every 2 --packet 1 -j DROP; c1 pings $HT_OUTSIDE_ADDR 4 times: the second and fourth requests vanish between docker0 and eth0, the others are answered."
  setup_partial_loss
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c1 ping -c 4 -i 0.3 -W 1 "$HT_OUTSIDE_ADDR" >&2 || true
}

# tcpdump -p on docker0: a bridge passes the frames it forwards between two ports to its own
# device only in promiscuous mode (fixtures/container-to-container/README.md), so docker0 sees
# none of c1's ping to c2 though the frames crossed the bridge. Plain tcpdump only: hoptrace's
# own capture is promiscuous.
scenario_c2c_bridge_not_promisc() {
  DESCRIPTION="c1 pings c2 (3 echoes) on docker0, with docker0 captured by tcpdump -p (not promiscuous): the bridge forwards the frames between its ports without passing them to docker0's capture."
  setup_c2c_with_uplink
  local v1 v2
  v1="$(container_veth c1)"
  v2="$(container_veth c2)"
  add_hop "$(container_ns c1)" eth0 "c1 eth0" container container:c1
  add_hop "$HOST_NS" "$v1" "$v1" veth host
  CAPTURE_FLAGS=(-p)
  add_hop "$HOST_NS" docker0 docker0 bridge host
  CAPTURE_FLAGS=()
  add_hop "$HOST_NS" "$v2" "$v2" veth host
  add_hop "$(container_ns c2)" eth0 "c2 eth0" container container:c2
  in_c c1 ping -c 3 -i 0.3 -W 2 "$C2_ADDR" >&2
}
