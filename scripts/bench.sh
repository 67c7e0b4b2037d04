#!/usr/bin/env bash
# make bench: tunleak's cost, measured against baselines in the same run.
#   scripts/bench.sh [RESULTS.json]     (default bench/results.json)
# Environment: BENCH_RUNS (5), BENCH_SECONDS (3, per throughput run), THROUGHPUT_RUNS (3),
# STORM_SECONDS (10), STORM_RUNS (3), NODE_PODS ("50 250 500": node sizes), NODE_RUNS (3),
# and those of scripts/bench-traffic.sh (TRAFFIC_RUNS,
# TRAFFIC_SECONDS, ...). Everything runs in network namespaces this script and
# bench-traffic.sh make and remove; the machine's own interfaces are never touched.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
OUT=${1:-$ROOT/bench/results.json}
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECONDS:-3}
TPUT_RUNS=${THROUGHPUT_RUNS:-3}
STORM=${STORM_SECONDS:-10}
STORM_RUNS=${STORM_RUNS:-3}
TL=$ROOT/tunleak
B=$ROOT/.output/bench
H=$ROOT/.output/tests

# The tables of a results file (also alone: scripts/bench.sh --table RESULTS.json).
print_table() {
jq -r '
def r1: (. * 10 | round) / 10;
def c(f; p; l; n): .classifier[] | select(.path == p and .family == f and .link == l and .prefixes == n) | .ns_over_empty | r1;
def r0: round + 0; # not "-0"
def t(f; tr; d): .traffic[] | select(.family == f and .traffic == tr and .dir == d);
def a(n): if .arms[n] then "\(.arms[n].median | r0) (\(.arms[n].min | r0)–\(.arms[n].max | r0))" else "–" end;
def o(n): if .over_floor[n].median then "\(.over_floor[n].median | r0)" else "–" end;
def row(lbl; f; tr; d): t(f; tr; d) |
	"| \(lbl) | \(a("floor")) | \(a("empty")) | \(a("tunleak-tc")) | \(a("tunleak-tcx")) | \(o("tunleak-tc")) / \(o("tunleak-tcx")) |";
"tunleak benchmark — \(.date), kernel \(.kernel), \(.cpu) (\(.cpus) CPUs)",
"",
"Real traffic: ns per packet by the kernel\u0027s BPF statistics, median of \(.traffic[0].arms.floor.runs) rounds (min–max); iperf3 over veth, 4 CIDRs per family; target: tunleak − floor ≤ 20 ns",
"",
"| traffic | floor | empty | tunleak tc | tunleak tcx | tunleak − floor (tc / tcx) |",
"|---|---|---|---|---|---|",
(("ipv4", "ipv6") as $f | ($f | sub("ipv"; "IPv")) as $F |
	row("\($F) UDP 64 B, egress"; $f; "udp"; "egress"),
	row("\($F) UDP 64 B, ingress"; $f; "udp-r"; "ingress"),
	row("\($F) TCP bulk, egress (TSO)"; $f; "tcp"; "egress"),
	row("\($F) TCP bulk, ingress (ACKs)"; $f; "tcp"; "ingress"),
	row("\($F) TCP bulk, ingress (aggregates)"; $f; "tcp-r"; "ingress"),
	row("\($F) TCP bulk, egress (ACKs)"; $f; "tcp-r"; "egress")),
"",
"Hot cache: BPF_PROG_TEST_RUN, one frame 1,000,000 times, ns over an empty program",
"",
"| figure | measured | target |",
"|---|---|---|",
"| classifier over empty, IPv4 non-leak, 4 prefixes (L2 / L3) | \(c("ipv4"; "nonleak"; "l2"; 4)) / \(c("ipv4"; "nonleak"; "l3"; 4)) ns | ≤ 15 ns |",
"| same, 16 prefixes (L2 / L3) | \(c("ipv4"; "nonleak"; "l2"; 16)) / \(c("ipv4"; "nonleak"; "l3"; 16)) ns | ≤ 15 ns |",
"| same, IPv6, 4 prefixes (L2 / L3) | \(c("ipv6"; "nonleak"; "l2"; 4)) / \(c("ipv6"; "nonleak"; "l3"; 4)) ns | |",
"| non-leak, 64 prefixes, IPv4 / IPv6 (L2) | \(c("ipv4"; "nonleak"; "l2"; 64)) / \(c("ipv6"; "nonleak"; "l2"; 64)) ns | |",
"| non-leak, 4096 prefixes, IPv4 / IPv6 (L2) | \(c("ipv4"; "nonleak"; "l2"; 4096)) / \(c("ipv6"; "nonleak"; "l2"; 4096)) ns | ≤ 60 ns |",
"| cluster ingress, TCP ACK from a pod, IPv4 / IPv6, 4 prefixes (L2) | \(c("ipv4"; "ingress-ack"; "l2"; 4)) / \(c("ipv6"; "ingress-ack"; "l2"; 4)) ns | |",
"| leak packet of a known flow, IPv4 / IPv6, 4 prefixes (L2) | \(c("ipv4"; "leak-flow"; "l2"; 4)) / \(c("ipv6"; "leak-flow"; "l2"; 4)) ns | |",
"| new leak flow + event over non-leak, consumer draining, IPv4 / IPv6 | \([.classifier[] | select(.path=="event") | .ns_per_event_over_nonleak | r1] | map(tostring) | join(" / ")) ns | ≤ 150 ns |",
"",
"Throughput, leak storm, footprint, lifecycle",
"",
"| figure | measured | target |",
"|---|---|---|",
(.throughput[] | "| \(.test | ascii_upcase) \(if .test == "tcp" then "bulk" else "64-byte" end) with/without, \(.attach) | \(.ratio * 1000 | round / 1000) (\(.with.median | r1) vs \(.without.median | r1) \(.with.unit)); over an empty program \(.ratio_over_empty * 1000 | round / 1000), empty/without \(.empty_over_without * 1000 | round / 1000) | \(if .test == "tcp" then "≥ 0.98" else "≥ 0.95" end) |"),
"| leak storm: offered / received per s (median of \(.storm.runs)) | \(.storm.offered_per_s | floor) / \(.storm.received_per_s | floor) (received min \(.storm.received_per_s_min | floor), max \(.storm.received_per_s_max | floor); generator alone: \(.storm.generator_alone_per_s | floor)/s) | ≥ 1,000,000 received, or every flow accounted for |",
"| leak storm: received + recovered + unreported == offered | \(.storm.events_received) + \(.storm.recovered) + \(.storm.unreported) = \(.storm.offered); in every run: \(.storm.invariant_holds) | true |",
"| leak storm: user-space CPU | \(.storm.user_cpu_s) s user, \(.storm.system_cpu_s) s system in \(.storm.seconds | r1) s | |",
"| peak RSS at 10,000 flows | \(.footprint.peak_rss_mib | r1) MiB (min \(.footprint.peak_rss.min | r1), max \(.footprint.peak_rss.max | r1)) | ≤ 16 MiB |",
"| BPF maps, default settings | \(.footprint.bpf_maps_mib * 100 | round / 100) MiB | ≤ 8 MiB |",
(.lifecycle[] | "| \(.figure) | \(.median) ms (min \(.min), max \(.max)) | ≤ 100 ms |"),
"",
"Node mode (tunleak --all on the lab node, scripts/bench_node.sh: bare pods with eth0 and tun0; \(.node[0].processes // "2,000") processes for the CPU columns)",
"",
"| pods | start to every interface attached: auto (tc), median (min–max); tcx | kernel memory per pod | RSS, open files | CPU of one look at the node | idle CPU per second (with --export) | the last pod's leak counted exactly |",
"|---|---|---|---|---|---|---|",
(.node // [] | .[] | select(.figure == "node") |
	"| \(.pods) | \(.start_ms.median) ms (\(.start_ms.min)–\(.start_ms.max)); tcx \(.tcx_start_ms) ms | \(.kernel_memory.per_pod / 1024 | r1) KiB (\(.kernel_memory.all / 1048576 | r1) MiB in all) | \(.rss_kib / 1024 | r1) MiB, \(.fds) | \(.pass_cpu_us.median / 1000 | r1) ms (\(.pass_cpu_us.min / 1000 | r1)–\(.pass_cpu_us.max / 1000 | r1)) | \(.idle_cpu_us_per_s / 1000 | r1) ms (\(.idle_cpu_us_per_s_export / 1000 | r1) ms) | \(.true) |"),
"| target | ≤ 3000 ms at 250 | ≤ 64 KiB | ≤ 32 MiB at 250 | | ≤ 5 ms at 250 | true |",
"",
"Route watch (a pod whose VPN pushed 500 routes; \(.routes[0].runs // 0) changes of a leak route, added and deleted)",
"",
"| figure | measured | target |",
"|---|---|---|",
(.routes // [] | .[] |
	if .unit == "us" then "| \(.figure) | \(.median / 1000 | r1) ms (min \(.min / 1000 | r1), max \(.max / 1000 | r1)) | a few ms |"
	else "| \(.figure) | \(.median) ms (min \(.min), max \(.max)) | ≤ 200 ms |" end),
"",
"Medians of \(.lifecycle[0].runs) runs; every figure with min and max in \($out)."
' --arg out "${OUT#"$ROOT"/}" "$OUT"
}
if [ "${1:-}" = --table ]; then
	OUT=${2:?usage: bench.sh --table RESULTS.json}
	print_table
	exit
