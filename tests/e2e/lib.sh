# shellcheck shell=bash
# Shared by tests/e2e/test_*.sh: what only tests need. Reporting (a test
# script prints "ok NAME", "not ok NAME: why" or "skip NAME: why"),
# assertions that say what was expected, the basic pod, tunleak started and
# stopped against it, the labs brought up for the test. Namespaces,
# processes, the temporary directory and their removal on every path come
# from scripts/lib.sh (mkns, bg, track, tmpdir, wait_for, tl_wait_ready...).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
TUNLEAK=$ROOT/tunleak
HELPERS=$ROOT/.output/tests
ID=$$
ERRORS=()
tmpdir TMP e2e

# Quiet IPv6 (router solicitations, MLD) so counts are exactly the test's.
no_ipv6() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}

# wait_in_ns PID NS: until process PID is inside namespace NS (ip netns exec
# forks before it switches: --pid must never be given a process still in the
# root namespace).
wait_in_ns() {
	local want
	want=$(stat -L -c %i "/run/netns/$2") || return 1
	wait_until 2 _in_netns "$1" "$want"
}
_in_netns() { [ "$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null)" = "$2" ]; }

# --- assertions collect errors for the current case ---------------------------
expect_eq() { # what expected got
	[ "$2" == "$3" ] || ERRORS+=("$1: expected $2, got $3")
}
expect_match() { # what pattern text
	[[ "$3" =~ $2 ]] || ERRORS+=("$1: expected to match /$2/, got \"$3\"")
}
expect_true() { # what cmd...
	local what=$1
	shift
	"$@" >/dev/null 2>&1 || ERRORS+=("$what")
}
# case_end NAME: report the case and reset.
case_end() {
	if [ ${#ERRORS[@]} -eq 0 ]; then
		echo "ok $1"
	else
		local IFS='; '
		echo "not ok $1: ${ERRORS[*]}"
	fi
	ERRORS=()
}

# jqf FILE FILTER: one value from a JSON file ("missing" if unreadable).
jqf() {
	jq -r "$2" "$1" 2>/dev/null || echo missing
}

# wait_jq FILE FILTER VALUE [SECONDS]: until jqf FILE FILTER is VALUE (a
# counters file catching up), at most SECONDS (default 5).
wait_jq() {
	wait_until "${4:-5}" _jq_is "$@"
}
_jq_is() { [ "$(jqf "$1" "$2")" = "$3" ]; }

# settle FILE: the counters file FILE (--export, short --interval) as of
# now: until it is written again (at most 4 s), then 0.25 s more.
settle() {
	local u0
	u0=$(jqf "$1" .updated)
	wait_until 4 _updated_since "$1" "$u0"
	sleep 0.25
}
_updated_since() { [ "$(jqf "$1" .updated)" != "$2" ]; }

# ns_of LABEL: the jq filter of one namespace of a counters file.
ns_of() { echo ".namespaces[] | select(.label == \"$1\")"; }

# --- the basic pod: eth0 toward a gateway, tun0 from tunsink --------------------
# POD: eth0 10.128.0.2/23, default via 10.128.0.1; tun0 10.8.0.2/24 with the
#      broad VPN route 10.0.0.0/8 via tun0 (the misconfiguration).
# GW:  10.128.0.1/23; on its lo: 10.130.0.5 (a pod on another node) and
#      203.0.113.5 (a remote host, for bypass).
topo_basic() {
	mkns POD pod && mkns GW gw || return 1
	no_ipv6 "$POD"
	no_ipv6 "$GW"
	ip link add eth0 netns "$POD" type veth peer name gw0 netns "$GW" || return 1
	ip -n "$POD" addr add 10.128.0.2/23 dev eth0
	ip -n "$POD" link set eth0 up
	ip -n "$POD" route add default via 10.128.0.1
	ip -n "$GW" addr add 10.128.0.1/23 dev gw0
	ip -n "$GW" addr add 10.130.0.5/32 dev lo
	ip -n "$GW" addr add 203.0.113.5/32 dev lo
	ip -n "$GW" link set gw0 up
	tun_up
}

# tun_up: (re)create tun0 in POD with its address and the broad route.
tun_up() {
	bg "$POD" "$HELPERS/tunsink" tun0 "$TMP/sink.count" >/dev/null
	SINK_PID=$BG_PID
	wait_until 2 ip -n "$POD" link show tun0 >/dev/null 2>&1
	ip -n "$POD" addr add 10.8.0.2/24 dev tun0
	ip -n "$POD" link set tun0 up
	ip -n "$POD" route add 10.0.0.0/8 via 10.8.0.1 dev tun0
}

tun_down() {
	kill -TERM "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	wait_until 2 _no_tun0
}
_no_tun0() { ! ip -n "$POD" link show tun0 >/dev/null 2>&1; }

# start_tunleak ARGS...: tunleak in the background against POD; waits until
# it is attached. Output in $TMP/tl.out, $TMP/tl.err.
start_tunleak() {
	: >"$TMP/tl.out"
	tl_ready_opts "$TMP/tl.err"
	"$TUNLEAK" --netns "$POD" "${TL_READY[@]}" "$@" >>"$TMP/tl.out" 2>>"$TMP/tl.err" &
	TL_PID=$!
	track "$TL_PID"
	if ! tl_wait_ready "$TMP/tl.err" 5; then
		ERRORS+=("tunleak did not start: $(tr '\n' ' ' <"$TMP/tl.err")")
		return 1
	fi
}

# stop_tunleak [SIGNAL]: signal it and wait; exit code in TL_RC.
stop_tunleak() {
	kill "-${1:-TERM}" "$TL_PID" 2>/dev/null
	wait "$TL_PID" 2>/dev/null
	TL_RC=$?
}

pod_ping() { # COUNT ADDR
	ip netns exec "$POD" ping -q -n -c "$1" -i 0.1 -W 1 "$2" >/dev/null 2>&1
}

# No tunleak program left on IFACE in NS: no tc filter, no tcx link.
expect_clean() { # NS IFACE
	local f q
	f=$(ip netns exec "$1" tc filter show dev "$2" ingress 2>/dev/null; ip netns exec "$1" tc filter show dev "$2" egress 2>/dev/null)
	expect_eq "tc filters left on $2" "" "$f"
	q=$(ip netns exec "$1" "$HELPERS/tcxq" "$2" 2>&1)
	expect_eq "tcx programs left on $2" "ingress 0 egress 0" "$q"
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip ${1:-all}: needs root"
		exit 0
	fi
}

# require_tools NAME TOOL...: skip the test NAME (the whole script) unless
# every TOOL (a command, or a file's path) is there.
require_tools() {
	local name=$1 t
	shift
	for t in "$@"; do
		if [[ $t == */* ]]; then [ -e "$t" ]; else command -v "$t" >/dev/null; fi && continue
		echo "skip $name: $t is not installed (scripts/deps.sh installs it)"
		exit 0
	done
}

# lab_start: the OpenVPN lab of scripts/lab.sh for this test (taken down on
# exit), its variables (NS_VPNPOD, OTHER_IP, ...) set; POD is the VPN pod.
lab_start() {
	cleanup_add lab "$ROOT/scripts/lab.sh" down "$ID"
	if ! "$ROOT/scripts/lab.sh" up "$ID" >"$TMP/lab.out" 2>&1; then
		echo "not ok lab-up: $(tail -5 "$TMP/lab.out" | tr '\n' ' ')"
		return 1
	fi
	eval "$("$ROOT/scripts/lab.sh" env "$ID")"
	POD=$NS_VPNPOD
}

# nodelab_start POD:KIND[:RUNTIME]...: the simulated node of scripts/nodelab.sh
# for this test (taken down on exit), its NL_* variables set.
nodelab_start() {
	cleanup_add nodelab "$ROOT/scripts/nodelab.sh" down "$ID"
	if ! "$ROOT/scripts/nodelab.sh" up "$ID" "$@" >"$TMP/nodelab.out" 2>&1; then
		echo "not ok nodelab-up: $(tail -1 "$TMP/nodelab.out")"
		return 1
	fi
	eval "$("$ROOT/scripts/nodelab.sh" env "$ID")"
}

# flow_lines FILE...: the leak and bypass flow events of an event stream,
# without the route watch's (route_leak, route_ok, ... / ROUTE-LEAK, ...).
flow_lines() {
	grep -v -e '"type":"route_' -e '^[0-9TZ:.-]* ROUTE-' "$@"
	return 0
}

# --- tunleak on the simulated node (after nodelab_start) -------------------------
# node_tunleak ARGS...: tunleak on the node in the background (under the
# command in TL_WRAP, if any), until it is attached. Output in $TMP/n.out,
# $TMP/n.err; TL_CHILD is tunleak itself (nsenter forks to enter the node's
# PID namespace and passes no signal on).
TL_WRAP=()
node_tunleak() {
	: >"$TMP/n.out"
	tl_ready_opts "$TMP/n.err"
	"$ROOT/scripts/nodelab.sh" node "$NL_ID" -- "${TL_WRAP[@]}" "$TUNLEAK" "${TL_READY[@]}" "$@" \
		>"$TMP/n.out" 2>"$TMP/n.err" &
	TL_PID=$!
	track "$TL_PID"
	tl_wait_ready "$TMP/n.err" 15 || ERRORS+=("tunleak did not start: $(tail -3 "$TMP/n.err" | tr '\n' ' ')")
	TL_CHILD=$(pgrep -P "$TL_PID" | head -1)
	[ -n "$TL_CHILD" ] && track "$TL_CHILD"
}

# node_stop: SIGTERM to tunleak on the node; its exit code in TL_RC.
node_stop() {
	kill -TERM "$TL_CHILD" 2>/dev/null
	wait "$TL_PID"
	TL_RC=$?
}
