#!/usr/bin/env bash
# Real TSO traffic is counted exactly, and none of it is called malformed.
#
#   POD eth0 ──veth (TSO on)── RT eth0 │ RT eth1 ──veth (TSO, GSO off)── SRV eth0
#
# tunleak on the pod's eth0 sees TCP aggregates of up to 64 KiB. The router
# forwards them to a veth without segmentation offloads, so the kernel cuts
# them into the real segments there: what the server's eth0 receives from
# the pod (tcpdump, by source address) is the ground truth, one packet per
# segment. tunleak's eth0 egress pod counters must equal it exactly: packets,
# and L3 bytes (the frames' lengths less 14). The pod's own eth0 transmit
# counter (one per aggregate) shows the aggregates were there. IPv4, IPv6.
# (BIG TCP aggregates are not forwarded: the router answers them with
# "packet too big"; their zero length fields are covered by tests/bpf.)
. "$(dirname "$0")/lib.sh"
require_root
if ! command -v ethtool >/dev/null; then
	echo "skip gso: ethtool is not installed (scripts/deps.sh installs it)"
	exit 0
fi

mkns POD pod && mkns RT rt && mkns SRV srv || { echo "not ok setup: namespaces"; exit 0; }
ip link add eth0 netns "$POD" type veth peer name eth0 netns "$RT" || { echo "not ok setup: veth"; exit 0; }
ip link add eth1 netns "$RT" type veth peer name eth0 netns "$SRV" || { echo "not ok setup: veth"; exit 0; }
ip netns exec "$RT" ethtool -K eth1 tso off gso off gro off >/dev/null 2>&1 ||
	{ echo "not ok setup: ethtool -K eth1 tso off gso off"; exit 0; }
ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for ns in "$POD" "$RT" "$SRV"; do
	# no router solicitations, MLD or DAD: only the test's packets
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.dad_transmits=0 net.ipv6.conf.default.dad_transmits=0
done
ip -n "$POD" addr add 10.128.1.2/24 dev eth0
ip -n "$POD" addr add fd00:10:128:1::2/64 dev eth0 nodad
ip -n "$RT" addr add 10.128.1.1/24 dev eth0
ip -n "$RT" addr add fd00:10:128:1::1/64 dev eth0 nodad
ip -n "$RT" addr add 10.128.2.1/24 dev eth1
ip -n "$RT" addr add fd00:10:128:2::1/64 dev eth1 nodad
ip -n "$SRV" addr add 10.128.2.2/24 dev eth0
ip -n "$SRV" addr add fd00:10:128:2::2/64 dev eth0 nodad
for l in "$POD eth0" "$RT eth0" "$RT eth1" "$SRV eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$POD" route add default via 10.128.1.1
ip -n "$POD" -6 route add default via fd00:10:128:1::1
ip -n "$SRV" route add default via 10.128.2.1
ip -n "$SRV" -6 route add default via fd00:10:128:2::1
# Static neighbours: no ARP or neighbour discovery on the measured path.
mac() { ip -n "$1" -j link show "$2" | jq -r '.[0].address'; }
ip -n "$POD" neigh replace 10.128.1.1 lladdr "$(mac "$RT" eth0)" dev eth0 nud permanent
ip -n "$POD" neigh replace fd00:10:128:1::1 lladdr "$(mac "$RT" eth0)" dev eth0 nud permanent
ip -n "$RT" neigh replace 10.128.2.2 lladdr "$(mac "$SRV" eth0)" dev eth1 nud permanent
ip -n "$RT" neigh replace fd00:10:128:2::2 lladdr "$(mac "$SRV" eth0)" dev eth1 nud permanent
ip -n "$RT" neigh replace 10.128.1.2 lladdr "$(mac "$POD" eth0)" dev eth0 nud permanent
ip -n "$RT" neigh replace fd00:10:128:1::2 lladdr "$(mac "$POD" eth0)" dev eth0 nud permanent
ip -n "$SRV" neigh replace 10.128.2.1 lladdr "$(mac "$RT" eth1)" dev eth0 nud permanent
ip -n "$SRV" neigh replace fd00:10:128:2::1 lladdr "$(mac "$RT" eth1)" dev eth0 nud permanent
bg "$SRV" iperf3 -s >/dev/null 2>&1
sleep 0.5

link_stat() { # NS IFACE FIELD (rx.packets, tx.dropped, ...)
	ip -n "$1" -j -s link show "$2" | jq -r ".[0].stats64.$3"
}

gso_case() { # NAME SRC DST
	local name=$1 src=$2 dst=$3 tx0 tx segs l3 drops truth
	start_tunleak --cluster-cidr 10.128.0.0/14 --cluster-cidr fd00:10:128::/48 \
		--export "$TMP/g.json" --interval 60 || { case_end "$name"; return; }
	: >"$TMP/dump.err"
	bg "$SRV" tcpdump -i eth0 -nn -s 96 -B 65536 --immediate-mode -w "$TMP/srv.pcap" src host "$src" 2>"$TMP/dump.err"
	DUMP_PID=$BG_PID
	wait_for "$TMP/dump.err" listening 5 || ERRORS+=("tcpdump did not start: $(cat "$TMP/dump.err")")
	tx0=$(link_stat "$POD" eth0 tx.packets)
	# 32 MiB at up to 2 Gbit/s: big aggregates, and no queue overflows
	ip netns exec "$POD" iperf3 -c "$dst" -n 32M -b 2G >"$TMP/iperf.out" 2>&1 ||
		ERRORS+=("iperf3 failed: $(tail -2 "$TMP/iperf.out" | tr '\n' ' ')")
	sleep 1 # tcpdump writes what it holds before it is stopped
	stop_tunleak TERM
	kill -INT "$DUMP_PID"
	wait "$DUMP_PID"
	tx=$(($(link_stat "$POD" eth0 tx.packets) - tx0))
	expect_match "tcpdump dropped nothing" "^0 packets dropped by kernel" "$(grep 'dropped by kernel' "$TMP/dump.err")"
	# "N L3BYTES" of what reached the server from the pod
	truth=$(tcpdump -r "$TMP/srv.pcap" -nn -e 2>/dev/null | awk '{
		for (i = 1; i < NF; i++) if ($i == "length") { sub(":", "", $(i + 1)); n++; b += $(i + 1) - 14; break }
	} END { print n + 0, b + 0 }')
	segs=$(jqf "$TMP/g.json" '.namespaces[0].interfaces.eth0.egress.pod.packets')
	l3=$(jqf "$TMP/g.json" '.namespaces[0].interfaces.eth0.egress.pod.bytes')
	expect_eq "egress pod packets and L3 bytes: what the server received from the pod" "$truth" "$segs $l3"
	expect_eq "malformed" "0 0" "$(jqf "$TMP/g.json" '.namespaces[0].interfaces.eth0.malformed | "\(.ingress.packets) \(.egress.packets)"')"
	# aggregates: far fewer transmitted than the segments they stand for
	[[ "$segs" =~ ^[0-9]+$ ]] && [ "$tx" -gt 0 ] && [ "$((segs / tx))" -ge 4 ] ||
		ERRORS+=("no TSO aggregates: $tx sent for $segs segments")
	echo "      $name: $tx aggregates for $segs segments, $l3 L3 bytes" >&2
	case_end "$name"
}

gso_case tso-ipv4 10.128.1.2 10.128.2.2
gso_case tso-ipv6 fd00:10:128:1::2 fd00:10:128:2::2
