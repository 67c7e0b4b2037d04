#!/usr/bin/env bash
# The namespace lab: a pod whose OpenVPN client gets a route that swallows
# the cluster's pod network.
#
#   scripts/lab.sh up [ID]        build it; prints the ID (default: this PID)
#   scripts/lab.sh down ID        stop what it started, remove its namespaces
#   scripts/lab.sh status ID      namespaces, tunnel, the VPN pod's routes
#   scripts/lab.sh client-restart ID [fix]
#                                 restart the OpenVPN client; with "fix", with
#                                 scripts/openvpn-route-up.sh as route-up hook
#   scripts/lab.sh env ID         print the lab's variables (to source)
#
# Everything lives in network namespaces named tlab<ID><role>; nothing in the
# root namespace is touched. An up that fails takes down what it had made.
# Addresses: the cluster CIDRs under test, and the documentation/benchmark
# ranges for everything else.
#
#                 samepod 10.128.0.20 (same node)
#                    |
#  vpnpod eth0 ---- br0 [node 10.128.0.1, 198.18.0.1] ---- otherpod 10.130.0.5
#  10.128.0.10       |   (forwards)                        (another node;
#  tun0 (OpenVPN)    |                                      service 172.30.0.10)
#                 198.19.0.1
#                    |
#                 vpnsrv 198.19.0.2 (OpenVPN server, pushes 10.0.0.0/8,
#                    |                172.16.0.0/12, fd00::/8, ...)
#                 remote 192.0.2.10 / 2001:db8:50::10 (the restricted network)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/vpnlib.sh
. "$ROOT/scripts/vpnlib.sh"
PROBE=$ROOT/.output/tests/netprobe
cmd=${1:-}
ID=${2:-}

