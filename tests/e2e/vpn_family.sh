# shellcheck shell=bash
# Shared by tests/e2e/test_vpn_*.sh: one VPN family's lab (scripts/lab-*.sh),
# tunleak against it told nothing but the CIDRs, and the fix, printed and
# shipped. Ground truth is the traffic sent here, counted by tcpdump on the
# tunnel too. Sourced after lib.sh.

in_pod() { ip netns exec "$NS_VPNPOD" "$@"; }
other_connect() { # SPORT: "connected" or "timeout"
	ip netns exec "$NS_OTHER" "$HELPERS/netprobe" connect "$VPNPOD_IP" "$SERVER_PORT" "$1" 1500
}
route_dev() { # ADDR: the device the pod's kernel sends ADDR to
	in_pod ip -4 route get "$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }'
}
leaks() { jqf "$TMP/vpn.json" '.leaks | "\(.packets) \(.bytes) \(.flows)"'; }
# route_events TYPE: the route watch's events of TYPE so far, one a line:
# "CIDR IFACE ROUTE; FIX" (route_leak), "CIDR" (route_ok)
route_events() {
	jq -r --arg t "$1" 'select(.type == $t) |
		if $t == "route_ok" then .cidr else "\(.cidr) \(.iface) \(.route); \(.fix)" end' "$TMP/tl.out" 2>/dev/null
}
nr_route_events() { route_events "$1" | grep -c "^$2 "; } # TYPE CIDR
findings_now() { jqf "$TMP/vpn.json" '.namespaces[0].findings | length'; }

# vpn_lab_up LAB MODE: the lab up (taken down at exit), its variables set;
# prints its bring-up time. False (and "not ok MODE/lab-up") if it failed.
vpn_lab_up() {
	local lab=$1 mode=$2
	cleanup_add "lab:$lab" "$ROOT/scripts/$lab" down "$ID"
	if ! "$ROOT/scripts/$lab" up "$ID" "$mode" >"$TMP/lab.out" 2>&1; then
		echo "not ok $mode/lab-up: $(tail -3 "$TMP/lab.out" | tr '\n' ' ')"
		cleanup_now "lab:$lab"
		return 1
	fi
	eval "$("$ROOT/scripts/$lab" env "$ID")"
	POD=$NS_VPNPOD
	echo "# $LAB_FAMILY $mode: bring-up $(awk '$1 == "up" { print $2 }' "$LAB_STATE/timing") ms" \
		"(topology $(awk '$1 == "topology" { print $2 }' "$LAB_STATE/timing")," \
		"server $(awk '$1 == "server" { print $2 }' "$LAB_STATE/timing")," \
		"client $(awk '$1 == "client" { print $2 }' "$LAB_STATE/timing") ms)"
}

vpn_lab_down() { cleanup_now "lab:$1"; } # LAB

