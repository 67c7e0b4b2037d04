#!/usr/bin/env bash
# Node mode on a simulated node (scripts/nodelab.sh): pods are processes with
# their own network and UTS namespaces, given eth0 by the real CNI bridge
# plugin; one leaks through a real OpenVPN whose server pushes 10.0.0.0/8, one
# has a VPN with correct routes, one has none. tunleak runs on the node with
# --all and is told nothing about which pod leaks.
. "$(dirname "$0")/lib.sh"
require_root
PROBE=$HELPERS/netprobe

nodelab_start vpn-leaky:leaky vpn-clean:clean web-plain:plain || exit 0
NL=$ROOT/scripts/nodelab.sh
CIDRS=(--cluster-cidr "$NL_CLUSTER_CIDR" --service-cidr "$NL_SERVICE_CIDR" --remote-cidr "$NL_REMOTE_CIDR")
on_node() { "$NL" node "$NL_ID" -- "$@"; }
in_pod() { local p=$1; shift; "$NL" pod "$NL_ID" "$p" -- "$@"; }
J=$TMP/node.json

# --- which pod leaks, found without being told ---------------------------------
node_tunleak --all "${CIDRS[@]}" --json --export "$J" --interval 0.2 --metrics-addr 127.0.0.1:9464
expect_match "what it found" "found 3 network namespaces besides the host's \([0-9]+ processes\), 2 with a tunnel" "$(cat "$TMP/n.err")"
# --attach auto with --all: clsact + cls_bpf (no grace period per link)
expect_match "tracing line" "tracing 4 interfaces in 2 namespaces \(tc\)" "$(cat "$TMP/n.err")"

# leaky: 4 UDP datagrams of 100 bytes to the other node's pod (4 x 128 L3
# bytes), 2 pings to a service (2 x 84): all into tun0
in_pod vpn-leaky "$PROBE" udp "$NL_OTHER_POD_IP" 9999 4 100
in_pod vpn-leaky ping -q -n -c 2 -i 0.1 -W 1 "$NL_SERVICE_IP" >/dev/null
# clean: the same through eth0 (not leaks), and the remote host through its tunnel
in_pod vpn-clean "$PROBE" udp "$NL_OTHER_POD_IP" 9999 3 100
in_pod vpn-clean ping -q -n -c 2 -i 0.1 -W 1 "$NL_REMOTE_IP" >/dev/null
in_pod web-plain "$PROBE" udp "$NL_OTHER_POD_IP" 9999 2 100
wait_jq "$J" "$(ns_of vpn-leaky).leaks.packets" 6
expect_eq "namespaces traced" "vpn-clean vpn-leaky" "$(jqf "$J" '[.namespaces[].label] | sort | join(" ")')"
expect_eq "vpn-leaky: pod, state" "vpn-leaky tracing" "$(jqf "$J" "$(ns_of vpn-leaky) | \"\(.pod) \(.state)\"")"
expect_eq "vpn-leaky leaks" "6 680 2" "$(jqf "$J" "$(ns_of vpn-leaky).leaks | \"\(.packets) \(.bytes) \(.flows)\"")"
expect_eq "vpn-leaky tun0 egress pod" "4 512" "$(jqf "$J" "$(ns_of vpn-leaky).interfaces.tun0.egress.pod | \"\(.packets) \(.bytes)\"")"
expect_eq "vpn-leaky tun0 egress service" "2 168" "$(jqf "$J" "$(ns_of vpn-leaky).interfaces.tun0.egress.service | \"\(.packets) \(.bytes)\"")"
expect_eq "vpn-clean leaks" "0 0 0" "$(jqf "$J" "$(ns_of vpn-clean).leaks | \"\(.packets) \(.bytes) \(.flows)\"")"
expect_eq "vpn-clean eth0 egress pod" "3 384" "$(jqf "$J" "$(ns_of vpn-clean).interfaces.eth0.egress.pod | \"\(.packets) \(.bytes)\"")"
expect_eq "vpn-clean tun0 egress remote" "2 168" "$(jqf "$J" "$(ns_of vpn-clean).interfaces.tun0.egress.remote | \"\(.packets) \(.bytes)\"")"
expect_eq "web-plain not traced" "" "$(jqf "$J" "$(ns_of web-plain) | .label")"
expect_eq "total leaks" 6 "$(jqf "$J" .leaks.packets)"
expect_eq "counters file version" 2 "$(jqf "$J" .version)"
expect_eq "events: one per flow (its first packet), both vpn-leaky's" "leak vpn-leaky vpn-leaky 10.128.2.5 udp 1 128|leak vpn-leaky vpn-leaky 172.30.0.10 icmp 1 84" \
	"$(flow_lines "$TMP/n.out" | jq -r '"\(.type) \(.netns) \(.pod) \(.dst) \(.proto) \(.packets) \(.bytes)"' | sort | paste -sd '|')"
