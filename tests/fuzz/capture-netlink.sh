#!/usr/bin/env bash
# Capture real rtnetlink answers into tests/fuzz/corpus/netlink/: the seeds of
# fuzz_netlink and the messages test_nlparse checks field by field. Builds a
# namespace of its own (removed on every path) with two veth pairs (one up,
# one down with 15-byte names), a tun device, routes with gateways, several
# next hops, a table > 255, nexthop objects (one, a weighted group, a
# blackhole) and routes through them, policy rules of every kind the audit
# reads, then saves what the kernel sends for each request, as received (a
# dump ends with NLMSG_DONE); a route of a nexthop group is asked for again
# with net.ipv4.nexthop_compat_mode=0, when it carries no next hop. Re-capturing may change
# what test_nlparse expects (ifindexes, order): review it.
# Usage (root): tests/fuzz/capture-netlink.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

out=${1:-tests/fuzz/corpus/netlink}
[ "$(id -u)" -eq 0 ] || die "needs root (a network namespace)"
mkdir -p "$out"
mkns ns nlcap
nsip() { ip -n "$ns" "$@"; }

# a veth pair, both ends here: eth0 (the cluster side) and its peer; a tun
# device (a VPN's, with no process behind it)
nsip link add eth0 type veth peer name peer0
nsip tuntap add dev tun0 mode tun
# no link-local addresses: their duplicate address detection would race the dump
for d in eth0 peer0 tun0; do nsip link set "$d" addrgenmode none up; done
# names of the longest length (15 bytes), links left down
nsip link add abcdefghijklmno type veth peer name onmlkjihgfedcba
nsip addr add 198.51.100.2/24 dev eth0
nsip addr add 203.0.113.2/24 dev peer0
nsip addr add 192.0.2.2/24 dev tun0
nsip -6 addr add 2001:db8:100::2/64 dev eth0 nodad
nsip -6 addr add 2001:db8:2::2/64 dev tun0 nodad

nsip route add default via 198.51.100.1 dev eth0
nsip route add 10.128.0.0/14 via 198.51.100.1 dev eth0
nsip route add 172.30.0.0/16 via 192.0.2.1 dev tun0 onlink
nsip route add 198.18.0.0/15 nexthop via 198.51.100.1 dev eth0 nexthop via 203.0.113.1 dev peer0
nsip route add 10.0.0.0/8 dev tun0 table 1000
nsip route add blackhole 192.0.2.128/25
nsip -6 route add default via 2001:db8:100::1 dev eth0
nsip -6 route add fd00:10:128::/48 via 2001:db8:100::1 dev eth0
nsip -6 route add 2001:db8:113::/48 nexthop via 2001:db8:100::1 dev eth0 \
	nexthop via 2001:db8:2::1 dev tun0 onlink
# nexthop objects (they need a carrier: the veth pair, not the tun device)
nsip nexthop add id 11 via 198.51.100.1 dev eth0
nsip nexthop add id 12 via 203.0.113.1 dev peer0
nsip nexthop add id 13 group 11/12,3
nsip nexthop add id 14 blackhole
nsip route add 192.0.2.64/26 nhid 13 table 51820
nsip route add 198.51.100.128/25 nhid 14 table 51820
nsip route add 203.0.113.128/25 nhid 12 metric 50 table 51820
# rules: from, not fwmark, to + prohibit, suppress_prefixlength, iif/oif,
# selectors the audit does not evaluate; one IPv6
nsip rule add pref 100 from 192.0.2.2 lookup 51820
nsip rule add pref 200 not fwmark 0xca6c lookup 51820
nsip rule add pref 300 to 198.18.0.0/16 prohibit
nsip rule add pref 400 lookup main suppress_prefixlength 0
nsip rule add pref 500 iif lo oif eth0 lookup 1000
nsip rule add pref 600 ipproto tcp dport 443 fwmark 0x10/0xff lookup 1000
nsip -6 rule add pref 100 to 2001:db8:113::/48 lookup 51820

