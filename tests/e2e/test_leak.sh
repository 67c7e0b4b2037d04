#!/usr/bin/env bash
# Live: N pings into the broad tunnel route are exactly N leak packets, one
# flow event with the right fields; re-routed via eth0, no new leaks; after
# SIGTERM nothing stays attached. For --attach tcx and --attach tc.
. "$(dirname "$0")/lib.sh"
require_root

for mode in tcx tc; do
	topo_basic || { echo "not ok setup-$mode: topology"; continue; }
	start_tunleak --cluster-cidr 10.128.0.0/14 --service-cidr 172.30.0.0/16 \
		--attach "$mode" --json --export "$TMP/c.json" --interval 0.2
	expect_match "attach mode on stderr" "\($mode\)" "$(grep tracing "$TMP/tl.err")"

	# 5 echo requests of 56 bytes: 5 packets of 84 L3 bytes into tun0
	pod_ping 5 10.130.0.5
	# the fix, as printed in the event, applied verbatim; 3 more pings go
	# through eth0 now and reach the pod
	wait_for "$TMP/tl.out" '"fix"' 3
	fix=$(flow_lines "$TMP/tl.out" | jq -r .fix | head -1)
	expect_eq "printed fix" "ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0" "$fix"
	ip netns exec "$POD" $fix || ERRORS+=("the printed fix failed: $fix")
	pod_ping 3 10.130.0.5 || ERRORS+=("ping via eth0 failed after the fix")
	stop_tunleak TERM
	tun_down
	expect_eq "exit code after SIGTERM" 0 "$TL_RC"

	C=$TMP/c.json
	expect_eq "tunsink saw (ground truth)" "5 420" "$(cat "$TMP/sink.count")"
	expect_eq "leaks.packets" 5 "$(jqf "$C" .leaks.packets)"
	expect_eq "leaks.bytes" 420 "$(jqf "$C" .leaks.bytes)"
	expect_eq "leaks.flows" 1 "$(jqf "$C" .leaks.flows)"
	expect_eq "tun0 egress pod" "5 420" "$(jqf "$C" '.namespaces[0].interfaces.tun0.egress.pod | "\(.packets) \(.bytes)"')"
	expect_eq "eth0 egress pod" "3 252" "$(jqf "$C" '.namespaces[0].interfaces.eth0.egress.pod | "\(.packets) \(.bytes)"')"
	expect_eq "eth0 ingress pod (replies)" "3 252" "$(jqf "$C" '.namespaces[0].interfaces.eth0.ingress.pod | "\(.packets) \(.bytes)"')"
	expect_eq "bypass.packets" 0 "$(jqf "$C" .bypass.packets)"
	expect_eq "events.dropped" 0 "$(jqf "$C" .events.dropped)"
	expect_eq "export flows" "leak tun0 10.8.0.2 10.130.0.5 icmp 5 420" \
		"$(jqf "$C" '.namespaces[0].flows[] | "\(.type) \(.iface) \(.src) \(.dst) \(.proto) \(.packets) \(.bytes)"')"
	expect_eq "tun0 role/state" "tunnel attached l3" "$(jqf "$C" '.namespaces[0].interfaces.tun0 | "\(.role) \(.state) \(.link)"')"
	expect_eq "eth0 role/link" "cluster l2" "$(jqf "$C" '.namespaces[0].interfaces.eth0 | "\(.role) \(.link)"')"

	# exactly one flow event, with the contract's fields; the route watch
	# said the route first, and that the fix mended it
	expect_eq "event lines" 1 "$(flow_lines "$TMP/tl.out" | wc -l)"
	expect_eq "event" "leak tun0 egress ipv4 icmp 10.8.0.2 10.130.0.5 0 0 pod 1 84" \
		"$(flow_lines "$TMP/tl.out" | jq -r '"\(.type) \(.iface) \(.direction) \(.family) \(.proto) \(.src) \(.dst) \(.sport) \(.dport) \(.class) \(.packets) \(.bytes)"' 2>&1)"
	expect_match "event time" '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:]{8}\.[0-9]{3}Z$' "$(flow_lines "$TMP/tl.out" | jq -r .time 2>&1)"
	expect_eq "event route" "10.0.0.0/8 via 10.8.0.1 dev tun0" "$(flow_lines "$TMP/tl.out" | jq -r .route 2>&1)"
	expect_eq "the stream: the route, the packets, the fix" "route_leak pod|leak pod|route_ok pod" \
		"$(jq -r '"\(.type) \(.class)"' "$TMP/tl.out" | paste -sd '|')"
	expect_match "summary on stderr" "5 leak packets in 1 flow" "$(cat "$TMP/tl.err")"

	expect_clean "$POD" eth0
	qd=$(tc -n "$POD" -j qdisc show dev eth0 | jq -r '[.[] | select(.kind=="clsact")] | length')
	expect_eq "clsact qdiscs left on eth0" 0 "$qd"
	case_end "leak-counts-$mode"

	delns "$POD" "$GW"