expect_eq "the fix, with the event" "ip route add $NL_CLUSTER_CIDR via $NL_POD_GW dev eth0" "$(flow_lines "$TMP/n.out" | jq -r 'select(.class == "pod") | .fix')"
expect_eq "before any packet, the route watch named the leaking pod's routes" \
	"route_leak vpn-leaky pod $NL_CLUSTER_CIDR|route_leak vpn-leaky service $NL_SERVICE_CIDR" \
	"$(jq -r 'select(.type == "route_leak") | "\(.type) \(.pod) \(.class) \(.cidr)"' "$TMP/n.out" | sort | paste -sd '|')"
case_end "finds-the-leaking-pod"

# --- the same on GET /metrics, served from the node's own namespace ---------------
expect_match "serving" "serving GET /metrics on 127.0.0.1:9464" "$(cat "$TMP/n.err")"
sleep 0.4
on_node curl -s -m 2 -o "$TMP/m.txt" -w '%{http_code} %{content_type}' http://127.0.0.1:9464/metrics >"$TMP/m.code"
expect_eq "status, type" "200 text/plain; version=0.0.4; charset=utf-8" "$(cat "$TMP/m.code")"
expect_eq "vpn-leaky's leaks" 'tunleak_leak_packets_total{netns="vpn-leaky",k8s_pod="vpn-leaky",k8s_namespace=""} 6' \
	"$(grep '^tunleak_leak_packets_total{netns="vpn-leaky"' "$TMP/m.txt")"
expect_eq "vpn-clean's leaks" 'tunleak_leak_packets_total{netns="vpn-clean",k8s_pod="vpn-clean",k8s_namespace=""} 0' \
	"$(grep '^tunleak_leak_packets_total{netns="vpn-clean"' "$TMP/m.txt")"
expect_eq "tun0 egress pod of vpn-leaky" 'tunleak_packets_total{netns="vpn-leaky",k8s_pod="vpn-leaky",k8s_namespace="",iface="tun0",direction="egress",class="pod"} 4' \
	"$(grep '^tunleak_packets_total{netns="vpn-leaky",k8s_pod="vpn-leaky",k8s_namespace="",iface="tun0",direction="egress",class="pod"}' "$TMP/m.txt")"
expect_eq "HELP and TYPE of every metric" "$(grep -c '^# HELP' "$TMP/m.txt")" "$(grep -c '^# TYPE' "$TMP/m.txt")"
expect_eq "another path" 404 "$(on_node curl -s -m 2 -o /dev/null -w '%{http_code}' http://127.0.0.1:9464/)"
expect_eq "not from the machine's namespace" "000" "$(curl -s -m 1 -o /dev/null -w '%{http_code}' http://127.0.0.1:9464/metrics 2>/dev/null || true)"
case_end "metrics-endpoint"

# --- a VPN pod that starts later (CRI-O metadata: namespace/name) ------------------
"$NL" add-pod "$NL_ID" vpn-late:leaky:crio >/dev/null || ERRORS+=("add-pod vpn-late failed")
eval "$("$NL" env "$NL_ID")"
t0=$(date +%s%N)
wait_for "$TMP/n.err" "tun0 attached .* in pod .*vpn-late" 10 || ERRORS+=("vpn-late not picked up: $(tail -3 "$TMP/n.err" | tr '\n' ' ')")
in_pod vpn-late ping -q -n -c 3 -i 0.1 -W 1 "$NL_OTHER_POD_IP" >/dev/null
wait_jq "$J" "$(ns_of vpn-late).leaks.packets" 3
expect_eq "vpn-late: pod, k8s namespace (from the runtime)" "vpn-late $NL_PODNS" "$(jqf "$J" "$(ns_of vpn-late) | \"\(.pod) \(.k8s_namespace)\"")"
expect_eq "vpn-late leaks" "3 252" "$(jqf "$J" "$(ns_of vpn-late).leaks | \"\(.packets) \(.bytes)\"")"
expect_eq "vpn-late's event" "vpn-late $NL_PODNS 10.128.2.5 icmp" \
	"$(flow_lines "$TMP/n.out" | jq -r 'select(.pod == "vpn-late") | "\(.pod) \(.k8s_namespace) \(.dst) \(.proto)"')"