fi

[ "$(id -u)" -eq 0 ] || bad "needs root"
mkdir -p "$(dirname "$OUT")"
tmpdir TMP bench

# --- 1. the datapath on real traffic (bpf_stats), against the floor and an empty program
say "1/8 real traffic: per-packet run time (kernel.bpf_stats_enabled) of floor, empty, tunleak tcx and tc; ${TRAFFIC_RUNS:-5} rounds"
"$ROOT/scripts/bench-traffic.sh" "$TMP/traffic_runs.jsonl" || exit 1
# Per row (family, traffic, direction) and arm: median, min, max over the
# rounds; tunleak - floor as the median of the per-round differences (the
# arms of one round ran within seconds of each other). Runs with fewer than
# 1000 packets (the reverse direction of UDP) are left out.
jq -sc '
	def med: sort | .[(length - 1) / 2 | floor];
	def st: {median: (map(.ns_per_packet) | med), min: (map(.ns_per_packet) | min),
	         max: (map(.ns_per_packet) | max), runs: length,
	         packets_per_run: (map(.packets) | med)};
	map(select(.packets >= 1000 and .ns_per_packet != null))
	| group_by([.family, .traffic, .dir])
	| map(. as $g | ($g[0] | {family, traffic, dir}) + {
		arms: ($g | group_by(.arm) | map({key: .[0].arm, value: st}) | from_entries),
		over_floor: ([$g[] | .arm] | unique | map(select(startswith("tunleak") or contains("=")))
			| map(. as $a | {key: $a, value: (
				[$g[] | select(.arm == $a)] | map(. as $t | ($g[] | select(.arm == "floor" and .run == $t.run)
					| $t.ns_per_packet - .ns_per_packet))
				| {median: med, min: min, max: max})}) | from_entries)})
	| .[]' "$TMP/traffic_runs.jsonl" >"$TMP/traffic.jsonl"

