#!/usr/bin/env bash
# Node mode at scale, on the simulated node of scripts/nodelab.sh:
#   scripts/bench_node.sh ["50 250 500"] [RUNS] > figures.jsonl
# For each node size, that many bare pods (eth0 a veth pair inside the pod,
# tun0 with the broad routes), tunleak --all on the node:
#   - start to every interface of every pod attached (the "tracing" line),
#     median of RUNS with --attach auto (clsact + cls_bpf), once with tcx
#   - kernel memory of the BPF objects the run holds (maps, programs and their
#     BTF, each counted once by id, sizes from bpftool): --all tracing every
#     pod against --all tracing none (told to wait for a tunnel no pod has),
#     per pod
#   - RSS and open files at that size
#   - with 2,000 more processes on the node: CPU of one look at the node (the
#     counters file's discovery.pass_cpu_us), and CPU per second of a run that
#     has nothing to do (no outputs; and with --export every second)
# A row counts only if it is true: the line must say every interface of every
# pod, the counters file must show each pod with both interfaces attached,
# and 5 datagrams leaked by the pod made last must be counted exactly, alone;
# else the script says what failed and exits 1. One JSON object per node
# size on stdout; progress on stderr. Everything runs on the lab node, taken
# down on every path.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
SIZES=(${1:-50 250 500})
RUNS=${2:-3}
PROCS=${NODE_PROCS:-2000}
IDLE_SECONDS=${NODE_IDLE_SECONDS:-10}
TL=$ROOT/tunleak
NL=$ROOT/scripts/nodelab.sh
PROBE=$ROOT/.output/tests/netprobe
ID=$$
CHILD=""
WRAP=""
FAILED=0

fail() { say "bench_node: $*"; FAILED=1; }

[ "$(id -u)" -eq 0 ] || bad "needs root"
[ -x "$PROBE" ] || bad "$PROBE is missing: make test-build"
for n in "${SIZES[@]}"; do
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 2 ] || bad "node size \"$n\": expected a number of pods >= 2"
done
tmpdir TMP bench-node
cleanup_add nodelab "$NL" down "$ID"

# the tunleak under nsenter (which forks and passes no signal on)
child_of() {
	local c
	for c in $(pgrep -P "$1"); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = tunleak ] && { echo "$c"; return; }
	done
}

