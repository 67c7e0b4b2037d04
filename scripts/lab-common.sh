# shellcheck shell=bash
# The pieces shared by the labs of the VPN families other than OpenVPN
# (scripts/lab-wireguard.sh, lab-openconnect.sh, lab-strongswan.sh): the same
# pod, node, other node, VPN server and remote network as scripts/lab.sh,
# IPv4 only, each lab in namespaces of its own. Sourced, not run. A family
# script sets FAMILY, PREFIX, MODES, TUN_DEV, TUN_NET and defines
# server_start, client_start [fix], client_ready and family_env (and
# client_stop, when the client is not STATE/client.pid); then calls
# lab_main "$@".
#
#                 same 10.128.0.20 (same node)
#                    |
#  pod eth0 ------ br0 [node 10.128.0.1, 198.18.0.1] ---- other 10.130.0.5 (another node;
#  10.128.0.10       |   (forwards)                         service 172.30.0.10 on its lo)
#  TUN_DEV (VPN)     |
#                 198.19.0.1
#                    |
#                 srv 198.19.0.2 (the VPN server; blackholes 10.0.0.0/8 and
#                    |            172.16.0.0/12 but for the pod's 10.128.0.0/23)
#                 remote 192.0.2.10 (the network behind the VPN)
#
# IPv6 is off everywhere (exact counts: no router solicitations); forwarding
# is set explicitly: on in node and srv, off elsewhere. Daemons run under
# scripts/lab-private.sh: a /run and /etc of their own. Processes, waiting
# and errors come from scripts/lib.sh, the VPNs' pieces from vpnlib.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/vpnlib.sh
. "$ROOT/scripts/vpnlib.sh"
PROBE=$ROOT/.output/tests/netprobe
HOOK=$ROOT/scripts/tunleak-route-fix
CLUSTER_CIDRS="10.128.0.0/14 172.30.0.0/16 198.18.0.0/24"

