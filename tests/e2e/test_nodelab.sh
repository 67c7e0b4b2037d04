#!/usr/bin/env bash
# The simulated node (scripts/nodelab.sh) is what it claims: a sandbox that
# looks like a Kubernetes node from inside, pods wired by the real CNI bridge
# plugin, real OpenVPN with the broad routes and the failure they cause, runtime
# metadata that points at the pods' namespaces, and nothing left after down.
. "$(dirname "$0")/lib.sh"
require_root
require_tools nodelab openvpn nsenter unshare jq /usr/lib/cni/bridge

NL=$ROOT/scripts/nodelab.sh
PROBE=$HELPERS/netprobe
# The machine's own view, before the lab: nothing of it may show inside.
HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
HAD_VARLIB_CNI=$([ -e /var/lib/cni ] && echo yes || echo no)

in_pod() { "$NL" pod "$ID" "$@"; }
in_node() { "$NL" node "$ID" -- "$@"; }
# ping3 POD ADDR: the summary line of "ping -c 3" from POD.
ping3() { in_pod "$1" -- ping -n -c 3 -i 0.2 -W 1 "$2" 2>&1 | grep 'packets transmitted'; }
connect() { in_pod "$1" -- "$PROBE" connect "$2" "$NL_SERVER_PORT" 0 1500; }
tx() { # POD IFACE: packets sent through IFACE so far
	in_pod "$1" -- ip -j -s link show "$2" | jq '.[0].stats64.tx.packets'
}
rx_other() { ip -n "$NL_NS_OTHER" -j -s link show eth0 | jq '.[0].stats64.rx.packets'; }
# netns_inodes: inode of every /proc/*/ns/net as the node sees them, one a line.
netns_inodes() {
	in_node bash -c 'for f in /proc/[0-9]*/ns/net; do stat -L -c %i "$f" 2>/dev/null; done'
}

