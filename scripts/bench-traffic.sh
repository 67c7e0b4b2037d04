#!/usr/bin/env bash
# The datapath's cost on real traffic: per-packet run time of each program
# from the kernel's own BPF statistics (kernel.bpf_stats_enabled: run_time_ns
# and run_cnt of the program, read before and after each iperf3 run), with
# iperf3 over a veth pair between two namespaces of its own.
#   scripts/bench-traffic.sh OUT.jsonl
# Arms, each alone as the first program on both hooks of the client's eth0:
#   floor        bench/floor.bpf.c: reads the destination, adds skb->len to
#                a per-CPU slot chosen from it (the least an accounting
#                program does)
#   empty        bench/empty.bpf.c: returns at once (the hook and the
#                statistics' own cost)
#   tunleak-tcx, tunleak-tc   ./tunleak with 4 CIDRs per family
# Traffic, IPv4 and IPv6: 64-byte UDP client -> server (egress) and server ->
# client (-R, ingress); TCP bulk client -> server (egress: TSO aggregates,
# ingress: ACKs) and server -> client (-R: ingress aggregates, egress ACKs).
# The client runs on CPU 0, the server on CPU 1 (iperf3 -A): unpinned, TCP
# figures spread over 2-3x between rounds as the scheduler moves them.
# Environment: TRAFFIC_RUNS (5 rounds; each round runs every arm, in a
# rotating order), TRAFFIC_SECONDS (1, per iperf3 run, an integer),
# TRAFFIC_ARMS (default "floor empty tunleak-tcx tunleak-tc"; an arm
# NAME=BINARY:MODE runs another tunleak build, for A/B of variants),
# TRAFFIC_FAMILIES ("4 6"), TRAFFIC_KINDS ("udp udp-r tcp tcp-r").
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
OUT=${1:?usage: bench-traffic.sh OUT.jsonl}
RUNS=${TRAFFIC_RUNS:-5}
SECS=${TRAFFIC_SECONDS:-1}
ARMS=(${TRAFFIC_ARMS:-floor empty tunleak-tcx tunleak-tc})
FAMILIES=(${TRAFFIC_FAMILIES:-4 6})
KINDS=(${TRAFFIC_KINDS:-udp udp-r tcp tcp-r})
H=$ROOT/.output/tests
B=$ROOT/.output/bench

[ "$(id -u)" -eq 0 ] || bad "needs root"
[[ "$SECS" =~ ^[1-9][0-9]*$ ]] || bad "TRAFFIC_SECONDS \"$SECS\": not a whole number of seconds"
tmpdir TMP traffic

mkns C btC && mkns S btS || exit 1
ip link add eth0 netns "$C" type veth peer name eth0 netns "$S" || exit 1
ip -n "$C" addr add 10.128.0.2/24 dev eth0
ip -n "$S" addr add 10.128.0.1/24 dev eth0
ip -n "$C" addr add fd00:10:128::2/64 dev eth0 nodad
ip -n "$S" addr add fd00:10:128::1/64 dev eth0 nodad
ip -n "$C" link set eth0 up
ip -n "$S" link set eth0 up
bg "$S" iperf3 -s -A 1 >/dev/null 2>&1
sleep 0.5

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled) || exit 1
cleanup_add stats sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
sysctl -qw kernel.bpf_stats_enabled=1 || exit 1

CIDRS=(--cluster-cidr 10.128.0.0/14 --service-cidr 172.30.0.0/16 --node-cidr 198.18.0.0/24
	--remote-cidr 192.0.2.0/24 --cluster-cidr fd00:10:128::/48 --service-cidr fd00:172:30::/112
	--node-cidr 2001:db8:100::/48 --remote-cidr 2001:db8:50::/48)

