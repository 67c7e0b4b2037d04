#!/usr/bin/env bash
# The route watch: a leak route is reported the moment it appears, before
# any packet; once per change (never repeated while nothing changes); a
# route_ok when it goes; the counters file and /metrics hold the current
# findings; trace --fix adds the fix at once, or refuses with the reason.
. "$(dirname "$0")/lib.sh"
require_root
topo_basic || { echo "not ok setup: topology"; exit 0; }
ip -n "$POD" route del 10.0.0.0/8 via 10.8.0.1 dev tun0
CIDRS=(--cluster-cidr 10.128.0.0/14 --service-cidr 172.30.0.0/16)
J=$TMP/w.json
# type of each route event of the stream, in order
route_types() { jq -r 'select(.type | startswith("route_")) | .type' "$TMP/tl.out" | paste -sd ' '; }
# events of one type
count_type() { jq -c "select(.type == \"$1\")" "$TMP/tl.out" | wc -l; }

# --- predicted: the route is reported before any packet ---------------------------
start_tunleak "${CIDRS[@]}" --json --export "$J" --interval 0.2
sleep 0.3
expect_eq "clean routes: no route event" "" "$(route_types)"
t0=$(ms_now)
ip -n "$POD" route add 10.0.0.0/8 via 10.8.0.1 dev tun0
wait_until 2 grep -q route_leak "$TMP/tl.out"
ms=$(($(ms_now) - t0))
[ "$ms" -le 1000 ] || ERRORS+=("route_leak after $ms ms, expected within 1000")
echo "      # route_leak $ms ms after the route was added"
expect_eq "route events: one per CIDR the route takes" "route_leak" "$(route_types)"
expect_eq "no leak event (no packet was sent)" 0 "$(count_type leak)"
# the pod's own /23 is on eth0's subnet: the first address the route takes
expect_eq "the pod network's event" \
	"leak pod 10.128.0.0/14 10.128.2.0 tun0 10.0.0.0/8 via 10.8.0.1 dev tun0|ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0" \
	"$(jq -r 'select(.type == "route_leak" and .class == "pod") | "\(.kind) \(.class) \(.cidr) \(.example) \(.iface) \(.route)|\(.fix)"' "$TMP/tl.out")"
# tun0 was up before tunleak looked: when it came up is not known
expect_eq "no 'after the tunnel came up' for a tunnel older than tunleak" null \
	"$(jq -r 'select(.type == "route_leak" and .class == "pod") | .after_tunnel_ms' "$TMP/tl.out")"
wait_jq "$J" '.route_findings' 1
expect_eq "counters file: the findings with their since" "leak pod 10.128.0.0/14 true" \
	"$(jqf "$J" '.namespaces[0].findings | map("\(.kind) \(.class) \(.cidr) \(.since | test("^20[0-9-]+T"))") | join("|")')"
# nothing changes: nothing more is said
sleep 1.2
expect_eq "no repeat while nothing changes" "route_leak" "$(route_types)"
# the packets that follow are leaks, as before
pod_ping 2 10.130.0.5
wait_until 2 grep -q '"type":"leak"' "$TMP/tl.out"
expect_eq "then the packets: one leak flow" 1 "$(count_type leak)"
# the fix, by hand: the pod CIDR's finding goes
ip -n "$POD" route add 10.128.0.0/14 via 10.128.0.1 dev eth0
wait_until 2 grep -q route_ok "$TMP/tl.out"
sleep 0.2
expect_eq "route_ok for the CIDR the fix mended" "route_ok pod 10.128.0.0/14" \
	"$(jq -r 'select(.type == "route_ok") | "\(.type) \(.class) \(.cidr)"' "$TMP/tl.out")"
expect_true "route_ok says since when" grep -q '"type":"route_ok".*"since":"20' "$TMP/tl.out"
wait_jq "$J" '.route_findings' 0
stop_tunleak
expect_eq "exit code" 0 "$TL_RC"
case_end "predicted-before-any-packet"

