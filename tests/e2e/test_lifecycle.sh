#!/usr/bin/env bash
# Leave nothing behind: signals detach everything; after SIGKILL, `tunleak
# cleanup` (or the next start) removes tunleak's legacy filters and nothing
# else; a qdisc the test created survives; tcx links die with the process.
. "$(dirname "$0")/lib.sh"
require_root
ARGS=(--cluster-cidr 10.128.0.0/14)
OURS="handle 0x7e1e"

topo_basic || { echo "not ok setup: topology"; exit 0; }

# --- SIGINT and SIGHUP, both modes: exit 0, nothing left ---------------------
for mode in tcx tc; do
	for sig in INT HUP; do
		start_tunleak "${ARGS[@]}" --attach "$mode" --export "$TMP/s.json"
		pod_ping 2 10.130.0.5
		stop_tunleak "$sig"
		expect_eq "exit code after SIG$sig" 0 "$TL_RC"
		expect_eq "final export after SIG$sig" 2 "$(jqf "$TMP/s.json" .leaks.packets)"
		expect_clean "$POD" eth0
		expect_clean "$POD" tun0
		case_end "sig$sig-$mode"
	done
done

# --- SIGKILL with tc: filters stay; cleanup removes only ours -----------------
# The test's own qdisc and filters, made before tunleak runs.
tc -n "$POD" qdisc add dev eth0 clsact
tc -n "$POD" filter add dev eth0 ingress prio 7 protocol all u32 match u32 0 0
tc -n "$POD" filter add dev eth0 egress prio 9 handle 0x99 bpf da obj "$HELPERS/counter.bpf.o" sec tc
start_tunleak "${ARGS[@]}" --attach tc
stop_tunleak KILL
left=$(tc -n "$POD" filter show dev eth0 ingress; tc -n "$POD" filter show dev eth0 egress; tc -n "$POD" filter show dev tun0 ingress; tc -n "$POD" filter show dev tun0 egress)
expect_eq "tunleak filters left by SIGKILL" 4 "$(grep -c "$OURS" <<<"$left")"
"$TUNLEAK" cleanup --netns "$POD" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "cleanup exit code" 0 "$?"
expect_match "cleanup summary" "cleanup: 4 stale filters removed in network namespace $POD" "$(cat "$TMP/c.err")"
left=$(tc -n "$POD" filter show dev eth0 ingress; tc -n "$POD" filter show dev eth0 egress; tc -n "$POD" filter show dev tun0 ingress; tc -n "$POD" filter show dev tun0 egress)
expect_eq "tunleak filters after cleanup" 0 "$(grep -c "$OURS" <<<"$left")"
expect_match "test's u32 filter survives" "pref 7 u32" "$(tc -n "$POD" filter show dev eth0 ingress)"
expect_match "test's bpf filter survives" "pref 9 bpf .*count_pkts" "$(tc -n "$POD" filter show dev eth0 egress)"
expect_eq "test's clsact survives" 1 "$(tc -n "$POD" -j qdisc show dev eth0 | jq '[.[] | select(.kind=="clsact")] | length')"
expect_eq "cleanup prints nothing on stdout" "" "$(cat "$TMP/c.out")"
"$TUNLEAK" cleanup --netns "$POD" 2>"$TMP/c2.err"
expect_eq "second cleanup exit code" 0 "$?"
expect_match "second cleanup finds nothing" "cleanup: 0 stale filters removed" "$(cat "$TMP/c2.err")"
case_end "sigkill-tc-cleanup"

# --- a start after SIGKILL sweeps the stale filters itself -------------------
start_tunleak "${ARGS[@]}" --attach tc
stop_tunleak KILL
start_tunleak "${ARGS[@]}" --attach tc --export "$TMP/r.json"
expect_match "stale sweep at start" "removed 2 stale tunleak filters from eth0" "$(cat "$TMP/tl.err")"
pod_ping 3 10.130.0.5
stop_tunleak TERM
expect_eq "counts after the sweep" 3 "$(jqf "$TMP/r.json" .leaks.packets)"
expect_eq "tunleak filters at the end" 0 "$(tc -n "$POD" filter show dev eth0 ingress | grep -c "$OURS")"
expect_match "test's filter still there" "pref 7 u32" "$(tc -n "$POD" filter show dev eth0 ingress)"
case_end "restart-sweeps-stale"

