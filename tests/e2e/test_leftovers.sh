#!/usr/bin/env bash
# tc mode leaves nothing, however it ends. The clsact qdiscs tunleak creates
# are recorded (/run/tunleak) before they are made: after SIGKILL, `tunleak
# cleanup` or the next start removes them once they hold no filter, and
# never one tunleak did not create. Every signal whose default action ends
# the process stops it as SIGTERM does: detach, final counters, exit 0.
. "$(dirname "$0")/lib.sh"
require_root
ARGS=(--cluster-cidr 10.128.0.0/14)
OURS="handle 0x7e1e"
RUN_DIR=/run/tunleak

topo_basic || { echo "not ok setup: topology"; exit 0; }
INO=$(stat -L -c %i "/run/netns/$POD")

clsacts() { # IFACE: how many clsact qdiscs it has
	tc -n "$POD" -j qdisc show dev "$1" | jq '[.[] | select(.kind=="clsact")] | length'
}
# The records of this namespace's qdiscs (ifname=... of each, sorted).
records() {
	grep -l "^netns_ino=$INO\$" "$RUN_DIR"/clsact-* 2>/dev/null | xargs -r grep -h '^ifname=' | sort | tr '\n' ' '
}
our_filters() {
	local d h
	for d in eth0 tun0; do
		for h in ingress egress; do
			tc -n "$POD" filter show dev "$d" "$h"
		done
	done | grep -c "$OURS"
}

# --- SIGKILL, then tunleak cleanup: filters and the qdiscs tunleak made --------
start_tunleak "${ARGS[@]}" --attach tc
expect_eq "records while running" "ifname=eth0 ifname=tun0 " "$(records)"
stop_tunleak KILL
expect_eq "filters left by SIGKILL" 4 "$(our_filters)"
expect_eq "clsact left on eth0 by SIGKILL" 1 "$(clsacts eth0)"
expect_eq "clsact left on tun0 by SIGKILL" 1 "$(clsacts tun0)"
"$TUNLEAK" cleanup --netns "$POD" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "cleanup: exit code" 0 "$?"
expect_eq "cleanup: what it removed" \
	"tunleak: eth0: removed 2 filters
tunleak: eth0: removed the clsact qdisc tunleak created
tunleak: tun0: removed 2 filters
tunleak: tun0: removed the clsact qdisc tunleak created
tunleak: cleanup: 4 stale filters removed in network namespace $POD, and 2 clsact qdiscs tunleak created" \
	"$(cat "$TMP/c.err")"
expect_eq "filters after cleanup" 0 "$(our_filters)"
expect_eq "clsact on eth0 after cleanup" 0 "$(clsacts eth0)"
expect_eq "clsact on tun0 after cleanup" 0 "$(clsacts tun0)"
expect_eq "records after cleanup" "" "$(records)"
case_end "sigkill-cleanup-removes-qdiscs"

# --- SIGKILL, then a tcx run: its sweep at start removes them ----------------
start_tunleak "${ARGS[@]}" --attach tc
stop_tunleak KILL
start_tunleak "${ARGS[@]}" --attach tcx
expect_match "sweep: filters" "removed 2 stale tunleak filters from eth0 \(a killed run\)" "$(cat "$TMP/tl.err")"
expect_match "sweep: qdisc" "removed the clsact qdisc a killed run created on eth0" "$(cat "$TMP/tl.err")"
expect_eq "no clsact on eth0 while tcx runs" 0 "$(clsacts eth0)"
expect_eq "no clsact on tun0 while tcx runs" 0 "$(clsacts tun0)"
stop_tunleak TERM
expect_eq "exit code" 0 "$TL_RC"
expect_eq "records at the end" "" "$(records)"
case_end "sigkill-sweep-removes-qdiscs"

# --- SIGKILL, then a tc run: it takes the qdiscs back, and removes them -------
start_tunleak "${ARGS[@]}" --attach tc
stop_tunleak KILL
start_tunleak "${ARGS[@]}" --attach tc --export "$TMP/r.json"
pod_ping 2 10.130.0.5
stop_tunleak TERM
expect_eq "exit code" 0 "$TL_RC"
expect_eq "counts" 2 "$(jqf "$TMP/r.json" .leaks.packets)"
expect_eq "clsact on eth0 at the end" 0 "$(clsacts eth0)"
expect_eq "clsact on tun0 at the end" 0 "$(clsacts tun0)"
expect_eq "records at the end" "" "$(records)"
case_end "sigkill-restart-removes-qdiscs"

