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
#   nodelab.sh procs ID N                start N idle processes spread over the pods
#
# KIND: leaky (OpenVPN client of the server that pushes 10.0.0.0/8, 172.16.0.0/12
# and 192.0.2.0/24), clean (OpenVPN client of the server that pushes only
# 192.0.2.0/24), plain (no VPN), tuntap (tun0 from "ip tuntap", with the broad
# routes, no OpenVPN), wireguard (wg-quick client, "10.0.0.0/8 dev wg0"),
# strongswan (charon client, a full tunnel in table 220): scripts/nodelab-vpns.sh.
# :crio / :containerd also pin the pod's network namespace and write the
# sandbox's config.json where that runtime does.
#
# The node is a sandbox held by an init process (PID 1 of its own PID
# namespace): its own network namespace (the node's host network), PID
# namespace and /proc, mount namespace with its own /run (so /run/netns,
# /run/containers, /run/containerd are the node's) and /var/lib/cni, and
# hostname node-ID. Pods are "unshare --net --uts" processes inside it, wired
# by the real CNI bridge plugin. Outside the node, named nlabID<role>: the VPN
# servers (vpn), the network behind them (remote), another node (other).
# Picture and addresses: docs/nodelab.md.
set -euo pipefail

SELF=$(readlink -f "$0")
ROOT=$(cd "$(dirname "$SELF")/.." && pwd)
# shellcheck source=scripts/vpnlib.sh
. "$ROOT/scripts/vpnlib.sh"
# shellcheck source=scripts/nodelab-vpns.sh
. "$ROOT/scripts/nodelab-vpns.sh"
PROBE=$ROOT/.output/tests/netprobe
# NODELAB_CNI_DIR: another plugin directory (the tests use a broken plugin
# to take the failure path).
CNI_DIR=${NODELAB_CNI_DIR:-/usr/lib/cni}
KINDS="leaky clean plain tuntap $VPNS_KINDS"
# The Kubernetes namespace the pods claim to be in.
PODNS=default

