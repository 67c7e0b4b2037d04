#!/usr/bin/env bash
# Two runs on one namespace: a live run's tc filters are never taken for a
# killed run's. A second --attach tc run refuses (exit 2, naming the PID that
# holds them), `tunleak cleanup` leaves them alone, a tcx run traces beside
# them; the first run keeps counting exactly and leaves nothing when it stops.
# Also with the first run in a PID namespace of its own, and with the second
# one there (it cannot see the first: it must not remove anything).
. "$(dirname "$0")/lib.sh"
require_root
ARGS=(--cluster-cidr 10.128.0.0/14)
OURS="handle 0x7e1e"

topo_basic || { echo "not ok setup: topology"; exit 0; }

# run_a [PREFIX...]: the first run, --attach tc, in the background (stdout
# a.out, stderr a.err, counters a.json); its PID (the tunleak process, also
# when a PREFIX such as unshare forks it) in A_PID.
run_a() {
	tl_ready_opts "$TMP/a.err"
	"$@" "$TUNLEAK" --netns "$POD" "${TL_READY[@]}" "${ARGS[@]}" --attach tc --export "$TMP/a.json" \
		>"$TMP/a.out" 2>>"$TMP/a.err" &
	A_PID=$!
	track "$A_PID"
	if ! tl_wait_ready "$TMP/a.err" 5; then
		ERRORS+=("the first run did not start: $(tr '\n' ' ' <"$TMP/a.err")")
		return 1
	fi
	# behind unshare -f, the tunleak process is unshare's child
	if [ $# -gt 0 ]; then
		A_WRAP=$A_PID
		A_PID=$(pgrep -P "$A_WRAP" -x tunleak)
		track "$A_PID"
	fi
}

# The program ids of the filters at tunleak's handle, all four hooks.
our_progs() {
	local d h
	for d in eth0 tun0; do
		for h in ingress egress; do
			tc -n "$POD" filter show dev "$d" "$h" | grep "$OURS" | grep -o 'id [0-9]*'
		done
	done | tr '\n' ' '
}

# stop_a: SIGTERM to the first run; its exit code in A_RC.
stop_a() {
	kill -TERM "$A_PID" 2>/dev/null
	if [ -n "${A_WRAP:-}" ]; then
		wait "$A_WRAP" 2>/dev/null
	else
		wait "$A_PID" 2>/dev/null
	fi
	A_RC=$?
	A_WRAP=""
}

# The first run's counts are exact and it leaves nothing: 3 more pings after
# the second run (or cleanup) came and went; LEAKS in all.
expect_a_intact() { # PROGS-BEFORE [LEAKS]
	expect_eq "the first run's filters untouched" "$1" "$(our_progs)"
	pod_ping 3 10.130.0.5
	stop_a
	expect_eq "the first run's exit code" 0 "$A_RC"
	expect_eq "the first run counted every leak" "${2:-3}" "$(jqf "$TMP/a.json" .leaks.packets)"
	expect_eq "the first run's eth0 state" attached "$(jqf "$TMP/a.json" .namespaces[0].interfaces.eth0.state)"
	expect_eq "the first run saw no stale filters" 0 "$(grep -c stale "$TMP/a.err")"
	expect_clean "$POD" eth0
	expect_clean "$POD" tun0
}

# --- a second --attach tc run: exit 2, one line, the first run intact ---------
run_a
before=$(our_progs)
expect_eq "four filters of the first run" 4 "$(wc -w <<<"${before//id/}")"
timeout 10 "$TUNLEAK" --netns "$POD" "${ARGS[@]}" --attach tc >"$TMP/b.out" 2>"$TMP/b.err"
expect_eq "second run: exit code" 2 "$?"
expect_eq "second run: one line naming the interface and the PID" \
	"tunleak: eth0: another tunleak (PID $A_PID) holds tc handle 0x7e1e prio 1 here; stop it, or use --attach tcx" \
	"$(cat "$TMP/b.err")"
expect_eq "second run: nothing on stdout" "" "$(cat "$TMP/b.out")"
expect_a_intact "$before"
case_end "second-tc-run-refused"

# --- tunleak cleanup while a run is live: nothing removed -----------------------
run_a
before=$(our_progs)
"$TUNLEAK" cleanup --netns "$POD" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "cleanup: exit code" 0 "$?"
expect_eq "cleanup: one line per interface, naming the PID, and the summary" \
	"tunleak: eth0: tunleak filters held by a live process (PID $A_PID, tunleak); left alone
tunleak: tun0: tunleak filters held by a live process (PID $A_PID, tunleak); left alone
tunleak: cleanup: 0 stale filters removed in network namespace $POD" \
	"$(cat "$TMP/c.err")"
expect_a_intact "$before"
case_end "cleanup-spares-live-run"

# --- a tcx run beside a tc run: both count, neither disturbs the other ----------
run_a
before=$(our_progs)
start_tunleak "${ARGS[@]}" --attach tcx --export "$TMP/b.json"
expect_match "tcx run: the tc run's filters named and left" \
	"eth0: tunleak filters held by a live process \(PID $A_PID, tunleak\); left alone" "$(cat "$TMP/tl.err")"
expect_eq "tcx run: no stale sweep" 0 "$(grep -c stale "$TMP/tl.err")"
pod_ping 2 10.130.0.5
stop_tunleak TERM
expect_eq "tcx run: exit code" 0 "$TL_RC"
expect_eq "tcx run: counts" 2 "$(jqf "$TMP/b.json" .leaks.packets)"
expect_eq "tcx run: its links gone" "ingress 0 egress 0" "$(ip netns exec "$POD" "$HELPERS/tcxq" eth0)"
expect_a_intact "$before" 5 # the same 2, then 3 more
case_end "tcx-run-beside-tc-run"

# --- the first run in a PID namespace of its own: seen from the host's ---------
if ! unshare --help 2>&1 | grep -q -- --mount-proc; then
	echo "skip pidns-first-run: unshare (util-linux) has no --mount-proc"
	echo "skip pidns-second-run: unshare (util-linux) has no --mount-proc"
	exit 0
fi
run_a unshare --pid --fork --mount-proc
before=$(our_progs)
timeout 10 "$TUNLEAK" --netns "$POD" "${ARGS[@]}" --attach tc >"$TMP/b.out" 2>"$TMP/b.err"
expect_eq "second run: exit code" 2 "$?"
expect_eq "second run: names the host PID" \
	"tunleak: eth0: another tunleak (PID $A_PID) holds tc handle 0x7e1e prio 1 here; stop it, or use --attach tcx" \
	"$(cat "$TMP/b.err")"
expect_a_intact "$before"
case_end "pidns-first-run"

# --- the second run (and cleanup) in a PID namespace of its own: their /proc
# shows only themselves, so they cannot prove the filters stale -------------------
run_a
before=$(our_progs)
timeout 10 unshare --pid --fork --mount-proc "$TUNLEAK" --netns "$POD" "${ARGS[@]}" --attach tc \
	>"$TMP/b.out" 2>"$TMP/b.err"
expect_eq "second run in a PID namespace: exit code" 2 "$?"
expect_eq "second run in a PID namespace: one line" \
	"tunleak: eth0: tunleak filters at tc handle 0x7e1e prio 1, and this /proc cannot show who holds them (a PID namespace of its own?); run tunleak cleanup from the host's PID namespace, or use --attach tcx" \
	"$(cat "$TMP/b.err")"
timeout 10 unshare --pid --fork --mount-proc "$TUNLEAK" cleanup --netns "$POD" --iface eth0 \
	>"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "cleanup in a PID namespace: exit code" 0 "$?"
expect_eq "cleanup in a PID namespace: left alone, and why" \
	"tunleak: eth0: tunleak filters left alone: this /proc cannot show who holds them (a PID namespace of its own?); run tunleak cleanup from the host's PID namespace
tunleak: cleanup: 0 stale filters removed in network namespace $POD" "$(cat "$TMP/c.err")"
expect_a_intact "$before"
case_end "pidns-second-run"

# --- a filter put in place of the run's own at its handle: left at its stop ------
# (what an older tunleak, or an operator's tc filter replace, may do)
run_a
tc -n "$POD" filter replace dev eth0 ingress prio 1 handle 0x7e1e bpf da obj "$HELPERS/counter.bpf.o" sec tc
stop_a
expect_eq "exit code" 0 "$A_RC"
expect_match "the replacement stays" "pref 1 bpf .*handle 0x7e1e .*name count_pkts" "$(tc -n "$POD" filter show dev eth0 ingress)"
expect_match "says so" "eth0: the filter at tunleak's handle 0x7e1e prio 1 is no longer this run's; left alone" "$(cat "$TMP/a.err")"
expect_eq "the run's own are gone" 0 \
	"$(for h in "eth0 egress" "tun0 ingress" "tun0 egress"; do tc -n "$POD" filter show dev $h; done | grep -c "$OURS")"
tc -n "$POD" filter del dev eth0 ingress prio 1 handle 0x7e1e bpf
"$TUNLEAK" cleanup --netns "$POD" 2>"$TMP/c.err"
expect_match "the clsact it made goes once empty" "eth0: removed the clsact qdisc tunleak created" "$(cat "$TMP/c.err")"
expect_clean "$POD" eth0
case_end "replaced-filter-left-at-stop"