case_end "picks-up-a-new-vpn-pod"

# --- a pod that ends ------------------------------------------------------------------
# One without a runtime, and one whose namespace the runtime pinned in
# /run/netns: the runtime's umount of the pin must not find it busy.
"$NL" add-pod "$NL_ID" vpn-pinned:leaky:crio >/dev/null || ERRORS+=("add-pod vpn-pinned failed")
eval "$("$NL" env "$NL_ID")"
wait_for "$TMP/n.err" "tun0 attached .* in pod .*vpn-pinned" 10 || ERRORS+=("vpn-pinned not picked up")
PIN=$NL_POD_VPN_PINNED_NETNS
"$NL" del-pod "$NL_ID" vpn-pinned >"$TMP/del.out" 2>&1 || ERRORS+=("del-pod vpn-pinned failed: $(cat "$TMP/del.out")")
expect_eq "the runtime's pin removed (not busy)" "" "$(cat "$TMP/del.out"; on_node sh -c "[ -e '$PIN' ] && echo '$PIN still there'")"
wait_for "$TMP/n.err" "pod $NL_PODNS/vpn-pinned: its network namespace is gone" 3 || ERRORS+=("vpn-pinned's end not noticed")
"$NL" del-pod "$NL_ID" vpn-leaky >/dev/null || ERRORS+=("del-pod vpn-leaky failed")
t0=$(date +%s%N)
wait_for "$TMP/n.err" "pod vpn-leaky: its network namespace is gone" 3 || ERRORS+=("the pod's end not noticed: $(tail -2 "$TMP/n.err" | tr '\n' ' ')")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -le 2500 ] || ERRORS+=("noticed after $ms ms")
wait_jq "$J" "$(ns_of vpn-leaky).state" gone
expect_eq "vpn-leaky kept, gone, counts final" "gone 6 680" "$(jqf "$J" "$(ns_of vpn-leaky) | \"\(.state) \(.leaks.packets) \(.leaks.bytes)\"")"
expect_eq "no error on stderr" "" "$(grep -iE 'error|cannot|failed' "$TMP/n.err")"
case_end "drops-a-pod-that-ends"

node_stop
expect_eq "exit code" 0 "$TL_RC"
expect_match "summary" "detached; 9 leak packets in 3 flows" "$(cat "$TMP/n.err")"
for p in vpn-clean vpn-late web-plain; do
	for dev in eth0 tun0; do
		in_pod "$p" ip link show "$dev" >/dev/null 2>&1 || continue
		expect_eq "$p $dev: tcx programs left" "ingress 0 egress 0" "$(in_pod "$p" "$HELPERS/tcxq" "$dev" 2>&1)"
		expect_eq "$p $dev: tc filters left" "" "$(in_pod "$p" tc filter show dev "$dev" ingress; in_pod "$p" tc filter show dev "$dev" egress)"
	done
done
case_end "nothing-left-attached"

# --- --all with tcx links: the same programs, told apart by namespace ----------------
node_tunleak --all --attach tcx "${CIDRS[@]}" --export "$J" --interval 0.2
expect_match "tracing line" "tracing 4 interfaces in 2 namespaces \(tcx\)" "$(cat "$TMP/n.err")"
in_pod vpn-late "$PROBE" udp "$NL_OTHER_POD_IP" 9999 3 100
in_pod vpn-clean "$PROBE" udp "$NL_OTHER_POD_IP" 9999 2 100
wait_jq "$J" "$(ns_of vpn-late).leaks.packets" 3
expect_eq "vpn-late leaks (tcx)" "3 384 1" "$(jqf "$J" "$(ns_of vpn-late).leaks | \"\(.packets) \(.bytes) \(.flows)\"")"
expect_eq "vpn-clean eth0 egress pod (tcx)" "2 256" "$(jqf "$J" "$(ns_of vpn-clean).interfaces.eth0.egress.pod | \"\(.packets) \(.bytes)\"")"
expect_eq "vpn-clean leaks (tcx)" "0" "$(jqf "$J" "$(ns_of vpn-clean).leaks.packets")"
node_stop
expect_eq "exit code (tcx)" 0 "$TL_RC"
for p in vpn-clean vpn-late; do
	expect_eq "$p tun0: tcx programs left" "ingress 0 egress 0" "$(in_pod "$p" "$HELPERS/tcxq" tun0 2>&1)"
