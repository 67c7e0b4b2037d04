#!/usr/bin/env bash
# Text a pod controls reaches the operator escaped: an interface named with
# an ESC sequence (the kernel refuses newlines in names, not ESC), or with
# U+009B (the C1 control some terminals take for ESC [), shows as \xNN in
# check (text and JSON), in the event stream (text and JSON), in stderr
# diagnostics (trace and cleanup) and in the counters files (Prometheus and
# JSON): no raw control byte, no forged line anywhere.
. "$(dirname "$0")/lib.sh"
require_root
topo_basic || { echo "not ok setup: topology"; exit 0; }

# re_quote TEXT: TEXT as an extended regular expression that matches it.
re_quote() {
	sed 's/[][\.*^$()+?{}|/]/\\&/g' <<<"$1"
}
# no_raw WHAT FILE: neither ESC nor the bytes of U+009B in FILE
no_raw() {
	expect_eq "$1: raw ESC bytes" 0 "$(LC_ALL=C grep -c $'\e' "$2")"
	expect_eq "$1: raw U+009B" 0 "$(LC_ALL=C grep -c $'\xc2\x9b' "$2")"
}

CUR=tun0
for kind in esc c1; do
	if [ $kind = esc ]; then
		EVIL=$'t\e[31m' SHOWN='t\x1b[31m' JSON='"t\u001b[31m"'
	else
		EVIL=$'t\xc2\x9b31m' SHOWN='t\xc2\x9b31m' JSON='"t\u009b31m"'
	fi
	RE=$(re_quote "$SHOWN")
	# tunsink's tunnel renamed (a dummy cannot be made here; a rename
	# keeps the tunnel's reader and carrier), its route put back
	ip -n "$POD" link set "$CUR" down
	ip -n "$POD" link set "$CUR" name "$EVIL" || { echo "not ok setup-$kind: rename"; continue; }
	ip -n "$POD" link set "$EVIL" up
	ip -n "$POD" route add 10.0.0.0/8 via 10.8.0.1 dev "$EVIL"
	CUR=$EVIL

	# --- check, text and JSON ---------------------------------------------
	"$TUNLEAK" check --netns "$POD" --cluster-cidr 10.128.0.0/14 >"$TMP/c.out" 2>"$TMP/c.err"
	expect_eq "check: exit code" 1 "$?"
	expect_eq "check: the finding, escaped" \
		"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into $SHOWN by \"10.0.0.0/8 via 10.8.0.1 dev $SHOWN\"; fix: ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0" \
		"$(cat "$TMP/c.out")"
	no_raw "check stdout" "$TMP/c.out"
	no_raw "check stderr" "$TMP/c.err"
	"$TUNLEAK" check --netns "$POD" --cluster-cidr 10.128.0.0/14 --json >"$TMP/c.json" 2>"$TMP/c.err"
	expect_eq "check --json: exit code" 1 "$?"
	expect_eq "check --json: one object" 1 "$(wc -l <"$TMP/c.json")"
	expect_eq "check --json: the iface as JSON escapes it" "\"iface\":$JSON" "$(grep -o '"iface":"[^"]*"' "$TMP/c.json")"
	expect_eq "check --json: decodes to the name" "$EVIL" "$(jq -r .iface "$TMP/c.json")"
	no_raw "check --json stdout" "$TMP/c.json"
	case_end "escaped-name-check-$kind"

	# --- trace: text events with the Prometheus counters, JSON events with
	# the JSON counters; stderr ------------------------------------------------
	for fmt in prom json; do
		json=()
		[ "$fmt" = json ] && json=(--json)
		start_tunleak --cluster-cidr 10.128.0.0/14 "${json[@]}" --export "$TMP/c.$fmt" --interval 0.2
		pod_ping 2 10.130.0.5
		wait_for "$TMP/tl.out" 10.130.0.5 3
		stop_tunleak TERM
		expect_eq "exit code" 0 "$TL_RC"
		expect_eq "one flow event line" 1 "$(flow_lines "$TMP/tl.out" | wc -l)"
		expect_eq "and the route watch's" 1 "$(grep -c -e ROUTE-LEAK -e '"route_leak"' "$TMP/tl.out")"
		expect_match "stderr: attached, escaped" "^tunleak: $RE attached \(ifindex [0-9]+, l3, tcx\)$" "$(grep attached "$TMP/tl.err")"
		no_raw "events" "$TMP/tl.out"
		no_raw "stderr" "$TMP/tl.err"
		no_raw "counters file" "$TMP/c.$fmt"
		if [ "$fmt" = prom ]; then
			expect_match "the event, escaped" "^[0-9TZ:.-]+ LEAK $RE egress icmp 10\.8\.0\.2 -> 10\.130\.0\.5 class=pod via \"10\.0\.0\.0/8 via 10\.8\.0\.1 dev $RE\"" "$(flow_lines "$TMP/tl.out")"
			expect_match "the route watch's line, escaped" "ROUTE-LEAK class=pod 10\.128\.0\.0/14: 10\.128\.2\.0 goes into $RE by" "$(grep ROUTE-LEAK "$TMP/tl.out")"
			# the label value: \xNN as text, its backslashes escaped as
			# the format wants
			expect_eq "prom: the tunnel's packets" \
				"tunleak_packets_total{netns=\"$POD\",k8s_pod=\"\",k8s_namespace=\"\",iface=\"${SHOWN//\\/\\\\}\",direction=\"egress\",class=\"pod\"} 2" \
				"$(grep '^tunleak_packets_total.*direction="egress",class="pod"' "$TMP/c.prom" | grep -v 'iface="eth0"')"
			# every line a comment or a sample: nothing forged
			expect_eq "prom: lines that are neither comment nor sample" "" \
				"$(grep -vE '^(# (HELP|TYPE) [a-z_]+ .*|[a-z_]+(\{([a-z0-9_]+="([^"\\]|\\.)*",?)*\})? [0-9]+)$' "$TMP/c.prom")"
		else
			expect_eq "json event: iface" "\"iface\":$JSON" "$(flow_lines "$TMP/tl.out" | grep -o '"iface":"[^"]*"')"
			expect_eq "json event: decodes to the name" "$EVIL" "$(flow_lines "$TMP/tl.out" | jq -r .iface)"
			expect_eq "json counters: the tunnel's packets" 2 \
				"$(jq -r ".namespaces[0].interfaces[\"$EVIL\"].egress.pod.packets" "$TMP/c.json")"
		fi
		case_end "escaped-name-trace-$fmt-$kind"
	done

	# --- cleanup's lines after SIGKILL ----------------------------------------
	start_tunleak --cluster-cidr 10.128.0.0/14 --attach tc
	stop_tunleak KILL
	"$TUNLEAK" cleanup --netns "$POD" >"$TMP/k.out" 2>"$TMP/k.err"
	expect_eq "cleanup: exit code" 0 "$?"
	expect_eq "cleanup: the tunnel's line, escaped" "tunleak: $SHOWN: removed 2 filters" \
		"$(grep -F "$SHOWN: removed 2 filters" "$TMP/k.err")"
	no_raw "cleanup stderr" "$TMP/k.err"
	case_end "escaped-name-cleanup-$kind"
done
