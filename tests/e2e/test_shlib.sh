#!/usr/bin/env bash
# scripts/lib.sh, the shell library every script and test stands on: what a
# script registers is undone on every way it can end, in reverse order; a
# registration in a subshell is refused; a remembered process is signalled
# only while its PID still names it; waiting and tunleak's readiness.
. "$(dirname "$0")/lib.sh"
require_root
LIB=$ROOT/scripts/lib.sh

# --- every registration undone, on every path, in reverse order ----------------
# The child makes a temporary directory, two namespaces, a process in one of
# them and one started otherwise, and three marks around them; it writes what
# it made to $TMP/made.MODE, then ends as MODE says.
cat >"$TMP/child.sh" <<'EOF'
mode=$1 out=$2
. "$3"
mark() { echo "$1 $(ip netns list | grep -cE "^tl$$(aa|bb)( |\$)")" >>"$out.marks"; }
cleanup_add m1 mark first
tmpdir T child
mkns A aa
cleanup_add m2 mark second
mkns B bb
bg "$A" sleep 300
P1=$BG_PID
sleep 300 &
track $!
P2=$!
cleanup_add m3 mark third
echo "$T $A $B $P1 $P2" >"$out"
case $mode in
end) ;;
error) set -e; false ;;
exit) exit 3 ;;
int) kill -INT $$ ;;
term) bg "" sleep 30 && wait "$BG_PID" ;; # (a foreground sleep would hold the trap back)
esac
[ "$mode" = end ] || echo "not reached for $mode" >>"$out.marks"
EOF
for mode in end error exit int term; do
	rm -f "$TMP/made" "$TMP/made.marks"
	if [ $mode = term ]; then
		bash "$TMP/child.sh" $mode "$TMP/made" "$LIB" &
		C=$!
		track "$C"
		wait_until 5 test -s "$TMP/made"
		sleep 0.2
		kill -TERM "$C"
		wait "$C"
	else
		bash "$TMP/child.sh" $mode "$TMP/made" "$LIB"
	fi
	rc=$?
	read -r T A B P1 P2 <"$TMP/made"
	case $mode in end) want=0 ;; error) want=1 ;; exit) want=3 ;; int) want=130 ;; term) want=143 ;; esac
	expect_eq "$mode: exit code" "$want" "$rc"
	# the marks count the child's namespaces when they run: both were
	# still there for the third and second, none for the first
	expect_eq "$mode: cleanups in reverse order" "third 2|second 1|first 0" \
		"$(paste -sd '|' "$TMP/made.marks" 2>&1)"
	expect_eq "$mode: namespaces left" "" "$(ip netns list | grep -E "^($A|$B)( |\$)")"
	expect_true "$mode: the temporary directory is gone" test ! -e "$T"
	expect_true "$mode: the process in a namespace is gone" pid_gone "$P1"
	expect_true "$mode: the tracked process is gone" pid_gone "$P2"
	case_end "cleanup-on-$mode"
done

