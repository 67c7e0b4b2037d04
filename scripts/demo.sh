#!/usr/bin/env bash
# make demo: the failure tunleak exists for, found and fixed, in a lab of
# network namespaces with real OpenVPN. Nothing outside those namespaces is
# touched; everything is removed on exit, Ctrl-C included.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
TUNLEAK=$ROOT/tunleak
LAB=$ROOT/scripts/lab.sh
NODELAB=$ROOT/scripts/nodelab.sh
PROBE=$ROOT/.output/tests/netprobe
ID=$$
T0=$(date +%s)

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	B=$'\e[1m' D=$'\e[2m' R=$'\e[31m' G=$'\e[32m' N=$'\e[0m'
else
	B="" D="" R="" G="" N=""
fi

step() { printf '\n%s%s%s\n' "$B" "$*" "$N"; }
tell() { printf '   %s\n' "$*"; }
show() { printf '   %s$ %s%s\n' "$D" "$*" "$N"; }
indent() { sed -u 's/^/   │ /'; }
result() { # label outcome good|bad
	local c=$G
	[ "$3" = bad ] && c=$R
	printf '   %-52s %s%s%s\n' "$1" "$c" "$2" "$N"
}
connect() { # NS ADDR
	ip netns exec "$1" "$PROBE" connect "$2" 8080 0 1500 | head -1
}

[ "$(id -u)" -eq 0 ] || bad "needs root (network namespaces, BPF): sudo make demo"
tmpdir TMP demo

step "tunleak demo — a VPN route that swallows the pod network"
tell "A pod runs an OpenVPN client. The VPN pushes 10.0.0.0/8, which also covers"
tell "the cluster's pod network 10.128.0.0/14: replies to pods on other nodes go"
tell "into the tunnel and are lost. tunleak finds it, names the route, prints the fix."

step "1. The lab: pods and a real OpenVPN tunnel, each in its own network namespace"
cleanup_add lab "$LAB" down "$ID"
"$LAB" up "$ID" >"$TMP/lab.out" 2>&1 || { cat "$TMP/lab.out"; exit 1; }
eval "$("$LAB" env "$ID")"
tell "VPN pod $VPNPOD_IP (node A), a pod on the same node $SAME_IP,"
tell "a pod on node B $OTHER_IP, a service $SERVICE_IP, the restricted network behind"
tell "the VPN $REMOTE_CIDR. The VPN pod's routes after OpenVPN connected:"
show "ip route"
ip -n "$NS_VPNPOD" route | sed 's/ *$//' | indent
show "ip -6 route | grep -v fe80"
ip -n "$NS_VPNPOD" -6 route | grep -v '^fe80' | sed 's/ proto .*//; s/ metric .*//' | indent

step "2. The symptom"
s=$(connect "$NS_SAME" "$VPNPOD_IP")
result "pod on the same node  -> VPN pod :8080" "$s" "$([ "$s" = connected ] && echo good || echo bad)"
s=$(connect "$NS_OTHER" "$VPNPOD_IP")
result "pod on another node   -> VPN pod :8080" "$s" "$([ "$s" = connected ] && echo good || echo bad)"
if ip netns exec "$NS_VPNPOD" ping -q -c 1 -W 1 "$REMOTE_IP" >/dev/null; then s=reachable; else s=unreachable; fi
result "VPN pod               -> restricted host $REMOTE_IP" "$s" good
tell "Same-node pods work and the tunnel works: the classic weeks-long hunt."

CIDRS=(--cluster-cidr "$CLUSTER_CIDR" --cluster-cidr "$CLUSTER_CIDR6" --service-cidr "$SERVICE_CIDR"
	--service-cidr "$SERVICE_CIDR6" --remote-cidr "$REMOTE_CIDR" --remote-cidr "$REMOTE_CIDR6")

step "3. tunleak, run from the node against the VPN pod's namespace"
show "tunleak --netns $NS_VPNPOD ${CIDRS[*]} --export counters.json"
tl_ready_opts "$TMP/tl.err"
"$TUNLEAK" --netns "$NS_VPNPOD" "${TL_READY[@]}" "${CIDRS[@]}" --export "$TMP/counters.json" --interval 0.5 \
	> >(indent) 2> >(tee -a "$TMP/tl.err" | indent >&2) &
