#!/usr/bin/env bash
# Node mode at scale, on the simulated node of scripts/nodelab.sh:
#   scripts/bench_node.sh [PODS] [RUNS] > figures.jsonl
# PODS pods with a tun0 each (default 50), tunleak --all on the node:
#   - start to every namespace attached (the "tracing ... in N namespaces" line), median of RUNS
#   - kernel memory of the BPF objects (maps and programs, each counted once, by id, from
#     /proc/PID/fdinfo; the programs' BTF by bpftool): one namespace traced (--pod) against all
#   - RSS at PODS namespaces
#   - CPU of one look at the node (the counters file's discovery.pass_cpu_us) with 2,000
#     more processes on the node
# One JSON object per figure on stdout; progress on stderr. Everything runs on
# the lab node, taken down on every path.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
PODS=${1:-50}
RUNS=${2:-3}
TL=$ROOT/tunleak
NL=$ROOT/scripts/nodelab.sh
ID=$$
CHILD=""
WRAP=""

[ "$(id -u)" -eq 0 ] || bad "needs root"
tmpdir TMP bench-node
pods=()
for ((i = 1; i <= PODS; i++)); do pods+=("$(printf 'p%03d:tuntap' "$i")"); done
say "node mode: $PODS pods with a tunnel on the lab node"
t0=$(ms_now)
cleanup_add nodelab "$NL" down "$ID"
"$NL" up "$ID" "${pods[@]}" >/dev/null || die "the lab did not come up"
say "   lab up in $(( $(ms_now) - t0 )) ms"
eval "$("$NL" env "$ID")"
CIDRS=(--cluster-cidr "$NL_CLUSTER_CIDR" --service-cidr "$NL_SERVICE_CIDR")

# start ARGS...: tunleak on the node; sets WRAP (nsenter), CHILD (tunleak).
start() {
	tl_ready_opts "$TMP/err" "$TL"
	"$NL" node "$ID" -- "$TL" "${TL_READY[@]}" "$@" >/dev/null 2>"$TMP/err" &
	WRAP=$!
	track "$WRAP"
	tl_wait_ready "$TMP/err" 5 || die "tunleak did not start: $(tail -1 "$TMP/err")"
	# nsenter forks to enter the node's PID namespace: its child is tunleak
	CHILD=$(pgrep -P "$WRAP" | head -1)
	track "$CHILD"
}
stop() {
	kill -TERM "$CHILD" 2>/dev/null
	wait "$WRAP" 2>/dev/null
	CHILD=""
	WRAP=""
}

# memory PID: bytes of the BPF maps and programs the process holds, each
# once, and of the programs' BTF
memory() {
	local pid=$1 f ids="" bytes=0 btf=0 id m b
	declare -A seen
	for f in /proc/"$pid"/fdinfo/*; do
		id=$(awk '/^(map_id|prog_id):/ {print $1 $2}' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		[ -n "${seen[$id]:-}" ] && continue
		seen[$id]=1
		m=$(awk '/^memlock:/ {print $2}' "$f" 2>/dev/null)
		bytes=$((bytes + ${m:-0}))
		case $id in prog_id:*) ids="$ids ${id#prog_id:}" ;; esac
	done
	declare -A bseen
	for id in $ids; do
		b=$(bpftool prog show id "$id" -j 2>/dev/null | jq -r '.btf_id // empty')
		[ -n "$b" ] && [ -z "${bseen[$b]:-}" ] || continue
		bseen[$b]=1
		btf=$((btf + $(bpftool btf show id "$b" -j 2>/dev/null | jq -r '.size // 0')))
	done
	echo "$bytes $btf"
}

# --- start to all attached ------------------------------------------------------
tl_ready_opts "$TMP/err" "$TL" # asks tunleak --help once, before anything is timed
: >"$TMP/start"
for ((r = 0; r < RUNS; r++)); do
	t0=$(ms_now)
	start --all "${CIDRS[@]}"
	t=$(( $(ms_now) - t0 ))
	grep -q "in $PODS namespaces" "$TMP/err" || say "   run $r: $(grep tracing "$TMP/err")"
	echo "$t" >>"$TMP/start"
	say "   run $((r + 1)): $PODS namespaces attached $t ms after start"
	if [ "$r" -eq 0 ]; then
		sleep 1
		read -r ALL_BPF ALL_BTF <<<"$(memory "$CHILD")"
		RSS=$(awk '/^VmRSS/ {print $2}' /proc/"$CHILD"/status)
		HWM=$(awk '/^VmHWM/ {print $2}' /proc/"$CHILD"/status)
		FDS=$(ls /proc/"$CHILD"/fd | wc -l)
	fi
	stop
done
read -r mn mx <<<"$(minmax <"$TMP/start")"
printf '{"figure":"node: start to %d namespaces attached","unit":"ms","median":%s,"min":%s,"max":%s,"runs":%d,"target":3000}\n' \
	"$PODS" "$(median <"$TMP/start")" "$mn" "$mx" "$RUNS"

# --- kernel memory: one namespace against all -------------------------------------
start --pod p001 "${CIDRS[@]}"
sleep 1
read -r ONE_BPF ONE_BTF <<<"$(memory "$CHILD")"
stop
per=$(( (ALL_BPF + ALL_BTF - ONE_BPF - ONE_BTF) / (PODS - 1) ))
say "   BPF memory: one namespace $((ONE_BPF + ONE_BTF)) bytes, $PODS namespaces $((ALL_BPF + ALL_BTF)) bytes: $per bytes per namespace beyond the first"
printf '{"figure":"node: kernel memory per traced namespace beyond the first","unit":"bytes","value":%d,"one":%d,"all":%d,"btf_one":%d,"btf_all":%d,"namespaces":%d,"target":1048576}\n' \
	"$per" "$((ONE_BPF + ONE_BTF))" "$((ALL_BPF + ALL_BTF))" "$ONE_BTF" "$ALL_BTF" "$PODS"
say "   RSS at $PODS namespaces: $RSS kB (peak $HWM kB), $FDS open files"
printf '{"figure":"node: RSS at %d namespaces","unit":"kB","value":%d,"peak":%d,"fds":%d,"target":32768}\n' \
	"$PODS" "$RSS" "$HWM" "$FDS"

# --- one look at the node with 2,000 more processes -----------------------------------
"$NL" procs "$ID" 2000 >/dev/null || say "bench_node: procs failed"
start --all "${CIDRS[@]}" --export "$TMP/c.json" --interval 0.5
: >"$TMP/pass"
for _ in 1 2 3 4 5 6 7; do
	sleep 1
	jq -r '.discovery.pass_cpu_us' "$TMP/c.json" >>"$TMP/pass" 2>/dev/null
done
procs=$(jq -r '.discovery.processes' "$TMP/c.json")
stop
read -r mn mx <<<"$(minmax <"$TMP/pass")"
say "   one look at the node ($procs processes): $(median <"$TMP/pass") us CPU (min $mn, max $mx)"
printf '{"figure":"node: CPU of one look at the node","unit":"us","median":%s,"min":%s,"max":%s,"processes":%s,"namespaces":%d}\n' \
	"$(median <"$TMP/pass")" "$mn" "$mx" "$procs" "$PODS"
