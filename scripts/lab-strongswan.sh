#!/usr/bin/env bash
# The strongSwan lab: a pod whose charon (IKEv2, pre-shared key, a virtual
# IP from the server's pool) uses the kernel-libipsec plugin: ESP in UDP,
# handled in user space, through the TUN device ipsec0 (no xfrm or ESP
# kernel modules needed). Topology and commands: scripts/lab-common.sh.
#
# Mode full (the only one): the client asks for 0.0.0.0/0 (a road warrior's
# full tunnel); charon installs "default dev ipsec0 src 198.19.13.1" in table
# 220, which rule 220 looks up before main, so every destination but the
# server (a "throw" route) goes into the tunnel: pods on other nodes, pods on
# the same node, the pod's gateway. (A split tunnel needs, with libipsec, an
# address of the server in every remote network: the lab's server has none
# in 10.0.0.0/8.)
# With "fix", the CHILD_SA's updown is scripts/tunleak-route-fix CIDRS.
# Both charons run in mount namespaces with a /run (charon.pid, charon.vici)
# and /etc (strongswan.conf, swanctl/) of their own.
FAMILY=strongswan
PREFIX=tsw
MODES="full"
TUN_DEV=ipsec0
TUN_NET=198.19.13.0/24
# shellcheck source=scripts/lab-common.sh
. "$(dirname "$0")/lab-common.sh"

family_env() {
	cat <<EOT
TUN_IP=198.19.13.1
LAB_TABLE=220
VPN_ROUTE="default dev ipsec0 table 220"
HOOK_LINE="updown = /usr/local/share/tunleak/tunleak-route-fix $CLUSTER_CIDRS"
EOT
}

# run_charon NAME NS: charon with STATE/NAME.strongswan.conf and
# STATE/NAME.swanctl.conf as /etc's, its connections loaded.
run_charon() {
	vpn_charon_conf "$STATE/$1.strongswan.conf" "$STATE/charon-$1.log"
	private "$1" "$2" bash -c "$VPN_CHARON" _ "$STATE/$1.strongswan.conf" "$STATE/$1.swanctl.conf"
}

server_start() {
	vpn_swanctl_server "$STATE/server.swanctl.conf" "tunleak-lab-$ID"
	run_charon server "$NS_VPNSRV"
	server_wait "the server's charon" grep -q '^loaded' "$STATE/server.log"
}

client_start() { # [fix]
	local updown=""
	[ "${1:-}" != fix ] || updown=$(hook_cmd)
	vpn_swanctl_client "$STATE/client.swanctl.conf" client "tunleak-lab-$ID" "$updown"
	run_charon client "$NS_VPNPOD"
}

client_ready() {
	pid_alive "$STATE/client.pid" || return 1
	ip -n "$NS_VPNPOD" route show table 220 2>/dev/null | grep -q '^default dev ipsec0'
}

lab_main "$@"
