# shellcheck shell=bash
# nodelab: what runs inside the simulated node (sourced by scripts/nodelab.sh,
# which runs these as "nodelab.sh _init ID", "_pods-up ID SPEC..." and
# "_pod-down ID POD" on the node): the node's init, the pods' sandbox
# processes, CNI ADD and DEL as a kubelet calls them, the runtimes' metadata.
# Uses names, rd, pod_dir, remember, CNI_DIR, PODNS and STATE of nodelab.sh,
# and vpns_pod_start of nodelab-vpns.sh.

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

# pod_net POD FD KIND: the PID from FD, then CNI ADD (not for a bare pod).
# Sets P and IP.
pod_net() {
	local pod=$1 PD=$STATE/pods/$1 out fd=$2
	P=
	IP=
	read -r P <&"$fd" || true
	exec {fd}<&-
	[[ $P =~ ^[0-9]+$ ]] || die "pod $pod: its process failed: $(tail -1 "$PD/pause.err")"
	echo "$P" >"$PD/pid"
	if [ "$3" = bare ]; then
		: >"$PD/ip"
		return 0
	fi
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
		wait_until 15 test -e "$STATE/servers.ready" || die "pod $pod: the VPN servers did not come up"
		nsenter -t "$p" -n -u -- openvpn --config "$STATE/client-$kind.conf" \
			--log "$PD/openvpn.log" --writepid "$PD/openvpn.pid" --daemon "ovpn-$pod" ||
			die "pod $pod: openvpn did not start: $(tail -1 "$PD/openvpn.log" 2>/dev/null)"
		;;
	plain)
		nsenter -t "$p" -n -- ip link set lo up
		;;
	wireguard | strongswan)
		nsenter -t "$p" -n -- ip link set lo up
		wait_until 15 test -e "$STATE/servers.ready" || die "pod $pod: the VPN servers did not come up"
		vpns_pod_start "$pod" "$kind" "$p"
		;;
	tuntap | bare)
		if [ "$kind" = bare ]; then
			nsenter -t "$p" -n -- ip -batch - <<EOT || die "pod $pod: eth0 setup failed"
link add eth0 type veth peer name eth0p
link set eth0p up
link set eth0 up
EOT
		fi
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
		pod_net "${pods[i]}" "${fds[i]}" "${kinds[i]}"
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

# _pod-down ID POD [keep-meta] (inside the node): CNI DEL while the sandbox
# process still holds the namespace (the kubelet's order), drop the runtime's
# pin and metadata (keep-meta: as a stopped sandbox's, until it is removed),
# stop every process in the namespace.
pod_down() {
	local pod=$1 keep_meta=${2:-} p inode out pids pin meta kind
	PD=$(pod_dir "$pod")
	rd kind "$PD/kind"
	rd p "$PD/pid"
	rd inode "$PD/inode"
	rd pin "$PD/netns"
	rd meta "$PD/metadir"
	# A pod whose start failed half-way has no inode on record yet.
	[ -n "$inode" ] || [ -z "$p" ] || inode=$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null || true)
	if [ "$kind" != bare ] && [ -n "$p" ] && [ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$inode" ]; then
		out=$(cni DEL "$pod" "$p" 2>&1) || echo "nodelab: pod $pod: CNI DEL failed: ${out//$'\n'/ }" >&2
	fi
	if [ -n "$pin" ]; then
		umount "$pin" 2>/dev/null || true
		rm -f "$pin"
	fi
	[ -z "$meta" ] || [ -n "$keep_meta" ] || rm -rf "$meta"
	[ -n "$inode" ] || return 0
	mapfile -t pids < <(netns_pids "$inode")
	stop_pid "${pids[@]}"
	mapfile -t pids < <(netns_pids "$inode")
	[ ${#pids[@]} -eq 0 ] || die "pod $pod: processes ${pids[*]} still hold its namespace"
}