# vpn_family_cases LAB MODE SAME_LEAKS: every case against a lab that is up.
# SAME_LEAKS: 1 if the VPN also swallows same-node pods (a table looked up
# before main), else 0.
vpn_family_cases() {
	local lab=$1 m=$2 same=$3 CIDRS f out before tcpd n exp_pkts exp_bytes exp_flows fixes tx0 found
	CIDRS=(--cluster-cidr "$CLUSTER_CIDR" --service-cidr "$SERVICE_CIDR" --node-cidr "$NODE_CIDR"
		--remote-cidr "$REMOTE_CIDR")
	# a full tunnel swallows the node network too
	found="$CLUSTER_CIDR $SERVICE_CIDR$([ "$m" = full ] && echo " $NODE_CIDR")"

	# --- the tunnel found by its kind, nothing said about it ------------------
	start_tunleak "${CIDRS[@]}" --json --export "$TMP/vpn.json" --interval 0.2 || { case_end "$m/start"; return; }
	expect_match "attached the tunnel" "tunleak: $TUN_DEV attached \(ifindex [0-9]+, l3, tcx\)" "$(cat "$TMP/tl.err")"
	wait_for "$TMP/vpn.json" '"updated"' 3
	settle "$TMP/vpn.json"
	expect_eq "interfaces and roles" "eth0 cluster attached|$TUN_DEV tunnel attached" \
		"$(jq -r '[.namespaces[0].interfaces | to_entries[] | "\(.key) \(.value.role) \(.value.state)"] | sort | join("|")' "$TMP/vpn.json")"
	case_end "$m/tunnel-found-by-kind"

	# --- the route watch: the leak routes, before any packet --------------------
	wait_until 2 _findings_are "$(wc -w <<<"$found")"
	"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" --json >"$TMP/chk.json" 2>/dev/null
	expect_eq "route_leak events: CIDR, tunnel, route and fix, as check finds them" \
		"$(jq -r '"\(.cidr) \(.iface) \(.route); \(.fix)"' "$TMP/chk.json" | sort)" "$(route_events route_leak | sort)"
	expect_eq "the CIDRs of the route_leak events" "$found" "$(route_events route_leak | cut -d' ' -f1 | sort -t/ -k1,1V | paste -sd ' ')"
	expect_match "the pod CIDR's route_leak names $TUN_DEV and the VPN's route" "^$CLUSTER_CIDR $TUN_DEV $VPN_ROUTE( [^;]*)?; " \
		"$(route_events route_leak | grep "^$CLUSTER_CIDR ")"
	expect_eq "no flow event yet" "" "$(flow_lines "$TMP/tl.out")"
	expect_eq "the counters file's current findings" "$(wc -w <<<"$found")" "$(findings_now)"
	case_end "$m/route-watch-leak-before-any-packet"

	# --- exact leak counts, against tcpdump on the tunnel ---------------------
	# --immediate-mode: each packet to the file as it comes (else packets wait
	# in the capture ring for its 1 s block timeout, and a stop loses them);
	# -s 256 -B 4096: room for thousands of packets in the ring, not 8 of
	# 256 KiB, for a tcpdump that a busy machine schedules late.
	bg "$NS_VPNPOD" tcpdump -i "$TUN_DEV" -n -U --immediate-mode -s 256 -B 4096 -w "$TMP/tun.pcap" \
		"dst net $CLUSTER_CIDR or dst net $SERVICE_CIDR" >/dev/null 2>"$TMP/tcpdump.err"
	tcpd=$BG_PID
	wait_for "$TMP/tcpdump.err" "listening on" 5 || ERRORS+=("tcpdump did not start: $(cat "$TMP/tcpdump.err")")
	tx0=$(ip -n "$NS_VPNPOD" -j -s link show "$TUN_DEV" | jq '.[0].stats64.tx.packets')
	in_pod ping -q -c 4 -i 0.1 -W 1 "$OTHER_IP" >/dev/null          # 4 x 84, lost
	in_pod "$HELPERS/netprobe" udp "$SERVICE_IP" 53 3 100 41000       # 3 x (20+8+100)
	in_pod ping -q -c 2 -i 0.1 -W 1 "$SAME_IP" >/dev/null            # 2 x 84: a leak if same=1
	in_pod ping -q -c 2 -i 0.1 -W 1 "$REMOTE_IP" >/dev/null ||
		ERRORS+=("the network behind the VPN does not answer")
	settle "$TMP/vpn.json"
	exp_pkts=$((7 + 2 * same)) exp_bytes=$((720 + 168 * same)) exp_flows=$((2 + same))
	# up to 3 s for tcpdump's file to hold them all (a busy machine), then stop it
	wait_until 3 _pcap_has "$TMP/tun.pcap" "$exp_pkts"
	kill -TERM "$tcpd"
	wait "$tcpd" 2>/dev/null
	n=$(tcpdump -n -r "$TMP/tun.pcap" 2>/dev/null | wc -l)
	expect_eq "leaks (packets bytes flows)" "$exp_pkts $exp_bytes $exp_flows" "$(leaks)"
	expect_eq "tcpdump's cluster-bound packets on $TUN_DEV ($(grep -h 'packets' "$TMP/tcpdump.err" | tr '\n' ' ' | sed 's/ $//'); $TUN_DEV transmitted $(( $(ip -n "$NS_VPNPOD" -j -s link show "$TUN_DEV" | jq '.[0].stats64.tx.packets') - tx0 )) in all; qdisc $(tc -n "$NS_VPNPOD" -s qdisc show dev "$TUN_DEV" | grep -o 'dropped [0-9]*' | head -1))" "$exp_pkts" "$n"
	expect_eq "$TUN_DEV egress pod" "$((4 + 2 * same)) $((336 + 168 * same))" \
		"$(jqf "$TMP/vpn.json" ".namespaces[0].interfaces.\"$TUN_DEV\".egress.pod | \"\(.packets) \(.bytes)\"")"
	expect_eq "$TUN_DEV egress service" "3 384" \
		"$(jqf "$TMP/vpn.json" ".namespaces[0].interfaces.\"$TUN_DEV\".egress.service | \"\(.packets) \(.bytes)\"")"
	expect_eq "$TUN_DEV egress remote (no leak)" "2 168" \
		"$(jqf "$TMP/vpn.json" ".namespaces[0].interfaces.\"$TUN_DEV\".egress.remote | \"\(.packets) \(.bytes)\"")"
	expect_eq "flow events" "$exp_flows" "$(flow_lines "$TMP/tl.out" | grep -c '"type":"leak"')"
	expect_eq "bypass" 0 "$(jqf "$TMP/vpn.json" .bypass.packets)"
	echo "# $LAB_FAMILY $m: leaks $(leaks | cut -d' ' -f1) packets, tcpdump on $TUN_DEV $n"
	case_end "$m/exact-leak-counts"

	# --- check: the finding, and the route with its table ---------------------
	"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" >"$TMP/chk.txt" 2>"$TMP/chk.err"
	expect_eq "check exit code" 1 "$?"
	expect_eq "pod finding: kind class iface" "leak pod $TUN_DEV" \
		"$(jq -r "select(.cidr == \"$CLUSTER_CIDR\") | \"\(.kind) \(.class) \(.iface)\"" "$TMP/chk.json")"
	expect_eq "service finding: kind class iface" "leak service $TUN_DEV" \
		"$(jq -r "select(.cidr == \"$SERVICE_CIDR\") | \"\(.kind) \(.class) \(.iface)\"" "$TMP/chk.json")"
	case_end "$m/check-finds-it"
	# The route as "ip route get fibmatch" shows it, "table N" when not main.
	out=$(jq -r "select(.cidr == \"$CLUSTER_CIDR\") | .route" "$TMP/chk.json")
	if [ "$LAB_TABLE" = main ]; then
		expect_match "the route of the pod finding" "^$VPN_ROUTE( |\$)" "$out"
		expect_true "no table in a main route" test "${out/ table /}" = "$out"
	else
		expect_match "the route of the pod finding, with its table" "^$VPN_ROUTE( |\$)" "$out"
	fi
	expect_match "the route in the text finding" "\"$VPN_ROUTE( [^\"]*)?\"" "$(grep "^LEAK-ROUTE pod $CLUSTER_CIDR" "$TMP/chk.txt")"
	case_end "$m/check-route-shows-its-table"

	# --- the printed fix, applied, routes the cluster via eth0 ------------------
	expect_eq "CIDRs found" "$found" "$(jq -r .cidr "$TMP/chk.json" | sort -u | sort -t/ -k1,1V | paste -sd ' ')"
	mapfile -t fixes < <(jq -r '.fix' "$TMP/chk.json" | sort -u)
	for f in "${fixes[@]}"; do
		# shellcheck disable=SC2086
		in_pod $f || ERRORS+=("fix failed: $f")
	done
	expect_eq "the pod's route to another node's pod" eth0 "$(route_dev "$OTHER_IP")"
	expect_eq "the pod's route to a service" eth0 "$(route_dev "$SERVICE_IP")"
	expect_eq "the pod's route to a same-node pod" eth0 "$(route_dev "$SAME_IP")"
	expect_eq "cross-node connection after the fix" connected "$(other_connect 40010)"
	"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" >/dev/null 2>&1
	expect_eq "check exit code after the fix" 0 "$?"
	# the route watch saw the routes change: each finding went
	wait_until 2 _findings_are 0
	expect_eq "route_ok events, a CIDR each" "$found" "$(route_events route_ok | sort -t/ -k1,1V | paste -sd ' ')"
	expect_eq "the counters file's current findings" 0 "$(findings_now)"
	case_end "$m/printed-fix-works"
	for f in "${fixes[@]}"; do
		# shellcheck disable=SC2086
		in_pod ${f/ add / del } 2>/dev/null
	done

	# --- check --fix: the same routes, added by tunleak -------------------------
	"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" --fix >"$TMP/fix.out" 2>"$TMP/fix.err"
	expect_eq "check --fix exit code" 0 "$?"
	expect_eq "check --fix: what it added, as the printed fixes" "$(printf '%s\n' "${fixes[@]}")" \
		"$(sed -n 's/^ROUTE-FIXED [a-z]* [^ ]*: //p' "$TMP/fix.out" | sort -u)"
	expect_match "check --fix: audited again" "audited again: clean$" "$(tail -1 "$TMP/fix.err")"
	expect_eq "cross-node connection after check --fix" connected "$(other_connect 40015)"
	case_end "$m/check-fix-works"
	for f in "${fixes[@]}"; do
		# shellcheck disable=SC2086
		in_pod ${f/ add / del } 2>/dev/null
	done
	# (the route watch has seen them go: its route_leak events are out)
	wait_until 2 _findings_are "$(wc -w <<<"$found")"

	# --- the tunnel re-created: followed, counted, its leak routes seen first ---
	n=$(grep -c "$TUN_DEV attached" "$TMP/tl.err")
	before=$(nr_route_events route_leak "$CLUSTER_CIDR")
	"$ROOT/scripts/$lab" reconnect "$ID" >/dev/null 2>&1 || ERRORS+=("reconnect: the client did not come back")
	wait_for "$TMP/tl.err" "$TUN_DEV gone" 3 || ERRORS+=("no \"$TUN_DEV gone\"")
	wait_until 3 _attached_more "$n"
	expect_eq "attached again" $((n + 1)) "$(grep -c "$TUN_DEV attached" "$TMP/tl.err")"
	# before any packet: the route watch says the new tunnel takes the cluster
	wait_until 2 _route_leaks_more "$before"
	expect_eq "route_leak events of $CLUSTER_CIDR" $((before + 1)) "$(nr_route_events route_leak "$CLUSTER_CIDR")"
	out=$(jq -c "select(.type == \"route_leak\" and .cidr == \"$CLUSTER_CIDR\")" "$TMP/tl.out" | tail -1)
	expect_match "the new route_leak: its tunnel and route" "^$TUN_DEV $VPN_ROUTE( |\$)" \
		"$(jq -r '"\(.iface) \(.route)"' <<<"$out")"
	expect_match "the new route_leak: how long after the tunnel came up" '^[0-9]+$' \
		"$(jq -r '.after_tunnel_ms' <<<"$out")"
	echo "# $LAB_FAMILY $m: $(jq -r '"route_leak \(.cidr) \(.iface) \"\(.route)\" \(.after_tunnel_ms) ms after the tunnel came up"' <<<"$out")"
	settle "$TMP/vpn.json"
	before=$(jqf "$TMP/vpn.json" .leaks.packets)
	in_pod ping -q -c 2 -i 0.1 -W 1 "$OTHER_IP" >/dev/null
	settle "$TMP/vpn.json"
	expect_eq "leaks after the re-creation" $((before + 2)) "$(jqf "$TMP/vpn.json" .leaks.packets)"
	expect_eq "state" attached "$(jqf "$TMP/vpn.json" ".namespaces[0].interfaces.\"$TUN_DEV\".state")"
	case_end "$m/tunnel-recreated-followed"

	# --- the shipped hook, installed the way this VPN expects -------------------
	"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" >/dev/null 2>&1
	expect_eq "check before the hook" 1 "$?"
	"$ROOT/scripts/$lab" reconnect "$ID" fix >/dev/null 2>&1 || ERRORS+=("reconnect with the hook failed")
	out="ip route add $CLUSTER_CIDR via $POD_GW dev eth0"
	[ "$LAB_TABLE" = main ] || out="$out table $LAB_TABLE"
	expect_match "the hook's log" "^tunleak-route-fix: $out \(was: " "$(grep "$CLUSTER_CIDR" "$HOOK_LOG")"
	expect_eq "the pod's route to another node's pod" eth0 "$(route_dev "$OTHER_IP")"
	expect_eq "the pod's route to a service" eth0 "$(route_dev "$SERVICE_IP")"
	expect_eq "cross-node connection with the hook" connected "$(other_connect 40020)"
	"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" >/dev/null 2>&1
	expect_eq "check with the hook" 0 "$?"
	# the route watch, after the hook: nothing left
	wait_until 2 _findings_are 0
	expect_eq "the counters file's current findings with the hook" 0 "$(findings_now)"
	case_end "$m/hook-fixes-it"

	# --- and keeps it fixed across a reconnect --------------------------------
	n=$(grep -c "$TUN_DEV attached" "$TMP/tl.err")
	"$ROOT/scripts/$lab" reconnect "$ID" fix >/dev/null 2>&1 || ERRORS+=("second reconnect with the hook failed")
	expect_eq "the hook ran again, a line per CIDR" 3 "$(grep -c "^tunleak-route-fix: " "$HOOK_LOG")"
	expect_eq "the pod's route to another node's pod" eth0 "$(route_dev "$OTHER_IP")"
	expect_eq "cross-node connection after the reconnect" connected "$(other_connect 40030)"
	wait_until 3 _attached_more "$n"
	settle "$TMP/vpn.json"
	before=$(jqf "$TMP/vpn.json" .leaks.packets)
	in_pod ping -q -c 3 -i 0.1 -W 1 "$OTHER_IP" >/dev/null || ERRORS+=("ping to another node's pod")
	in_pod ping -q -c 2 -i 0.1 -W 1 "$SERVICE_IP" >/dev/null || ERRORS+=("ping to a service")
	settle "$TMP/vpn.json"
	expect_eq "no new leak" "$before" "$(jqf "$TMP/vpn.json" .leaks.packets)"
	case_end "$m/hook-survives-reconnect"

	stop_tunleak TERM
	expect_eq "tunleak exit code" 0 "$TL_RC"
	expect_clean "$POD" eth0
	case_end "$m/detached"
}

_pcap_has() { [ "$(tcpdump -n -r "$1" 2>/dev/null | wc -l)" -ge "$2" ]; } # FILE N
_attached_more() { [ "$(grep -c "$TUN_DEV attached" "$TMP/tl.err")" -gt "$1" ]; } # N
_route_leaks_more() { [ "$(nr_route_events route_leak "$CLUSTER_CIDR")" -gt "$1" ]; } # N
_findings_are() { [ "$(findings_now)" = "$1" ]; } # N
