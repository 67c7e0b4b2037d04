#!/usr/bin/env bash
# The world ends before tunleak does: its stdout reader goes away (`| head
# -1`), or the traced namespace is deleted (`ip netns del`, the pod ends).
# Either way it detaches cleanly, writes the final counters and exits 0, soon.
. "$(dirname "$0")/lib.sh"
require_root
ARGS=(--cluster-cidr 10.128.0.0/14)

# exits_within PID MS: wait up to MS for PID (a child of this shell) to end;
# its exit code in RC ("running" if it did not), the time it took in TOOK.
exits_within() {
	local t0 i
	t0=$(ms_now)
	RC=running
	for ((i = 0; i < $2 / 20 + 1; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.02
	done
	TOOK=$(( $(ms_now) - t0 ))
	if kill -0 "$1" 2>/dev/null; then
		return 1
	fi
	wait "$1"
	RC=$?
}

clsacts() { # NS IFACE
	tc -n "$1" -j qdisc show dev "$2" 2>/dev/null | jq '[.[] | select(.kind=="clsact")] | length'
}

topo_basic || { echo "not ok setup: topology"; exit 0; }

# --- stdout's reader goes away -------------------------------------------------
# After head -2 has its lines (the route watch's, then the leak's), nothing more is written (no other flow):
# tunleak must notice that the reader is gone without a write to fail.
# --interval 3600: the counters file is written at the start and at the end
# only, so its counts are the final ones. Then a reader that is gone before
# the first event.
for mode in tcx tc; do
	for reader in "head -2" "true"; do
		name="stdout-gone-$mode-${reader%% *}"
		rm -f "$TMP/out.fifo"
		mkfifo "$TMP/out.fifo"
		$reader <"$TMP/out.fifo" >"$TMP/head.out" &
		READER=$!
		track "$READER"
		tl_ready_opts "$TMP/e.err"
		rm -f "$TMP/e.json"
		"$TUNLEAK" --netns "$POD" "${TL_READY[@]}" "${ARGS[@]}" --attach "$mode" --export "$TMP/e.json" \
			--interval 3600 >"$TMP/out.fifo" 2>"$TMP/e.err" &
		P=$!
		track "$P"
		if [ "$reader" = true ]; then
			wait "$READER"
			tl_wait_ready "$TMP/e.err" 5 || ERRORS+=("did not start: $(cat "$TMP/e.err")")
			leaks=0
		else
			tl_wait_ready "$TMP/e.err" 5 || ERRORS+=("did not start: $(cat "$TMP/e.err")")
			# head's first line: the route watch's, said at the start; its
			# second: one leak's event (tunsink answers nothing)
			ip netns exec "$POD" ping -q -n -c 1 -W 0.1 10.130.0.5 >/dev/null 2>&1
			wait "$READER"
			leaks=1
			expect_match "head got the route first" "ROUTE-LEAK class=pod 10\.128\.0\.0/14: " "$(head -1 "$TMP/head.out")"
			expect_match "head got the event" "LEAK tun0 egress icmp 10\.8\.0\.2 -> 10\.130\.0\.5 " "$(tail -1 "$TMP/head.out")"
		fi
		# the reader is gone now: tunleak ends within a second
		if ! exits_within "$P" 1000; then
			ERRORS+=("still running 1 s after the reader went")
			kill -TERM "$P"
			wait "$P"
		fi
		expect_eq "exit code" 0 "$RC"
		expect_eq "final counters" "$leaks" "$(jqf "$TMP/e.json" .leaks.packets)"
		expect_match "says why" "stdout's reader is gone; detaching" "$(cat "$TMP/e.err")"
		expect_match "says it detached" "detached; $leaks leak packets? in" "$(cat "$TMP/e.err")"
		expect_clean "$POD" eth0
		expect_clean "$POD" tun0
		expect_eq "clsact qdiscs left" "0 0" "$(clsacts "$POD" eth0) $(clsacts "$POD" tun0)"
		case_end "$name"
	done
done

# --- the namespace is deleted (ip netns del, the pod ended) ---------------------
# Nothing else holds it (tunsink stopped first): tunleak's handle and sockets
# are all that keep it, so it must notice within 2 s, let go, and the
# namespace (with the veth peer gw0 in GW) goes.
tun_down
delns "$POD" "$GW"
for mode in tcx tc; do
	topo_basic || { echo "not ok setup: topology"; exit 0; }
	start_tunleak "${ARGS[@]}" --attach "$mode" --export "$TMP/g.json" --interval 3600
	pod_ping 2 10.130.0.5
	tun_down
	expect_true "gw0 there before" ip -n "$GW" link show gw0
	delns "$POD"
	t0=$(ms_now)
	if ! exits_within "$TL_PID" 2000; then
		ERRORS+=("still running 2 s after ip netns del")
		kill -TERM "$TL_PID"
		wait "$TL_PID"
	fi
	expect_eq "exit code" 0 "$RC"
	expect_match "says so" "network namespace $POD is gone \(no process and no /run/netns file holds it any more\); detaching" "$(cat "$TMP/tl.err")"
	expect_eq "final counters" 2 "$(jqf "$TMP/g.json" .leaks.packets)"
	gone=""
	while [ $(( $(ms_now) - t0 )) -le 2000 ]; do
		ip -n "$GW" link show gw0 >/dev/null 2>&1 || { gone=$(( $(ms_now) - t0 )); break; }
		sleep 0.02
	done
	[ -n "$gone" ] || ERRORS+=("the veth peer gw0 still exists 2 s after ip netns del: the namespace is kept alive")
	case_end "netns-deleted-$mode"
	delns "$GW"
done

# --- ip netns del while a process still lives in it: the pod runs on ----------
topo_basic || { echo "not ok setup: topology"; exit 0; }
start_tunleak "${ARGS[@]}" --export "$TMP/h.json" --interval 3600
delns "$POD"
pod_in() { nsenter --net="/proc/$SINK_PID/ns/net" "$@"; }
# tunsink still holds it: tunleak goes on counting (the pings after more
# than one of its checks, once a second, are counted)
sleep 1.5
pod_in ping -q -n -c 2 -i 0.1 -W 1 10.130.0.5 >/dev/null 2>&1
tun_down
if ! exits_within "$TL_PID" 2000; then
	ERRORS+=("still running 2 s after the last process left")
	kill -TERM "$TL_PID"
	wait "$TL_PID"
fi
expect_eq "exit code" 0 "$RC"
expect_eq "final counters" 2 "$(jqf "$TMP/h.json" .leaks.packets)"
case_end "netns-deleted-process-left"