usage() {
	sed -n '2,14p' "$SELF" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
bad() { # one line, exit 2: bad usage
	echo "nodelab: $*" >&2
	exit 2
}
die() { # one line, exit 1: something failed
	echo "nodelab: $*" >&2
	exit 1
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

# --- processes: started by us, stopped by PID after checking it is still ours --

# rd VAR FILE: the first line of FILE ("" if there is none) into VAR, without
# a process: the lab reads hundreds of these small files for 50 pods.
rd() {
	local __l=
	{ IFS= read -r __l <"$2"; } 2>/dev/null || true
	printf -v "$1" '%s' "$__l"
}

# starttime PID: field 22 of /proc/PID/stat (ticks since boot), in START;
# with the PID it names one process for good, so a recycled PID is never
# signalled. Also STATE1, the process state letter.
starttime() {
	local s f
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	# After the command name, which may hold spaces and ")".
	read -r -a f <<<"${s##*) }"
	STATE1=${f[0]}
	START=${f[19]}
}

remember() { # FILE PID
	starttime "$2" || die "process $2 is gone already"
	echo "$2 $START" >"$1"
}

alive() { # FILE: true if the process recorded in FILE still runs; its PID in PID
	local st
	PID=
	{ read -r PID st <"$1"; } 2>/dev/null || return 1
	[ -n "$PID" ] && starttime "$PID" && [ "$START" = "$st" ]
}

running() { # PID: exists and is not a zombie waiting for its parent
	starttime "$1" && [ "$STATE1" != Z ]
}

kill_wait() { # PID...: TERM, up to 2 s, then KILL
	local p i left
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		left=()
		for p in "$@"; do running "$p" && left+=("$p"); done
		[ ${#left[@]} -eq 0 ] && return 0
		sleep 0.05
	done
	kill -KILL "${left[@]}" 2>/dev/null || true
}

node_up() { # true if node ID's init runs; its PID in INIT
	alive "$STATE/init.pid" || return 1
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
	alive "$PD/hostpid" || die "pod $1: its process is gone"
	HOSTPID=$PID
}

# --- inside the node ------------------------------------------------------------

# _init ID: PID 1 of the node. Gives the node its own /run (netns, containers,
# containerd), /var/lib/cni and /sys, then reaps orphans until killed.
node_init() {
	names "$1"
	set -e
	# The machine's /run is on its root file system here and lacks
	# containers/ and containerd/: a tmpfs over all of /run makes them
	# without creating anything on the machine, as a node's /run is its own.
	mount -t tmpfs -o mode=755,size=64m "nodelab-run-$ID" /run
	mkdir -p /run/netns /run/containers /run/containerd /run/lock /run/nodelab
	if [ -d /var/lib/cni ]; then
		mount -t tmpfs -o mode=755 "nodelab-cni-$ID" /var/lib/cni
	else
		# Writes to /var/lib land in a tmpfs upper layer: the machine's
		# /var/lib stays readable and untouched.
		mkdir /run/nodelab/varlib /run/nodelab/varlib.work
		mount -t overlay "nodelab-varlib-$ID" \
			-o lowerdir=/var/lib,upperdir=/run/nodelab/varlib,workdir=/run/nodelab/varlib.work /var/lib
		mkdir /var/lib/cni
	fi
	# sysfs shows the network devices of the namespace that mounts it.
	mount -t sysfs "nodelab-sys-$ID" /sys
	hostname "$NODE"
	: >"$STATE/init.ready"
	set +e
	# bash reaps every child, reparented orphans included, on SIGCHLD.
	while :; do
		sleep 86400 &
		wait $!
	done
}

cni() { # COMMAND POD NODEPID: run the bridge plugin as a kubelet would
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/proc/$3/ns/net CNI_IFNAME=eth0 \
		CNI_PATH=$CNI_DIR "$CNI_DIR/bridge" <"$STATE/cni.conf"
}

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# pin NODEPID PATH: bind-mount the pod's network namespace at PATH, as a
# runtime keeps it while the sandbox exists.
pin() {
	touch "$2"
	mount --bind "/proc/$1/ns/net" "$2"
}

crio_meta() { # POD NODEPID IP
	local pod=$1 uid sid uuid dir labels meta
	rd uuid /proc/sys/kernel/random/uuid
	rd uid /proc/sys/kernel/random/uuid
	sid=$(hex 32)
	# CRI-O: pinns puts the namespace at <namespaces_dir>/netns/<uuid>,
	# namespaces_dir defaulting to /var/run; the sandbox spec goes to the
	# storage run root, /run/containers/storage/overlay-containers/<id>/userdata.
	pin "$2" "/run/netns/$uuid"
	dir=/run/containers/storage/overlay-containers/$sid/userdata
	mkdir -p "$dir"
	labels=$(jq -cn --arg n "$pod" --arg ns "$PODNS" --arg u "$uid" \
		'{"io.kubernetes.container.name":"POD","io.kubernetes.pod.name":$n,
		  "io.kubernetes.pod.namespace":$ns,"io.kubernetes.pod.uid":$u}')
	meta=$(jq -cn --arg n "$pod" --arg ns "$PODNS" --arg u "$uid" \
		'{name:$n,uid:$u,namespace:$ns,attempt:0}')
	jq -n --arg n "$pod" --arg ns "$PODNS" --arg u "$uid" --arg id "$sid" --arg ip "$3" \
		--arg net "/var/run/netns/$uuid" --argjson labels "$labels" --arg lj "$labels" \
		--arg mj "$meta" '{
		ociVersion: "1.0.2-dev",
		process: {args: ["/pause"], cwd: "/"},
		root: {path: "/var/lib/containers/storage/overlay/\($id)/merged", readonly: true},
		hostname: $n,
		annotations: ($labels + {
			"io.container.manager": "cri-o",
			"io.kubernetes.cri-o.ContainerType": "sandbox",
			"io.kubernetes.cri-o.SandboxID": $id,
			"io.kubernetes.cri-o.ContainerID": $id,
			"io.kubernetes.cri-o.KubeName": $n,
			"io.kubernetes.cri-o.Namespace": $ns,
			"io.kubernetes.cri-o.Name": "k8s_\($n)_\($ns)_\($u)_0",
			"io.kubernetes.cri-o.SandboxName": "k8s_\($n)_\($ns)_\($u)_0",
			"io.kubernetes.cri-o.ContainerName": "k8s_POD_\($n)_\($ns)_\($u)_0",
			"io.kubernetes.cri-o.HostName": $n,
			"io.kubernetes.cri-o.HostNetwork": "false",
			"io.kubernetes.cri-o.Labels": $lj,
			"io.kubernetes.cri-o.Metadata": $mj,
			"io.kubernetes.cri-o.IP.0": $ip
		}),
		linux: {namespaces: [{type: "pid"}, {type: "network", path: $net},
			{type: "ipc"}, {type: "uts"}, {type: "mount"}]}
	}' >"$dir/config.json"
	echo "$sid" >"$PD/sandbox"
	echo "/run/netns/$uuid" >"$PD/netns"
	echo "$dir/config.json" >"$PD/config"
	dirname "$dir" >"$PD/metadir"
}

containerd_meta() { # POD NODEPID IP
	local pod=$1 uid sid r name dir
	rd uid /proc/sys/kernel/random/uuid
	sid=$(hex 32)
	# containerd's CRI plugin: /var/run/netns/cni-<random, uuid-shaped>
	# (netns_mounts_under_state_dir off, the default); the sandbox's OCI
	# bundle under the runtime v2 state dir, in containerd namespace k8s.io.
	r=$(hex 16)
	name=cni-${r:0:8}-${r:8:4}-${r:12:4}-${r:16:4}-${r:20:12}
	pin "$2" "/run/netns/$name"
	dir=/run/containerd/io.containerd.runtime.v2.task/k8s.io/$sid
	mkdir -p "$dir"
	jq -n --arg n "$pod" --arg ns "$PODNS" --arg u "$uid" --arg id "$sid" \
		--arg net "/var/run/netns/$name" '{
		ociVersion: "1.1.0",
		process: {args: ["/pause"], cwd: "/"},
		root: {path: "rootfs", readonly: true},
		hostname: $n,
		annotations: {
			"io.kubernetes.cri.container-type": "sandbox",
			"io.kubernetes.cri.sandbox-id": $id,
			"io.kubernetes.cri.sandbox-name": $n,
			"io.kubernetes.cri.sandbox-namespace": $ns,
			"io.kubernetes.cri.sandbox-uid": $u,
			"io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/\($ns)_\($n)_\($u)",
			"io.kubernetes.cri.podsandbox.image-name": "registry.k8s.io/pause:3.9"
		},
		linux: {namespaces: [{type: "pid"}, {type: "ipc"}, {type: "uts"},
			{type: "mount"}, {type: "network", path: $net}]}
	}' >"$dir/config.json"
	echo "$sid" >"$PD/sandbox"
	echo "/run/netns/$name" >"$PD/netns"
	echo "$dir/config.json" >"$PD/config"
	echo "$dir" >"$PD/metadir"
}

# Pods are made in three steps, so that 50 of them take seconds: all sandbox
# processes at once (pod_spawn), then CNI ADD one pod after the other (the
# plugin spends its time under the kernel's RTNL lock: in parallel it only
# gets slower, measured 3.0 s against 2.4 s for 50), each pod finished in the
# background as soon as it has its address (pod_finish). Few processes per
# pod (each costs ~10 ms here): sysctls and hostname are written by the shell.

# pod_spawn POD KIND RUNTIME (inside the node): the pod's sandbox process: new
# network and UTS namespaces, hostname = pod name as the kubelet sets it, IPv6
# off (no router solicitations in the counts), forwarding off whatever the
# machine's default. Sets SPAWN_FD: its PID comes through it once all that is
# done.
pod_spawn() {
	local pod=$1 PD=$STATE/pods/$1
	echo "$2" >"$PD/kind"
	echo "$3" >"$PD/runtime"
	exec {SPAWN_FD}< <(exec unshare --net --uts -- bash -c '
		echo "$1" >/proc/sys/kernel/hostname &&
		echo 0 >/proc/sys/net/ipv4/ip_forward &&
		echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 &&
		echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 &&
		echo $$ && exec -a "pause-$1" sleep infinity </dev/null >/dev/null 2>&1' \
		_ "$pod" </dev/null 2>"$PD/pause.err")
}

# pod_net POD FD: the PID from FD, then CNI ADD. Sets P and IP.
pod_net() {
	local pod=$1 PD=$STATE/pods/$1 out fd=$2
	P=
	read -r P <&"$fd" || true
	exec {fd}<&-
	[[ $P =~ ^[0-9]+$ ]] || die "pod $pod: its process failed: $(tail -1 "$PD/pause.err")"
	echo "$P" >"$PD/pid"
	out=$(cni ADD "$pod" "$P" 2>&1) || die "pod $pod: CNI ADD failed: ${out//$'\n'/ }"
	echo "$out" >"$PD/cni.json"
	[[ $out =~ \"address\":\ *\"(10\.128\.[01]\.[0-9]+)/23\" ]] ||
		die "pod $pod: CNI ADD gave no address in 10.128.0.0/23: ${out//$'\n'/ }"
	IP=${BASH_REMATCH[1]}
	echo "$IP" >"$PD/ip"
}

# pod_finish POD KIND RUNTIME NODEPID IP: runtime metadata, lo, the tunnel.
pod_finish() {
	local pod=$1 kind=$2 rt=$3 p=$4 ip=$5 i
	PD=$STATE/pods/$pod
	case $rt in
	crio) crio_meta "$pod" "$p" "$ip" ;;
	containerd) containerd_meta "$pod" "$p" "$ip" ;;
	esac
	case $kind in
	leaky | clean)
		nsenter -t "$p" -n -- ip link set lo up
		for ((i = 0; i < 300; i++)); do
			[ -e "$STATE/servers.ready" ] && break
			sleep 0.05
		done
		[ -e "$STATE/servers.ready" ] || die "pod $pod: the VPN servers did not come up"
		nsenter -t "$p" -n -u -- openvpn --config "$STATE/client-$kind.conf" \
			--log "$PD/openvpn.log" --writepid "$PD/openvpn.pid" --daemon "ovpn-$pod" ||
			die "pod $pod: openvpn did not start: $(tail -1 "$PD/openvpn.log" 2>/dev/null)"
		;;
	plain)
		nsenter -t "$p" -n -- ip link set lo up
		;;
	wireguard | strongswan)
		nsenter -t "$p" -n -- ip link set lo up
		for ((i = 0; i < 300; i++)); do
			[ -e "$STATE/servers.ready" ] && break
			sleep 0.05
		done
		[ -e "$STATE/servers.ready" ] || die "pod $pod: the VPN servers did not come up"
		vpns_pod_start "$pod" "$kind" "$p"
		;;
	tuntap)
		nsenter -t "$p" -n -- ip -batch - <<EOT || die "pod $pod: tun0 setup failed"