# --- a recorded qdisc that holds someone else's filter stays until it is empty
start_tunleak "${ARGS[@]}" --attach tc
stop_tunleak KILL
tc -n "$POD" filter add dev eth0 ingress prio 7 protocol all u32 match u32 0 0
"$TUNLEAK" cleanup --netns "$POD" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "cleanup: exit code" 0 "$?"
expect_match "cleanup: says why eth0's stays" "eth0: the clsact qdisc tunleak created holds other filters; left" "$(cat "$TMP/c.err")"
expect_eq "eth0's clsact kept" 1 "$(clsacts eth0)"
expect_match "the test's filter kept" "pref 7 u32" "$(tc -n "$POD" filter show dev eth0 ingress)"
expect_eq "tun0's removed" 0 "$(clsacts tun0)"
expect_eq "eth0's record kept" "ifname=eth0 " "$(records)"
tc -n "$POD" filter del dev eth0 ingress prio 7
"$TUNLEAK" cleanup --netns "$POD" >"$TMP/c.out" 2>"$TMP/c.err"
expect_match "second cleanup removes it" "eth0: removed the clsact qdisc tunleak created" "$(cat "$TMP/c.err")"
expect_eq "eth0's clsact now gone" 0 "$(clsacts eth0)"
expect_eq "no record left" "" "$(records)"
case_end "recorded-qdisc-kept-while-used"

# --- a clsact tunleak did not create is never deleted, also after SIGKILL -------
tc -n "$POD" qdisc add dev eth0 clsact
start_tunleak "${ARGS[@]}" --attach tc
expect_eq "only tun0's is recorded" "ifname=tun0 " "$(records)"
stop_tunleak KILL
"$TUNLEAK" cleanup --netns "$POD" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "the test's clsact on eth0 stays" 1 "$(clsacts eth0)"
expect_eq "tunleak's on tun0 goes" 0 "$(clsacts tun0)"
expect_eq "no record left" "" "$(records)"
tc -n "$POD" qdisc del dev eth0 clsact
case_end "foreign-qdisc-kept-after-sigkill"

# --- every signal whose default action ends the process, in tc mode -------------
# (SIGINT, SIGTERM, SIGHUP: test_lifecycle.) The fault signals count when
# another process sends them. A signal that does not stop it (SIGQUIT is
# ignored in a background job of a script unless caught) is a failure, not
# a hang: SIGKILL after 5 s.
stop_within() { # SIGNAL
	local i
	kill "-$1" "$TL_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$TL_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TL_PID" 2>/dev/null; then
		ERRORS+=("still running 5 s after SIG$1")
		kill -KILL "$TL_PID"
	fi
	wait "$TL_PID" 2>/dev/null
	TL_RC=$?
}
for sig in QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 ALRM STKFLT XCPU XFSZ VTALRM PROF \
	IO PWR SYS RTMIN RTMIN+1 RTMAX-1 RTMAX; do
	start_tunleak "${ARGS[@]}" --attach tc --export "$TMP/s.json" || { case_end "sig$sig-tc"; continue; }
	# one leak: the echo request into tun0 (tunsink answers nothing; no
	# need to wait the second of pod_ping for a reply)
	ip netns exec "$POD" ping -q -n -c 1 -W 0.1 10.130.0.5 >/dev/null 2>&1
	stop_within "$sig"
	expect_eq "exit code after SIG$sig" 0 "$TL_RC"
	expect_eq "final export after SIG$sig" 1 "$(jqf "$TMP/s.json" .leaks.packets)"
	expect_match "summary after SIG$sig" "detached; 1 leak packet in 1 flow" "$(cat "$TMP/tl.err")"
	expect_clean "$POD" eth0
	expect_clean "$POD" tun0
	expect_eq "clsact qdiscs after SIG$sig" "0 0" "$(clsacts eth0) $(clsacts tun0)"
	expect_eq "records after SIG$sig" "" "$(records)"
	case_end "sig$sig-tc"
done