# --- a filter at tunleak's handle and priority that is not tunleak's ---------
tc -n "$POD" filter add dev eth0 egress prio 1 handle 0x7e1e bpf da obj "$HELPERS/counter.bpf.o" sec tc
"$TUNLEAK" cleanup --netns "$POD" --iface eth0 2>"$TMP/f.err"
expect_eq "cleanup exit code" 0 "$?"
expect_match "foreign filter kept" "pref 1 bpf .*handle 0x7e1e .*name count_pkts" "$(tc -n "$POD" filter show dev eth0 egress)"
expect_match "cleanup removed nothing" "cleanup: 0 stale filters removed" "$(cat "$TMP/f.err")"
tc -n "$POD" filter del dev eth0 egress prio 1 handle 0x7e1e bpf
case_end "foreign-filter-untouched"

# --- SIGKILL with tcx: the links die with the process ------------------------
start_tunleak "${ARGS[@]}" --attach tcx
expect_eq "tcx attached on eth0" "ingress 1 egress 1" "$(ip netns exec "$POD" "$HELPERS/tcxq" eth0)"
stop_tunleak KILL
sleep 0.2
expect_clean "$POD" tun0
expect_eq "tcx on eth0 after SIGKILL" "ingress 0 egress 0" "$(ip netns exec "$POD" "$HELPERS/tcxq" eth0)"
case_end "sigkill-tcx"

# --- --pid: the namespace of a process --------------------------------------
bg "$POD" sleep 30
if ! wait_in_ns "$BG_PID" "$POD"; then
	echo "not ok pid-namespace: the helper process never entered $POD"
	exit 0
fi
tl_ready_opts "$TMP/p.err"
"$TUNLEAK" --pid "$BG_PID" "${TL_READY[@]}" "${ARGS[@]}" --duration 1.5 --export "$TMP/p.json" >/dev/null 2>"$TMP/p.err" &
P=$!
track "$P"
tl_wait_ready "$TMP/p.err" 5
pod_ping 2 10.130.0.5
wait "$P"
expect_eq "--pid exit code" 0 "$?"
expect_eq "--pid leaks" 2 "$(jqf "$TMP/p.json" .leaks.packets)"
expect_match "--pid names the namespace" "tracing 2 interfaces in the network namespace of PID $BG_PID" "$(cat "$TMP/p.err")"
case_end "pid-namespace"

# --- --ready-file: there once attached, with the line ------------------------
R=$TMP/ready
"$TUNLEAK" --netns "$POD" "${ARGS[@]}" --ready-file "$R" >"$TMP/r.out" 2>"$TMP/r.err" &
RPID=$!
track "$RPID"
wait_until 5 test -e "$R"
expect_eq "the ready file: the tracing line" "tracing 2 interfaces in network namespace $POD (tcx); Ctrl-C to stop" "$(cat "$R" 2>&1)"
expect_eq "no temporary file beside it" "" "$(ls "$TMP" | grep 'ready\.tmp')"
expect_match "attached when it appears" "eth0 attached|tracing 2 interfaces" "$(cat "$TMP/r.err")"
kill -TERM "$RPID"
wait "$RPID"
expect_eq "exit code" 0 "$?"
expect_true "still there at the end (removed by whoever waits, before a start)" test -e "$R"
"$TUNLEAK" --netns "$POD" "${ARGS[@]}" --ready-file /nonexistent-dir/ready --duration 0.5 >/dev/null 2>"$TMP/r.err"
expect_eq "a ready file that cannot be made: exit code" 2 "$?"
expect_eq "a ready file that cannot be made: one line" 'tunleak: --ready-file "/nonexistent-dir/ready": cannot create it in /nonexistent-dir: No such file or directory' "$(cat "$TMP/r.err")"
expect_eq "a ready file that cannot be made: nothing of ours attached" "ingress 0 egress 0" "$(ip netns exec "$POD" "$HELPERS/tcxq" eth0 2>&1)"
case_end "ready-file"
