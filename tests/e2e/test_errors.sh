#!/usr/bin/env bash
# Bad input and a hostile environment: exit 2, one line on stderr that names
# the bad value, and nothing left attached.
. "$(dirname "$0")/lib.sh"
require_root
topo_basic || { echo "not ok setup: topology"; exit 0; }

# expect_usage NAME EXPECTED-LINE ARGS...: exit 2, exactly that one line.
expect_usage() {
	local name=$1 line=$2
	shift 2
	"$@" >"$TMP/e.out" 2>"$TMP/e.err"
	expect_eq "$name: exit code" 2 "$?"
	expect_eq "$name: stderr" "$line" "$(cat "$TMP/e.err")"
	expect_eq "$name: stdout" "" "$(cat "$TMP/e.out")"
	expect_clean "$POD" eth0
	expect_clean "$POD" tun0
	case_end "$name"
}

expect_usage missing-iface \
	"tunleak: --iface \"eth9\": no such interface in network namespace $POD" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --iface eth9
expect_usage missing-iface-of-two \
	"tunleak: --iface \"eth9\": no such interface in network namespace $POD" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --iface eth0 --iface eth9
expect_usage missing-netns \
	"tunleak: --netns \"nope$ID\": no such network namespace (/run/netns/nope$ID: No such file or directory)" \
	"$TUNLEAK" --netns "nope$ID" --cluster-cidr 10.128.0.0/14
expect_usage netns-not-a-netns \
	"tunleak: --netns \"/proc/self/ns/uts\": /proc/self/ns/uts is not a network namespace" \
	"$TUNLEAK" --netns /proc/self/ns/uts --cluster-cidr 10.128.0.0/14
# A FIFO where a namespace is expected: refused at once, never waited on
mkfifo "$TMP/fifo"
expect_usage netns-fifo \
	"tunleak: --netns \"$TMP/fifo\": $TMP/fifo is not a network namespace" \
	timeout 5 "$TUNLEAK" --netns "$TMP/fifo" --cluster-cidr 10.128.0.0/14 --duration 1
expect_usage missing-pid \
	"tunleak: --pid \"4194303\": no such process (/proc/4194303/ns/net: No such file or directory)" \
	"$TUNLEAK" --pid 4194303 --cluster-cidr 10.128.0.0/14
expect_usage host-bits \
	"tunleak: --cluster-cidr \"10.128.0.1/14\": host bits are set (did you mean 10.128.0.0/14?)" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.1/14
expect_usage cidr-trailing-space \
	"tunleak: --cluster-cidr \"10.0.0.0/8 \": not a CIDR (expected an IPv4 or IPv6 prefix such as 10.128.0.0/14 or fd00:10:128::/48)" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr "10.0.0.0/8 "
expect_usage duration-too-long \
	"tunleak: --duration \"1e10\": expected seconds between 0.001 and 31536000" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --duration 1e10
# strtod would read these as 16 seconds, forever, and 1000 seconds
for v in 0x10 inf nan 1e3x; do
	expect_usage "interval-$v" \
		"tunleak: --interval \"$v\": expected seconds between 0.1 and 3600" \
		timeout 5 "$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --interval "$v" --duration 1
done
# an alias the kernel would resolve to tun0: refused before anything is
# attached (eth0 included)
expect_usage tunnel-alias \
	"tunleak: --tunnel \"tun0:x\": expected an interface name (1-15 characters, no '/', ':' or space)" \
	timeout 5 "$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --tunnel tun0:x --attach tc --duration 1
expect_eq "tunnel-alias: no clsact made" "0 0" \
	"$(for d in eth0 tun0; do tc -n "$POD" -j qdisc show dev "$d" | jq '[.[] | select(.kind=="clsact")] | length'; done | tr '\n' ' ' | sed 's/ $//')"
case_end "tunnel-alias-nothing-attached"
expect_usage unknown-option \
	"tunleak: unknown option \"--cluster\" (see tunleak --help)" \
	"$TUNLEAK" --netns "$POD" --cluster 10.128.0.0/14