done
case_end "all-with-tcx-links"

# --- --pod: one pod by name ----------------------------------------------------------
node_tunleak --pod vpn-late "${CIDRS[@]}" --duration 3
in_pod vpn-late ping -q -n -c 2 -i 0.1 -W 1 "$NL_OTHER_POD_IP" >/dev/null
wait "$TL_PID"
expect_eq "--pod: exit code" 0 "$?"
expect_match "--pod: where" "in pod $NL_PODNS/vpn-late" "$(grep tracing "$TMP/n.err")"
expect_match "--pod: the text event names the pod" "^20[0-9T:.-]+Z LEAK pod=$NL_PODNS/vpn-late tun0 egress icmp [0-9.]+ -> 10\.128\.2\.5 class=pod via \"10\.0\.0\.0/8 via $NL_TUN_GW_BROAD dev tun0\"; fix: " "$(flow_lines "$TMP/n.out")"
case_end "pod-by-name"

on_node "$TUNLEAK" --pod no-such-pod "${CIDRS[@]}" >"$TMP/e.out" 2>"$TMP/e.err"
expect_eq "--pod unknown: exit code" 2 "$?"
expect_match "--pod unknown: one line naming it" "^tunleak: --pod \"no-such-pod\": no pod of that name on this node \([0-9]+ network namespaces looked at\)$" "$(cat "$TMP/e.err")"
case_end "pod-unknown"

# --- check --all ------------------------------------------------------------------------
"$NL" add-pod "$NL_ID" vpn-two:leaky >/dev/null || ERRORS+=("add-pod vpn-two failed")
on_node "$TUNLEAK" check --all "${CIDRS[@]}" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "check --all: exit code" 1 "$?"
expect_eq "check --all: findings, each with its pod" \
	"$NL_PODNS/vpn-late: LEAK-ROUTE pod $NL_CLUSTER_CIDR|$NL_PODNS/vpn-late: LEAK-ROUTE service $NL_SERVICE_CIDR|vpn-two: LEAK-ROUTE pod $NL_CLUSTER_CIDR|vpn-two: LEAK-ROUTE service $NL_SERVICE_CIDR" \
	"$(awk '{sub(/:$/, "", $4); print $1, $2, $3, $4}' "$TMP/c.out" | sort | paste -sd '|')"
expect_match "check --all: summary" "check: 3 namespaces with a tunnel audited \(of 4 on this node\), 2 with findings; 4 findings" "$(cat "$TMP/c.err")"
case_end "check-all"

# --- a pod that names itself with control characters --------------------------------
# Its hostname is the pod's to choose: a newline or an escape sequence must
# reach no terminal and break no file.
"$NL" add-pod "$NL_ID" evil:plain >/dev/null || ERRORS+=("add-pod evil failed")
# sethostname(2) takes any bytes (hostname(1) and /proc refuse these)
in_pod evil /usr/bin/python3 -c 'import socket; socket.sethostname("ev\nil\x1b[31m")' ||
	ERRORS+=("sethostname failed")
in_pod evil ip tuntap add tun0 mode tun
in_pod evil ip addr add 198.19.10.2/24 dev tun0
in_pod evil ip link set tun0 up
in_pod evil ip route add 10.0.0.0/8 dev tun0
node_tunleak --all "${CIDRS[@]}" --export "$TMP/n.prom" --interval 0.2
in_pod evil ping -q -n -c 1 -W 1 "$NL_OTHER_POD_IP" >/dev/null
wait_for "$TMP/n.out" " LEAK" 3
sleep 0.5
node_stop
expect_eq "no raw escape on stderr, stdout, in the file" "0 0 0" \
	"$(grep -c $'\e' "$TMP/n.err") $(grep -c $'\e' "$TMP/n.out") $(grep -c $'\e' "$TMP/n.prom")"