lab_usage() {
	cat >&2 <<EOT
usage: $(basename "$0") up [ID] [MODE] [fix]   build the lab (MODE: ${MODES// /|}, default ${MODES%% *});
                                          with "fix", tunleak-route-fix installed as the VPN's hook; prints ID
       $(basename "$0") down ID               stop what it started, remove its namespaces
       $(basename "$0") reconnect ID [fix]    stop the VPN client and start it again (the tunnel is re-created)
       $(basename "$0") env ID                the lab's variables, to eval
       $(basename "$0") status ID             namespaces, processes, the pod's routes and rules
EOT
	exit 2
}

names() {
	[[ $ID =~ ^[0-9A-Za-z]{1,10}$ ]] || bad "ID \"$ID\": use 1-10 letters or digits"
	local p=$PREFIX$ID
	NS_VPNPOD=${p}pod
	NS_SAME=${p}same
	NS_OTHER=${p}other
	NS_NODE=${p}node
	NS_VPNSRV=${p}srv
	NS_REMOTE=${p}remote
	ALL_NS=("$NS_VPNPOD" "$NS_SAME" "$NS_OTHER" "$NS_NODE" "$NS_VPNSRV" "$NS_REMOTE")
	STATE=/tmp/tunleak-lab-$FAMILY.$ID
}

print_env() {
	local mode
	mode=$(cat "$STATE/mode" 2>/dev/null || echo "${MODES%% *}")
	cat <<EOT
LAB_ID=$ID
LAB_FAMILY=$FAMILY
LAB_MODE=$mode
LAB_STATE=$STATE
NS_VPNPOD=$NS_VPNPOD
NS_SAME=$NS_SAME
NS_OTHER=$NS_OTHER
NS_NODE=$NS_NODE
NS_VPNSRV=$NS_VPNSRV
NS_REMOTE=$NS_REMOTE
CLUSTER_CIDR=10.128.0.0/14
SERVICE_CIDR=172.30.0.0/16
NODE_CIDR=198.18.0.0/24
REMOTE_CIDR=192.0.2.0/24
VPNPOD_IP=10.128.0.10
SAME_IP=10.128.0.20
OTHER_IP=10.130.0.5
SERVICE_IP=172.30.0.10
NODE_IP=198.18.0.1
REMOTE_IP=192.0.2.10
POD_GW=10.128.0.1
VPNSRV_IP=198.19.0.2
SERVER_PORT=8080
TUN_DEV=$TUN_DEV
TUN_NET=$TUN_NET
HOOK_LOG=$STATE/hook.log
EOT
	family_env "$mode"
}

# private NAME NS CMD...: CMD in the background in NS, under lab-private.sh
# (a mount namespace with a /run and /etc of its own, in STATE/NAME.mnt);
# output in STATE/NAME.log, remembered in STATE/NAME.pid (stop_pidfile).
private() {
	local name=$1 n=$2
	shift 2
	bg_pidfile "$STATE/$name.pid" "$STATE/$name.log" "$n" "$VPN_PRIVATE" "$STATE/$name.mnt" "$@"
}

# server_wait WHAT CMD...: until CMD succeeds (at most 5 s, while the server
# of STATE/server.pid runs); else say why, false.
server_wait() {
	local what=$1
	shift
	wait_until 5 _server_settled "$@" || true
	"$@" && return 0
	say "$TL_PROG: $what did not start: $(tail -1 "$STATE/server.log")"
	return 1
}
_server_settled() { "$@" || ! pid_alive "$STATE/server.pid"; }

# client_stop (unless the family has its own): the client of STATE/client.pid
# stopped, then until TUN_DEV is gone (at most 10 s).
client_stop() {
	[ -f "$STATE/client.pid" ] || return 0
	stop_pidfile "$STATE/client.pid"
	wait_until 10 tunnel_gone
}
tunnel_gone() { ! ip -n "$NS_VPNPOD" link show "$TUN_DEV" >/dev/null 2>&1; }

# The hook as the labs install it: its output appended to STATE/hook.log.
hook_cmd() {
	echo "$HOOK $CLUSTER_CIDRS >>$STATE/hook.log 2>&1"
}

# One "ip -batch" per namespace: on a busy machine each ip command waits for
# the kernel's RTNL lock, and a lab of 40 of them took 3 s.
topology() {
	local n
	for n in "${ALL_NS[@]}"; do
		ip netns add "$n"
		echo "$n" >>"$STATE/namespaces"
	done
	ns_sysctls "$NS_NODE" 1
	ns_sysctls "$NS_VPNSRV" 1
	for n in "$NS_VPNPOD" "$NS_SAME" "$NS_OTHER" "$NS_REMOTE"; do ns_sysctls "$n" 0; done

	ip -batch - <<EOT
link add eth0 netns $NS_VPNPOD type veth peer name npod netns $NS_NODE
link add eth0 netns $NS_SAME type veth peer name nsame netns $NS_NODE
link add eth0 netns $NS_OTHER type veth peer name nother netns $NS_NODE
link add eth0 netns $NS_VPNSRV type veth peer name nup netns $NS_NODE
link add eth1 netns $NS_VPNSRV type veth peer name eth0 netns $NS_REMOTE
EOT
	ip -n "$NS_NODE" -batch - <<EOT
link set lo up
link add br0 type bridge
link set br0 up
addr add 10.128.0.1/23 dev br0
addr add 198.18.0.1/32 dev lo
link set npod master br0
link set nsame master br0
link set npod up
link set nsame up
addr add 10.130.0.1/23 dev nother
link set nother up
addr add 198.19.0.1/24 dev nup
link set nup up
route add 172.30.0.0/16 via 10.130.0.5
EOT
	ip -n "$NS_VPNPOD" -batch - <<EOT
link set lo up
addr add 10.128.0.10/23 dev eth0
link set eth0 up
route add default via 10.128.0.1
EOT
	ip -n "$NS_SAME" -batch - <<EOT
link set lo up
addr add 10.128.0.20/23 dev eth0
link set eth0 up
route add default via 10.128.0.1
EOT
	ip -n "$NS_OTHER" -batch - <<EOT
link set lo up
addr add 10.130.0.5/23 dev eth0
addr add 172.30.0.10/32 dev lo
link set eth0 up
route add default via 10.130.0.1
EOT
	# The VPN server reaches the pod network (as through the node's SNAT in
	# real life); cluster traffic leaked to it dies there without an answer.
	ip -n "$NS_VPNSRV" -batch - <<EOT
link set lo up
addr add 198.19.0.2/24 dev eth0
link set eth0 up
addr add 192.0.2.1/24 dev eth1
link set eth1 up
route add 10.128.0.0/23 via 198.19.0.1
route add blackhole 10.0.0.0/8
route add blackhole 172.16.0.0/12
EOT
	ip -n "$NS_REMOTE" -batch - <<EOT
link set lo up
addr add 192.0.2.10/24 dev eth0
link set eth0 up
route add default via 192.0.2.1
EOT
	bg_pidfile "$STATE/listen.pid" "$STATE/listen.log" "$NS_VPNPOD" "$PROBE" listen 8080
	bg_pidfile "$STATE/remote-listen.pid" "$STATE/remote-listen.log" "$NS_REMOTE" "$PROBE" listen 8080
}

# ms WHAT: milliseconds since T0 into STATE/timing ("WHAT MS"); T0 = now.
ms() {
	local now
	now=$(date +%s%N)
	echo "$1 $(((now - T0) / 1000000))" >>"$STATE/timing"
	T0=$now
}

# client_up [fix]: start the client and wait until its routes are in (and,
# with fix, the hook has run); say why not in one line.
client_up() {
	local t0
	t0=$(date +%s%N)
	: >"$STATE/hook.log"
	client_start "${1:-}"
	if ! wait_until 20 client_ready; then
		say "$TL_PROG: the $FAMILY client did not come up; its log:"
		tail -5 "$STATE/client.log" >&2 || true
		return 1
	fi
	# with the hook: until it has done the last CIDR
	if [ "${1:-}" = fix ] && ! wait_for "$STATE/hook.log" "${CLUSTER_CIDRS##* }" 20; then
		say "$TL_PROG: the hook did not run: $(tail -1 "$STATE/hook.log")"
		return 1
	fi
	T0=$t0
	ms "client"
}

lab_up() {
	local n a mode=${MODES%% *} fix="" t0
	for a in "$@"; do
		case $a in
		fix) fix=fix ;;
		*)
			[[ " $MODES " == *" $a "* ]] || bad "mode \"$a\": expected one of: $MODES"
			mode=$a
			;;
		esac
	done
	names
	for n in "${ALL_NS[@]}"; do
		[ ! -e "/run/netns/$n" ] || bad "namespace $n exists already (lab $ID is up?)"
	done
	[ ! -e "$STATE" ] || bad "$STATE exists already (lab $ID is up?)"
	[ -x "$PROBE" ] || bad "$PROBE is missing: make test-build"
	t0=$(date +%s%N)
	mkdir -p "$STATE"
	# From here, a failure (set -e) or a signal takes down what was made.
	cleanup_add up lab_undo
	echo "$mode" >"$STATE/mode"
	T0=$t0
	topology
	ms "topology"
	server_start "$mode"
	ms "server"
	client_up "$fix"
	cleanup_drop up
	T0=$t0
	ms "up"
	echo "$ID"
}

