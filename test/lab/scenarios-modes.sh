# shellcheck shell=bash
# Fixture scenarios of the single-host network modes (IPv6, macvlan, host), sourced by
# record-fixtures.sh after scenarios.sh. SCENARIO_ENGINE_<name> picks the Docker engine a
# scenario is recorded on (default 20.10); IPv6 scenarios set FIXTURE_IPV6=1 so that
# containers keep IPv6 and path.json lists the global IPv6 addresses too.

MODES_SCENARIOS=(ipv6-global ipv6-nat66 macvlan-out host-mode-out)
SCENARIO_ENGINE_ipv6_nat66=28

scenario_ipv6_global() {
  DESCRIPTION="IPv6 ping, no NAT66 (engine 20.10, no ip6tables): c6 on an --ipv6 network with the lab's globally routed subnet $HT_V6_GLOBAL_SUBNET pings the outside host $HT_OUTSIDE_ADDR6 (3 echoes); its own address leaves the uplink and the outside routes the replies back."
  FIXTURE_IPV6=1
  ht_docker network create --ipv6 --subnet 198.18.6.0/24 --subnet "$HT_V6_GLOBAL_SUBNET" v6g >/dev/null
  run_container c6 --network v6g -- sleep 3600
  # its address is tentative (duplicate address detection) for about a second after the start
  wait_until 10 in_c c6 ping -c 1 -W 1 "$HT_OUTSIDE_ADDR6"
  settle
  add_container_path c6 "$HT_OUTSIDE_ADDR6"
  in_c c6 ping -c 3 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR6" >&2
}

scenario_ipv6_nat66() {
  DESCRIPTION="IPv6 ping through NAT66 (engine 28, ip6tables on): c6 on an --ipv6 network with the ULA subnet $HT_V6_ULA_SUBNET pings the outside host $HT_OUTSIDE_ADDR6 (3 echoes); MASQUERADE rewrites the source to $HT_UPLINK_ADDR6 at the uplink."
  FIXTURE_IPV6=1
  ht_docker network create --ipv6 --subnet 198.18.7.0/24 --subnet "$HT_V6_ULA_SUBNET" v6u >/dev/null
  run_container c6 --network v6u -- sleep 3600
  # its address is tentative (duplicate address detection) for about a second after the start
  wait_until 10 in_c c6 ping -c 1 -W 1 "$HT_OUTSIDE_ADDR6"
  settle
  add_container_path c6 "$HT_OUTSIDE_ADDR6"
  in_c c6 ping -c 3 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR6" >&2
}

scenario_macvlan_out() {
  DESCRIPTION="macvlan (bridge mode) on the Docker host's eth0: m1 (203.0.113.128, on the outside host's segment) pings the outside host $HT_OUTSIDE_ADDR (3 echoes); captured on m1's eth0 and on the parent eth0 in the host's namespace; no veth, no bridge, no NAT."
  ht_docker network create -d macvlan -o parent=eth0 --subnet 203.0.113.0/24 --gateway "$HT_OUTSIDE_ADDR" --ip-range 203.0.113.128/28 mv >/dev/null
  run_container m1 --network mv -- sleep 3600
  in_c m1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  settle
  add_hop "$(container_ns m1)" eth0 "m1 eth0" container "container:m1"
  add_hop "/var/run/netns/$HT_NS_HOST" eth0 eth0 host host
  in_c m1 ping -c 3 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR" >&2
}

scenario_host_mode_out() {
  DESCRIPTION="Network mode host: h1 shares the Docker host's stack and pings the outside host $HT_OUTSIDE_ADDR (3 echoes); one hop, the host's eth0, no NAT."
  run_container h1 --network host -- sleep 3600
  in_c h1 ping -c 1 -W 2 "$HT_OUTSIDE_ADDR" >/dev/null
  settle
  add_hop "/var/run/netns/$HT_NS_HOST" eth0 eth0 host host
  in_c h1 ping -c 3 -i 0.5 -W 2 "$HT_OUTSIDE_ADDR" >&2
}