# --- cleanup_now runs one now and never again; cleanup_drop forgets one;
# sourcing the library again forgets nothing ----------------------------------
out=$(bash -c '
	. "$1"
	say_it() { echo "$1"; }
	cleanup_add a say_it a
	. "$1" # sourced again: what was registered stays
	cleanup_add b say_it b
	cleanup_add c say_it c
	cleanup_now b
	cleanup_drop c
	echo end' _ "$LIB" 2>&1)
expect_eq "what ran, and when" "b end a" "$(echo $out)"
case_end "cleanup-now-and-drop"

# --- any variable name takes the result (none is shadowed by a local) ---------
ns="" d=""
mkns ns shadow && tmpdir d shadow
expect_eq "mkns into ns" "tl$$shadow" "$ns"
expect_match "tmpdir into d" "^/tmp/tunleak-shadow\.[A-Za-z0-9]{6}$" "$d"
expect_true "the directory exists" test -d "$d"
delns "$ns"
case_end "result-variables"

# --- a registration in a subshell is refused, and makes nothing ---------------
out=$(bash -c '
	. "$1"
	x=$(mkns V sub 2>&1) && echo "made $V"
	echo "$x"
	echo "namespaces made: $(ip netns list | grep -c "^tl$$sub")"
	( track $$ ) 2>&1 || echo "track refused"' _ "$LIB" 2>&1)
expect_match "mkns in \$(...)" "mkns tl[0-9]+sub in a subshell: it would never be undone" "$out"
expect_match "no namespace made" "namespaces made: 0" "$out"
expect_match "track in ( )" "track [0-9]+ in a subshell: it would never be undone track refused" "$(echo $out)"
case_end "subshell-refused"

# --- a remembered process is signalled only while it is still that one ------------
sleep 300 &
S=$!
track "$S"
pid_remember "$TMP/s.pid" "$S"
read -r p start <"$TMP/s.pid"
expect_eq "the file names the PID" "$S" "$p"
echo "$S $((start + 1))" >"$TMP/other.pid"
stop_pidfile "$TMP/other.pid"
expect_true "another start time: not signalled" pid_running "$S"
expect_true "its file removed all the same" test ! -e "$TMP/other.pid"
stop_pidfile "$TMP/s.pid"
wait "$S" 2>/dev/null
expect_true "its own start time: stopped" pid_gone "$S"
case_end "stop-by-pid-and-start-time"

# --- waiting: at once when true, false after the time given --------------------------
t0=$(ms_now)
wait_until 3 true
expect_true "true at once took $(($(ms_now) - t0)) ms" test $(($(ms_now) - t0)) -lt 200
t0=$(ms_now)
wait_until 0.3 false
expect_eq "false: exit code" 1 "$?"
took=$(($(ms_now) - t0))
expect_true "false for 0.3 s took $took ms" test "$took" -ge 300 -a "$took" -lt 800
(sleep 0.3 && echo "the line" >>"$TMP/w.log") &
track $!
: >"$TMP/w.log"
wait_for "$TMP/w.log" "^the line$" 3
expect_eq "wait_for: a line that comes" 0 "$?"
wait_for "$TMP/w.log" "^no such line$" 0.2
expect_eq "wait_for: a line that does not" 1 "$?"
out=$(wait_until 1x true 2>&1)
expect_eq "a bad time: exit code" 1 "$?"
expect_match "a bad time: says so" '"1x": expected seconds' "$out"
case_end "waiting"

# --- readiness: the stderr line, and the ready file where tunleak offers it --------
printf '#!/bin/sh\necho "tunleak [trace] [OPTIONS]"\n' >"$TMP/old-tunleak"
printf '#!/bin/sh\necho "  --ready-file FILE   create FILE once attached"\n' >"$TMP/new-tunleak"
chmod +x "$TMP/old-tunleak" "$TMP/new-tunleak"
L=$TMP/r.err
echo "tunleak: tracing 2 interfaces in network namespace x (tcx)" >"$L"
: >"$L.ready"
tl_ready_opts "$L" "$TMP/old-tunleak"
expect_eq "without --ready-file: no option" "" "${TL_READY[*]}"
expect_eq "the former run's line emptied" 0 "$(stat -c %s "$L")"
expect_true "the former run's ready file removed" test ! -e "$L.ready"
tl_wait_ready "$L" 0.2
expect_eq "not ready before the line" 1 "$?"
echo "tunleak: waiting for tun0 (tracing starts when it appears)" >>"$L"
tl_wait_ready "$L" 0.2
expect_eq "not ready on another line with the word" 1 "$?"
(sleep 0.3 && echo "tunleak: tracing 2 interfaces in network namespace x (tcx); Ctrl-C to stop" >>"$L") &
track $!
tl_wait_ready "$L" 3
expect_eq "ready on the line" 0 "$?"
tl_ready_opts "$L" "$TMP/new-tunleak"
expect_eq "with --ready-file: the option" "--ready-file $L.ready" "${TL_READY[*]}"
(sleep 0.3 && : >"$L.ready") &
track $!
tl_wait_ready "$L" 3
expect_eq "ready on the file" 0 "$?"
mkdir -p "$TMP/root/out"
tl_ready_opts "$TMP/root/out/r.err" "$TMP/new-tunleak" "$TMP/root"
expect_eq "chrooted: the path inside the root" "--ready-file /out/r.err.ready" "${TL_READY[*]}"
case_end "readiness"