lab_undo() { lab_down >/dev/null 2>&1; }

lab_down() {
	local n pids=()
	names
	client_stop 2>/dev/null || true
	for n in "$STATE"/*.pid; do
		[ -e "$n" ] || continue
		stop_pidfile "$n"
	done
	# and what a daemon forked off in the lab's own namespaces (wireguard-go)
	for n in "${ALL_NS[@]}"; do
		[ -e "/run/netns/$n" ] || continue
		mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$n" 2>/dev/null)
	done
	stop_pid "${pids[@]}"
	for n in "${ALL_NS[@]}"; do
		ip netns del "$n" 2>/dev/null || true
	done
	rm -rf "$STATE"
}

lab_status() {
	names
	echo "$FAMILY lab $ID ($(cat "$STATE/mode" 2>/dev/null || echo '?')):"
	for n in "${ALL_NS[@]}"; do
		if [ -e "/run/netns/$n" ]; then echo "  $n"; else echo "  $n (missing)"; fi
	done
	echo "VPN pod rules, routes:"
	ip -n "$NS_VPNPOD" rule | sed 's/^/  /'
	ip -n "$NS_VPNPOD" route show table all | grep -v '^local\|^broadcast\|^fe80\|^multicast\|table local' | sed 's/^/  /'
}

lab_main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	ID=${1:-}
	case $cmd in
	up)
		if [ -n "$ID" ] && [[ " $MODES fix " != *" $ID "* ]]; then shift; else ID=$$; fi
		[ "$(id -u)" -eq 0 ] || bad "needs root"
		lab_up "$@"
		;;
	down) [ -n "$ID" ] || lab_usage; lab_down ;;
	env) [ -n "$ID" ] || lab_usage; names; print_env ;;
	status) [ -n "$ID" ] || lab_usage; lab_status ;;
	reconnect)
		[ -n "$ID" ] || lab_usage
		names
		[ -e "$STATE/mode" ] || bad "lab $ID is not up"
		client_stop
		client_up "${2:-}"
		;;
	*) lab_usage ;;
	esac
}