# --- 2. classifier cost (BPF_PROG_TEST_RUN, pinned, against an empty program)
say "2/8 classifier cost (BPF_PROG_TEST_RUN, 1,000,000 repeats, pinned to CPU 0)"
"$B/tlbench" classifier 1000000 "$RUNS" >"$TMP/classifier.jsonl" || exit 1
"$B/tlbench" events 20000 "$RUNS" >>"$TMP/classifier.jsonl" || exit 1

# --- 3. live throughput A/B over a veth pair ---------------------------------
say "3/8 throughput without, with an empty tc program, with tunleak; interleaved, $TPUT_RUNS runs x ${SECS}s each"
mkns A bA && mkns S bS || exit 1
ip link add eth0 netns "$A" type veth peer name eth0 netns "$S"
ip -n "$A" addr add 10.128.0.2/24 dev eth0
ip -n "$S" addr add 10.128.0.1/24 dev eth0
ip -n "$A" link set eth0 up
ip -n "$S" link set eth0 up
bg "$S" iperf3 -s >/dev/null 2>&1
IPERF=$BG_PID
sleep 0.5

tl_start() { # mode
	tl_ready_opts "$TMP/tl.err" "$TL"
	"$TL" --netns "$A" "${TL_READY[@]}" --cluster-cidr 10.128.0.0/14 --attach "$1" >/dev/null 2>>"$TMP/tl.err" &
	TLP=$!
	track "$TLP"
	tl_wait_ready "$TMP/tl.err" 2 && return 0
	say "tunleak did not start: $(cat "$TMP/tl.err")"
	return 1
}
tl_stop() { kill -TERM "$TLP"; wait "$TLP"; }
tcp_run() { ip netns exec "$A" iperf3 -c 10.128.0.1 -t "$SECS" -J 2>/dev/null | jq '.end.sum_received.bits_per_second / 1e9'; }
udp_run() { ip netns exec "$A" iperf3 -c 10.128.0.1 -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
	jq '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds'; }

