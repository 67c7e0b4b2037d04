#!/usr/bin/env bash
# nodelab: a simulated Kubernetes node, for tunleak's node mode (--all).
#
#   nodelab.sh up [ID] [POD:KIND[:crio|:containerd]]...   build node ID (default:
#                                        the caller's PID) with these pods; prints ID
#   nodelab.sh down ID                   remove everything of node ID (idempotent)
#   nodelab.sh env ID                    its variables, to eval (NL_...)
#   nodelab.sh status ID                 init, namespaces, servers, pods
#   nodelab.sh node ID -- CMD...         run CMD on the node (its net, pid, mount, uts)
#   nodelab.sh pod ID POD -- CMD...      run CMD in pod POD (its net and uts, the node's rest)
#   nodelab.sh add-pod ID POD:KIND[:crio|:containerd]
#   nodelab.sh del-pod ID POD            CNI DEL, stop its processes; its namespace goes away
#   nodelab.sh stop-pod ID POD           as a sandbox stops: the same, but its runtime
#                                        metadata stays (until del-pod)
#   nodelab.sh procs ID N                start N idle processes spread over the pods
#
# KIND: leaky (OpenVPN client of the server that pushes 10.0.0.0/8, 172.16.0.0/12
# and 192.0.2.0/24), clean (OpenVPN client of the server that pushes only
# 192.0.2.0/24), plain (no VPN), tuntap (tun0 from "ip tuntap", with the broad
# routes, no OpenVPN), bare (as tuntap, but its eth0 is a veth pair inside the
# pod, without CNI: for hundreds of pods in seconds), wireguard (wg-quick
# client, "10.0.0.0/8 dev wg0"), strongswan (charon client, a full tunnel in
# table 220): scripts/nodelab-vpns.sh. :crio / :containerd also pin the pod's
# network namespace and write the sandbox's config.json where that runtime
# does.
#
# The node is a sandbox held by an init process (PID 1 of its own PID
# namespace): its own network namespace (the node's host network), PID
# namespace and /proc, mount namespace with its own /run (so /run/netns,
# /run/containers, /run/containerd are the node's) and /var/lib/cni, and
# hostname node-ID. Pods are "unshare --net --uts" processes inside it, wired
# by the real CNI bridge plugin. Outside the node, named nlabID<role>: the VPN
# servers (vpn), the network behind them (remote), another node (other).
# What runs inside the node (its init, the pods) is scripts/nodelab-inside.sh.
# Picture and addresses: docs/nodelab.md.
set -euo pipefail