done

# Text output and the Prometheus file, stopping by --duration.
topo_basic || { echo "not ok setup-text: topology"; exit 0; }
tl_ready_opts "$TMP/t.err"
"$TUNLEAK" --netns "$POD" "${TL_READY[@]}" --cluster-cidr 10.128.0.0/14 --duration 3 --export "$TMP/c.prom" \
	>"$TMP/t.out" 2>"$TMP/t.err" &
TL_PID=$!
track "$TL_PID"
tl_wait_ready "$TMP/t.err" 5
pod_ping 4 10.130.0.7
wait "$TL_PID"
expect_eq "exit code after --duration" 0 "$?"
expect_match "text event" '^20[0-9-]{8}T[0-9:.]{12}Z LEAK tun0 egress icmp 10\.8\.0\.2 -> 10\.130\.0\.7 class=pod via "10\.0\.0\.0/8 via 10\.8\.0\.1 dev tun0"; fix: ip route add 10\.128\.0\.0/14 via 10\.128\.0\.1 dev eth0$' "$(flow_lines "$TMP/t.out")"
expect_match "the route watch's line before it" '^20[0-9-]{8}T[0-9:.]{12}Z ROUTE-LEAK class=pod 10\.128\.0\.0/14: 10\.128\.2\.0 goes into tun0 by "10\.0\.0\.0/8 via 10\.8\.0\.1 dev tun0"' "$(head -1 "$TMP/t.out")"
L="netns=\"$POD\",k8s_pod=\"\",k8s_namespace=\"\""
expect_eq "prom leak packets" "tunleak_leak_packets_total{$L} 4" "$(grep '^tunleak_leak_packets_total' "$TMP/c.prom")"
expect_eq "prom leak flows" "tunleak_leak_flows{$L} 1" "$(grep '^tunleak_leak_flows' "$TMP/c.prom")"
expect_eq "prom tun0 egress pod" "tunleak_packets_total{$L,iface=\"tun0\",direction=\"egress\",class=\"pod\"} 4" \
	"$(grep "tunleak_packets_total{$L,iface=\"tun0\",direction=\"egress\",class=\"pod\"}" "$TMP/c.prom")"
expect_eq "prom dropped" "tunleak_events_dropped_total 0" "$(grep '^tunleak_events_dropped_total' "$TMP/c.prom")"
# 12 metrics, the route watch's 2 (tunleak_route_findings, _route_fixes_total),
# tunleak_namespaces, _namespace_untraced, _namespace_name_source,
# _namespaces_folded_total, _interfaces_not_counted
expect_eq "prom HELP/TYPE pairs" 19 "$(grep -c '^# TYPE' "$TMP/c.prom")"
expect_eq "diagnostics only on stderr: the route, the flow" 2 "$(wc -l <"$TMP/t.out")"
case_end "text-and-prom-duration"

# The classes from OpenShift's own network config (--cidrs-from), from a file
# and from stdin: 10.128.0.0/14 is class pod, 172.30.0.0/16 class service.
for src in file stdin; do
	if [ "$src" = file ]; then
		start_tunleak --cidrs-from "$ROOT/tests/data/network-config-openshift.json" --json \
			--export "$TMP/n.json" --interval 0.2
	else
		: >"$TMP/tl.out"
		tl_ready_opts "$TMP/tl.err"
		"$TUNLEAK" --netns "$POD" "${TL_READY[@]}" --cidrs-from - --json --export "$TMP/n.json" --interval 0.2 \
			<"$ROOT/tests/data/network-config-openshift.json" >>"$TMP/tl.out" 2>>"$TMP/tl.err" &
		TL_PID=$!
		track "$TL_PID"
		tl_wait_ready "$TMP/tl.err" 5 || ERRORS+=("did not start: $(cat "$TMP/tl.err")")
	fi
	pod_ping 2 10.130.0.5
	pod_ping 1 172.30.0.10
	stop_tunleak TERM
	expect_eq "$src: exit code" 0 "$TL_RC"
	# the pings to the pod go into tun0 (leaks); the one to the service
	# takes the default route out of eth0, classed service by the file
	expect_eq "$src: tun0 egress pod" 2 "$(jqf "$TMP/n.json" .namespaces[0].interfaces.tun0.egress.pod.packets)"
	expect_eq "$src: eth0 egress service" 1 "$(jqf "$TMP/n.json" .namespaces[0].interfaces.eth0.egress.service.packets)"
	expect_eq "$src: leaks" 2 "$(jqf "$TMP/n.json" .leaks.packets)"
	case_end "cidrs-from-$src"
done