TL_PID=$!
track "$TL_PID"
tl_wait_ready "$TMP/tl.err" 5 || die "tunleak did not start"
sleep 0.3 # its lines shown before the next ones
tell "Before a single packet: the route watch names the routes that swallow the cluster"
tell "network (ROUTE-LEAK), the route that does it, and the fix."
tell "... the pod on node B tries again, and the VPN pod pings node B's pod and a service:"
connect "$NS_OTHER" "$VPNPOD_IP" >/dev/null
ip netns exec "$NS_VPNPOD" ping -q -c 3 -i 0.2 -W 1 "$OTHER_IP" >/dev/null
ip netns exec "$NS_VPNPOD" ping -q -c 2 -i 0.2 -W 1 "$SERVICE_IP" >/dev/null
ip netns exec "$NS_VPNPOD" ping -q -6 -c 2 -i 0.2 -W 1 "$OTHER_IP6" >/dev/null
sleep 0.8
tell "Each line is one leaking flow: the SYN-ACK of the failed connection first."

step "4. tunleak check: the routing table audited, nothing attached"
show "tunleak check --netns $NS_VPNPOD ${CIDRS[*]}"
"$TUNLEAK" check --netns "$NS_VPNPOD" "${CIDRS[@]}" 2>&1 | indent
tell "exit code ${PIPESTATUS[0]}: a cluster CIDR routes into the tunnel"

step "5. The fix: tunleak's hook, as OpenVPN's route-up, puts the cluster CIDRs back on eth0"
tell "scripts/tunleak-route-fix (one hook for OpenVPN, wg-quick, vpnc-script, strongSwan;"
tell "openvpn-route-up.sh is its OpenVPN name), in the client config:"
tell "  script-security 2"
tell "  setenv TUNLEAK_CLUSTER_CIDRS \"$CLUSTER_CIDR $SERVICE_CIDR $CLUSTER_CIDR6 $SERVICE_CIDR6\""
tell "  route-up /usr/local/share/tunleak/openvpn-route-up.sh"
tell "The client reconnects (tun0 is recreated; tunleak follows it):"
"$LAB" client-restart "$ID" fix >/dev/null 2>&1 || { echo "client did not come back"; exit 1; }
sleep 0.5
tell "tunleak followed the new tun0, and its route watch saw the routes mended (ROUTE-OK)."
show "ip route | grep eth0"
ip -n "$NS_VPNPOD" route | grep 'dev eth0' | sed 's/ *$//' | indent

step "6. After the fix"
before=$(jq .leaks.packets "$TMP/counters.json")
s=$(connect "$NS_OTHER" "$VPNPOD_IP")
result "pod on another node   -> VPN pod :8080" "$s" "$([ "$s" = connected ] && echo good || echo bad)"
s=$(connect "$NS_OTHER" "$VPNPOD_IP6")
result "pod on another node   -> VPN pod :8080 (IPv6)" "$s" "$([ "$s" = connected ] && echo good || echo bad)"
ip netns exec "$NS_VPNPOD" ping -q -c 3 -i 0.2 -W 1 "$OTHER_IP" >/dev/null
sleep 1.1
after=$(jq .leaks.packets "$TMP/counters.json")
result "leak packets since the fix" "$((after - before))" "$([ "$after" = "$before" ] && echo good || echo bad)"
"$TUNLEAK" check --netns "$NS_VPNPOD" "${CIDRS[@]}" >/dev/null 2>&1
rc=$?
result "tunleak check" "exit $rc ($([ $rc = 0 ] && echo clean || echo findings))" "$([ $rc = 0 ] && echo good || echo bad)"

step "7. Stopped (Ctrl-C); the counters file for the post-mortem"
kill -INT "$TL_PID"
wait "$TL_PID" 2>/dev/null
sleep 0.2
jq -r 'def ep(a; p; proto): if (proto == "tcp" or proto == "udp") then "\(a):\(p)" else a end;
       "   leaks: \(.leaks.packets) packets, \(.leaks.bytes) bytes in \(.leaks.flows) flows; events dropped: \(.events.dropped)",
       ([.namespaces[].flows[]] | sort_by(-.packets)[] |
        "   \(.type) \(.proto) \(ep(.src; .sport; .proto)) -> \(ep(.dst; .dport; .proto)) \(.class): \(.packets) packet\(if .packets == 1 then "" else "s" end) via \"\(.route)\"")' \
	"$TMP/counters.json"
cleanup_now lab