# --- up: four pods, one of each kind, two with runtime metadata ------------
# (down is idempotent: the one at exit also covers the failing up at the end)
cleanup_add nodelab "$NL" down "$ID"
t0=$(date +%s%N)
out=$("$NL" up "$ID" leaky:leaky:crio clean:clean:containerd plain:plain tt:tuntap 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	echo "not ok up: exit $rc: $out"
	exit 0
fi
eval "$("$NL" env "$ID")"
echo "# up with 4 pods (2 OpenVPN): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect_eq "up prints the ID" "$ID" "$out"
expect_eq "pods" "clean leaky plain tt" "$NL_PODS"
for p in LEAKY CLEAN PLAIN TT; do
	v=NL_POD_${p}_IP
	expect_match "$p address in the node's pod subnet" '^10\.128\.[01]\.[0-9]+$' "${!v}"
done
expect_eq "node name" "node-$ID" "$NL_NODE_NAME"
expect_eq "no WireGuard or strongSwan server without their pods" "" \
	"$(cd "$NL_STATE" && ls -d wg-server* sw-server* 2>/dev/null)"
case_end "up"

# --- the failure: the leaky pod's cluster traffic goes into the tunnel and dies
expect_eq "leaky pod's broad route" "10.0.0.0/8 via $NL_TUN_GW_BROAD dev tun0" \
	"$(in_pod leaky -- ip route show 10.0.0.0/8 | sed 's/ *$//')"
tx0=$(tx leaky tun0)
rx0=$(rx_other)
expect_match "leaky pod pings the other node's pod: all 3 lost" '^3 packets transmitted, 0 received' \
	"$(ping3 leaky "$NL_OTHER_POD_IP")"
expect_eq "the 3 echo requests went into tun0" $((tx0 + 3)) "$(tx leaky tun0)"
expect_eq "leaky pod's TCP connect to the other node's pod" timeout "$(connect leaky "$NL_OTHER_POD_IP")"
expect_eq "nothing of it reached the other node" "$rx0" "$(rx_other)"
case_end "leaky-pod-loses-other-node"

for p in clean plain; do
	expect_match "$p pod pings the other node's pod: all 3 answered" '^3 packets transmitted, 3 received' \
		"$(ping3 $p "$NL_OTHER_POD_IP")"
	expect_eq "$p pod's TCP connect to the other node's pod" connected "$(connect $p "$NL_OTHER_POD_IP")"
done
expect_eq "clean pod's route to the remote network" "$NL_REMOTE_CIDR via $NL_TUN_GW_CORRECT dev tun0" \
	"$(in_pod clean -- ip route show "$NL_REMOTE_CIDR" | sed 's/ *$//')"
expect_eq "clean pod has no route for the cluster in tun0" "" "$(in_pod clean -- ip route show 10.0.0.0/8)"
case_end "clean-and-plain-pods-reach-other-node"

for p in leaky clean; do
	tx0=$(tx $p tun0)
	expect_match "$p pod pings the remote host: all 3 answered" '^3 packets transmitted, 3 received' \
		"$(ping3 $p "$NL_REMOTE_IP")"
	expect_eq "$p pod's 3 echo requests went through tun0" $((tx0 + 3)) "$(tx $p tun0)"
	expect_eq "$p pod's TCP connect to the remote host" connected "$(connect $p "$NL_REMOTE_IP")"
done
expect_match "plain pod (no tunnel) cannot reach the remote host" '^3 packets transmitted, 0 received' \
	"$(ping3 plain "$NL_REMOTE_IP")"
expect_eq "VPN servers' namespace forwards (tunnels to remote)" 1 \
	"$(ip netns exec "$NL_NS_VPN" sysctl -n net.ipv4.ip_forward)"
case_end "tunnels-reach-remote"

# --- the tuntap pod: a tun0 without OpenVPN --------------------------------
expect_match "tt's tun0 is a tun device" 'tun type tun' "$(in_pod tt -- ip -d link show tun0)"
expect_eq "tt's broad route" "10.0.0.0/8 via $NL_TUN_GW_TUNTAP dev tun0 linkdown" \
	"$(in_pod tt -- ip route show 10.0.0.0/8 | sed 's/ *$//')"
expect_eq "processes in tt's namespace (only its sandbox process)" 1 \
	"$(netns_inodes | grep -cx "$NL_POD_TT_NETNS_INODE")"
case_end "tuntap-pod"

# --- hostnames and namespaces ------------------------------------------------
for p in leaky clean plain tt; do
	expect_eq "$p hostname" "$p" "$(in_pod $p -- hostname)"
done
expect_eq "node hostname" "node-$ID" "$(in_node hostname)"
case_end "hostnames-are-pod-names"

pins=$(in_node bash -c 'cd /run/netns && for f in *; do echo "$f $(stat -L -c %i "$f")"; done' | sort)
expect_eq "the node's /run/netns: only the CRI-O and containerd pins" \
	"$(printf '%s %s\n%s %s' "$(basename "$NL_POD_LEAKY_NETNS")" "$NL_POD_LEAKY_NETNS_INODE" \
		"$(basename "$NL_POD_CLEAN_NETNS")" "$NL_POD_CLEAN_NETNS_INODE" | sort)" "$pins"
expect_match "CRI-O pin name is a UUID" '^/run/netns/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' \
	"$NL_POD_LEAKY_NETNS"
expect_match "containerd pin name is cni-<uuid>" '^/run/netns/cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' \
	"$NL_POD_CLEAN_NETNS"
host_pins=$(for f in /run/netns/*; do stat -L -c %i "$f" 2>/dev/null; done)
for p in LEAKY CLEAN PLAIN TT; do
	v=NL_POD_${p}_NETNS_INODE
	expect_eq "$p's namespace is not named on the machine" 0 "$(grep -cx "${!v}" <<<"$host_pins")"
done
expect_eq "plain and tt have no pin" "" "$NL_POD_PLAIN_NETNS$NL_POD_TT_NETNS"
case_end "pod-namespaces-unnamed"

# Inside the node: only its processes, its /run/netns, its own network. The
# check inside uses shell builtins only, so that it is the one process it adds.
host_view=$(for d in /proc/[0-9]*; do
	[ "$d/ns/pid" -ef "/proc/$NL_INIT_PID/ns/pid" ] || continue
	while read -r k a b; do [ "$k" = NSpid: ] && echo "$b" && break; done <"$d/status"
done | sort -n)
view=$(in_node bash -c '
	other=0 servers=0
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = $$ ] && continue
		[ "$d/ns/pid" -ef /proc/$$/ns/pid ] || other=$((other + 1))
		mapfile -d "" args <"$d/cmdline" 2>/dev/null
		[[ "${args[*]}" == *server-broad.conf* ]] && servers=$((servers + 1))
		echo "pid ${d#/proc/}"
	done
	mapfile -d "" args </proc/1/cmdline
	echo "other $other"
	echo "servers $servers"
	echo "init ${args[*]}"
	[ /proc/1/ns/net -ef /proc/$$/ns/net ] && echo "net same" || echo "net differs"
	leases=(/var/lib/cni/networks/nodelab/10.128.*)
	echo "leases ${#leases[@]}"')
field() { sed -n "s/^$1 //p" <<<"$view"; }
expect_eq "processes in the node's /proc from another PID namespace" 0 "$(field other)"
expect_eq "the node's /proc lists exactly the machine's processes in the node's PID namespace" \
	"$(echo $host_view)" "$(field pid | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_true "the node shows fewer processes than the machine" \
	[ "$(field pid | wc -l)" -lt "$(all=(/proc/[0-9]*); echo ${#all[@]})" ]
expect_eq "the machine's OpenVPN server visible in the node" 0 "$(field servers)"
expect_match "node PID 1 is its init" "^bash .*/nodelab.sh _init $ID\$" "$(field init)"
expect_eq "node PID 1 and a node command share a network namespace" same "$(field net)"
expect_true "it is not the machine's" [ "$(stat -L -c %i "/proc/$NL_INIT_PID/ns/net")" != "$HOST_NETNS" ]
expect_eq "host-local's leases, inside the node" 4 "$(field leases)"
expect_eq "/var/lib/cni on the machine, as before" "$HAD_VARLIB_CNI" \
	"$([ -e /var/lib/cni ] && echo yes || echo no)"
expect_true "the machine has the lab's named namespaces" [ -e "/run/netns/$NL_NS_VPN" ]
case_end "node-view-is-the-node"

# --- runtime metadata: parses, names the pod, points at its namespace ------
cfg=$(in_node cat "$NL_POD_LEAKY_CONFIG")
expect_eq "CRI-O config.json path" \
	"/run/containers/storage/overlay-containers/$NL_POD_LEAKY_SANDBOX/userdata/config.json" "$NL_POD_LEAKY_CONFIG"
expect_eq "CRI-O annotations" "leaky default sandbox leaky default cri-o" \
	"$(jq -r '.annotations | "\(.["io.kubernetes.pod.name"]) \(.["io.kubernetes.pod.namespace"]) \(.["io.kubernetes.cri-o.ContainerType"]) \(.["io.kubernetes.cri-o.KubeName"]) \(.["io.kubernetes.cri-o.Namespace"]) \(.["io.container.manager"])"' <<<"$cfg" 2>&1)"
expect_eq "CRI-O IP annotation" "$NL_POD_LEAKY_IP" "$(jq -r '.annotations["io.kubernetes.cri-o.IP.0"]' <<<"$cfg")"
path=$(jq -r '.linux.namespaces[] | select(.type == "network") | .path' <<<"$cfg")
expect_eq "CRI-O network namespace path" "/var/run/netns/$(basename "$NL_POD_LEAKY_NETNS")" "$path"
expect_eq "CRI-O path's inode is the pod's namespace" "$(stat -L -c %i "/proc/$NL_POD_LEAKY_HOSTPID/ns/net")" \
	"$(in_node stat -L -c %i "$path")"
case_end "crio-metadata"

cfg=$(in_node cat "$NL_POD_CLEAN_CONFIG")
expect_eq "containerd config.json path" \
	"/run/containerd/io.containerd.runtime.v2.task/k8s.io/$NL_POD_CLEAN_SANDBOX/config.json" "$NL_POD_CLEAN_CONFIG"
expect_eq "containerd annotations" "clean default sandbox $NL_POD_CLEAN_SANDBOX" \
	"$(jq -r '.annotations | "\(.["io.kubernetes.cri.sandbox-name"]) \(.["io.kubernetes.cri.sandbox-namespace"]) \(.["io.kubernetes.cri.container-type"]) \(.["io.kubernetes.cri.sandbox-id"])"' <<<"$cfg" 2>&1)"
expect_eq "containerd writes no io.kubernetes.pod.name" null "$(jq -r '.annotations["io.kubernetes.pod.name"]' <<<"$cfg")"
path=$(jq -r '.linux.namespaces[] | select(.type == "network") | .path' <<<"$cfg")
expect_eq "containerd network namespace path" "/var/run/netns/$(basename "$NL_POD_CLEAN_NETNS")" "$path"
expect_eq "containerd path's inode is the pod's namespace" "$(stat -L -c %i "/proc/$NL_POD_CLEAN_HOSTPID/ns/net")" \
	"$(in_node stat -L -c %i "$path")"
case_end "containerd-metadata"

# --- tunleak --all on the node: the lab's pods with a tunnel, nothing else --
if [ -x "$TUNLEAK" ] && "$TUNLEAK" --help 2>&1 | grep -q -- '--all'; then
	: >"$TMP/all.out"
	tl_ready_opts "$TMP/all.err"
	"$NL" node "$ID" -- "$TUNLEAK" "${TL_READY[@]}" --all --cluster-cidr "$NL_CLUSTER_CIDR" \
		--service-cidr "$NL_SERVICE_CIDR" --remote-cidr "$NL_REMOTE_CIDR" --json \
		--export "$TMP/all.json" --interval 0.2 --duration 6 >"$TMP/all.out" 2>"$TMP/all.err" &
	ALL_PID=$!
	track "$ALL_PID"
	if tl_wait_ready "$TMP/all.err" 5; then
		ping3 leaky "$NL_OTHER_POD_IP" >/dev/null
		wait_for "$TMP/all.out" '"type":"leak"' 3
	else
		ERRORS+=("tunleak --all did not start: $(tr '\n' ' ' <"$TMP/all.err")")
	fi
	wait "$ALL_PID"
	expect_eq "tunleak --all exit code" 0 "$?"
	expect_match "namespaces with a tunnel" "found 4 network namespaces besides the host's \(.*\), 3 with a tunnel" \
		"$(cat "$TMP/all.err")"
	expect_eq "traced: label, pod namespace, inode" \
		"clean default $NL_POD_CLEAN_NETNS_INODE|leaky default $NL_POD_LEAKY_NETNS_INODE|tt null $NL_POD_TT_NETNS_INODE" \
		"$(jq -r '[.namespaces[] | "\(.label) \(.k8s_namespace) \(.inode)"] | sort | join("|")' "$TMP/all.json" 2>&1)"
	expect_eq "leaky's leaks: the 3 echo requests" "3 252 1" \
		"$(jq -r '.namespaces[] | select(.label == "leaky") | .leaks | "\(.packets) \(.bytes) \(.flows)"' "$TMP/all.json" 2>&1)"
	expect_eq "the leak event names the pod" "leaky default $NL_OTHER_POD_IP 10.0.0.0/8 via $NL_TUN_GW_BROAD dev tun0" \
		"$(jq -r 'select(.type == "leak") | "\(.pod) \(.k8s_namespace) \(.dst) \(.route)"' "$TMP/all.out" 2>&1)"
	case_end "tunleak-all-sees-only-the-node"
else
	echo "skip tunleak-all-sees-only-the-node: this tunleak has no --all"
fi

# --- procs: idle processes spread over the pods ---------------------------
before=$(netns_inodes)
"$NL" procs "$ID" 7
after=$(netns_inodes)
i=0
for p in CLEAN LEAKY PLAIN TT; do
	v=NL_POD_${p}_NETNS_INODE
	want=$((i < 3 ? 2 : 1))
	expect_eq "new processes in $p's namespace" "$want" \
		$(($(grep -cx "${!v}" <<<"$after") - $(grep -cx "${!v}" <<<"$before")))
	i=$((i + 1))
done
expect_eq "NL_PROCS" 7 "$(eval "$("$NL" env "$ID")"; echo "$NL_PROCS")"
case_end "procs"

# --- add-pod after up -----------------------------------------------------------
out=$("$NL" add-pod "$ID" late:plain:crio 2>&1)
expect_eq "add-pod exit and output" "0 " "$? $out"
eval "$("$NL" env "$ID")"
expect_eq "pods after add-pod" "clean late leaky plain tt" "$NL_PODS"
expect_match "late's address" '^10\.128\.[01]\.[0-9]+$' "$NL_POD_LATE_IP"
expect_match "late pings the other node's pod" '^3 packets transmitted, 3 received' \
	"$(ping3 late "$NL_OTHER_POD_IP")"
expect_eq "late's hostname" late "$(in_pod late -- hostname)"
expect_eq "late's CRI-O pin is its namespace" "$NL_POD_LATE_NETNS_INODE" \
	"$(in_node stat -L -c %i "$(in_node jq -r '.linux.namespaces[] | select(.type == "network") | .path' "$NL_POD_LATE_CONFIG")")"
case_end "add-pod-after-up"

# --- del-pod: CNI DEL, processes stopped, the namespace gone ----------------
inode=$NL_POD_LEAKY_NETNS_INODE
ports0=$(in_node ip -o link show master cni0 | wc -l)
out=$("$NL" del-pod "$ID" leaky 2>&1)
expect_eq "del-pod exit and output" "0 " "$? $out"
expect_eq "leaky's namespace among the node's processes" 0 "$(netns_inodes | grep -cx "$inode")"
on_machine=0
for f in /proc/[0-9]*/ns/net; do
	[ "$(stat -L -c %i "$f" 2>/dev/null)" = "$inode" ] && on_machine=$((on_machine + 1))
done
expect_eq "leaky's namespace among the machine's processes" 0 "$on_machine"
expect_eq "leaky's namespace in the node's /run/netns" 0 \
	"$(in_node bash -c 'for f in /run/netns/*; do stat -L -c %i "$f" 2>/dev/null; done' | grep -cx "$inode")"
expect_eq "leaky's pin file" no "$(in_node bash -c "[ -e '$NL_POD_LEAKY_NETNS' ] && echo yes || echo no")"
expect_eq "leaky's sandbox directory" no \
	"$(in_node bash -c "[ -e /run/containers/storage/overlay-containers/$NL_POD_LEAKY_SANDBOX ] && echo yes || echo no")"
expect_eq "leaky's address released by host-local" no \
	"$(in_node bash -c "[ -e /var/lib/cni/networks/nodelab/$NL_POD_LEAKY_IP ] && echo yes || echo no")"
expect_eq "bridge ports after del-pod" $((ports0 - 1)) "$(in_node ip -o link show master cni0 | wc -l)"
out=$("$NL" pod "$ID" leaky -- true 2>&1)
expect_eq "pod command on the deleted pod" "2 nodelab: node $ID has no pod \"leaky\"" "$? $out"
expect_match "clean pod still reaches the other node" '^3 packets transmitted, 3 received' \
	"$(ping3 clean "$NL_OTHER_POD_IP")"
case_end "del-pod"

# --- a failing add-pod (a broken CNI plugin) leaves no trace of the pod -----
mkdir -p "$TMP/cni"
printf '#!/bin/sh\necho "{\\"code\\": 11, \\"msg\\": \\"broken on purpose\\"}"\nexit 1\n' >"$TMP/cni/bridge"
chmod +x "$TMP/cni/bridge"
before=$(netns_inodes | sort | uniq -c)
out=$(NODELAB_CNI_DIR=$TMP/cni "$NL" add-pod "$ID" broken:plain:crio 2>&1)
expect_eq "failing add-pod: exit" 1 "$?"
expect_eq "failing add-pod: message" \
	"nodelab: add-pod broken: pod broken: CNI ADD failed: {\"code\": 11, \"msg\": \"broken on purpose\"}" "$out"
expect_eq "pods after the failing add-pod" "clean late plain tt" "$(eval "$("$NL" env "$ID")"; echo "$NL_PODS")"
# The node's own processes come and go with each check; the pods' do not.
expect_eq "namespaces and their process counts, but for the node's own" \
	"$(grep -v " $(stat -L -c %i "/proc/$NL_INIT_PID/ns/net")\$" <<<"$before")" \
	"$(netns_inodes | sort | uniq -c | grep -v " $(stat -L -c %i "/proc/$NL_INIT_PID/ns/net")\$")"
case_end "failing-add-pod-leaves-nothing"

# --- bad usage: exit 2, one line ---------------------------------------------
check_usage() { # WHAT EXPECTED-LINE ARGS...
	local what=$1 want=$2 out rc
	shift 2
	out=$("$NL" "$@" 2>&1)
	rc=$?
	expect_eq "$what: exit" 2 "$rc"
	expect_eq "$what: message" "$want" "$out"
}
check_usage "unknown kind" 'nodelab: pod spec "x:bogus": unknown kind "bogus" (leaky clean plain tuntap bare wireguard strongswan)' \
	up 999999 x:bogus
check_usage "unknown runtime" 'nodelab: pod spec "x:plain:docker": unknown runtime "docker" (crio, containerd)' \
	up 999999 x:plain:docker
check_usage "bad pod name" 'nodelab: pod spec "X_1:plain": pod name must be 1-32 of a-z, 0-9, - (not at either end)' \
	up 999999 X_1:plain
check_usage "pod twice" 'nodelab: pod "a" is given twice' up 999999 a:plain a:tuntap
check_usage "up twice" "nodelab: node $ID is up already (/tmp/tunleak-nodelab.$ID exists): down $ID first" up "$ID"
check_usage "bad ID" 'nodelab: ID "a/b": use 1-12 letters or digits' down a/b
check_usage "env of a node that is not up" "nodelab: node 999999 is not up" env 999999
check_usage "no such pod" "nodelab: node $ID has no pod \"nosuch\"" pod "$ID" nosuch -- true
check_usage "del-pod of no such pod" "nodelab: node $ID has no pod \"nosuch\"" del-pod "$ID" nosuch
check_usage "add-pod of an existing pod" "nodelab: node $ID has a pod \"plain\" already" add-pod "$ID" plain:plain
check_usage "procs 0" 'nodelab: procs: N "0": expected 1-100000' procs "$ID" 0
check_usage "node without --" "nodelab: usage: node ID -- CMD..." node "$ID" hostname
check_usage "unknown command" 'nodelab: unknown command "frob" (up, down, env, status, node, pod, add-pod, del-pod, stop-pod, procs)' frob
out=$("$NL" 2>&1)
expect_eq "no arguments: exit" 2 "$?"
expect_match "no arguments: usage" "nodelab.sh up \[ID\]" "$out"
expect_eq "node passes the command's exit code" 3 "$("$NL" node "$ID" -- sh -c 'exit 3'; echo $?)"
case_end "usage-errors"

# --- down leaves nothing ------------------------------------------------------
eval "$("$NL" env "$ID")"
pids=("$NL_INIT_PID" "$NL_POD_CLEAN_HOSTPID" "$NL_POD_PLAIN_HOSTPID" "$NL_POD_TT_HOSTPID" "$NL_POD_LATE_HOSTPID")
for f in server-broad server-correct other-listen remote-listen unshare; do
	read -r p _ <"$NL_STATE/$f.pid"
	pids+=("$p")
done
inodes=("$(stat -L -c %i "/proc/$NL_INIT_PID/ns/net")" "$NL_POD_CLEAN_NETNS_INODE" "$NL_POD_PLAIN_NETNS_INODE"
	"$NL_POD_TT_NETNS_INODE" "$NL_POD_LATE_NETNS_INODE")
out=$("$NL" down "$ID" 2>&1)
expect_eq "down exit and output" "0 " "$? $out"
expect_eq "namespaces of the lab" "" "$(ip netns list | grep "nlab$ID")"
for p in "${pids[@]}"; do
	expect_true "process $p is gone" [ ! -e "/proc/$p/ns/net" ]
done
left=0
for f in /proc/[0-9]*/ns/net; do
	i=$(stat -L -c %i "$f" 2>/dev/null) || continue
	for n in "${inodes[@]}"; do [ "$i" = "$n" ] && left=$((left + 1)); done
done
expect_eq "processes in the node's or its pods' namespaces" 0 "$left"
expect_eq "mounts of the lab" "" "$(grep -E "nlab$ID|nodelab-[a-z]+-$ID|tunleak-nodelab\.$ID" /proc/self/mountinfo)"
expect_true "state directory removed" [ ! -e "/tmp/tunleak-nodelab.$ID" ]
out=$("$NL" down "$ID" 2>&1)
expect_eq "down again" "0 " "$? $out"
case_end "down-leaves-nothing"

# --- a failing up (a broken CNI plugin) takes everything down again ----------
out=$(NODELAB_CNI_DIR=$TMP/cni "$NL" up "$ID" p1:plain 2>&1)
expect_eq "failing up: exit" 1 "$?"
expect_eq "failing up: message" \
	"nodelab: up $ID: pod p1: CNI ADD failed: {\"code\": 11, \"msg\": \"broken on purpose\"}" "$out"
expect_eq "failing up: namespaces left" "" "$(ip netns list | grep "nlab$ID")"
expect_true "failing up: state directory removed" [ ! -e "/tmp/tunleak-nodelab.$ID" ]
expect_eq "failing up: processes left" "" "$(pgrep -f "nodelab.sh _init $ID\$")"
case_end "failing-up-cleans-up"