SELF=$(readlink -f "$0")
ROOT=$(cd "$(dirname "$SELF")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/vpnlib.sh
. "$ROOT/scripts/vpnlib.sh"
# shellcheck source=scripts/nodelab-inside.sh
. "$ROOT/scripts/nodelab-inside.sh"
# shellcheck source=scripts/nodelab-vpns.sh
. "$ROOT/scripts/nodelab-vpns.sh"
PROBE=$ROOT/.output/tests/netprobe
# NODELAB_CNI_DIR: another plugin directory (the tests use a broken plugin
# to take the failure path).
CNI_DIR=${NODELAB_CNI_DIR:-/usr/lib/cni}
KINDS="leaky clean plain tuntap bare $VPNS_KINDS"
# The Kubernetes namespace the pods claim to be in.
PODNS=default

usage() {
	sed -n '2,16p' "$SELF" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

names() { # ID
	ID=$1
	[[ $ID =~ ^[0-9A-Za-z]{1,12}$ ]] || bad "ID \"$ID\": use 1-12 letters or digits"
	STATE=/tmp/tunleak-nodelab.$ID
	NS_VPN=nlab${ID}vpn
	NS_REMOTE=nlab${ID}remote
	NS_OTHER=nlab${ID}other
	ALL_NS=("$NS_VPN" "$NS_REMOTE" "$NS_OTHER")
	NODE=node-$ID
}

# rd VAR FILE: the first line of FILE ("" if there is none) into VAR, without
# a process: the lab reads hundreds of these small files for 50 pods.
rd() {
	local __l=
	{ IFS= read -r __l <"$2"; } 2>/dev/null || true
	printf -v "$1" '%s' "$__l"
}

# remember FILE PID: the process (PID and start time, scripts/lib.sh) in FILE;
# processes are stopped by PID only while they are still the one remembered.
remember() {
	pid_remember "$1" "$2" || die "process $2 is gone already"
}

node_up() { # true if node ID's init runs; its PID in INIT
	pid_alive "$STATE/init.pid" || return 1
	INIT=$PID
}

need_node() {
	node_up || bad "node $ID is not up"
}

# in_node CMD...: CMD on the node: its network, PID, mount and UTS namespaces.
in_node() {
	nsenter -t "$INIT" -n -p -m -u -- "$@"
}

pod_dir() { echo "$STATE/pods/$1"; }

need_pod() { # POD: sets PD, HOSTPID
	PD=$(pod_dir "$1")
	[ -d "$PD" ] || bad "node $ID has no pod \"$1\""
	pid_alive "$PD/hostpid" || die "pod $1: its process is gone"
	HOSTPID=$PID
}

# --- outside the node -------------------------------------------------------------

start_bg() { # NAME NS CMD...: background process in NS, remembered in STATE/NAME.pid
	local name=$1
	shift
	bg_pidfile "$STATE/$name.pid" "$STATE/$name.log" "$@"
}

parse_spec() { # SPEC: checks it; sets SPOD SKIND SRT
	local extra
	IFS=: read -r SPOD SKIND SRT extra <<<"$1"
	[[ $SPOD =~ ^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$ ]] ||
		bad "pod spec \"$1\": pod name must be 1-32 of a-z, 0-9, - (not at either end)"
	[[ " $KINDS " == *" $SKIND "* ]] || bad "pod spec \"$1\": unknown kind \"$SKIND\" ($KINDS)"
	case ${SRT:-} in
	"" | crio | containerd) ;;
	*) bad "pod spec \"$1\": unknown runtime \"$SRT\" (crio, containerd)" ;;
	esac
	[ -z "$extra" ] || bad "pod spec \"$1\": expected POD:KIND[:crio|:containerd]"
}

