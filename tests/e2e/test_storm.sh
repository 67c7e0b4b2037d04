#!/usr/bin/env bash
# Exactly one event per flow under load: a storm of distinct leak flows, each
# printed once, and every flow accounted for by counters measured apart —
# received (events read from the ring), recovered (taken from the lost table
# when the ring was full), unreported (the kernel found both full) — that add
# up to the kernel's count of new flows.
. "$(dirname "$0")/lib.sh"
require_root
STORM=$ROOT/.output/bench/storm

[ -x "$STORM" ] || { echo "not ok storm: $STORM missing (make bench-build)"; exit 0; }
mkns P storm || { echo "not ok setup: namespace"; exit 0; }
no_ipv6 "$P"
ip -n "$P" tuntap add dev tun0 mode tun # no reader: packets end at the qdisc
ip -n "$P" addr add 198.19.8.2/24 dev tun0
ip -n "$P" link set tun0 up
ip -n "$P" route add 10.0.0.0/8 dev tun0
ip link add eth0 netns "$P" type veth peer name peer0 netns "$P"
ip -n "$P" link set eth0 up
ip -n "$P" link set peer0 up

# storm N MAXFLOWS: run tunleak through a storm of N new flows; sets the
# counts from its final counters file and the event lines.
storm() {
	local n=$1 max=$2
	: >"$TMP/s.out"
	tl_ready_opts "$TMP/s.err"
	"$TUNLEAK" --netns "$P" "${TL_READY[@]}" --cluster-cidr 10.128.0.0/14 --max-flows "$max" --json \
		--export "$TMP/s.json" --interval 0.5 >"$TMP/s.out" 2>"$TMP/s.err" &
	TL_PID=$!
	track "$TL_PID"
	tl_wait_ready "$TMP/s.err" 5 || ERRORS+=("tunleak did not start: $(cat "$TMP/s.err")")
	ip netns exec "$P" "$STORM" -N "$n" 10.128.0.0 >/dev/null
	# until every flow is accounted for (or 30 s)
	local i flows=0 acc=-1
	for ((i = 0; i < 300; i++)); do
		flows=$(jqf "$TMP/s.json" .events.flows)
		acc=$(jqf "$TMP/s.json" '.events.received + .events.recovered + .events.unreported')
		[ "$flows" = "$n" ] && [ "$acc" = "$n" ] && break
		sleep 0.1
	done
	stop_tunleak TERM
	expect_eq "exit code" 0 "$TL_RC"
	FLOWS=$(jqf "$TMP/s.json" .events.flows)
	RECEIVED=$(jqf "$TMP/s.json" .events.received)
	RECOVERED=$(jqf "$TMP/s.json" .events.recovered)
	UNREPORTED=$(jqf "$TMP/s.json" .events.unreported)
	DROPPED=$(jqf "$TMP/s.json" .events.dropped)
	EMITTED=$(jqf "$TMP/s.json" .events.emitted)
	LINES=$(flow_lines "$TMP/s.out" | wc -l)
	UNIQUE=$(flow_lines "$TMP/s.out" | jq -r '"\(.dst) \(.dport)"' | sort -u | wc -l)
}

# 200,000 flows in a table of 262,144: all kept, each printed exactly once.
storm 200000 262144
expect_eq "new flows in the kernel" 200000 "$FLOWS"
expect_eq "received + recovered + unreported" 200000 $((RECEIVED + RECOVERED + UNREPORTED))
expect_eq "emitted + dropped" 200000 $((EMITTED + DROPPED))
expect_eq "received == emitted" "$EMITTED" "$RECEIVED"
expect_eq "recovered + unreported == dropped" "$DROPPED" $((RECOVERED + UNREPORTED))
expect_eq "event lines" 200000 "$LINES"
expect_eq "distinct flows among them" 200000 "$UNIQUE"
expect_eq "unreported" 0 "$UNREPORTED"
echo "      200000 flows: received $RECEIVED, recovered $RECOVERED (dropped $DROPPED), unreported $UNREPORTED"
case_end "storm-200k-each-once"

# Default settings (a table of 16,384): flows are evicted under the storm,
# none is printed twice, and every one is accounted for.
storm 100000 16384
expect_eq "new flows in the kernel" 100000 "$FLOWS"
expect_eq "received + recovered + unreported" 100000 $((RECEIVED + RECOVERED + UNREPORTED))
expect_eq "recovered + unreported == dropped" "$DROPPED" $((RECOVERED + UNREPORTED))
expect_eq "no line printed twice" "$LINES" "$UNIQUE"
expect_eq "every flow that was reported is printed" $((RECEIVED + RECOVERED)) "$LINES"
echo "      100000 flows, default table: received $RECEIVED, recovered $RECOVERED, unreported $UNREPORTED"
case_end "storm-default-no-repeats"
