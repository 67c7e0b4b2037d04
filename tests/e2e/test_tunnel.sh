#!/usr/bin/env bash
# A missing tunnel is waited for and attached when it appears; a tunnel that
# is deleted and recreated (new ifindex) is re-attached and keeps counting
# under its name.
. "$(dirname "$0")/lib.sh"
require_root
topo_basic || { echo "not ok setup: topology"; exit 0; }
tun_down
total=0

# tcx: tunnels found by their link kind (the default); tc: named with --tunnel
for mode in tcx tc; do
	: >"$TMP/sink.sum"
	if [ "$mode" = tcx ]; then
		start_tunleak --cluster-cidr 10.128.0.0/14 --attach "$mode" --json --export "$TMP/t.json" --interval 0.2
		expect_match "waiting message" "waiting for a tunnel interface \(tun, tap, wireguard" "$(cat "$TMP/tl.err")"
		wait_for "$TMP/t.json" '"eth0"' 3
		expect_eq "no tunnel while none exists" null "$(jqf "$TMP/t.json" .namespaces[0].interfaces.tun0)"
	else
		start_tunleak --cluster-cidr 10.128.0.0/14 --tunnel tun0 --attach "$mode" --json --export "$TMP/t.json" --interval 0.2
		expect_match "waiting message" "waiting for tun0" "$(cat "$TMP/tl.err")"
		wait_for "$TMP/t.json" '"tun0"' 3
		expect_eq "state while missing" waiting "$(jqf "$TMP/t.json" .namespaces[0].interfaces.tun0.state)"
	fi

	for round in 1 2 3; do
		t0=$(date +%s%N)
		tun_up
		if wait_for "$TMP/tl.err" "tun0 attached" 2 && [ "$(grep -c 'tun0 attached' "$TMP/tl.err")" -ge "$round" ]; then
			:
		fi
		# attached within a second of appearing
		n=0
		while [ "$(grep -c 'tun0 attached' "$TMP/tl.err")" -lt "$round" ] && [ $n -lt 40 ]; do sleep 0.05; n=$((n + 1)); done
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		expect_eq "round $round attached" "$round" "$(grep -c 'tun0 attached' "$TMP/tl.err")"
		[ "$ms" -le 1500 ] || ERRORS+=("round $round: attached after ${ms} ms")
		pod_ping "$round" 10.130.0.5
		tun_down
		cat "$TMP/sink.count" >>"$TMP/sink.sum"
		n=0
		while [ "$(grep -c 'tun0 gone' "$TMP/tl.err")" -lt "$round" ] && [ $n -lt 40 ]; do sleep 0.05; n=$((n + 1)); done
		expect_eq "round $round gone" "$round" "$(grep -c 'tun0 gone' "$TMP/tl.err")"
	done
	stop_tunleak TERM
	expect_eq "exit code" 0 "$TL_RC"
	truth=$(awk '{p += $1; b += $2} END {print p, b}' "$TMP/sink.sum")
	expect_eq "tunsink ground truth" "6 504" "$truth"
	expect_eq "leak packets across 3 tunnels" 6 "$(jqf "$TMP/t.json" .leaks.packets)"
	expect_eq "tun0 egress pod" "6 504" "$(jqf "$TMP/t.json" '.namespaces[0].interfaces.tun0.egress.pod | "\(.packets) \(.bytes)"')"
	expect_eq "one flow for the same 5-tuple" 1 "$(jqf "$TMP/t.json" .leaks.flows)"
	expect_eq "one flow event" 1 "$(flow_lines "$TMP/tl.out" | wc -l)"
	expect_eq "state at the end" gone "$(jqf "$TMP/t.json" .namespaces[0].interfaces.tun0.state)"
	expect_clean "$POD" eth0
	case_end "tunnel-recreated-$mode"
done