link set lo up
tuntap add dev tun0 mode tun
addr add 198.19.10.2/24 dev tun0
link set tun0 up
route add 10.0.0.0/8 via 198.19.10.1 dev tun0
route add 172.16.0.0/12 via 198.19.10.1 dev tun0
route add 192.0.2.0/24 via 198.19.10.1 dev tun0
EOT
		;;
	esac
}

# _pods-up ID SPEC...: the pods. Output: nothing, or the error line of the
# first pod that failed.
pods_up() {
	local spec pod kind rt i fds=() jobs=() failed=0 j dirs=() pods=() kinds=() rts=()
	for spec in "$@"; do
		IFS=: read -r pod kind rt <<<"$spec"
		pods+=("$pod")
		kinds+=("$kind")
		rts+=("${rt:-none}")
		dirs+=("$STATE/pods/$pod")
	done
	mkdir -p "${dirs[@]}"
	for ((i = 0; i < ${#pods[@]}; i++)); do
		pod_spawn "${pods[i]}" "${kinds[i]}" "${rts[i]}"
		fds+=("$SPAWN_FD")
	done
	for ((i = 0; i < ${#pods[@]}; i++)); do
		pod_net "${pods[i]}" "${fds[i]}"
		# A subshell of its own (not tested by || or if), so that set -e
		# holds inside it.
		(pod_finish "${pods[i]}" "${kinds[i]}" "${rts[i]}" "$P" "$IP") &
		jobs+=($!)
	done
	for j in "${jobs[@]}"; do
		wait "$j" || failed=1
	done
	return $failed
}

# netns_pids INODE: node PIDs of the processes in the network namespace INODE.
netns_pids() {
	local f
	for f in /proc/[0-9]*/ns/net; do
		[ "$(stat -L -c %i "$f" 2>/dev/null)" = "$1" ] || continue
		f=${f#/proc/}
		echo "${f%%/*}"
	done
}

# _pod-down ID POD (inside the node): CNI DEL while the sandbox process still
# holds the namespace (the kubelet's order), drop the runtime's pin and
# metadata, stop every process in the namespace.
pod_down() {
	local pod=$1 p inode out pids pin meta
	PD=$(pod_dir "$pod")
	rd p "$PD/pid"
	rd inode "$PD/inode"
	rd pin "$PD/netns"
	rd meta "$PD/metadir"
	# A pod whose start failed half-way has no inode on record yet.
	[ -n "$inode" ] || [ -z "$p" ] || inode=$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null || true)
	if [ -n "$p" ] && [ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$inode" ]; then
		out=$(cni DEL "$pod" "$p" 2>&1) || echo "nodelab: pod $pod: CNI DEL failed: ${out//$'\n'/ }" >&2
	fi
	if [ -n "$pin" ]; then
		umount "$pin" 2>/dev/null || true
		rm -f "$pin"
	fi
	[ -z "$meta" ] || rm -rf "$meta"
	[ -n "$inode" ] || return 0
	mapfile -t pids < <(netns_pids "$inode")
	kill_wait "${pids[@]}"
	mapfile -t pids < <(netns_pids "$inode")
	[ ${#pids[@]} -eq 0 ] || die "pod $pod: processes ${pids[*]} still hold its namespace"
}

# --- outside the node -------------------------------------------------------------

ns() { ip netns exec "$@"; }

start_bg() { # NAME NS CMD...: background process in NS, remembered in STATE/NAME.pid
	local name=$1 n=$2
	shift 2
	ip netns exec "$n" "$@" </dev/null >"$STATE/$name.log" 2>&1 &
	remember "$STATE/$name.pid" $!
}

sysctls() { # NS FORWARD: set explicitly, as a new namespace copies the root's
	ns "$1" sysctl -qw net.ipv4.ip_forward="$2" net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
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

wait_vpn() { # POD...: until each VPN pod's client has its routes in
	local pod kind i left hp
	for ((i = 0; i < 300; i++)); do
		left=()
		for pod in "$@"; do
			rd kind "$STATE/pods/$pod/kind"
			if [[ " $VPNS_KINDS " == *" $kind "* ]]; then
				rd hp "$STATE/pods/$pod/hostpid"
				vpns_pod_ready "$pod" "$kind" "${hp%% *}" || left+=("$pod")
				continue
			fi
			[ "$kind" = leaky ] || [ "$kind" = clean ] || continue
			grep -q "Initialization Sequence Completed" "$STATE/pods/$pod/openvpn.log" 2>/dev/null ||
				left+=("$pod")
		done
		[ ${#left[@]} -eq 0 ] && return 0
		sleep 0.05
	done
	die "pod ${left[0]}: the VPN client did not come up in 15 s; its log: $(tail -qn1 "$STATE/pods/${left[0]}/"{openvpn,charon,wg-quick}.log 2>/dev/null | tail -1)"
}

add_pods() { # SPEC...: the pods of up and add-pod
	local spec pods=()
	mkdir -p "$STATE/pods"
	for spec in "$@"; do
		parse_spec "$spec"
		[ ! -e "$STATE/pods/$SPOD" ] || bad "node $ID has a pod \"$SPOD\" already"
		pods+=("$SPOD")
	done
	for spec in "$@"; do
		parse_spec "$spec"
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
	trap 'cmd_down >/dev/null 2>&1; rm -f "$STATE.up.log"; exit 130' INT TERM
	set +e
	(up_body "${specs[@]}") 2>"$STATE.up.log"
	rc=$?
	set -e
	trap - INT TERM
	if [ $rc -ne 0 ]; then
		fail_line "$STATE.up.log" "up $ID"
		cmd_down >/dev/null 2>&1 || true
		rm -f "$STATE.up.log"
		echo "$FAIL" >&2
		exit 1
	fi
	rm -f "$STATE.up.log"
	echo "$ID"
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

up_body() {
	local n u i
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
	for ((i = 0; i < 200; i++)); do
		[ -e "$STATE/init.ready" ] && break
		kill -0 "$u" 2>/dev/null || die "the node's init failed: $(tail -1 "$STATE/init.log")"
		sleep 0.01
	done
	[ -e "$STATE/init.ready" ] || die "the node's init did not get ready"
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
	sysctls "$NS_OTHER" 0
	ip -n "$NS_OTHER" -batch - <<EOT
addr add 198.18.0.2/24 dev eth0
link set eth0 up
addr add 10.128.2.5/32 dev lo
addr add 172.30.0.10/32 dev lo
route add default via 198.18.0.1
EOT
	start_bg other-listen "$NS_OTHER" "$PROBE" listen 8080

	# The remote network behind the VPN servers: 192.0.2.10, listening.
	sysctls "$NS_REMOTE" 0
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
	sysctls "$NS_VPN" 1
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
	for ((i = 0; i < 200; i++)); do
		grep -q "Initialization Sequence Completed" "$STATE/server-broad.log" &&
			grep -q "Initialization Sequence Completed" "$STATE/server-correct.log" && break
		sleep 0.02
	done
	[ "$i" -lt 200 ] || die "the OpenVPN servers did not start: $(tail -1 "$STATE/server-broad.log")"

	vpns_servers_start
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
	if alive "$STATE/unshare.pid"; then
		kill_wait "$PID"
	fi
	for n in "${ALL_NS[@]}"; do
		[ -e "/run/netns/$n" ] || continue
		mapfile -t pids < <(ip netns pids "$n" 2>/dev/null)
		kill_wait "${pids[@]}"
		ip netns del "$n" 2>/dev/null || true
	done
	if [ -n "${INIT:-}" ]; then
		for ((n = 0; n < 100; n++)); do
			running "$INIT" || break
			sleep 0.02
		done
	fi
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
	for n in server-broad server-correct other-listen remote-listen; do
		if alive "$STATE/$n.pid"; then echo "  $n: PID $PID"; else echo "  $n: not running"; fi
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
	pod_down "$2"
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
procs)
	[ $# -eq 2 ] || bad "usage: procs ID N"
	names "$1"
	cmd_procs "$2"
	;;
"" | -h | --help | help)
	usage
	;;
*)
	bad "unknown command \"$cmd\" (up, down, env, status, node, pod, add-pod, del-pod, procs)"
	;;
esac