# --- text, and the Prometheus gauge ---------------------------------------------------
ip -n "$POD" route del 10.128.0.0/14 via 10.128.0.1 dev eth0
start_tunleak "${CIDRS[@]}" --export "$TMP/w.prom" --interval 0.2
wait_until 2 grep -q ROUTE-LEAK "$TMP/tl.out"
sleep 0.3
expect_match "text line" '^20[0-9T:.-]+Z ROUTE-LEAK class=pod 10\.128\.0\.0/14: 10\.128\.2\.0 goes into tun0 by "10\.0\.0\.0/8 via 10\.8\.0\.1 dev tun0"; fix: ip route add 10\.128\.0\.0/14 via 10\.128\.0\.1 dev eth0$' \
	"$(grep 'ROUTE-LEAK class=pod' "$TMP/tl.out")"
wait_for "$TMP/w.prom" tunleak_route_findings 2
expect_match "gauge: one series per CIDR" "tunleak_route_findings\{netns=\"$POD\",k8s_pod=\"\",k8s_namespace=\"\",kind=\"leak\",class=\"pod\",cidr=\"10.128.0.0/14\"\} 1" "$(cat "$TMP/w.prom")"
stop_tunleak
case_end "text-and-gauge"

# --- a VPN that reconnects 20 times: one event per change ---------------------------
start_tunleak --cluster-cidr 10.128.0.0/14 --json
wait_until 2 grep -q route_leak "$TMP/tl.out"
for ((i = 0; i < 20; i++)); do
	tun_down
	sleep 0.3
	tun_up
	sleep 0.3
done
sleep 0.5
stop_tunleak
expect_eq "route_leak: the start and each reconnect" 21 "$(route_types | tr ' ' '\n' | grep -c '^route_leak$')"
expect_eq "route_ok: each disconnect" 20 "$(route_types | tr ' ' '\n' | grep -c '^route_ok$')"
expect_eq "alternating, never twice the same" "" "$(route_types | tr ' ' '\n' | uniq -d)"
expect_eq "the audits never failed" "" "$(grep 'route watch' "$TMP/tl.err")"
# a tunnel that came while tunleak watched: how long after it the route came
expect_eq "after each reconnect: how long after the tunnel came up" 20 \
	"$(jq -c 'select(.type == "route_leak" and (.after_tunnel_ms | type) == "number" and .after_tunnel_ms < 2000)' "$TMP/tl.out" | wc -l)"
case_end "reconnects-one-event-per-change"

# --- trace --fix: added at once, then the finding is gone -----------------------------
start_tunleak --cluster-cidr 10.128.0.0/14 --json --fix --export "$J" --interval 0.2
wait_until 2 grep -q route_ok "$TMP/tl.out"
sleep 0.3
expect_eq "events: leak, fixed, ok" "route_leak route_fixed route_ok" "$(route_types)"
expect_eq "what it added" "ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0" \
	"$(jq -r 'select(.type == "route_fixed") | .added' "$TMP/tl.out")"
expect_match "the kernel now sends the pod network via eth0" "dev eth0" "$(ip -n "$POD" route get 10.130.0.5)"
expect_true "a pod on another node answers" ip netns exec "$POD" ping -q -n -c 1 -W 1 10.130.0.5
wait_jq "$J" '.namespaces[0].route_fixes.added' 1
expect_eq "counters file: no finding left" 0 "$(jqf "$J" .route_findings)"
stop_tunleak
ip -n "$POD" route del 10.128.0.0/14 via 10.128.0.1 dev eth0
case_end "trace-fix"

# --- trace --fix refuses what is not safe: no gateway known on eth0 -------------------
ip -n "$POD" route del default via 10.128.0.1
start_tunleak --cluster-cidr 10.128.0.0/14 --json --fix
wait_until 2 grep -q route_fix_refused "$TMP/tl.out"
stop_tunleak
expect_eq "events: leak, refused" "route_leak route_fix_refused" "$(route_types)"
expect_match "the reason" "gateway" "$(jq -r 'select(.type == "route_fix_refused") | .reason' "$TMP/tl.out")"
expect_eq "nothing added" "10.0.0.0/8 via 10.8.0.1 dev tun0" "$(ip -n "$POD" route show 10.0.0.0/8 | sed 's/ *$//')"
expect_eq "no route of the pod CIDR" "" "$(ip -n "$POD" route show 10.128.0.0/14)"
ip -n "$POD" route add default via 10.128.0.1
case_end "trace-fix-refused"
