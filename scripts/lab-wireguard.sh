#!/usr/bin/env bash
# The WireGuard lab: a pod whose wg-quick client (wireguard-go, the
# userspace implementation: no kernel module needed) routes the cluster into
# the tunnel wg0. Topology and commands: scripts/lab-common.sh.
#
# Modes:
#   split  AllowedIPs = 10.0.0.0/8, 172.16.0.0/12, 192.0.2.0/24: wg-quick adds
#          "10.0.0.0/8 dev wg0" to main; pods on other nodes and services leak.
#   full   AllowedIPs = 0.0.0.0/0: wg-quick puts "default dev wg0" in table
#          51820, looked up for everything not marked 51820 (rule "not fwmark
#          0xca6c lookup 51820"), after main without its default route
#          (rule "lookup main suppress_prefixlength 0").
# With "fix", the [Interface] has PostUp = scripts/tunleak-route-fix CIDRS.
# wg-quick and wireguard-go run in a mount namespace with a /run and /etc of
# their own (the socket /run/wireguard/wg0.sock is the lab's).
FAMILY=wireguard
PREFIX=twg
MODES="split full"
TUN_DEV=wg0
TUN_NET=198.19.11.0/24
# shellcheck source=scripts/lab-common.sh
. "$(dirname "$0")/lab-common.sh"

family_env() {
	local table=main route="10.0.0.0/8 dev wg0"
	[ "$1" = full ] && table=51820 route="default dev wg0 table 51820"
	cat <<EOT
TUN_IP=198.19.11.2
TUN_GW=198.19.11.1
LAB_TABLE=$table
VPN_ROUTE="$route"
HOOK_LINE="PostUp = /usr/local/share/tunleak/tunleak-route-fix $CLUSTER_CIDRS"
EOT
}

server_start() {
	(
		umask 077
		wg genkey >"$STATE/server.key"
		wg genkey >"$STATE/client.key"
	)
	wg pubkey <"$STATE/server.key" >"$STATE/server.pub"
	wg pubkey <"$STATE/client.key" >"$STATE/client.pub"
	private server "$NS_VPNSRV" bash -c "$VPN_WG_SERVER" _ "$STATE/server.key" "$STATE/server.wgpid"
	server_wait "the WireGuard server" grep -q '^ready' "$STATE/server.log"
	vpn_wg_peer "$STATE/server.wgpid" "$(cat "$STATE/client.pub")" 198.19.11.2
}

client_start() { # [fix]
	local allowed="10.0.0.0/8, 172.16.0.0/12, 192.0.2.0/24" postup=
	[ "$(cat "$STATE/mode")" = full ] && allowed=0.0.0.0/0
	[ "${1:-}" != fix ] || postup=$(hook_cmd)
	vpn_wg_conf "$STATE/wg0.conf" "$(cat "$STATE/client.key")" 198.19.11.2/24 "$STATE/server.pub" \
		"$allowed" "$postup"
	: >>"$STATE/client.log"
	# wg-quick returns once wg0 is up; wireguard-go stays (and keeps the
	# mount namespace), its output in the log.
	ip netns exec "$NS_VPNPOD" "$VPN_PRIVATE" "$STATE/client.mnt" \
		env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up "$STATE/wg0.conf" \
		>>"$STATE/client.log" 2>&1 </dev/null
}

# The client's wireguard-go: the one process of that name in the pod.
client_pid() {
	local p c
	for p in $(ip netns pids "$NS_VPNPOD" 2>/dev/null); do
		c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		[ "$c" = wireguard-go ] && echo "$p" && return 0
	done
	return 1
}

client_ready() {
	client_pid >/dev/null || return 1
	if [ "$(cat "$STATE/mode")" = full ]; then
		# 51820, or the next empty table (wg-quick's choice)
		ip -n "$NS_VPNPOD" route show table all default dev wg0 2>/dev/null | grep -q . || return 1
	else
		ip -n "$NS_VPNPOD" route show 10.0.0.0/8 | grep -q 'dev wg0' || return 1
	fi
}

client_stop() {
	local p
	p=$(client_pid) || return 0
	# wg-quick down in the client's own mount namespace (its socket): it
	# removes wg0, its rules and its table, and wireguard-go exits.
	nsenter -t "$p" -m -n env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
		wg-quick down "$STATE/wg0.conf" >>"$STATE/client.log" 2>&1 || true
	# wireguard-go takes 2 s to notice wg0 is gone: it is told now, and
	# not waited for (the next one has a mount namespace of its own).
	kill -TERM "$p" 2>/dev/null || true
	wait_until 10 tunnel_gone
}

lab_main "$@"
