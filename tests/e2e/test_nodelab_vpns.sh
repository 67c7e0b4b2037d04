#!/usr/bin/env bash
# The simulated node with pods of several VPN families (scripts/nodelab.sh,
# scripts/nodelab-vpns.sh): OpenVPN, WireGuard (wg-quick) and strongSwan
# (charon, table 220) pods lose the other node, and tunleak --all names
# exactly those pods, told nothing but the CIDRs, whatever VPN they run.
. "$(dirname "$0")/lib.sh"
require_root
require_tools nodelab_vpns openvpn wireguard-go wg-quick swanctl /usr/lib/ipsec/charon \
	/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so /usr/lib/cni/bridge
NL=$ROOT/scripts/nodelab.sh
in_pod() { "$NL" pod "$ID" "$@"; }
ping3() { in_pod "$1" -- ping -n -c 3 -i 0.1 -W 1 "$2" 2>&1 | grep -o '[0-9]* received'; }

t0=$(date +%s%N)
nodelab_start ov:leaky wg:wireguard sw:strongswan:crio cl:clean web:plain || exit 0
echo "# up with 5 pods (OpenVPN x2, WireGuard, strongSwan, plain): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect_eq "pods" "cl ov sw web wg" "$NL_PODS"
expect_eq "the WireGuard pod's route" "10.0.0.0/8 dev wg0 scope link" "$(in_pod wg -- ip route show 10.0.0.0/8 | sed 's/ *$//')"
expect_match "the strongSwan pod's route" "^default dev ipsec0 proto static src 198\.19\.13\.[0-9]+$" \
	"$(in_pod sw -- ip route show table 220 default | sed 's/ *$//')"
expect_eq "the strongSwan pod's rule" "220:	from all lookup 220" "$(in_pod sw -- ip rule | grep 'lookup 220')"
case_end "up"

for p in ov wg sw; do
	expect_eq "$p loses the other node's pod" "0 received" "$(ping3 $p "$NL_OTHER_POD_IP")"
	expect_eq "$p reaches the network behind its VPN" "3 received" "$(ping3 $p "$NL_REMOTE_IP")"
done
for p in cl web; do
	expect_eq "$p reaches the other node's pod" "3 received" "$(ping3 $p "$NL_OTHER_POD_IP")"
done
case_end "vpn-pods-lose-other-node"

# --- tunleak --all: every pod with a tunnel traced, the three leaking named -----
# The route watch names them first, before any packet: each VPN's route.
node_tunleak --all --cluster-cidr "$NL_CLUSTER_CIDR" \
	--service-cidr "$NL_SERVICE_CIDR" --remote-cidr "$NL_REMOTE_CIDR" --json --export "$TMP/all.json" \
	--interval 0.2
expect_match "found" "found 5 network namespaces besides the host's \([0-9]+ processes\), 4 with a tunnel" "$(cat "$TMP/n.err")"
for t in "tun0 attached .* in pod ov" "wg0 attached .* in pod wg" "ipsec0 attached .* in pod default/sw" "tun0 attached .* in pod cl"; do
	expect_match "attached" "$t" "$(cat "$TMP/n.err")"
done
route_leaks() { # the route watch's route_leak events of the pod CIDR: "POD IFACE ROUTE"
	jq -r "select(.type == \"route_leak\" and .cidr == \"$NL_CLUSTER_CIDR\") |
		\"\\(if .k8s_namespace then .k8s_namespace + \"/\" else \"\" end)\\(.pod) \\(.iface) \\(.route)\"" \
		"$TMP/n.out" | sort | paste -sd '|'
}
at_least() { [ "$("$2" | tr '|' '\n' | grep -c .)" -ge "$1" ]; } # N CMD: CMD's lines (or |-parts)
wait_until 3 at_least 3 route_leaks
expect_eq "route_leak events: the pods, their tunnels and routes, before any packet" \
	"default/sw ipsec0 default dev ipsec0 table 220|ov tun0 10.0.0.0/8 via $NL_TUN_GW_BROAD dev tun0|wg wg0 10.0.0.0/8 dev wg0" \
	"$(route_leaks)"
expect_eq "no flow event yet" "" "$(flow_lines "$TMP/n.out")"
case_end "all-route-watch-names-the-leaking-pods"
for p in ov wg sw cl web; do in_pod $p -- ping -q -n -c 3 -i 0.1 -W 1 "$NL_OTHER_POD_IP" >/dev/null; done
flows() { flow_lines "$TMP/n.out"; }
wait_until 3 at_least 3 flows
sleep 0.4
expect_eq "leaking pods, by flow event" "default/sw ipsec0|ov tun0|wg wg0" \
	"$(flows | jq -r '"\(if .k8s_namespace then .k8s_namespace + "/" else "" end)\(.pod) \(.iface)"' | sort | paste -sd '|')"
expect_eq "leak packets per pod" "cl 0|ov 3|sw 3|wg 3" \
	"$(jq -r '[.namespaces[] | "\(.pod) \(.leaks.packets)"] | sort | join("|")' "$TMP/all.json")"
node_stop
expect_eq "tunleak --all exit code" 0 "$TL_RC"
case_end "all-names-the-leaking-pods"

# --- check --all: the same three, each route as the kernel has it --------------
"$NL" node "$ID" -- "$TUNLEAK" check --all --cluster-cidr "$NL_CLUSTER_CIDR" --json >"$TMP/chk.json" 2>"$TMP/chk.err"
expect_eq "check --all exit code" 1 "$?"
expect_eq "pods with findings" "ov sw wg" "$(jq -r .pod "$TMP/chk.json" | sort -u | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the OpenVPN pod's route" "10.0.0.0/8 via $NL_TUN_GW_BROAD dev tun0" "$(jq -r 'select(.pod == "ov") | .route' "$TMP/chk.json")"
expect_eq "the WireGuard pod's route" "10.0.0.0/8 dev wg0" "$(jq -r 'select(.pod == "wg") | .route' "$TMP/chk.json")"
case_end "check-all"
expect_match "the strongSwan pod's route, with its table" "^default dev ipsec0 table 220( |$)" \
	"$(jq -r 'select(.pod == "sw") | .route' "$TMP/chk.json")"
case_end "check-all-route-shows-table-220"

# --- add-pod and del-pod of the new kinds ---------------------------------------
"$NL" add-pod "$ID" wg2:wireguard 2>"$TMP/add.err"
expect_eq "add-pod wg2: exit" 0 "$?"
expect_eq "wg2 loses the other node's pod" "0 received" "$(ping3 wg2 "$NL_OTHER_POD_IP")"
expect_eq "wg2 reaches the network behind its VPN" "3 received" "$(ping3 wg2 "$NL_REMOTE_IP")"
eval "$("$NL" env "$ID")"
hp=$NL_POD_SW_HOSTPID
"$NL" del-pod "$ID" sw
expect_eq "del-pod sw: exit" 0 "$?"
expect_true "sw's sandbox is gone (del-pod stops every process of the pod, charon included, or fails)" pid_gone "$hp"
case_end "add-del-pod"

# --- down: nothing left -----------------------------------------------------------
servers=$(cat "$NL_STATE/wg/server.pid")
cleanup_now nodelab
expect_true "the WireGuard server is gone" pid_gone "$servers"
expect_eq "namespaces left" "" "$(ip netns list | grep "^nlab$ID")"
case_end "down"