: >"$TMP/ab.jsonl"
empty_start() { # mode: the baseline, an empty tc program on the same hooks
	: >"$TMP/hold.out"
	bg "$A" "$H/tchold" eth0 both "$1" "$B/empty.bpf.o" >>"$TMP/hold.out" 2>&1
	HP=$BG_PID
	wait_for "$TMP/hold.out" '^ready' 2 && return 0
	say "empty program did not attach: $(cat "$TMP/hold.out")"
	return 1
}
empty_stop() { kill -TERM "$HP"; wait "$HP"; }
for mode in tcx tc; do
	for test in tcp udp; do
		: >"$TMP/without"
		: >"$TMP/empty"
		: >"$TMP/with"
		for ((i = 0; i < TPUT_RUNS; i++)); do
			# the three arms in a rotating order, so drift favours none
			for ((k = 0; k < 3; k++)); do
				case $(((i + k) % 3)) in
				0) "${test}_run" >>"$TMP/without" ;;
				1)
					empty_start "$mode" || exit 1
					"${test}_run" >>"$TMP/empty"
					empty_stop
					;;
				2)
					tl_start "$mode" || exit 1
					"${test}_run" >>"$TMP/with"
					tl_stop
					;;
				esac
			done
		done
		unit=$([ $test = tcp ] && echo Gbit/s || echo packets/s)
		w=$(stats_json "$test without tunleak ($mode runs)" "$unit" <"$TMP/without")
		e=$(stats_json "$test with an empty tc program, $mode" "$unit" <"$TMP/empty")
		t=$(stats_json "$test with tunleak --attach $mode" "$unit" <"$TMP/with")
		jq -nc --argjson w "$w" --argjson e "$e" --argjson t "$t" --arg test "$test" --arg mode "$mode" \
			'{figure: "\($test) throughput ratio, \($mode)", test: $test, attach: $mode,
			  ratio: ($t.median / $w.median), ratio_over_empty: ($t.median / $e.median),
			  empty_over_without: ($e.median / $w.median), without: $w, empty: $e, with: $t}' \
			>>"$TMP/ab.jsonl"
		say "   $test $mode: $(jq -r '"tunleak/without \(.ratio*1000|round/1000), tunleak/empty \(.ratio_over_empty*1000|round/1000), empty/without \(.empty_over_without*1000|round/1000)"' <<<"$(tail -1 "$TMP/ab.jsonl")")"
	done
done
stop_pid "$IPERF"
delns "$A" "$S"