usage() {
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

names() {
	P=tlab$ID
	NS_VPNPOD=${P}vpnpod
	NS_SAME=${P}same
	NS_OTHER=${P}other
	NS_NODE=${P}node
	NS_VPNSRV=${P}vpnsrv
	NS_REMOTE=${P}remote
	ALL_NS=("$NS_VPNPOD" "$NS_SAME" "$NS_OTHER" "$NS_NODE" "$NS_VPNSRV" "$NS_REMOTE")
	STATE=/tmp/tunleak-lab.$ID
}

# The lab's facts, for scripts that source `lab.sh env`.
print_env() {
	cat <<EOT
LAB_ID=$ID
LAB_STATE=$STATE
NS_VPNPOD=$NS_VPNPOD
NS_SAME=$NS_SAME
NS_OTHER=$NS_OTHER
NS_NODE=$NS_NODE
NS_VPNSRV=$NS_VPNSRV
NS_REMOTE=$NS_REMOTE
CLUSTER_CIDR=10.128.0.0/14
CLUSTER_CIDR6=fd00:10:128::/48
SERVICE_CIDR=172.30.0.0/16
SERVICE_CIDR6=fd00:172:30::/112
NODE_CIDR=198.18.0.0/24
REMOTE_CIDR=192.0.2.0/24
REMOTE_CIDR6=2001:db8:50::/48
VPNPOD_IP=10.128.0.10
VPNPOD_IP6=fd00:10:128::10
SAME_IP=10.128.0.20
SAME_IP6=fd00:10:128::20
OTHER_IP=10.130.0.5
OTHER_IP6=fd00:10:128:2::5
SERVICE_IP=172.30.0.10
SERVICE_IP6=fd00:172:30::a
NODE_IP=198.18.0.1
REMOTE_IP=192.0.2.10
REMOTE_IP6=2001:db8:50::10
POD_GW=10.128.0.1
POD_GW6=fd00:10:128::1
TUN_GW=198.19.8.1
SERVER_PORT=8080
EOT
}

ns() { ip netns exec "$@"; }

veth() { # NS_A IF_A NS_B IF_B
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

addr() { # NS IF ADDR... (IPv6 without duplicate address detection: usable now)
	local n=$1 i=$2 a
	shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$n" addr add "$a" dev "$i" nodad ;;
		*) ip -n "$n" addr add "$a" dev "$i" ;;
		esac
	done
}

forwarding() {
	ns "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
}

pki() {
	vpn_pki "$STATE/pki" "$ID"
}

server_conf() {
	vpn_server_conf "$STATE/server.conf" "$STATE/pki" tun0 198.19.0.2 198.19.8.0 \
		"server-ipv6 2001:db8:8::/64" \
		"# The misconfiguration: the customer's \"all private space\" routes." \
		'push "route 10.0.0.0 255.0.0.0"' \
		'push "route 172.16.0.0 255.240.0.0"' \
		'push "route 192.0.2.0 255.255.255.0"' \
		'push "route-ipv6 fd00::/8"' \
		'push "route-ipv6 2001:db8:50::/48"'
}

client_conf() { # [fix]
	local fix=()
	if [ "${1:-}" = fix ]; then
		fix=("# The fix: route the cluster through eth0 once the tunnel's routes are in."
			"script-security 2"
			'setenv TUNLEAK_CLUSTER_CIDRS "10.128.0.0/14 172.30.0.0/16 fd00:10:128::/48 fd00:172:30::/112"'
			"setenv TUNLEAK_CLUSTER_IFACE eth0"
			"route-up $ROOT/scripts/openvpn-route-up.sh")
	fi
	vpn_client_conf "$STATE/client.conf" "$STATE/pki" 198.19.0.2 "${fix[@]}"
}

# start_bg NAME NS CMD...: background process in NS, output in STATE/NAME.log,
# remembered (PID and start time) in STATE/NAME.pid; stop_bg NAME stops it.
start_bg() {
	local name=$1
	shift
	bg_pidfile "$STATE/$name.pid" "$STATE/$name.log" "$@"
}
stop_bg() { stop_pidfile "$STATE/$1.pid"; }

tunnel_up() { # [fix]: the client has tun0 with the pushed routes
	ip -n "$NS_VPNPOD" route show 10.0.0.0/8 2>/dev/null | grep -q tun0 &&
		ip -n "$NS_VPNPOD" -6 route show fd00::/8 2>/dev/null | grep -q tun0 || return 1
	# with the hook: until its last route is in (it adds them in order)
	[ "${1:-}" != fix ] || ip -n "$NS_VPNPOD" -6 route show fd00:172:30::/112 | grep -q eth0
}

wait_tunnel() { # [fix]: until tunnel_up, at most 10 s
	wait_until 10 tunnel_up "${1:-}" && return 0
	echo "lab: the OpenVPN client did not come up; its log:" >&2
	tail -20 "$STATE/client.log" >&2
	return 1
}

client_start() { # [fix]
	client_conf "${1:-}"
	start_bg client "$NS_VPNPOD" openvpn --config "$STATE/client.conf"
	wait_tunnel "${1:-}"
}

up() {
	[ -n "$ID" ] || ID=$$
	names
	for n in "${ALL_NS[@]}"; do
		if ip netns list | grep -qw "$n"; then
			echo "lab: $n exists already (lab $ID is up?)" >&2
			exit 2
		fi
	done
	# From here, a failure (set -e) or a signal takes down what was made.
	cleanup_add up down
	mkdir -p "$STATE"
	print_env >"$STATE/env"
	for n in "${ALL_NS[@]}"; do
		ip netns add "$n"
		echo "$n" >>"$STATE/namespaces"
		ip -n "$n" link set lo up
	done

	# node: the cluster gateway and router
	forwarding "$NS_NODE"
	ip -n "$NS_NODE" link add br0 type bridge
	ip -n "$NS_NODE" link set br0 up
	addr "$NS_NODE" br0 10.128.0.1/23 fd00:10:128::1/64
	addr "$NS_NODE" lo 198.18.0.1/32
	veth "$NS_VPNPOD" eth0 "$NS_NODE" nvpn
	veth "$NS_SAME" eth0 "$NS_NODE" nsame
	ip -n "$NS_NODE" link set nvpn master br0
	ip -n "$NS_NODE" link set nsame master br0
	veth "$NS_OTHER" eth0 "$NS_NODE" nother
	addr "$NS_NODE" nother 10.130.0.1/23 fd00:10:128:2::1/64
	veth "$NS_VPNSRV" eth0 "$NS_NODE" nup
	addr "$NS_NODE" nup 198.19.0.1/24 2001:db8:19::1/64
	ip -n "$NS_NODE" route add 172.30.0.0/16 via 10.130.0.5
	ip -n "$NS_NODE" -6 route add fd00:172:30::/112 via fd00:10:128:2::5

	# the VPN pod and a pod on the same node
	addr "$NS_VPNPOD" eth0 10.128.0.10/23 fd00:10:128::10/64
	ip -n "$NS_VPNPOD" route add default via 10.128.0.1
	ip -n "$NS_VPNPOD" -6 route add default via fd00:10:128::1
	addr "$NS_SAME" eth0 10.128.0.20/23 fd00:10:128::20/64
	ip -n "$NS_SAME" route add default via 10.128.0.1
	ip -n "$NS_SAME" -6 route add default via fd00:10:128::1

	# a pod on another node; it also answers for the service address
	addr "$NS_OTHER" eth0 10.130.0.5/23 fd00:10:128:2::5/64
	addr "$NS_OTHER" lo 172.30.0.10/32 fd00:172:30::a/128
	ip -n "$NS_OTHER" route add default via 10.130.0.1
	ip -n "$NS_OTHER" -6 route add default via fd00:10:128:2::1

	# the VPN server: reachable from the pod network (as through the node's
	# SNAT in real life); no route back into the cluster, as a customer's
	# VPN server has none
	forwarding "$NS_VPNSRV"
	addr "$NS_VPNSRV" eth0 198.19.0.2/24 2001:db8:19::2/64
	ip -n "$NS_VPNSRV" route add 10.128.0.0/23 via 198.19.0.1
	veth "$NS_VPNSRV" eth1 "$NS_REMOTE" eth0
	addr "$NS_VPNSRV" eth1 192.0.2.1/24 2001:db8:50::1/64
	addr "$NS_REMOTE" eth0 192.0.2.10/24 2001:db8:50::10/64
	ip -n "$NS_REMOTE" route add default via 192.0.2.1
	ip -n "$NS_REMOTE" -6 route add default via 2001:db8:50::1

	# OpenVPN server and client, with certificates made for this lab only
	pki
	server_conf
	start_bg server "$NS_VPNSRV" openvpn --config "$STATE/server.conf"
	start_bg listen "$NS_VPNPOD" "$PROBE" listen 8080
	client_start
	cleanup_drop up
	echo "$ID"
}

down() {
	[ -n "$ID" ] || usage
	names
	stop_bg client
	stop_bg server
	stop_bg listen
	for n in "${ALL_NS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$STATE"
}

status() {
	[ -n "$ID" ] || usage
	names
	echo "lab $ID:"
	for n in "${ALL_NS[@]}"; do
		if ip netns list | grep -qw "$n"; then echo "  $n"; else echo "  $n (missing)"; fi
	done
	echo "VPN pod routes:"
	ip -n "$NS_VPNPOD" route | sed 's/^/  /'
	ip -n "$NS_VPNPOD" -6 route | grep -v '^fe80' | sed 's/^/  /'
}

case "$cmd" in
up) up ;;
down) down ;;
status) status ;;
env) [ -n "$ID" ] || usage; names; print_env ;;
client-restart)
	[ -n "$ID" ] || usage
	names
	stop_bg client
	client_start "${3:-}"
	;;
*) usage ;;
esac
