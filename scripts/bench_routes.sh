#!/usr/bin/env bash
# The route watch's cost (make bench, section 8): CPU of one audit of a pod
# whose VPN pushed 500 routes, and how long after a route's change its event
# comes. Prints JSON lines: {"figure", "unit", "median", "min", "max", "runs", ...}.
#   scripts/bench_routes.sh [CHANGES]     (default 20 changes per table)
# Everything runs in a network namespace this script makes and removes.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
N=${1:-20}
TL=$ROOT/tunleak
H=$ROOT/.output/tests
[ "$(id -u)" -eq 0 ] || bad "needs root"
tmpdir T benchroutes
mkns P brpod || exit 1
ip link add eth0 netns "$P" type veth peer name gw0 netns "$P"
ip -n "$P" addr add 10.128.0.2/23 dev eth0
ip -n "$P" link set eth0 up
ip -n "$P" link set gw0 up
ip -n "$P" route add default via 10.128.0.1
bg "$P" "$H/tunsink" tun0 >/dev/null
wait_until 2 ip -n "$P" link show tun0 >/dev/null 2>&1 || die "tunsink made no tun0"
ip -n "$P" addr add 192.0.2.2/24 dev tun0
ip -n "$P" link set tun0 up


# one table: ROUTES pushed by the "VPN" as a batch, then N changes of one
# leak route (added, then deleted), each timed from before the change to
# the event's own time, and each audit's CPU from the counters file
table() { # NAME A B WHERE: the routes A.(B + i / 250).(i % 250).0/24
	local name=$1 a=$2 b=$3 where=$4 i t0 ms
	: >"$T/$name.ms"
	: >"$T/$name.cpu"
	for ((i = 0; i < 500; i++)); do
		echo "route add $a.$((b + i / 250)).$((i % 250)).0/24 via 192.0.2.1 dev tun0"
	done | ip -n "$P" -batch - || die "route batch failed"
	tl_ready_opts "$T/tl.err" "$TL"
	"$TL" --netns "$P" "${TL_READY[@]}" --cluster-cidr 10.128.0.0/14 --service-cidr 172.30.0.0/16 \
		--json --export "$T/c.json" --interval 0.1 >"$T/tl.out" 2>>"$T/tl.err" &
	TLP=$!
	track "$TLP"
	tl_wait_ready "$T/tl.err" 10 || die "tunleak did not start: $(cat "$T/tl.err")"
	for ((i = 0; i < N; i++)); do
		for verb in add del; do
			local want=route_leak before
			[ $verb = del ] && want=route_ok
			before=$(jq -c "select(.type == \"$want\")" "$T/tl.out" | wc -l)
			t0=$(date +%s%3N)
			ip -n "$P" route $verb 10.0.0.0/8 via 192.0.2.1 dev tun0
			wait_until 3 _more "$T/tl.out" "$want" "$before" || die "no $want after route $verb"
			ms=$(jq -r "select(.type == \"$want\") | .time" "$T/tl.out" | tail -1 |
				xargs -I{} date -d {} +%s%3N)
			echo $((ms - t0)) >>"$T/$name.ms"
			sleep 0.15 # the next export has this audit's CPU
			jq -r '.namespaces[0].route_watch.last_audit_cpu_us' "$T/c.json" >>"$T/$name.cpu"
		done
	done
	kill -TERM "$TLP"
	wait "$TLP"
	stats_json "route watch: one audit, 500 routes $where (CPU)" us <"$T/$name.cpu"
	stats_json "route watch: a route's change to its event, 500 routes $where" ms <"$T/$name.ms"
}
_more() { [ "$(jq -c "select(.type == \"$2\")" "$1" | wc -l)" -gt "$3" ]; }

table outside 198 18 "outside the cluster CIDRs"
ip -n "$P" route flush dev tun0 proto boot
# 500 routes over the pod network too (not the pod's own /23): 500 regions
# to look up, each a finding
table inside 10 129 "over the pod network"