# --- 4. leak storm -------------------------------------------------------------
say "4/8 leak storm: distinct leak flows for ${STORM}s"
mkns P bP || exit 1
ip -n "$P" tuntap add dev tun0 mode tun # no reader: the packets end at the qdisc
ip -n "$P" addr add 198.19.8.2/24 dev tun0
ip -n "$P" link set tun0 up
ip -n "$P" route add 10.0.0.0/8 dev tun0
ip link add eth0 netns "$P" type veth peer name peer0 netns "$P"
ip -n "$P" link set eth0 up
ip -n "$P" link set peer0 up
baseline=$(ip netns exec "$P" "$B/storm" 2 10.128.0.0)
: >"$TMP/storm_runs.jsonl"
for ((r = 0; r < STORM_RUNS; r++)); do
	tl_ready_opts "$TMP/storm.err" "$TL"
	"$TL" --netns "$P" "${TL_READY[@]}" --cluster-cidr 10.128.0.0/14 --json --export "$TMP/storm.json" \
		--interval 1 >/dev/null 2>>"$TMP/storm.err" &
	TLP=$!
	track "$TLP"
	tl_wait_ready "$TMP/storm.err" 2 || die "tunleak did not start: $(cat "$TMP/storm.err")"
	gen=$(ip netns exec "$P" "$B/storm" "$STORM" 10.128.0.0)
	sleep 1.5 # one more sweep of the kernel's flow table
	read -r ut st <<<"$(awk '{print $14, $15}' /proc/$TLP/stat)"
	kill -TERM "$TLP"
	wait "$TLP"
	hz=$(getconf CLK_TCK)
	jq -nc --arg gen "$gen" --arg base "$baseline" --argjson ut "$ut" --argjson st "$st" --argjson hz "$hz" \
		--slurpfile s "$TMP/storm.json" '
		($gen | split(" ")) as $g | ($base | split(" ")) as $b | $s[0] as $x |
		($g[1]|tonumber) as $offered | ($g[3]|tonumber) as $secs |
		{seconds: $secs, offered: $offered,
		 offered_per_s: ($offered / $secs),
		 generator_alone_per_s: (($b[1]|tonumber) / ($b[3]|tonumber)),
		 kernel_new_flows: $x.events.flows, kernel_leak_packets: $x.leaks.packets,
		 events_emitted: $x.events.emitted, events_dropped: $x.events.dropped,
		 events_received: $x.events.received, received_per_s: ($x.events.received / $secs),
		 recovered: $x.events.recovered, unreported: $x.events.unreported,
		 invariant_holds: ($x.events.received + $x.events.recovered + $x.events.unreported == $offered
		                   and $x.events.flows == $offered and $x.leaks.packets == $offered
		                   and $x.events.emitted == $x.events.received),
		 user_cpu_s: ($ut / $hz), system_cpu_s: ($st / $hz)}' >>"$TMP/storm_runs.jsonl"
	say "   run $((r + 1)): $(tail -1 "$TMP/storm_runs.jsonl" | jq -r '"offered \(.offered) (\(.offered_per_s|floor)/s), received \(.events_received) (\(.received_per_s|floor)/s), recovered \(.recovered), unreported \(.unreported), invariant \(.invariant_holds)"')"
done
# the median run by events received per second, with min and max of both rates
jq -sc 'sort_by(.received_per_s) as $r | $r[(length - 1) / 2 | floor] +
	{figure: "leak storm", runs: length, invariant_holds: (map(.invariant_holds) | all),
	 received_per_s_min: ($r[0].received_per_s), received_per_s_max: ($r[-1].received_per_s),
	 offered_per_s_min: (map(.offered_per_s) | min), offered_per_s_max: (map(.offered_per_s) | max),
	 each: $r}' "$TMP/storm_runs.jsonl" >"$TMP/storm.jsonl"

# --- 5. footprint ------------------------------------------------------------------
say "5/8 footprint at 10,000 active flows, default settings"
: >"$TMP/fp.hwm"
for ((r = 0; r < RUNS; r++)); do
	tl_ready_opts "$TMP/fp.err" "$TL"
	"$TL" --netns "$P" "${TL_READY[@]}" --cluster-cidr 10.128.0.0/14 --json --interval 0.5 >/dev/null 2>>"$TMP/fp.err" &
	TLP=$!
	track "$TLP"
	tl_wait_ready "$TMP/fp.err" 2 || die "tunleak did not start: $(cat "$TMP/fp.err")"
	ip netns exec "$P" "$B/storm" -N 10000 10.132.0.0 >/dev/null
	sleep 1.5
	awk '/VmHWM/ {print $2 / 1024}' /proc/$TLP/status >>"$TMP/fp.hwm"
	maps=0
	for fd in /proc/$TLP/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:bpf-map" ] || continue
		m=$(awk '/^memlock:/ {print $2}' "/proc/$TLP/fdinfo/${fd##*/}")
		maps=$((maps + ${m:-0}))
	done
	kill -TERM "$TLP"
	wait "$TLP"
