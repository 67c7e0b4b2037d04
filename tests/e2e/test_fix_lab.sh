#!/usr/bin/env bash
# check --fix against the OpenVPN lab (scripts/lab.sh): the VPN pod's routes,
# as a real OpenVPN server pushed them, break its cross-node connections (IPv4
# and IPv6); check --fix adds the fixes, and the connections succeed. The
# fixes go through eth0, so they outlive the VPN reconnecting.
. "$(dirname "$0")/lib.sh"
require_root
if ! command -v openvpn >/dev/null; then
	echo "skip fix-lab: openvpn is not installed (scripts/deps.sh installs it)"
	exit 0
fi

LAB=$ROOT/scripts/lab.sh
lab_start || exit 0
PROBE=$HELPERS/netprobe
CIDRS=(--cluster-cidr "$CLUSTER_CIDR" --cluster-cidr "$CLUSTER_CIDR6" --service-cidr "$SERVICE_CIDR"
	--service-cidr "$SERVICE_CIDR6" --node-cidr "$NODE_CIDR" --remote-cidr "$REMOTE_CIDR"
	--remote-cidr "$REMOTE_CIDR6")
in_pod() { ip netns exec "$NS_VPNPOD" "$@"; }
# a TCP connection from another node's pod to the VPN pod's server: its
# SYN-ACK is what leaks
incoming() { ip netns exec "$NS_OTHER" "$PROBE" connect "$1" "$SERVER_PORT" "$2" 1500; }

expect_eq "IPv4 connection before" timeout "$(incoming "$VPNPOD_IP" 40200)"
expect_eq "IPv6 connection before" timeout "$(incoming "$VPNPOD_IP6" 40201)"
"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" --fix >"$TMP/f.out" 2>"$TMP/f.err"
expect_eq "--fix: exit code" 0 "$?"
expect_eq "--fix: the findings" 4 "$(grep -c '^LEAK-ROUTE ' "$TMP/f.out")"
expect_eq "--fix: each change, as the ip command" \
	"ROUTE-FIXED pod $CLUSTER_CIDR: ip route add $CLUSTER_CIDR via $POD_GW dev eth0|ROUTE-FIXED pod $CLUSTER_CIDR6: ip -6 route add $CLUSTER_CIDR6 via $POD_GW6 dev eth0|ROUTE-FIXED service $SERVICE_CIDR: ip route add $SERVICE_CIDR via $POD_GW dev eth0|ROUTE-FIXED service $SERVICE_CIDR6: ip -6 route add $SERVICE_CIDR6 via $POD_GW6 dev eth0" \
	"$(grep '^ROUTE-FIXED' "$TMP/f.out" | paste -sd '|')"
expect_match "--fix: summary" "^tunleak: check --fix: network namespace $POD: 4 fixes added; audited again: clean$" "$(tail -1 "$TMP/f.err")"
expect_eq "IPv4 connection after the fix" connected "$(incoming "$VPNPOD_IP" 40202)"
expect_eq "IPv6 connection after the fix" connected "$(incoming "$VPNPOD_IP6" 40203)"
in_pod ping -q -c 2 -i 0.1 -W 1 "$OTHER_IP" >/dev/null || ERRORS+=("other-node ping after the fix")
in_pod ping -q -c 2 -i 0.1 -W 1 "$SERVICE_IP" >/dev/null || ERRORS+=("service ping after the fix")
in_pod ping -q -c 2 -i 0.1 -W 1 "$REMOTE_IP" >/dev/null || ERRORS+=("the remote network lost after the fix")
case_end "fix-then-connect"

# --- the VPN reconnects: its routes come back, the fixes stay -----------------------
"$LAB" client-restart "$ID" >/dev/null 2>&1 || ERRORS+=("the client did not come back")
expect_eq "the VPN's broad route is back" "10.0.0.0/8 via $TUN_GW dev tun0" \
	"$(in_pod ip route show 10.0.0.0/8 | sed 's/ *$//')"
"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "check after the reconnect: exit code" 0 "$?"
expect_eq "IPv4 connection after the reconnect" connected "$(incoming "$VPNPOD_IP" 40205)"
case_end "fix-outlives-reconnect"
