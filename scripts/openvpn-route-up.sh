#!/bin/sh
# OpenVPN route-up hook: route the cluster's networks through the cluster
# interface, so that a broad route pushed by the VPN (10.0.0.0/8, fd00::/8)
# cannot swallow traffic to pods and services on other nodes.
#
# In the OpenVPN client config:
#   script-security 2
#   setenv TUNLEAK_CLUSTER_CIDRS "10.128.0.0/14 172.30.0.0/16 fd00:10:128::/48"
#   setenv TUNLEAK_CLUSTER_IFACE eth0      # optional, eth0 by default
#   route-up /usr/local/share/tunleak/openvpn-route-up.sh
#
# Each CIDR gets "ip route replace CIDR via <gateway of eth0's default
# route> dev eth0" (or "dev eth0" alone when eth0 has no gateway). It runs
# after OpenVPN installed its routes, so the more specific cluster routes win.
set -eu

iface=${TUNLEAK_CLUSTER_IFACE:-eth0}
cidrs=${TUNLEAK_CLUSTER_CIDRS:-}
if [ -z "$cidrs" ]; then
	echo "openvpn-route-up: TUNLEAK_CLUSTER_CIDRS is empty; nothing to do" >&2
	exit 0
fi

for cidr in $cidrs; do
	case $cidr in
	*:*) fam=-6 ;;
	*) fam=-4 ;;
	esac
	gw=$(ip $fam route show default dev "$iface" | awk '$2 == "via" { print $3; exit }')
	if [ -n "$gw" ]; then
		ip $fam route replace "$cidr" via "$gw" dev "$iface"
	else
		ip $fam route replace "$cidr" dev "$iface"
	fi
	echo "openvpn-route-up: $cidr via ${gw:-link} dev $iface"
done