# an abbreviation is no option: a typo must not become another one
expect_usage abbreviation \
	"tunleak: unknown option \"--clus\" (see tunleak --help)" \
	"$TUNLEAK" --netns "$POD" --clus 10.128.0.0/14
# an option of another command is named, with why
expect_usage other-command-option \
	"tunleak: cleanup takes no --top: it removes stale filters and traces nothing" \
	"$TUNLEAK" cleanup --netns "$POD" --top
expect_usage check-ready-file \
	"tunleak: check takes no --ready-file: it audits routes and traces nothing" \
	"$TUNLEAK" check --netns "$POD" --cluster-cidr 10.128.0.0/14 --ready-file "$TMP/ready"
expect_usage bad-interval \
	"tunleak: --interval \"fast\": expected seconds between 0.1 and 3600" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --interval fast
expect_usage export-unwritable \
	"tunleak: --export \"/nonexistent$ID/c.json\": cannot write the counters file: No such file or directory" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --export "/nonexistent$ID/c.json"
# What the export would replace must be a regular file: a FIFO, a symlink or
# a device stays what it is (as root, --export /dev/stdout would replace it)
# refuse_targets OPTION P EXPECTED-END: OPTION aimed at a FIFO (its open
# would block, also with --duration), a symlink and a device (written
# through, or replaced by the rename) is refused, each left as it was. The
# device is the test's own, like /dev/null: were the check ever to break, the
# machine's /dev/null must not be what a regression replaces.
refuse_targets() {
	local opt=$1 p=$2 msg=$3 target
	mkfifo "$TMP/${p}fifo"
	ln -s "$TMP/${p}elsewhere" "$TMP/${p}link"
	mknod "$TMP/${p}dev" c 1 3
	for target in "$TMP/${p}fifo" "$TMP/${p}link" "$TMP/${p}dev"; do
		expect_usage "${opt#--}-not-regular-${target##*/}" "tunleak: $opt \"$target\": $msg" \
			timeout 5 "$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 "$opt" "$target" --duration 1
	done
	expect_eq "the FIFO is still a FIFO" "fifo" "$(stat -c %F "$TMP/${p}fifo")"
	expect_eq "the symlink is still a symlink" "symbolic link" "$(stat -c %F "$TMP/${p}link")"
	expect_eq "the device is still a device" "character special file" "$(stat -c %F "$TMP/${p}dev")"
	expect_eq "nothing created behind the symlink" "no" "$([ -e "$TMP/${p}elsewhere" ] && echo yes || echo no)"
	case_end "${opt#--}-targets-untouched"
}
refuse_targets --export e "cannot write the counters file: not a regular file"
echo '{"kind": "Network", "spec": {"serviceNetwork": ["172.30.0.0/16"]}}' >"$TMP/net.json"
expect_usage cidrs-from-no-cluster-network \
	"tunleak: --cidrs-from $TMP/net.json: no spec.clusterNetwork[].cidr or status.clusterNetwork[].cidr" \
	"$TUNLEAK" --netns "$POD" --cidrs-from "$TMP/net.json"
echo 'not json' >"$TMP/bad.json"
expect_usage cidrs-from-not-json \
	"tunleak: --cidrs-from $TMP/bad.json: not JSON: null expected, found 'o' at byte 1" \
	"$TUNLEAK" --netns "$POD" --cidrs-from "$TMP/bad.json"
expect_usage metrics-bad-port \
	"tunleak: --metrics-addr \"127.0.0.1:99999\": port must be a number 1-65535" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --metrics-addr 127.0.0.1:99999
expect_usage metrics-not-local \
	"tunleak: --metrics-addr \"192.0.2.1:9464\": Cannot assign requested address" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --metrics-addr 192.0.2.1:9464
refuse_targets --pcap p "cannot create: not a regular file"
expect_usage top-without-terminal \
	"tunleak: --top needs a terminal on stdout (use the event stream or --json)" \
	"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --top

