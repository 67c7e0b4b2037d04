#!/usr/bin/env bash
# The OpenConnect lab: a pod whose openconnect client (AnyConnect protocol,
# Debian's vpnc-script) connects to an ocserv gateway that pushes broad
# routes. Topology and commands: scripts/lab-common.sh.
#
# Modes:
#   split  ocserv pushes Debian's stock ocserv.conf routes 10.0.0.0/8,
#          172.16.0.0/12, 192.168.0.0/16 (and the remote 192.0.2.0/24):
#          vpnc-script adds "10.0.0.0/8 dev tun0" to main.
#   full   ocserv pushes no route (a full tunnel): vpnc-script replaces eth0's
#          default route by "default dev tun0" and keeps the server reachable
#          by a host route "198.19.0.2 via 10.128.0.1 dev eth0".
# With "fix", /etc/vpnc/post-connect.d/tunleak runs scripts/tunleak-route-fix
# (vpnc-script *sources* its hooks: the file runs the hook as a command).
# ocserv and openconnect run in mount namespaces with a /run and /etc of
# their own: vpnc-script's /var/run/vpnc and /etc/vpnc are the lab's.
FAMILY=openconnect
PREFIX=toc
MODES="split full"
TUN_DEV=tun0
TUN_NET=198.19.12.0/24
# shellcheck source=scripts/lab-common.sh
. "$(dirname "$0")/lab-common.sh"

family_env() {
	local route="10.0.0.0/8 dev tun0"
	[ "$1" = full ] && route="default dev tun0"
	cat <<EOT
TUN_GW=198.19.12.1
LAB_TABLE=main
VPN_ROUTE="$route"
HOOK_LINE="/usr/local/share/tunleak/tunleak-route-fix $CLUSTER_CIDRS (in /etc/vpnc/post-connect.d/tunleak)"
EOT
}

server_start() {
	local mode=$1 routes
	vpn_pki "$STATE/pki" "openconnect-$ID"
	echo "lab:*:$(openssl passwd -5 -salt tunleaklab lab-password)" >"$STATE/ocpasswd"
	echo lab-password >"$STATE/password"
	openssl x509 -in "$STATE/pki/server.crt" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64 >"$STATE/server.pin"
	if [ "$mode" = full ]; then
		routes="route = default"
	else
		routes="route = 10.0.0.0/255.0.0.0
route = 172.16.0.0/255.240.0.0
route = 192.168.0.0/255.255.0.0
route = 192.0.2.0/255.255.255.0"
	fi
	cat >"$STATE/ocserv.conf" <<EOT
auth = "plain[passwd=$STATE/ocpasswd]"
listen-host = 198.19.0.2
tcp-port = 443
run-as-user = nobody
run-as-group = nogroup
socket-file = /run/ocserv-socket
server-cert = $STATE/pki/server.crt
server-key = $STATE/pki/server.key
isolate-workers = false
max-clients = 16
max-same-clients = 0
keepalive = 32400
dpd = 90
mobile-dpd = 1800
try-mtu-discovery = false
tls-priorities = "NORMAL:%SERVER_PRECEDENCE"
auth-timeout = 240
cookie-timeout = 300
deny-roaming = false
rekey-time = 172800
rekey-method = ssl
use-occtl = false
pid-file = /run/ocserv.pid
device = vpns
predictable-ips = true
ipv4-network = 198.19.12.0
ipv4-netmask = 255.255.255.0
ping-leases = false
$routes
EOT
	private server "$NS_VPNSRV" ocserv -f -c "$STATE/ocserv.conf"
	server_wait ocserv ocserv_listens
}

ocserv_listens() {
	ip netns exec "$NS_VPNSRV" ss -Htln 'sport = :443' 2>/dev/null | grep -q .
}

client_start() { # [fix]
	local hook=""
	[ "${1:-}" != fix ] || hook=$(hook_cmd)
	: >>"$STATE/client.log"
	# no DTLS (the lab's ocserv has no UDP port): connected at once over TLS
	# shellcheck disable=SC2016 # expanded by that shell
	bg_pidfile "$STATE/client.pid" "$STATE/client.out" "$NS_VPNPOD" "$VPN_PRIVATE" "$STATE/client.mnt" bash -c '
		if [ -n "$1" ]; then
			mkdir -p /etc/vpnc/post-connect.d
			echo "$1" >/etc/vpnc/post-connect.d/tunleak
		fi
		exec openconnect --non-inter --passwd-on-stdin --user lab --no-dtls \
			--servercert "pin-sha256:$(cat "$2/server.pin")" --interface tun0 \
			--script /usr/share/vpnc-scripts/vpnc-script https://198.19.0.2 <"$2/password" >>"$2/client.log" 2>&1' \
		_ "$hook" "$STATE"
}

client_ready() {
	pid_alive "$STATE/client.pid" || return 1
	if [ "$(cat "$STATE/mode")" = full ]; then
		ip -n "$NS_VPNPOD" route show default | grep -q 'dev tun0'
	else
		ip -n "$NS_VPNPOD" route show 10.0.0.0/8 | grep -q 'dev tun0'
	fi
}

lab_main "$@"
