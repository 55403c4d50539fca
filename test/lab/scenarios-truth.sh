# shellcheck shell=bash
# Scenarios of issue 14 ("every line true"), sourced by record-fixtures.sh after scenarios.sh.
# Record them with plain tcpdump files and no stoppedAt, as users bring them:
#   sudo HT_LAB_ID=t2 test/lab/record-fixtures.sh forward-off-fast && jq 'del(.stoppedAt)' ...
# (test/lab/record-truth.sh does both).

scenario_forward_off_fast() {
  DESCRIPTION="Issue 14 case 1: net.ipv4.ip_forward=0 on the Docker host, c1 pings $HT_OUTSIDE_ADDR 3 times 0.2 s apart; the requests reach docker0 and never the uplink, no ICMP error, no reply."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  nsenter --net="$HOST_NS" sysctl -qw net.ipv4.ip_forward=0
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 3 -i 0.2 -W 1 "$HT_OUTSIDE_ADDR"
}

scenario_reject_reset() {
  DESCRIPTION="Issue 14 case 2: iptables -I DOCKER-USER -i docker0 -p tcp --dport 80 -j REJECT --reject-with tcp-reset on the Docker host; c1 connects to $HT_OUTSIDE_ADDR:80: the SYN reaches docker0 and never the uplink, the host answers with a reset carrying $HT_OUTSIDE_ADDR's address."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  nsenter --net="$HOST_NS" iptables -I DOCKER-USER -i docker0 -p tcp --dport 80 -j REJECT --reject-with tcp-reset
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 nc -w 2 "$HT_OUTSIDE_ADDR" 80 </dev/null
}

scenario_half_answered() {
  DESCRIPTION="Issue 14 case 3: the outside host drops every second echo request (iptables INPUT -m statistic --mode nth --every 2 --packet 1 -j DROP); c1 pings $HT_OUTSIDE_ADDR 6 times: 6 requests leave the uplink, 3 replies come back."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  nsenter --net="$OUTSIDE_NS" iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode nth --every 2 --packet 1 -j DROP
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c1 ping -c 6 -i 0.3 -W 1 "$HT_OUTSIDE_ADDR" >&2 || true
}

scenario_c2c_with_uplink() {
  DESCRIPTION="Issue 14 case 5: c1 pings c2 (3 echoes) on docker0 while the uplink eth0 is captured too (as watch does): the uplink is not on this path."
  run_container c1 -- sleep 3600
  run_container c2 -- sleep 3600
  local c2ip
  c2ip="$(ht_docker inspect -f '{{.NetworkSettings.IPAddress}}' c2)"
  in_c c1 ping -c 1 -W 2 "$c2ip" >/dev/null
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  in_c c1 ping -c 3 -i 0.3 -W 2 "$c2ip" >&2
}

scenario_reject_icmp() {
  DESCRIPTION="Issue 14 case 5: iptables -I DOCKER-USER -i docker0 -p icmp -j REJECT (icmp-port-unreachable) on the Docker host; c1 pings $HT_OUTSIDE_ADDR 3 times: each request reaches docker0 and is answered by the host."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  nsenter --net="$HOST_NS" iptables -I DOCKER-USER -i docker0 -p icmp --icmp-type echo-request -j REJECT
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 3 -i 0.3 -W 1 "$HT_OUTSIDE_ADDR"
}

scenario_ttl_expired() {
  DESCRIPTION="Issue 14 case 1 (errors): c1 pings $HT_OUTSIDE_ADDR with TTL 1, 2 echoes: the Docker host's forwarding answers each with ICMP time exceeded from 198.18.0.1."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 ping -c 2 -i 0.3 -W 1 -t 1 "$HT_OUTSIDE_ADDR"
}

scenario_remote_reset() {
  DESCRIPTION="A reset from the remote: c1 connects to $HT_OUTSIDE_ADDR:5003 where nothing listens; the outside host's kernel answers the SYN with a reset that crosses the uplink."
  run_container c1 -- sleep 3600
  in_c c1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  settle
  add_container_path c1 "$HT_OUTSIDE_ADDR"
  expect_failure in_c c1 nc -w 2 "$HT_OUTSIDE_ADDR" 5003 </dev/null
}