expect_match "stderr names it as text" 'tun0 attached .* in pod ev\\x0ail\\x1b\[31m$' "$(grep 'tun0 attached' "$TMP/n.err" | grep ev)"
expect_match "the event names it as text, on one line" '^20[0-9T:.-]+Z LEAK pod=ev\\x0ail\\x1b\[31m tun0 egress icmp ' "$(flow_lines "$TMP/n.out" | grep ev)"
expect_eq "flow event lines" 1 "$(flow_lines "$TMP/n.out" | wc -l)"
expect_eq "its series, the label escaped" 'tunleak_leak_packets_total{netns="ev\\x0ail\\x1b[31m",k8s_pod="ev\\x0ail\\x1b[31m",k8s_namespace=""} 1' \
	"$(grep '^tunleak_leak_packets_total{netns="ev' "$TMP/n.prom")"
expect_eq "every sample line well formed" 0 "$(grep -vcE '^(# (HELP|TYPE) tunleak_|tunleak_[a-z_]+(\{[^}]*\})? [0-9]+$)' "$TMP/n.prom")"
case_end "hostile-pod-name"

# --- cleanup --all / --pod: what a SIGKILLed DaemonSet left in the pods ------------
filters_in() { # POD: tc filters on its eth0 and tun0, both hooks
	local d h
	for d in eth0 tun0; do
		for h in ingress egress; do
			in_pod "$1" tc filter show dev "$d" "$h" 2>/dev/null
		done
	done
}
node_tunleak --all --attach tc "${CIDRS[@]}"
expect_match "tc run: filters in a pod" "tunleak_" "$(filters_in vpn-two)"
kill -KILL "$TL_CHILD" 2>/dev/null
wait "$TL_PID" 2>/dev/null
expect_match "after SIGKILL: the pod's filters stay" "tunleak_" "$(filters_in vpn-two)"
# Who holds a filter's program is known only from the host's PID namespace
# (cleanup refuses to guess inside the node's): cleanup runs there, as the
# DaemonSet (hostPID) does.
on_node "$TUNLEAK" cleanup --pod vpn-two >"$TMP/k.out" 2>"$TMP/k.err"
expect_eq "cleanup --pod inside a PID namespace: exit code" 0 "$?"
expect_match "cleanup --pod inside a PID namespace: says why it leaves them" "tunleak filters left alone: this /proc cannot show who holds them" "$(cat "$TMP/k.err")"
expect_match "cleanup --pod inside a PID namespace: filters stay" "tunleak_" "$(filters_in vpn-two)"
"$TUNLEAK" cleanup --pod no-such-pod >"$TMP/k.out" 2>"$TMP/k.err"
expect_eq "cleanup --pod unknown: exit code" 2 "$?"
expect_match "cleanup --pod unknown: one line naming it" "^tunleak: --pod \"no-such-pod\": no pod of that name on this node" "$(cat "$TMP/k.err")"
expect_match "cleanup --pod unknown: the pod's filters stay" "tunleak_" "$(filters_in vpn-two)"
"$TUNLEAK" cleanup --pod vpn-two >"$TMP/k.out" 2>"$TMP/k.err"
expect_eq "cleanup --pod: exit code" 0 "$?"
expect_match "cleanup --pod: its summary" "cleanup: 4 stale filters removed in pod vpn-two" "$(tail -1 "$TMP/k.err")"
expect_eq "cleanup --pod: nothing left in it" "" "$(filters_in vpn-two)"
expect_match "cleanup --pod: another pod's stay" "tunleak_" "$(filters_in vpn-clean)"
# --all sweeps every namespace of this machine but the host's; only filters
# whose program no process holds are removed
"$TUNLEAK" cleanup --all >"$TMP/k.out" 2>"$TMP/k.err"
expect_eq "cleanup --all: exit code" 0 "$?"
expect_match "cleanup --all: summary" "cleanup: [0-9]+ stale filters? removed in [0-9]+ pod namespaces" "$(tail -1 "$TMP/k.err")"
expect_match "cleanup --all: names the pod it cleaned" "eth0 in pod vpn-clean: removed 2 filters" "$(cat "$TMP/k.err")"
left=""
for p in vpn-clean vpn-late evil web-plain; do
	[ -n "$(filters_in "$p")" ] && left="$left $p"
done
expect_eq "cleanup --all: no pod keeps a filter" "" "$left"
case_end "cleanup-all-and-pod"
