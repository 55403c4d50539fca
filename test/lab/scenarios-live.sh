# shellcheck shell=bash
# The issue-14 cases recorded by hoptrace itself (`--record`), sourced by record-live.sh after
# scenarios-truth.sh: the same setup_* as the plain tcpdump recordings, then the live command a
# user would type. ping and tcp send their own traffic (the same count and interval as the
# tcpdump scenario); the cases whose traffic hoptrace cannot make (ping -t 1, an HTTP request,
# a ping to another container) run `hoptrace watch` around the scenario's own traffic.

live_forward_off_fast() { setup_forward_off_fast; live_trace ping c1 "$HT_OUTSIDE_ADDR" --count 3 --interval 0.2; }
live_reject_reset() { setup_reject_reset; live_trace tcp c1 "$HT_OUTSIDE_ADDR:80" --timeout 2; }
live_half_answered() { setup_half_answered; live_trace ping c1 "$HT_OUTSIDE_ADDR" --count 6 --interval 0.3; }
live_c2c_with_uplink() { setup_c2c_with_uplink; live_watch c1 -- in_c c1 ping -c 3 -i 0.3 -W 2 "$C2_ADDR"; }
live_reject_icmp() { setup_reject_icmp; live_trace ping c1 "$HT_OUTSIDE_ADDR" --count 3 --interval 0.3; }
live_ttl_expired() { setup_ttl_expired; live_watch c1 -- expect_failure in_c c1 ping -c 2 -i 0.3 -W 1 -t 1 "$HT_OUTSIDE_ADDR"; }
live_remote_reset() { setup_remote_reset; live_trace tcp c1 "$HT_OUTSIDE_ADDR:5003" --timeout 2; }
live_reset_after_answer() { setup_reset_after_answer; live_watch c1 -- http_request; }
live_fin_close() { setup_fin_close; live_watch c1 -- http_request; }
live_ipv6_ula_routed() { setup_ipv6_ula_routed; live_trace ping c6 "$HT_OUTSIDE_ADDR6" --count 3 --interval 0.5; }
live_reply_dropped() { setup_reply_dropped; live_trace ping c1 "$HT_OUTSIDE_ADDR" --count 3 --interval 0.3; }
live_partial_loss() { setup_partial_loss; live_trace ping c1 "$HT_OUTSIDE_ADDR" --count 4 --interval 0.3; }