echo "capture-netlink.sh: namespace $ns:"
nsip -d link show | sed 's/^/  /'
nsip -4 route show table all | sed 's/^/  /'
nsip -6 route show table all | sed 's/^/  /'
nsip nexthop show | sed 's/^/  /'
nsip -4 rule show | sed 's/^/  /'
nsip -6 rule show | sed 's/^/  /'

# The requests, over a raw NETLINK_ROUTE socket; each answer written as read.
ip netns exec "$ns" python3 - "$out" <<'EOF'
import os, socket, struct, sys

out = sys.argv[1]
RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, RTM_GETRULE, RTM_GETNEXTHOP = 18, 22, 26, 34, 106
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_F_FIB_MATCH = 0x2000
IFLA_IFNAME, RTA_DST = 3, 1
sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
sk.bind((0, 0))
seq = 0


def attr(kind, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, kind) + data + b"\0" * ((4 - n % 4) % 4)


def request(name, kind, body, dump):
    global seq
    seq += 1
    flags = NLM_F_REQUEST | (NLM_F_DUMP if dump else 0)
    sk.send(struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body)
    got, done = b"", False
    while not done:
        buf = sk.recv(1 << 16)
        got += buf
        off = 0
        while off + 16 <= len(buf):
            n, t = struct.unpack_from("=IH", buf, off)
            if t in (NLMSG_DONE, NLMSG_ERROR) or not dump:
                done = True
            off += (n + 3) & ~3
    with open(os.path.join(out, name), "wb") as f:
        f.write(got)
    print("capture-netlink.sh: %s: %d bytes" % (name, len(got)))


ifinfo = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)
request("link-dump", RTM_GETLINK, ifinfo, True)
request("link-get-tun0", RTM_GETLINK, ifinfo + attr(IFLA_IFNAME, b"tun0\0"), False)
for fam, name in ((socket.AF_INET, "route4-dump"), (socket.AF_INET6, "route6-dump")):
    request(name, RTM_GETROUTE, struct.pack("=BBBBBBBBI", fam, 0, 0, 0, 0, 0, 0, 0, 0), True)
# `ip route get fibmatch`: the entry that takes the address
for fam, dst, name in ((socket.AF_INET, "10.130.2.5", "route4-get"),
                       (socket.AF_INET6, "2001:db8:113::9", "route6-get")):
    rtm = struct.pack("=BBBBBBBBI", fam, len(socket.inet_pton(fam, dst)) * 8, 0, 0, 0, 0, 0, 0,
                      RTM_F_FIB_MATCH)
    request(name, RTM_GETROUTE, rtm + attr(RTA_DST, socket.inet_pton(fam, dst)), False)
for fam, name in ((socket.AF_INET, "rule4-dump"), (socket.AF_INET6, "rule6-dump")):
    request(name, RTM_GETRULE, struct.pack("=BBBBBBBB", fam, 0, 0, 0, 0, 0, 0, 0), True)
for fam, name in ((socket.AF_INET, "addr4-dump"), (socket.AF_INET6, "addr6-dump")):
    request(name, RTM_GETADDR, struct.pack("=BBBBI", fam, 0, 0, 0, 0), True)
request("nexthop-dump", RTM_GETNEXTHOP, struct.pack("=BBBBI", socket.AF_UNSPEC, 0, 0, 0, 0), True)

# The route of the nexthop group, from tun0's address (the rule of pref 100
# takes it to table 51820), as `ip route get fibmatch` asks with the table
# (RTM_F_LOOKUP_TABLE); then the same with nexthop_compat_mode=0, the
# namespace's own setting, when the route carries no next hop.
get = struct.pack("=BBBBBBBBI", socket.AF_INET, 32, 32, 0, 0, 0, 0, 0, RTM_F_FIB_MATCH | 0x1000)
get += attr(RTA_DST, socket.inet_pton(socket.AF_INET, "192.0.2.70"))
get += attr(2, socket.inet_pton(socket.AF_INET, "192.0.2.2"))  # RTA_SRC
request("route4-get-nhid", RTM_GETROUTE, get, False)
with open("/proc/sys/net/ipv4/nexthop_compat_mode", "w") as f:
    f.write("0")
request("route4-get-nhid0", RTM_GETROUTE, get, False)
EOF