step "8. On a node: which of its pods leaks? (tunleak --all, told nothing)"
tell "A node with six pods, each a process in its own network namespace, given"
tell "eth0 by the real CNI bridge plugin: three run OpenVPN (one server pushes"
tell "10.0.0.0/8, the other only the remote network; one pod runs under CRI-O, its"
tell "name and namespace from the runtime's metadata), one WireGuard (wg-quick,"
tell "AllowedIPs 10.0.0.0/8), one strongSwan (a full tunnel in table 220, looked up"
tell "before main), one has no VPN."
cleanup_add node "$NODELAB" down "$ID"
"$NODELAB" up "$ID" billing:clean checkout:leaky web:plain reports:leaky:crio vault:wireguard \
	payments:strongswan >"$TMP/node.out" 2>&1 ||
	{ cat "$TMP/node.out"; exit 1; }
eval "$("$NODELAB" env "$ID")"
NODE_CIDRS=(--cluster-cidr "$NL_CLUSTER_CIDR" --service-cidr "$NL_SERVICE_CIDR" --remote-cidr "$NL_REMOTE_CIDR")
show "tunleak --all ${NODE_CIDRS[*]}"
tl_ready_opts "$TMP/node.err"
"$NODELAB" node "$ID" -- "$TUNLEAK" "${TL_READY[@]}" --all "${NODE_CIDRS[@]}" --export "$TMP/node.json" \
	--interval 0.3 >"$TMP/node.ev" 2>"$TMP/node.err" &
TL_PID=$!
track "$TL_PID"
tl_wait_ready "$TMP/node.err" 5 || die "tunleak did not start: $(tail -1 "$TMP/node.err")"
# nsenter forks to enter the node's PID namespace: its child is tunleak
TL_CHILD=$(pgrep -P "$TL_PID" | head -1)
track "$TL_CHILD"
grep -E "found|tracing" "$TMP/node.err" | indent
# events: the route watch's (ROUTE-...) or the flows' (LEAK, BYPASS), from line $2 on
events() { tail -n "+$2" "$TMP/node.ev" | grep "$1" | sed 's/^[0-9T:.-]*Z //; s/; fix: /\n      fix: /' | indent; }
route_leaks() { [ "$(grep -c ' ROUTE-LEAK ' "$TMP/node.ev")" -ge 8 ]; }
wait_until 3 route_leaks
tell "Before any packet, the route watch reads every traced pod's routes as the"
tell "kernel looks them up: four pods' VPNs take the cluster, each by its own route:"
events ' ROUTE-' 1
seen=$(wc -l <"$TMP/node.ev")
tell "Every pod talks to a pod on the other node:"
for p in billing checkout web reports vault payments; do
	out=$("$NODELAB" pod "$ID" "$p" -- "$PROBE" connect "$NL_OTHER_POD_IP" 8080 0 1500 | head -1)
	result "$p -> pod on another node" "$out" "$([ "$out" = connected ] && echo good || echo bad)"
done
sleep 0.5
tell "The packets that leaked, one line per flow, the pod named:"
events ' LEAK ' $((seen + 1))
seen=$(wc -l <"$TMP/node.ev")

step "9. The fix on the node: tunleak check --all --fix"
tell "Each finding's fix, added where the lookup happens (strongSwan's in table 220);"
tell "only ever a route added, never one replaced or removed:"
show "tunleak check --all ${NODE_CIDRS[*]} --fix"
"$NODELAB" node "$ID" -- "$TUNLEAK" check --all "${NODE_CIDRS[@]}" --fix 2>&1 | grep -E 'ROUTE-FIXED|check --fix' | indent
sleep 0.5
tell "The route watch sees each leak route go:"
events ' ROUTE-OK ' $((seen + 1))
for p in checkout reports vault payments; do
	out=$("$NODELAB" pod "$ID" "$p" -- "$PROBE" connect "$NL_OTHER_POD_IP" 8080 0 1500 | head -1)
	result "$p -> pod on another node" "$out" "$([ "$out" = connected ] && echo good || echo bad)"
done
kill -INT "$TL_CHILD"
wait "$TL_PID" 2>/dev/null
tell "The counters file, by pod:"
jq -r '.namespaces[] | "   \(if .k8s_namespace then .k8s_namespace + "/" else "" end)\(.pod): \(.leaks.packets) leak packet\(if .leaks.packets == 1 then "" else "s" end) in \(.leaks.flows) flow\(if .leaks.flows == 1 then "" else "s" end)"' \
	"$TMP/node.json"

printf '\n%sDone in %d s; labs removed.%s\n' "$B" "$(($(date +%s) - T0))" "$N"
