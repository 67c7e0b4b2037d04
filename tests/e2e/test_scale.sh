#!/usr/bin/env bash
# --all on a node of 150 VPN pods (300 interfaces: more than 128 pods, which
# 256 node-wide slots used to cut off): every interface attached, the pod made
# last leaks and is counted exactly; one pod with many tunnels counts its
# first 9 and says the rest are not counted, and cannot starve a pod that
# comes after it. Bare pods (eth0 a veth pair inside the pod, tun0 from ip
# tuntap) come up in seconds.
. "$(dirname "$0")/lib.sh"
require_root
PROBE=$HELPERS/netprobe
PODS=150
EXTRA=20 # tunnels the hostile pod adds beside its tun0

specs=()
for ((i = 1; i <= PODS; i++)); do specs+=("$(printf 'b%03d:bare' "$i")"); done
nodelab_start "${specs[@]}" || exit 0
NL=$ROOT/scripts/nodelab.sh
LAST=$(printf 'b%03d' "$PODS")
in_pod() { local p=$1; shift; "$NL" pod "$NL_ID" "$p" -- "$@"; }
J=$TMP/scale.json
ns_of() { echo ".namespaces[] | select(.label == \"$1\")"; }

# until the counters file says JQ is VALUE (or 20 s)
wait_json() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(jqf "$J" "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# the tunleak process on the node (nsenter forks it and passes no signal on)
child_of() {
	local c
	for c in $(pgrep -P "$1"); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = tunleak ] && { echo "$c"; return; }
	done
}

# --- every pod of 150 counted, the last one exactly ------------------------------
t0=$(date +%s%N)
"$NL" node "$NL_ID" -- "$TUNLEAK" --all --cluster-cidr "$NL_CLUSTER_CIDR" --export "$J" \
	--interval 0.2 >"$TMP/n.out" 2>"$TMP/n.err" &
TL_PID=$!
PIDS+=("$TL_PID")
wait_for "$TMP/n.err" "tracing" 60 || ERRORS+=("tunleak did not start: $(tail -3 "$TMP/n.err" | tr '\n' ' ')")
ms=$((($(date +%s%N) - t0) / 1000000))
TL_CHILD=$(child_of "$TL_PID")
if [ -n "$TL_CHILD" ]; then PIDS+=("$TL_CHILD"); else ERRORS+=("tunleak's process not found"); fi
echo "# $PODS pods: all attached $ms ms after start"
expect_match "tracing line" "tracing $((2 * PODS)) interfaces in $PODS namespaces \(tc\)" "$(grep tracing "$TMP/n.err")"
wait_json ".interface_slots.used" "$((2 * PODS))" || ERRORS+=("slots used: $(jqf "$J" .interface_slots.used)")
expect_eq "namespaces with both interfaces attached" "$PODS" \
	"$(jqf "$J" "[.namespaces[] | select([.interfaces[] | select(.state == \"attached\")] | length == 2)] | length")"
expect_eq "slots: limit, not counted" "2048 0" "$(jqf "$J" '.interface_slots | "\(.limit) \(.not_counted)"')"
expect_eq "no slot warning" 0 "$(grep -c 'slot\|not counted' "$TMP/n.err")"
# 5 UDP datagrams of 100 bytes into the broad route: 5 x 128 L3 bytes, one flow
in_pod "$LAST" "$PROBE" udp "$NL_OTHER_POD_IP" 9999 5 100
wait_json "$(ns_of "$LAST").leaks.packets" 5 || ERRORS+=("$LAST's leak not counted")
expect_eq "$LAST leaks" "5 640 1" "$(jqf "$J" "$(ns_of "$LAST").leaks | \"\(.packets) \(.bytes) \(.flows)\"")"
expect_eq "$LAST tun0 egress pod" "5 640" \
	"$(jqf "$J" "$(ns_of "$LAST").interfaces.tun0.egress.pod | \"\(.packets) \(.bytes)\"")"
expect_eq "no other namespace leaked" 5 "$(jqf "$J" '.leaks.packets')"
expect_eq "its event" 1 "$(grep -c "LEAK pod=$LAST tun0 egress udp .* -> $NL_OTHER_POD_IP:9999 class=pod" "$TMP/n.out")"
# a namespace costs its handle, no more (tc filters hold no fd); the run's
# own files besides
fds=$(ls "/proc/$TL_CHILD/fd" | wc -l)
echo "# $fds open files at $PODS pods"
expect_true "open files $fds: at most 1 per pod and 40 more" [ "$fds" -le $((PODS + 40)) ]
case_end "every-pod-of-150-counted"

# --- one pod's tunnels cannot starve another's ------------------------------------
in_pod b001 bash -c "for i in \$(seq 1 $EXTRA); do ip tuntap add tx\$i mode tun && ip link set tx\$i up || exit 1; done" ||
	ERRORS+=("b001's tunnels not made")
wait_json "[$(ns_of b001).interfaces[] | select(.state == \"not counted\")] | length" $((EXTRA - 8)) ||
	ERRORS+=("b001: not counted: $(jqf "$J" "[$(ns_of b001).interfaces[] | select(.state == \"not counted\")] | length")")
expect_eq "b001: attached (eth0, tun0, 8 more)" 10 \
	"$(jqf "$J" "[$(ns_of b001).interfaces[] | select(.state == \"attached\")] | length")"
expect_eq "not counted, in all" $((EXTRA - 8)) "$(jqf "$J" .interface_slots.not_counted)"
expect_eq "said once" 1 "$(grep -c "b001.*not counted: more than 8 tunnels" "$TMP/n.err")"
"$NL" add-pod "$NL_ID" late:bare >/dev/null || ERRORS+=("add-pod late failed")
wait_json "[$(ns_of late).interfaces[] | select(.state == \"attached\")] | length" 2 ||
	ERRORS+=("late: not attached: $(tail -2 "$TMP/n.err" | tr '\n' ' ')")
in_pod late "$PROBE" udp "$NL_OTHER_POD_IP" 9999 3 100
wait_json "$(ns_of late).leaks.packets" 3 || ERRORS+=("late's leak not counted")
expect_eq "late leaks" "3 384 1" "$(jqf "$J" "$(ns_of late).leaks | \"\(.packets) \(.bytes) \(.flows)\"")"
grep -q 'tunleak_interfaces_not_counted' "$TMP/n.err" && ERRORS+=("metrics text on stderr")
kill -TERM "$TL_CHILD" 2>/dev/null
wait "$TL_PID"
expect_eq "exit code" 0 "$?"
expect_match "summary" "detached; 8 leak packets in 2 flows," "$(grep detached "$TMP/n.err")"
left=0
for p in "$LAST" late b001; do
	n=$(in_pod "$p" bash -c 'for d in $(ip -o link show | sed "s/^[0-9]*: \([^:@]*\).*/\1/"); do tc filter show dev $d ingress; tc filter show dev $d egress; done' | wc -l)
	left=$((left + n))
done
expect_eq "filters left in three pods" 0 "$left"
case_end "tunnels-of-one-pod-never-starve-another"