done
rss=$(stats_json "peak RSS at 10,000 flows" MiB <"$TMP/fp.hwm")
jq -nc --argjson rss "$rss" --argjson maps "$maps" \
	'{figure: "footprint", peak_rss_mib: $rss.median, peak_rss: $rss, bpf_maps_mib: ($maps / 1048576), flows: 10000}' \
	>"$TMP/footprint.jsonl"
say "   $(jq -r '"peak RSS \(.peak_rss_mib) MiB, BPF maps \(.bpf_maps_mib) MiB"' "$TMP/footprint.jsonl")"
delns "$P"

# --- 6. lifecycle ----------------------------------------------------------------
say "6/8 start to attached, SIGTERM to exit (eth0 and tun0)"
mkns L bL || exit 1
ip link add eth0 netns "$L" type veth peer name peer0 netns "$L"
ip -n "$L" link set eth0 up
ip -n "$L" link set peer0 up
bg "$L" "$H/tunsink" tun0 >/dev/null
wait_until 2 ip -n "$L" link show tun0 >/dev/null 2>&1 || die "tunsink made no tun0"
ip -n "$L" link set tun0 up
: >"$TMP/start"
: >"$TMP/stop"
for ((i = 0; i < RUNS; i++)); do
	tl_ready_opts "$TMP/lc.err" "$TL"
	t0=$(date +%s%N)
	"$TL" --netns "$L" "${TL_READY[@]}" --cluster-cidr 10.128.0.0/14 >/dev/null 2>>"$TMP/lc.err" &
	TLP=$!
	track "$TLP"
	tl_wait_ready "$TMP/lc.err" 10 0.001 || die "tunleak did not start: $(cat "$TMP/lc.err")"
	t1=$(date +%s%N)
	sleep 0.2
	t2=$(date +%s%N)
	kill -TERM "$TLP"
	wait "$TLP"
	t3=$(date +%s%N)
	echo "scale=1; ($t1 - $t0) / 1000000" | awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f\n", (b-a)/1e6}' >>"$TMP/start"
	awk -v a="$t2" -v b="$t3" 'BEGIN{printf "%.1f\n", (b-a)/1e6}' >>"$TMP/stop"
done
{
	stats_json "start to attached (2 interfaces)" ms <"$TMP/start"
	stats_json "SIGTERM to exit" ms <"$TMP/stop"
} >"$TMP/lifecycle.jsonl"
say "   start $(jq -rs '.[0].median' "$TMP/lifecycle.jsonl") ms, stop $(jq -rs '.[1].median' "$TMP/lifecycle.jsonl") ms"

# --- 7. node mode at scale --------------------------------------------------------
say "7/8 node mode: ${NODE_PODS:-50 250 500} pods with a tunnel on the lab node (scripts/bench_node.sh)"
"$ROOT/scripts/bench_node.sh" "${NODE_PODS:-50 250 500}" "${NODE_RUNS:-3}" >"$TMP/node.jsonl" || exit 1

# --- 8. the route watch ------------------------------------------------------------
say "8/8 the route watch: an audit of 500 routes, a route's change to its event (scripts/bench_routes.sh)"
"$ROOT/scripts/bench_routes.sh" "${ROUTE_CHANGES:-20}" >"$TMP/routes.jsonl" || exit 1

# --- results -----------------------------------------------------------------------
jq -n --arg kernel "$(uname -r)" --arg cpu "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson ncpu "$(nproc)" \
	--arg version "$("$TL" --version)" \
	--slurpfile tr "$TMP/traffic.jsonl" \
	--slurpfile c "$TMP/classifier.jsonl" --slurpfile ab "$TMP/ab.jsonl" \
	--slurpfile st "$TMP/storm.jsonl" --slurpfile fp "$TMP/footprint.jsonl" \
	--slurpfile lc "$TMP/lifecycle.jsonl" --slurpfile nd "$TMP/node.jsonl" \
	--slurpfile rw "$TMP/routes.jsonl" \
	'{date: $date, kernel: $kernel, cpu: $cpu, cpus: $ncpu, tunleak: $version,
	  traffic: $tr, classifier: $c, throughput: $ab, storm: $st[0], footprint: $fp[0], lifecycle: $lc,
	  node: $nd, routes: $rw}' >"$OUT"

# --- the table -------------------------------------------------------------------
print_table