# host_pids: for pods without one, the PID outside the node of their sandbox
# process (a child of the node's init, reparented there; NSpid "<host> <node>")
# and the inode of their network namespace. One grep and one stat for all.
host_pids() {
	local c pod p f kids=() line host node want=() inodes
	declare -A bynode=()
	for pod in $(ls "$STATE/pods" 2>/dev/null); do
		[ -s "$STATE/pods/$pod/hostpid" ] && continue
		rd p "$STATE/pods/$pod/pid"
		[ -n "$p" ] && bynode[$p]=$pod
	done
	[ ${#bynode[@]} -eq 0 ] && return 0
	for f in /proc/"$INIT"/task/*/children; do
		read -r -a c <"$f" || true
		kids+=("${c[@]/#//proc/}")
	done
	declare -A hostpid=()
	while read -r f line host node; do
		f=${f#/proc/}
		f=${f%%/*}
		[ "$host" = "$f" ] && [ -n "${bynode[$node]:-}" ] || continue
		hostpid[$node]=$host
	done < <(grep -H '^NSpid:' "${kids[@]/%//status}" 2>/dev/null | sed 's/:NSpid:/ NSpid:/')
	for node in "${!bynode[@]}"; do
		[ -n "${hostpid[$node]:-}" ] ||
			die "pod ${bynode[$node]}: its sandbox process is not under the node's init"
		want+=("$node")
	done
	mapfile -t inodes < <(for node in "${want[@]}"; do echo "/proc/${hostpid[$node]}/ns/net"; done |
		xargs stat -L -c %i)
	for ((p = 0; p < ${#want[@]}; p++)); do
		node=${want[p]}
		pod=${bynode[$node]}
		remember "$STATE/pods/$pod/hostpid" "${hostpid[$node]}"
		echo "${inodes[p]}" >"$STATE/pods/$pod/inode"
	done
}

vpn_up() { # POD...: each VPN pod's client has its routes in; the others in LEFT
	local pod kind hp
	LEFT=()
	for pod in "$@"; do
		rd kind "$STATE/pods/$pod/kind"
		if [[ " $VPNS_KINDS " == *" $kind "* ]]; then
			rd hp "$STATE/pods/$pod/hostpid"
			vpns_pod_ready "$kind" "${hp%% *}" || LEFT+=("$pod")
			continue
		fi
		[ "$kind" = leaky ] || [ "$kind" = clean ] || continue
		grep -q "Initialization Sequence Completed" "$STATE/pods/$pod/openvpn.log" 2>/dev/null ||
			LEFT+=("$pod")
	done
	[ ${#LEFT[@]} -eq 0 ]
}

wait_vpn() { # POD...: until vpn_up, at most 15 s
	wait_until 15 vpn_up "$@" ||
		die "pod ${LEFT[0]}: the VPN client did not come up in 15 s; its log: $(tail -qn1 "$STATE/pods/${LEFT[0]}/"{openvpn,charon,wg-quick}.log 2>/dev/null | tail -1)"
}

add_pods() { # SPEC...: the pods of up and add-pod
	local spec pods=()
	mkdir -p "$STATE/pods"
	for spec in "$@"; do
		parse_spec "$spec"
		[ ! -e "$STATE/pods/$SPOD" ] || bad "node $ID has a pod \"$SPOD\" already"
		pods+=("$SPOD")
		vpns_provision "$SPOD" "$SKIND"
	done
	in_node bash "$SELF" _pods-up "$ID" "$@" || exit 1
	host_pids
	wait_vpn "${pods[@]}"
}

cmd_up() {
	local specs=() pods=() spec d n
	if [ $# -eq 0 ] || [[ $1 == *:* ]]; then
		names "$PPID"
	else
		names "$1"
		shift
	fi
	for spec in "$@"; do
		parse_spec "$spec"
		[[ " ${pods[*]} " != *" $SPOD "* ]] || bad "pod \"$SPOD\" is given twice"
		pods+=("$SPOD")
		specs+=("$spec")
	done
	[ -x "$CNI_DIR/bridge" ] || die "$CNI_DIR/bridge is missing: install containernetworking-plugins (scripts/deps.sh)"
	[ -x "$PROBE" ] || die "$PROBE is missing: make test-build"
	[ ! -e "$STATE" ] || bad "node $ID is up already ($STATE exists): down $ID first"
	for n in "${ALL_NS[@]}"; do
		[ ! -e "/run/netns/$n" ] || bad "namespace $n exists already: down $ID first"
	done
	mkdir -p "$STATE"
	# Anything failing from here takes everything down again and says
	# why in one line. (Not "if ! (up_body)": set -e would not hold in it.)
	# Interrupted, it takes down what it had made.
	cleanup_add up up_undo
	set +e
	(up_body "${specs[@]}") 2>"$STATE.up.log"
	rc=$?
	set -e
	if [ $rc -ne 0 ]; then
		fail_line "$STATE.up.log" "up $ID"
		cleanup_now up
		echo "$FAIL" >&2
		exit 1
	fi
	cleanup_drop up
	rm -f "$STATE.up.log"
	echo "$ID"
}

up_undo() {
	cmd_down >/dev/null 2>&1
	rm -f "$STATE.up.log"
}

# fail_line LOG WHAT: the one line saying why WHAT failed, in FAIL: the last
# line of LOG, with the failing command's own last words when the ERR trap
# wrote it.
fail_line() {
	local last prev
	last=$(grep -v '^$' "$1" | tail -1)
	prev=$(grep -v '^$' "$1" | tail -2 | head -1)
	if [[ $last == "failed: "* ]] && [ "$prev" != "$last" ]; then
		last="$last: $prev"
	fi
	last=${last#nodelab: }
	FAIL="nodelab: $2: ${last:-failed}"
}

init_ready() { # UNSHARE-PID: the node's init is ready (dies if it failed)
	[ -e "$STATE/init.ready" ] && return 0
	kill -0 "$1" 2>/dev/null || die "the node's init failed: $(tail -1 "$STATE/init.log")"
	return 1
}

servers_up() {
	grep -q "Initialization Sequence Completed" "$STATE/server-broad.log" &&
		grep -q "Initialization Sequence Completed" "$STATE/server-correct.log"
}

up_body() {
	local n u
	set -eE
	trap 'echo "failed: $BASH_COMMAND" >&2' ERR
	vpn_pki "$STATE/pki" "nodelab-$ID" &
	local pki=$!
	for n in "${ALL_NS[@]}"; do
		ip netns add "$n"
		ip -n "$n" link set lo up
	done

	# The node: init in new PID, network, mount and UTS namespaces.
	# --kill-child: should unshare die, its child (the init) dies too, and
	# with it the whole node. setsid: no signal from the caller's terminal.
	(cd / && exec setsid unshare --net --uts --mount --pid --fork --mount-proc \
		--propagation private --kill-child bash "$SELF" _init "$ID" \
		</dev/null >"$STATE/init.log" 2>&1) &
	u=$!
	remember "$STATE/unshare.pid" "$u"
	wait_until 2 init_ready "$u" || die "the node's init did not get ready"
	# u is the subshell that became unshare; its one child is the init.
	read -r INIT <"/proc/$u/task/$u/children" || true
	[[ $INIT =~ ^[0-9]+$ ]] || die "cannot find the node's init (children of $u: $INIT)"
	remember "$STATE/init.pid" "$INIT"

	# Links: node eth0 -- other node, node eth1 -- VPN servers' network,
	# VPN servers eth1 -- remote network.
	ip -n "$NS_OTHER" link add eth0 type veth peer name eth0 netns "$INIT"
	ip -n "$NS_VPN" link add eth0 type veth peer name eth1 netns "$INIT"
	ip -n "$NS_VPN" link add eth1 type veth peer name eth0 netns "$NS_REMOTE"

	# The node routes between its pods (cni0, made by the first CNI ADD),
	# the other node and the VPN servers. No default route: what is not
	# routed here dies at the node.
	in_node sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	in_node ip -batch - <<EOT
link set lo up
addr add 198.18.0.1/24 dev eth0
link set eth0 up
addr add 198.19.0.1/24 dev eth1
link set eth1 up
route add 10.128.2.0/23 via 198.18.0.2
route add 172.30.0.0/16 via 198.18.0.2
EOT

	# The CNI config a kubelet would find in /etc/cni/net.d.
	cat >"$STATE/cni.conf" <<EOT
{
	"cniVersion": "1.0.0",
	"name": "nodelab",
	"type": "bridge",
	"bridge": "cni0",
	"isGateway": true,
	"ipMasq": false,
	"ipam": {
		"type": "host-local",
		"ranges": [[{"subnet": "10.128.0.0/23", "gateway": "10.128.0.1"}]],
		"routes": [{"dst": "0.0.0.0/0"}],
		"dataDir": "/var/lib/cni/networks"
	}
}
EOT
	echo 0 >"$STATE/procs"
	# The pods come up while the rest of the lab does; their OpenVPN
	# clients wait for servers.ready.
	local podsjob= pods=() spec
	if [ $# -gt 0 ]; then
		for spec in "$@"; do
			parse_spec "$spec"
			pods+=("$SPOD")
		done
		mkdir -p "$STATE/pods"
		(
			trap - ERR
			in_node bash "$SELF" _pods-up "$ID" "$@"
		) 2>"$STATE/pods-up.log" &
		podsjob=$!
	fi

	# Another node: the pod 10.128.2.5 (and the service 172.30.0.10), listening.
	ns_sysctls "$NS_OTHER" 0
	ip -n "$NS_OTHER" -batch - <<EOT
addr add 198.18.0.2/24 dev eth0
link set eth0 up
addr add 10.128.2.5/32 dev lo
addr add 172.30.0.10/32 dev lo
route add default via 198.18.0.1
EOT
	start_bg other-listen "$NS_OTHER" "$PROBE" listen 8080

	# The remote network behind the VPN servers: 192.0.2.10, listening.
	ns_sysctls "$NS_REMOTE" 0
	ip -n "$NS_REMOTE" -batch - <<EOT
addr add 192.0.2.10/24 dev eth0
link set eth0 up
route add default via 192.0.2.1
EOT
	start_bg remote-listen "$NS_REMOTE" "$PROBE" listen 8080

	# The VPN servers forward between their tunnels and the remote network,
	# so forwarding is on; packets leaked into a tunnel toward the cluster
	# must vanish there without an answer (a TCP connect times out), so
	# private space other than the pods they serve is a blackhole.
	ns_sysctls "$NS_VPN" 1
	ip -n "$NS_VPN" -batch - <<EOT
addr add 198.19.0.2/24 dev eth0
addr add 198.19.0.3/24 dev eth0
link set eth0 up
addr add 192.0.2.1/24 dev eth1
link set eth1 up
route add 10.128.0.0/23 via 198.19.0.1
route add blackhole 10.0.0.0/8
route add blackhole 172.16.0.0/12
EOT
	wait "$pki" || die "making the lab's certificates failed"
	# One client certificate for every pod: duplicate-cn.
	vpn_server_conf "$STATE/server-broad.conf" "$STATE/pki" tunb 198.19.0.2 198.19.8.0 \
		"duplicate-cn" \
		"# The misconfiguration: all private space through the tunnel." \
		'push "route 10.0.0.0 255.0.0.0"' \
		'push "route 172.16.0.0 255.240.0.0"' \
		'push "route 192.0.2.0 255.255.255.0"'
	vpn_server_conf "$STATE/server-correct.conf" "$STATE/pki" tunc 198.19.0.3 198.19.9.0 \
		"duplicate-cn" \
		'push "route 192.0.2.0 255.255.255.0"'
	vpn_client_conf "$STATE/client-leaky.conf" "$STATE/pki" 198.19.0.2
	vpn_client_conf "$STATE/client-clean.conf" "$STATE/pki" 198.19.0.3
	start_bg server-broad "$NS_VPN" openvpn --config "$STATE/server-broad.conf"
	start_bg server-correct "$NS_VPN" openvpn --config "$STATE/server-correct.conf"
	wait_until 4 servers_up || die "the OpenVPN servers did not start: $(tail -1 "$STATE/server-broad.log")"
	for spec in "$@"; do
		parse_spec "$spec"
		vpns_provision "$SPOD" "$SKIND"
	done

	: >"$STATE/servers.ready"
	if [ -n "$podsjob" ]; then
		if ! wait "$podsjob"; then
			n=$(grep -v '^$' "$STATE/pods-up.log" | tail -1)
			die "${n#nodelab: }"
		fi
		host_pids
		wait_vpn "${pods[@]}"
	fi
}

cmd_down() {
	local n pids
	if node_up; then
		# Everything in the node's PID namespace dies with its init.
		kill -KILL "$INIT" 2>/dev/null || true
	fi
	if pid_alive "$STATE/unshare.pid"; then
		stop_pid "$PID"
	fi
	for n in "${ALL_NS[@]}"; do
		[ -e "/run/netns/$n" ] || continue
		mapfile -t pids < <(ip netns pids "$n" 2>/dev/null)
		stop_pid "${pids[@]}"
		ip netns del "$n" 2>/dev/null || true
	done
	[ -z "${INIT:-}" ] || wait_until 2 pid_gone "$INIT" || true
	rm -rf "$STATE" "$STATE.up.log"
}

cmd_env() {
	local pod v pid hostpid ip kind rt inode netns config sandbox procs pods
	need_node
	rd procs "$STATE/procs"
	pods=$(ls "$STATE/pods" 2>/dev/null | tr '\n' ' ')
	printf '%s=%q\n' \
		NL_ID "$ID" NL_STATE "$STATE" NL_NODE_NAME "$NODE" NL_INIT_PID "$INIT" \
		NL_NS_VPN "$NS_VPN" NL_NS_REMOTE "$NS_REMOTE" NL_NS_OTHER "$NS_OTHER" \
		NL_CLUSTER_CIDR 10.128.0.0/14 NL_POD_CIDR 10.128.0.0/23 NL_OTHER_POD_CIDR 10.128.2.0/23 \
		NL_SERVICE_CIDR 172.30.0.0/16 NL_NODE_CIDR 198.18.0.0/24 NL_VPN_CIDR 198.19.0.0/24 \
		NL_REMOTE_CIDR 192.0.2.0/24 NL_POD_GW 10.128.0.1 NL_NODE_IP 198.18.0.1 \
		NL_OTHER_NODE_IP 198.18.0.2 NL_OTHER_POD_IP 10.128.2.5 NL_SERVICE_IP 172.30.0.10 \
		NL_REMOTE_IP 192.0.2.10 NL_SERVER_PORT 8080 \
		NL_VPN_BROAD_IP 198.19.0.2 NL_VPN_CORRECT_IP 198.19.0.3 \
		NL_TUN_GW_BROAD 198.19.8.1 NL_TUN_GW_CORRECT 198.19.9.1 NL_TUN_GW_TUNTAP 198.19.10.1 \
		NL_TUN_GW_WIREGUARD 198.19.11.1 \
		NL_PODNS "$PODNS" NL_PROCS "$procs" NL_PODS "${pods% }"
	for pod in $pods; do
		PD=$(pod_dir "$pod")
		rd pid "$PD/pid"
		rd hostpid "$PD/hostpid"
		rd ip "$PD/ip"
		rd kind "$PD/kind"
		rd rt "$PD/runtime"
		rd inode "$PD/inode"
		rd netns "$PD/netns"
		rd config "$PD/config"
		rd sandbox "$PD/sandbox"
		v=${pod^^}
		v=NL_POD_${v//-/_}
		printf '%s=%q\n' "${v}_PID" "$pid" "${v}_HOSTPID" "${hostpid%% *}" "${v}_IP" "$ip" \
			"${v}_KIND" "$kind" "${v}_RUNTIME" "$rt" "${v}_NETNS_INODE" "$inode" \
			"${v}_NETNS" "$netns" "${v}_CONFIG" "$config" "${v}_SANDBOX" "$sandbox"
	done
}

cmd_status() {
	local n pod tun pid hostpid ip kind rt procs
	if ! node_up; then
		echo "node $ID: not up"
		return 0
	fi
	echo "node $ID ($NODE): init PID $INIT"
	for n in "${ALL_NS[@]}"; do
		if [ -e "/run/netns/$n" ]; then echo "  namespace $n"; else echo "  namespace $n (missing)"; fi
	done
	for n in server-broad server-correct wg-server sw-server other-listen remote-listen; do
		if pid_alive "$STATE/$n.pid"; then echo "  $n: PID $PID"; else echo "  $n: not running"; fi
	done
	rd procs "$STATE/procs"
	echo "  idle processes from procs: $procs"
	for pod in $(ls "$STATE/pods" 2>/dev/null); do
		PD=$(pod_dir "$pod")
		rd pid "$PD/pid"
		rd hostpid "$PD/hostpid"
		rd ip "$PD/ip"
		rd kind "$PD/kind"
		rd rt "$PD/runtime"
		tun=
		[ -n "$hostpid" ] && tun=$(nsenter -t "${hostpid%% *}" -n ip route show 10.0.0.0/8 2>/dev/null | head -1)
		printf '  pod %-12s %-7s %-10s %-12s PID %s (node %s)%s\n' "$pod" "$kind" "$rt" "$ip" \
			"${hostpid%% *}" "$pid" "${tun:+; $tun}"
	done
}

cmd_procs() {
	local n=$1 pods per extra i k pod
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 100000 ] || bad "procs: N \"$n\": expected 1-100000"
	need_node
	mapfile -t pods < <(ls "$STATE/pods" 2>/dev/null)
	[ ${#pods[@]} -gt 0 ] || bad "node $ID has no pods"
	per=$((n / ${#pods[@]}))
	extra=$((n % ${#pods[@]}))
	for ((i = 0; i < ${#pods[@]}; i++)); do
		pod=${pods[i]}
		k=$((per + (i < extra ? 1 : 0)))
		[ "$k" -gt 0 ] || continue
		need_pod "$pod"
		# Started by a shell that exits: they end up children of the init.
		nsenter -t "$HOSTPID" -n -u -p -m -- bash -c \
			'for ((j = 0; j < $1; j++)); do (exec -a "idle-$2" sleep infinity) </dev/null >/dev/null 2>&1 & done' \
			_ "$k" "$pod"
	done
	rd k "$STATE/procs"
	echo $((k + n)) >"$STATE/procs"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
_init)
	node_init "$1"
	;;
_pods-up)
	names "$1"
	shift
	pods_up "$@"
	;;
_pod-down)
	names "$1"
	pod_down "$2" "${3:-}"
	;;
up)
	cmd_up "$@"
	;;
down)
	[ $# -eq 1 ] || bad "usage: down ID"
	names "$1"
	node_up || true
	cmd_down
	;;
env | status)
	[ $# -eq 1 ] || bad "usage: $cmd ID"
	names "$1"
	"cmd_$cmd"
	;;
node)
	[ $# -ge 3 ] && [ "$2" = -- ] || bad "usage: node ID -- CMD..."
	names "$1"
	shift 2
	need_node
	wd=$PWD
	[[ $wd == /run* ]] && wd=/
	exec nsenter -t "$INIT" -n -p -m -u --wd="$wd" -- "$@"
	;;
pod)
	[ $# -ge 4 ] && [ "$3" = -- ] || bad "usage: pod ID POD -- CMD..."
	names "$1"
	need_node
	need_pod "$2"
	shift 3
	wd=$PWD
	[[ $wd == /run* ]] && wd=/
	exec nsenter -t "$HOSTPID" -n -u -p -m --wd="$wd" -- "$@"
	;;
add-pod)
	[ $# -eq 2 ] || bad "usage: add-pod ID POD:KIND[:crio|:containerd]"
	names "$1"
	need_node
	parse_spec "$2"
	[ ! -e "$(pod_dir "$SPOD")" ] || bad "node $ID has a pod \"$SPOD\" already"
	set +e
	(set -e; add_pods "$2") 2>"$STATE/add.log"
	rc=$?
	set -e
	if [ $rc -ne 0 ]; then
		fail_line "$STATE/add.log" "add-pod $SPOD"
		if [ -d "$(pod_dir "$SPOD")" ]; then
			in_node bash "$SELF" _pod-down "$ID" "$SPOD" >/dev/null 2>&1 || true
			rm -rf "$(pod_dir "$SPOD")"
		fi
		rm -f "$STATE/add.log"
		echo "$FAIL" >&2
		exit 1
	fi
	rm -f "$STATE/add.log"
	;;
del-pod)
	[ $# -eq 2 ] || bad "usage: del-pod ID POD"
	names "$1"
	need_node
	[ -d "$(pod_dir "$2")" ] || bad "node $ID has no pod \"$2\""
	in_node bash "$SELF" _pod-down "$ID" "$2" || exit 1
	rm -rf "$(pod_dir "$2")"
	;;
stop-pod)
	[ $# -eq 2 ] || bad "usage: stop-pod ID POD"
	names "$1"
	need_node
	[ -d "$(pod_dir "$2")" ] || bad "node $ID has no pod \"$2\""
	in_node bash "$SELF" _pod-down "$ID" "$2" keep-meta || exit 1
	: >"$(pod_dir "$2")/stopped"
	;;
procs)
	[ $# -eq 2 ] || bad "usage: procs ID N"
	names "$1"
	cmd_procs "$2"
	;;
"" | -h | --help | help)
	usage
	;;
*)
	bad "unknown command \"$cmd\" (up, down, env, status, node, pod, add-pod, del-pod, stop-pod, procs)"
	;;
esac

