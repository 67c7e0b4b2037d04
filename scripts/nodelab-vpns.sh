# shellcheck shell=bash
# The simulated node's pods of the VPN families besides OpenVPN, sourced by
# scripts/nodelab.sh (outside the node and, for the pods, inside it):
#
#   wireguard   wg-quick (wireguard-go) client of the WireGuard server on
#               198.19.0.2:51820, AllowedIPs 10.0.0.0/8, 172.16.0.0/12,
#               192.0.2.0/24: "10.0.0.0/8 dev wg0", tunnel 198.19.11.0/24
#   strongswan  charon (kernel-libipsec) client of the server on 198.19.0.2,
#               a full tunnel: "default dev ipsec0" in table 220, looked up
#               before main; tunnel (virtual IPs) 198.19.13.0/24
#
# The servers run in the VPN servers' namespace, each started with the first
# pod of its kind (a node without such pods runs neither); every daemon,
# servers and pods alike, in a mount namespace with a /run and /etc of its
# own (scripts/lab-private.sh); their configs and shells are vpnlib.sh's.
# Uses STATE, ID, NS_VPN, start_bg and die of nodelab.sh.

# shellcheck disable=SC2034 # nodelab.sh's
VPNS_KINDS="wireguard strongswan"

# vpns_provision POD KIND (outside the node, before the pod starts): the
# kind's server, started with the first pod of its kind; for a WireGuard
# pod, its keys, tunnel address and config, and its peer on the server.
vpns_provision() {
	local pod=$1 n key
	case $2 in
	wireguard) vpns_server wg "$pod" ;;
	strongswan) vpns_server sw "$pod" ;;
	*) return 0 ;;
	esac
	[ "$2" = wireguard ] || return 0
	read -r n <"$STATE/wg/next"
	[ "$n" -le 254 ] || die "pod $pod: the WireGuard tunnel has no address left (253 pods at most)"
	echo $((n + 1)) >"$STATE/wg/next"
	key=$(wg genkey)
	mkdir -p "$STATE/wg/$pod"
	vpn_wg_conf "$STATE/wg/$pod/wg0.conf" "$key" "198.19.11.$n/24" "$STATE/wg/server.pub" \
		"10.0.0.0/8, 172.16.0.0/12, 192.0.2.0/24"
	vpn_wg_peer "$STATE/wg/server.pid" "$(echo "$key" | wg pubkey)" "198.19.11.$n" ||
		die "pod $pod: could not add its peer to the WireGuard server"
}

# vpns_server wg|sw POD: the WireGuard or strongSwan server in the VPN
# servers' namespace, started (and waited for) unless it runs already.
vpns_server() {
	local pod=$2
	pid_alive "$STATE/$1-server.pid" && return 0
	case $1 in
	wg)
		if ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null; then
			die "pod $pod: wireguard-go or wg is missing (scripts/deps.sh installs them)"
		fi
		mkdir -p "$STATE/wg"
		(
			umask 077
			wg genkey >"$STATE/wg/server.key"
		)
		wg pubkey <"$STATE/wg/server.key" >"$STATE/wg/server.pub"
		echo 2 >"$STATE/wg/next"
		start_bg wg-server "$NS_VPN" "$VPN_PRIVATE" "$STATE/wg-server.mnt" \
			bash -c "$VPN_WG_SERVER" _ "$STATE/wg/server.key" "$STATE/wg/server.pid"
		wait_until 5 grep -q '^ready' "$STATE/wg-server.log" ||
			die "pod $pod: the WireGuard server did not start: $(tail -1 "$STATE/wg-server.log")"
		;;
	sw)
		if [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null; then
			die "pod $pod: strongSwan's charon or swanctl is missing (scripts/deps.sh installs them)"
		fi
		vpn_charon_conf "$STATE/sw-server.strongswan.conf" "$STATE/sw-server.charon.log"
		vpn_swanctl_server "$STATE/sw-server.swanctl.conf" "nodelab-$ID"
		start_bg sw-server "$NS_VPN" "$VPN_PRIVATE" "$STATE/sw-server.mnt" \
			bash -c "$VPN_CHARON" _ "$STATE/sw-server.strongswan.conf" "$STATE/sw-server.swanctl.conf"
		wait_until 5 grep -q '^loaded' "$STATE/sw-server.log" ||
			die "pod $pod: the strongSwan server did not start: $(tail -1 "$STATE/sw-server.swanctl.conf.log" 2>/dev/null)"
		;;
	esac
}

# vpns_pod_start POD KIND NODEPID (inside the node): the pod's VPN client.
vpns_pod_start() {
	local pod=$1 kind=$2 p=$3 PD=$STATE/pods/$1
	case $kind in
	wireguard)
		[ -s "$STATE/wg/$pod/wg0.conf" ] || die "pod $pod: no WireGuard config (not provisioned)"
		# wireguard-go stays, keeping its own /run (the socket): its
		# output, like wg-quick's, goes to the log, never to a pipe
		nsenter -t "$p" -n -- "$VPN_PRIVATE" "$PD/mnt" \
			env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up "$STATE/wg/$pod/wg0.conf" \
			</dev/null >"$PD/wg-quick.log" 2>&1 ||
			die "pod $pod: wg-quick up failed: $(tail -1 "$PD/wg-quick.log")"
		;;
	strongswan)
		vpn_charon_conf "$PD/strongswan.conf" "$PD/charon.log"
		vpn_swanctl_client "$PD/swanctl.conf" "$pod" "nodelab-$ID"
		nsenter -t "$p" -n -- "$VPN_PRIVATE" "$PD/mnt" bash -c "$VPN_CHARON" _ "$PD/strongswan.conf" \
			"$PD/swanctl.conf" </dev/null >"$PD/charon.out" 2>&1 &
		;;
	esac
}

# vpns_pod_ready KIND HOSTPID (outside the node): its tunnel routes are in.
vpns_pod_ready() {
	case $1 in
	wireguard) nsenter -t "$2" -n ip route show 10.0.0.0/8 2>/dev/null | grep -q 'dev wg0' ;;
	strongswan) nsenter -t "$2" -n ip route show table 220 2>/dev/null | grep -q '^default dev ipsec0' ;;
	*) return 0 ;;
	esac
}
