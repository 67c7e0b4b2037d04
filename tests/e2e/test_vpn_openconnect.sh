#!/usr/bin/env bash
# OpenConnect (openconnect + vpnc-script against ocserv): split tunnel with
# Debian's stock ocserv routes (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16),
# and a full tunnel, where vpnc-script replaces eth0's default route. Cases:
# tests/e2e/vpn_family.sh.
. "$(dirname "$0")/lib.sh"
require_root
. "$(dirname "$0")/vpn_family.sh"
require_tools vpn_openconnect ocserv openconnect /usr/share/vpnc-scripts/vpnc-script tcpdump

for mode in split full; do
	vpn_lab_up lab-openconnect.sh "$mode" || continue
	if [ "$mode" = full ]; then
		# eth0 has no default route any more: the gateway is the host
		# route's to the VPN server, and the printed fix names it.
		expect_eq "the default route" "default dev tun0 scope link" \
			"$(ip -n "$NS_VPNPOD" route show default | sed 's/ *$//')"
		expect_eq "the VPN server's host route" "$VPNSRV_IP via $POD_GW dev eth0" \
			"$(ip -n "$NS_VPNPOD" route show "$VPNSRV_IP" | sed 's/ *$//')"
		out=$("$TUNLEAK" check --netns "$NS_VPNPOD" --cluster-cidr "$CLUSTER_CIDR" --json 2>/dev/null | jq -r .fix)
		expect_match "the printed fix takes the gateway from it" "^ip route add $CLUSTER_CIDR via $POD_GW dev eth0( |\$)" "$out"
		case_end "full/default-route-replaced"
	fi
	vpn_family_cases lab-openconnect.sh "$mode" 0
	vpn_lab_down lab-openconnect.sh
done