# start ARGS...: tunleak on the node; sets WRAP, CHILD, START_MS (to the
# "tracing" line; empty when it did not come in 120 s).
start() {
	local t0
	tl_ready_opts "$TMP/err" "$TL"
	t0=$(ms_now)
	"$NL" node "$ID" -- "$TL" "${TL_READY[@]}" "$@" >"$TMP/out" 2>"$TMP/err" &
	WRAP=$!
	track "$WRAP"
	START_MS=
	tl_wait_ready "$TMP/err" 120 && START_MS=$(($(ms_now) - t0))
	CHILD=$(child_of "$WRAP")
	[ -z "$CHILD" ] || track "$CHILD"
}
stop() {
	[ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null
	wait "$WRAP" 2>/dev/null
	CHILD=""
	WRAP=""
}

# memory PID: bytes of the BPF maps, programs and BTF the process holds or
# its programs use, each once by id, as bpftool sizes them. (A tcx link's
# fdinfo has no memlock: sizes come from the objects themselves.)
memory() {
	local pid=$1 f id bytes=0 b
	declare -A progs=() maps=() btfs=()
	for f in /proc/"$pid"/fdinfo/*; do
		while read -r k v; do
			case $k in
			prog_id:) progs[$v]=1 ;;
			map_id:) maps[$v]=1 ;;
			esac
		done <"$f" 2>/dev/null
	done
	for id in "${!progs[@]}"; do
		bpftool prog show id "$id" -j >"$TMP/p.json" 2>/dev/null || continue
		bytes=$((bytes + $(jq -r '.bytes_memlock // 0' "$TMP/p.json")))
		b=$(jq -r '.btf_id // empty' "$TMP/p.json")
		[ -n "$b" ] && btfs[$b]=1
		for m in $(jq -r '.map_ids[]?' "$TMP/p.json"); do maps[$m]=1; done
	done
	for id in "${!maps[@]}"; do
		bpftool map show id "$id" -j >"$TMP/m.json" 2>/dev/null || continue
		bytes=$((bytes + $(jq -r '.bytes_memlock // 0' "$TMP/m.json")))
		b=$(jq -r '.btf_id // empty' "$TMP/m.json")
		[ -n "$b" ] && [ "$b" != 0 ] && btfs[$b]=1
	done
	for id in "${!btfs[@]}"; do
		bytes=$((bytes + $(bpftool btf show id "$id" -j 2>/dev/null | jq -r '.size // 0')))
	done
	echo "$bytes"
}

# cpu PID: its CPU time so far, all threads, in ns
cpu() {
	local t s=0 a
	for t in /proc/"$1"/task/*/schedstat; do
		read -r a _ <"$t" 2>/dev/null && s=$((s + a))
	done
	echo "$s"
}

# truth N: every pod traced with both interfaces, and the last pod's leak
# counted exactly, alone (the counters file $TMP/c.json, written every 0.2 s)
truth() {
	local n=$1 last i got
	last=$(printf 'p%03d' "$n")
	grep -q "tracing $((2 * n)) interfaces in $n namespaces" "$TMP/err" ||
		{ fail "$n pods: $(grep tracing "$TMP/err" || echo 'no tracing line')"; return 1; }
	for ((i = 0; i < 50; i++)); do
		got=$(jq '[.namespaces[] | select([.interfaces[] | select(.state == "attached")] | length == 2)] | length' "$TMP/c.json" 2>/dev/null)
		[ "$got" = "$n" ] && break
		sleep 0.1
	done
	[ "$got" = "$n" ] || { fail "$n pods: ${got:-none} with both interfaces attached"; return 1; }
	"$NL" pod "$ID" "$last" -- "$PROBE" udp 10.128.2.5 9999 5 100 || { fail "$last: could not send"; return 1; }
	for ((i = 0; i < 100; i++)); do
		got=$(jq -r --arg p "$last" '"\(.namespaces[] | select(.label == $p) | .leaks | "\(.packets) \(.bytes)") \(.leaks.packets)"' "$TMP/c.json" 2>/dev/null)
		[ "$got" = "5 640 5" ] && return 0
		sleep 0.1
	done
	fail "$n pods: the leak of $last: expected 5 packets, 640 bytes, 5 in all; got $got"
	return 1
}

for N in "${SIZES[@]}"; do
	pods=()
	for ((i = 1; i <= N; i++)); do pods+=("$(printf 'p%03d:bare' "$i")"); done
	say "node mode: $N pods with a tunnel on the lab node"
	t0=$(ms_now)
	"$NL" up "$ID" "${pods[@]}" >/dev/null || die "the lab did not come up"
	say "   lab up in $(($(ms_now) - t0)) ms"
	eval "$("$NL" env "$ID")"
	CIDRS=(--cluster-cidr "$NL_CLUSTER_CIDR" --service-cidr "$NL_SERVICE_CIDR")
	ok=true

	# --- start to all attached, and the truth of it -----------------------------
	: >"$TMP/start"
	for ((r = 0; r < RUNS; r++)); do
		start --all "${CIDRS[@]}" --export "$TMP/c.json" --interval 0.2
		[ -n "$START_MS" ] || { fail "$N pods: did not start: $(tail -2 "$TMP/err" | tr '\n' ' ')"; ok=false; stop; break; }
		echo "$START_MS" >>"$TMP/start"
		say "   run $((r + 1)): every interface attached $START_MS ms after start"
		if [ "$r" -eq 0 ]; then
			truth "$N" || ok=false
			ALL=$(memory "$CHILD")
			RSS=$(awk '/^VmRSS/ {print $2}' /proc/"$CHILD"/status)
			HWM=$(awk '/^VmHWM/ {print $2}' /proc/"$CHILD"/status)
			FDS=$(ls /proc/"$CHILD"/fd | wc -l)
		fi
		stop
		rm -f "$TMP/c.json"
	done
	read -r mn mx <<<"$(minmax <"$TMP/start")"
	mn=${mn:-null} mx=${mx:-null}
	START_MED=$(median <"$TMP/start")
	# --- the same with tcx links, once -------------------------------------------
	start --all --attach tcx "${CIDRS[@]}"
	TCX_MS=${START_MS:-null}
	grep -q "tracing $((2 * N)) interfaces in $N namespaces (tcx)" "$TMP/err" ||
		{ fail "$N pods, tcx: $(grep tracing "$TMP/err" || echo 'no tracing line')"; ok=false; }
	t0=$(ms_now)
	stop
	TCX_EXIT_MS=$(($(ms_now) - t0))
	say "   tcx: every interface attached $TCX_MS ms after start, exit $TCX_EXIT_MS ms"
	# --- kernel memory: every pod against none ----------------------------------
	start --all --tunnel tunleak-none "${CIDRS[@]}"
	NONE=$(memory "$CHILD")
	stop
	PER=$(((ALL - NONE) / N))
	say "   BPF memory: --all tracing none $NONE bytes, $N pods $ALL bytes: $PER bytes per pod"
	say "   RSS at $N pods: $RSS kB (peak $HWM kB), $FDS open files"
	# --- with 2,000 more processes: a look at the node, and idle --------------------
	"$NL" procs "$ID" "$PROCS" >/dev/null || fail "procs failed"
	start --all "${CIDRS[@]}" --export "$TMP/c.json" --interval 1
	: >"$TMP/pass"
	for _ in 1 2 3 4 5 6 7; do
		sleep 1
		jq -r '.discovery.pass_cpu_us' "$TMP/c.json" >>"$TMP/pass" 2>/dev/null
	done
	PROCESSES=$(jq -r '.discovery.processes' "$TMP/c.json")
	a=$(cpu "$CHILD")
	sleep "$IDLE_SECONDS"
	b=$(cpu "$CHILD")
	IDLE_EXPORT=$(((b - a) / 1000 / IDLE_SECONDS))
	stop
	read -r pmn pmx <<<"$(minmax <"$TMP/pass")"
	pmn=${pmn:-null} pmx=${pmx:-null}
	PASS_MED=$(median <"$TMP/pass")
	start --all "${CIDRS[@]}"
	sleep 3
	a=$(cpu "$CHILD")
	sleep "$IDLE_SECONDS"
	b=$(cpu "$CHILD")
	IDLE=$(((b - a) / 1000 / IDLE_SECONDS))
	stop
	say "   $PROCESSES processes: one look at the node $PASS_MED us CPU (min $pmn, max $pmx); idle $IDLE us/s ($IDLE_EXPORT us/s with --export every second)"

	printf '{"figure":"node","pods":%d,"true":%s,"attach":"tc","start_ms":{"median":%s,"min":%s,"max":%s,"runs":%d,"target":3000},"tcx_start_ms":%s,"tcx_exit_ms":%s,"kernel_memory":{"none":%d,"all":%d,"per_pod":%d,"target":65536},"rss_kib":%d,"peak_kib":%d,"fds":%d,"processes":%s,"pass_cpu_us":{"median":%s,"min":%s,"max":%s},"idle_cpu_us_per_s":%d,"idle_cpu_us_per_s_export":%d,"idle_target":5000}\n' \
		"$N" "$ok" "$START_MED" "$mn" "$mx" "$RUNS" "$TCX_MS" "$TCX_EXIT_MS" "$NONE" "$ALL" "$PER" \
		"$RSS" "$HWM" "$FDS" "${PROCESSES:-null}" "$PASS_MED" "$pmn" "$pmx" "$IDLE" "$IDLE_EXPORT"
	"$NL" down "$ID" >/dev/null 2>&1
done
exit "$FAILED"