# The programs an arm holds: "DIR FDINFO" per line in $TMP/progs, the fdinfo
# of the holder's descriptor of each program (it carries run_cnt and
# run_time_ns: reading them needs neither a helper nor bpftool).
ARM_PIDS=()
start_hold() { # OBJ MODE: one tchold per direction, so each has its own statistics
	local d obj=$1 mode=$2 p f
	: >"$TMP/progs"
	for d in ingress egress; do
		: >"$TMP/hold.$d"
		bg "$C" "$H/tchold" eth0 "$d" "$mode" "$obj" >>"$TMP/hold.$d" 2>&1
		p=$BG_PID
		ARM_PIDS+=("$p")
		wait_for "$TMP/hold.$d" '^ready' 3 || { say "tchold $d did not attach: $(cat "$TMP/hold.$d")"; return 1; }
		f=$(grep -l '^prog_type:' /proc/$p/fdinfo/* 2>/dev/null | head -1)
		[ -n "$f" ] || { say "tchold $d: no program descriptor"; return 1; }
		echo "$d $f" >>"$TMP/progs"
	done
}
start_tunleak() { # BINARY MODE
	local p f id name
	tl_ready_opts "$TMP/tl.err" "$1"
	"$1" --netns "$C" "${TL_READY[@]}" "${CIDRS[@]}" --attach "$2" >/dev/null 2>>"$TMP/tl.err" &
	p=$!
	track "$p"
	ARM_PIDS+=("$p")
	tl_wait_ready "$TMP/tl.err" 3 || { say "tunleak did not start: $(cat "$TMP/tl.err")"; return 1; }
	: >"$TMP/progs"
	for f in /proc/$p/fdinfo/*; do
		grep -q '^prog_type:' "$f" 2>/dev/null || continue
		id=$(awk '/^prog_id:/ {print $2}' "$f")
		name=$(bpftool prog show id "$id" -j | jq -r .name)
		case $name in
		*_ingress) echo "ingress $f" >>"$TMP/progs" ;;
		*_egress) echo "egress $f" >>"$TMP/progs" ;;
		esac
	done
	[ "$(wc -l <"$TMP/progs")" -eq 2 ] || { say "tunleak: expected 2 programs, found: $(cat "$TMP/progs")"; return 1; }
}
stop_arm() {
	local p
	for p in "${ARM_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${ARM_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ARM_PIDS=()
}
start_arm() { # NAME
	case $1 in
	floor) start_hold "$B/floor.bpf.o" tcx ;;
	empty) start_hold "$B/empty.bpf.o" tcx ;;
	tunleak-tcx) start_tunleak "$ROOT/tunleak" tcx ;;
	tunleak-tc) start_tunleak "$ROOT/tunleak" tc ;;
	*=*:*) local spec=${1#*=}; start_tunleak "${spec%:*}" "${spec##*:}" ;;
	*) say "bench-traffic: unknown arm $1"; return 1 ;;
	esac
}

# "DIR CNT NS" of every program the arm holds.
snapshot() {
	local d f
	while read -r d f; do
		awk -v d="$d" '/^run_time_ns:/ {ns = $2} /^run_cnt:/ {cnt = $2} END {print d, cnt + 0, ns + 0}' "$f"
	done <"$TMP/progs"
}

traffic() { # FAMILY KIND
	local dst=10.128.0.1 args=()
	[ "$1" = 6 ] && dst=fd00:10:128::1
	case $2 in
	udp) args=(-u -l 64 -b 0) ;;
	udp-r) args=(-u -l 64 -b 0 -R) ;;
	tcp) args=() ;;
	tcp-r) args=(-R) ;;
	esac
	ip netns exec "$C" iperf3 -A 0 -c "$dst" -t "$SECS" "${args[@]}" >/dev/null 2>&1
}

# Warm up the path (first connections, neighbour entries, page cache of the
# binaries) before anything counts.
for fam in "${FAMILIES[@]}"; do traffic "$fam" tcp; done

: >"$OUT"
nr=${#ARMS[@]}
for ((r = 0; r < RUNS; r++)); do
	for ((k = 0; k < nr; k++)); do
		arm=${ARMS[$(((r + k) % nr))]} # a rotating order: drift favours no arm
		start_arm "$arm" || exit 1
		for fam in "${FAMILIES[@]}"; do
			for kind in "${KINDS[@]}"; do
				snapshot >"$TMP/before"
				traffic "$fam" "$kind" || say "   iperf3 $kind IPv$fam failed (arm $arm)"
				snapshot >"$TMP/after"
				paste -d' ' "$TMP/before" "$TMP/after" |
					awk -v arm="${arm%%=*}" -v fam="$fam" -v kind="$kind" -v run="$r" '{
						cnt = $5 - $2; ns = $6 - $3
						printf "{\"arm\":\"%s\",\"family\":\"ipv%s\",\"traffic\":\"%s\",\"dir\":\"%s\",\"run\":%d,\"packets\":%d,\"ns_per_packet\":%s}\n",
							arm, fam, kind, $1, run, cnt, (cnt > 0 ? sprintf("%.1f", ns / cnt) : "null")
					}' >>"$OUT"
			done
		done
		stop_arm
	done
	say "   round $((r + 1))/$RUNS done"
done
