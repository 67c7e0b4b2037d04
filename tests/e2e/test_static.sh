#!/usr/bin/env bash
# The static binary alone in an empty root (only the binary, /proc and /sys):
# it reads the cluster's network config (json-c, linked in), loads, attaches
# in the pod's namespace and counts leaks exactly, as on a node that has no
# library of ours.
. "$(dirname "$0")/lib.sh"
require_root
STATIC=$ROOT/tunleak-static

if [ ! -x "$STATIC" ]; then
	echo "not ok static-binary: $STATIC missing (make static)"
	exit 0
fi
expect_match "file(1) says static" "statically linked" "$(file -b "$STATIC")"
expect_match "ldd says not dynamic" "not a dynamic executable" "$(ldd "$STATIC" 2>&1)"
case_end "static-binary"


topo_basic || { echo "not ok setup: topology"; exit 0; }
wait_in_ns "$SINK_PID" "$POD" || { echo "not ok setup: tunsink not in $POD"; exit 0; }

# check only reads routes: nothing is attached, whatever it makes of its input
printf '{"spec": {"clusterNetwork": [{"cidr": "10.128.0.0/14"}],' |
	"$STATIC" check --netns "$POD" --cidrs-from - >"$TMP/j.out" 2>"$TMP/j.err"
expect_eq "a cut config: exit code" 2 "$?"
expect_eq "a cut config: one line" \
	"tunleak: --cidrs-from stdin: not JSON: unexpected end of data at byte 56" \
	"$(cat "$TMP/j.err")"
expect_eq "a cut config: nothing on stdout" "" "$(cat "$TMP/j.out")"
case_end "static-json-error"
R=$TMP/root
mkdir -p "$R/proc" "$R/sys" "$R/out"
cp "$STATIC" "$R/tunleak"
expect_eq "the root holds only the binary" "out proc sys tunleak" "$(ls "$R" | tr '\n' ' ' | sed 's/ $//')"

# A private mount namespace: the mounts die with it, on every path.
# The classes from OpenShift's network config on stdin (pod 10.128.0.0/14).
# Its stderr inside the root, where tunleak can leave its ready file beside it.
tl_ready_opts "$R/out/s.err" "$R/tunleak" "$R"
unshare --mount --propagation private sh -c '
	r=$1 pid=$2
	shift 2
	mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
	exec chroot "$r" /tunleak --pid "$pid" --cidrs-from - \
		--export /out/c.json --interval 0.2 --json "$@"' sh "$R" "$SINK_PID" "${TL_READY[@]}" \
	<"$ROOT/tests/data/network-config-openshift.json" >"$TMP/s.out" 2>"$R/out/s.err" &
TL_PID=$!
track "$TL_PID"
tl_wait_ready "$R/out/s.err" 10 || ERRORS+=("did not start: $(tr '\n' ' ' <"$R/out/s.err")")
pod_ping 4 10.130.0.5
kill -TERM "$TL_PID"
wait "$TL_PID"
expect_eq "exit code after SIGTERM" 0 "$?"
expect_eq "leak packets" 4 "$(jqf "$R/out/c.json" .leaks.packets)"
expect_eq "leak bytes" 336 "$(jqf "$R/out/c.json" .leaks.bytes)"
expect_eq "event" "leak tun0 10.8.0.2 10.130.0.5 icmp" \
	"$(flow_lines "$TMP/s.out" | jq -r '"\(.type) \(.iface) \(.src) \(.dst) \(.proto)"' 2>&1)"
expect_eq "event route" "10.0.0.0/8 via 10.8.0.1 dev tun0" "$(flow_lines "$TMP/s.out" | jq -r .route 2>&1)"
expect_clean "$POD" eth0
expect_clean "$POD" tun0
case_end "static-in-empty-root"