# Help and version: stdout, exit 0, nothing on stderr. Each command's help
# has its own options; the version has three spellings.
for cmd in "" check cleanup; do
	"$TUNLEAK" $cmd --help >"$TMP/h.out" 2>"$TMP/h.err"
	expect_eq "${cmd:-tunleak} --help: exit code" 0 "$?"
	expect_eq "${cmd:-tunleak} --help: stderr" "" "$(cat "$TMP/h.err")"
	expect_eq "${cmd:-tunleak} --help: --netns" 1 "$(grep -c '^  --netns PATH|NAME ' "$TMP/h.out")"
	expect_eq "${cmd:-tunleak} --help: no --top" 0 "$(grep -c -- '--top' "$TMP/h.out")"
done
expect_eq "check --help: --pod" 1 "$(
	"$TUNLEAK" check --help | grep -c '^  --pod NAME ')"
expect_eq "cleanup --help: --pod, no --cluster-cidr" "1 0" "$(
	"$TUNLEAK" cleanup --help | grep -c '^  --pod NAME ') $("$TUNLEAK" cleanup --help | grep -c -- '--cluster-cidr')"
expect_eq "trace --help: --top and --ready-file" 2 "$(
	"$TUNLEAK" trace --help | grep -c '^  --top \|^  --ready-file FILE ')"
case_end "help-per-command"
version=$("$TUNLEAK" --version)
expect_match "--version" "^tunleak [0-9]+\.[0-9]+\.[0-9]+" "$version"
for v in version -V "check -V"; do
	expect_eq "tunleak $v" "$version" "$("$TUNLEAK" $v 2>&1)"
done
case_end "version-forms"

# Not root: the missing capability is named. (setpriv drops to nobody.)
if command -v setpriv >/dev/null; then
	expect_usage no-privileges \
		"tunleak: missing capability CAP_NET_ADMIN (needed to attach tc programs): run as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$TUNLEAK" --cluster-cidr 10.128.0.0/14
else
	echo "skip no-privileges: setpriv (util-linux) not installed"
fi

# An attach that fails half-way is undone: eth1's egress hook has a u32
# filter at tunleak's priority (a different kind), so attaching there fails
# after eth0 and eth1 ingress succeeded.
ip link add eth1 netns "$POD" type veth peer name gw1 netns "$GW"
ip -n "$POD" link set eth1 up
tc -n "$POD" qdisc add dev eth1 clsact
tc -n "$POD" filter add dev eth1 egress prio 1 protocol all u32 match u32 0 0
"$TUNLEAK" --netns "$POD" --cluster-cidr 10.128.0.0/14 --iface eth0 --iface eth1 --attach tc \
	>"$TMP/h.out" 2>"$TMP/h.err"
expect_eq "half attach: exit code" 2 "$?"
expect_match "half attach: error names eth1 egress" "attach eth1 egress \(tc, handle 0x7e1e prio 1\)" "$(cat "$TMP/h.err")"
expect_clean "$POD" eth0
expect_eq "half attach: eth1 ingress" "" "$(tc -n "$POD" filter show dev eth1 ingress)"
expect_match "half attach: the u32 filter stays" "pref 1 u32" "$(tc -n "$POD" filter show dev eth1 egress)"
expect_eq "half attach: tunleak's on eth1 egress" 0 "$(tc -n "$POD" filter show dev eth1 egress | grep -c 0x7e1e)"
expect_eq "half attach: eth0 clsact removed (tunleak made it)" 0 "$(tc -n "$POD" -j qdisc show dev eth0 | jq '[.[] | select(.kind=="clsact")] | length')"
expect_eq "half attach: eth1 clsact kept (the test made it)" 1 "$(tc -n "$POD" -j qdisc show dev eth1 | jq '[.[] | select(.kind=="clsact")] | length')"
case_end "half-attach-undone"

# check and cleanup take the same namespace options
"$TUNLEAK" cleanup --netns "nope$ID" 2>"$TMP/x.err"
expect_eq "cleanup missing netns: exit code" 2 "$?"
expect_match "cleanup missing netns: message" "--netns \"nope$ID\": no such network namespace" "$(cat "$TMP/x.err")"
case_end "cleanup-missing-netns"
