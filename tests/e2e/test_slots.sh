#!/usr/bin/env bash
# The interface slots of --all on a busy simulated node: namespaces without
# a tunnel take none, and a gone pod keeps its counts (flows included) and
# gives its slots back. (Slot reuse, oldest first: tests/unit/test_trace.c.)
. "$(dirname "$0")/lib.sh"
require_root
PROBE=$HELPERS/netprobe

nodelab_start t1:tuntap t2:tuntap || exit 0
NL=$ROOT/scripts/nodelab.sh
on_node() { "$NL" node "$NL_ID" -- "$@"; }
in_pod() { local p=$1; shift; "$NL" pod "$NL_ID" "$p" -- "$@"; }
J=$TMP/slots.json

# --- 300 namespaces without a tunnel take no slot -----------------------------
# (pinned in the node's own /run/netns; the lab's down removes them with the node)
on_node bash -c 'for i in $(seq 1 300); do ip netns add w$i || exit 1; done'
tl_ready_opts "$TMP/n.err"
"$NL" node "$NL_ID" -- "$TUNLEAK" "${TL_READY[@]}" --all --cluster-cidr "$NL_CLUSTER_CIDR" --export "$J" \
	--interval 0.2 >"$TMP/n.out" 2>"$TMP/n.err" &
TL_PID=$!
track "$TL_PID"
tl_wait_ready "$TMP/n.err" 20 || ERRORS+=("tunleak did not start: $(tail -3 "$TMP/n.err" | tr '\n' ' ')")
# nsenter forks to enter the node's PID namespace and does not pass signals
# on: its child is tunleak
TL_CHILD=$(pgrep -P "$TL_PID" | head -1)
[ -n "$TL_CHILD" ] && track "$TL_CHILD"
expect_match "tracing line" "tracing 4 interfaces in 2 namespaces" "$(grep tracing "$TMP/n.err")"
expect_eq "no slot warning" 0 "$(grep -c 'slot' "$TMP/n.err")"
# 3 UDP datagrams of 100 bytes to another node's pod: 3 x 128 L3 bytes, one flow
in_pod t1 "$PROBE" udp "$NL_OTHER_POD_IP" 9999 3 100
wait_jq "$J" "$(ns_of t1).leaks.packets" 3 10 || ERRORS+=("t1's leak not counted")
expect_eq "t1 leaks" "3 384 1" "$(jqf "$J" "$(ns_of t1).leaks | \"\(.packets) \(.bytes) \(.flows)\"")"
case_end "namespaces-without-a-tunnel-take-no-slot"

# --- a gone pod's counts stay, and its slots are given back ---------------------
on_node bash -c 'for i in $(seq 1 300); do ip netns del w$i; done'
expect_eq "slots taken before" 4 "$(jqf "$J" .interface_slots.used)"
"$NL" del-pod "$NL_ID" t1 >/dev/null
wait_jq "$J" "$(ns_of t1).state" gone 10 || ERRORS+=("t1 not seen gone")
wait_jq "$J" ".interface_slots.used" 2 10 || ERRORS+=("t1's slots not given back: $(jqf "$J" .interface_slots.used)")
expect_eq "t1 gone, its counts kept" "gone 3 384 1" \
	"$(jqf "$J" "$(ns_of t1) | \"\(.state) \(.leaks.packets) \(.leaks.bytes) \(.leaks.flows)\"")"
expect_eq "t1's flow listed" "leak tun0 3" "$(jqf "$J" "$(ns_of t1).flows[0] | \"\(.type) \(.iface) \(.packets)\"")"
kill -TERM "$TL_CHILD" 2>/dev/null
wait "$TL_PID"
expect_eq "exit code" 0 "$?"
expect_match "summary" "detached; 3 leak packets in 1 flow," "$(grep detached "$TMP/n.err")"
case_end "gone-pod-keeps-its-counts-and-gives-back-its-slots"
