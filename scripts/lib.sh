# shellcheck shell=bash
# The one shell library of tunleak's scripts, tests, demo, benchmarks and
# labs. Whatever a script creates (a network namespace, a background
# process, a temporary directory, a lab) is registered as it is made, and
# undone at exit in reverse order on every path: normal end, error, set -e,
# Ctrl-C (exit 130), SIGTERM (exit 143). Sourced, never run; it sets no
# shell option of its caller, and installs its EXIT, INT and TERM traps at
# the first registration (a script that registers nothing keeps its own).
#
#   cleanup_add KEY CMD...     run CMD at exit, before everything added earlier
#   cleanup_drop KEY           forget KEY's cleanup (its thing is gone already)
#   cleanup_now KEY            run KEY's cleanup now, and forget it
#   tmpdir VAR NAME            a new directory /tmp/tunleak-NAME.XXXXXX into VAR
#   mkns VAR SUFFIX            a new network namespace tl<PID><SUFFIX>, lo up, into VAR
#   delns NS...                remove namespaces (made by mkns) now
#   ns_sysctls NS FORWARD      IPv6 off, IPv4 forwarding FORWARD (0 or 1) in NS
#   bg NS CMD...               CMD in the background in NS ("" for here); its PID in BG_PID
#   track PID                  stop the process PID at exit (one started otherwise)
#   stop_pid PID...            SIGTERM, up to 2 s, then SIGKILL
#   bg_pidfile FILE LOG NS CMD...   a process that outlives the script (a lab's
#                              server), remembered in FILE by PID and start time
#   stop_pidfile FILE          stop it if it is still that process; remove FILE
#   pid_remember FILE PID, pid_alive FILE, pid_running PID, pid_gone PID, pid_start PID
#   wait_until SECONDS CMD...  until CMD succeeds (polled every 20 ms)
#   wait_for FILE PATTERN [SECONDS]   until FILE has a line matching PATTERN (5 s)
#   tl_ready_opts LOG [BINARY [ROOT]], tl_wait_ready LOG [SECONDS [POLL]]
#                              tunleak started, and attached
#   say, die, bad              a line on stderr; die exits 1, bad (usage) 2
#   median, minmax, ms_now     numbers for the benchmarks
#
# Functions that register (cleanup_add, tmpdir, mkns, bg, track) must run
# in the script's own shell, not in "$(...)", a pipeline or "( )": a
# registration made in a subshell would die with it, so they refuse there.
# Processes are named by PID and start time (field 22 of /proc/PID/stat):
# a PID the kernel gave to another process since is never signalled.

# Sourced twice (a test's library and a script of its own), it must not
# forget what was registered in between.
[ -z "${_TL_LIB:-}" ] || return 0
_TL_LIB=1

TL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The name in messages (die, bad): the script's, less .sh, unless set.
if [ -z "${TL_PROG:-}" ]; then
	TL_PROG=${0##*/}
	TL_PROG=${TL_PROG%.sh}
fi

say() { printf '%s\n' "$*" >&2; }
die() { # MESSAGE: one line, exit 1 (something failed)
	printf '%s: %s\n' "$TL_PROG" "$*" >&2
	exit 1
}
bad() { # MESSAGE: one line, exit 2 (bad usage or input)
	printf '%s: %s\n' "$TL_PROG" "$*" >&2
	exit 2
}

# --- cleanups: one list, undone in reverse order at exit -----------------------

_TL_KEYS=()
_TL_CMDS=()
_TL_ARMED=""

_tl_exit() {
	local rc=$? idx j
	set +e
	# A second Ctrl-C must not cut the cleanup short.
	trap '' INT TERM
	idx=("${!_TL_KEYS[@]}")
	for ((j = ${#idx[@]} - 1; j >= 0; j--)); do
		eval "${_TL_CMDS[${idx[j]}]}"
	done
	_TL_KEYS=()
	_TL_CMDS=()
	exit "$rc"
}

_tl_arm() {
	[ -n "$_TL_ARMED" ] && return 0
	trap _tl_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	_TL_ARMED=1
}

_tl_main_shell() { # WHAT: refuse in a subshell (its registrations would be lost)
	[ "$BASHPID" = "$$" ] && return 0
	printf '%s: %s in a subshell: it would never be undone\n' "$TL_PROG" "$1" >&2
	return 1
}

cleanup_add() { # KEY CMD...
	local key=$1
	shift
	_tl_main_shell "cleanup_add $key" || return 1
	_tl_arm
	_TL_KEYS+=("$key")
	_TL_CMDS+=("$(printf '%q ' "$@")")
}

cleanup_drop() { # KEY
	local i
	for i in "${!_TL_KEYS[@]}"; do
		[ "${_TL_KEYS[i]}" = "$1" ] || continue
		unset '_TL_KEYS[i]' '_TL_CMDS[i]'
	done
}

cleanup_now() { # KEY
	local i cmds=()
	for i in "${!_TL_KEYS[@]}"; do
		[ "${_TL_KEYS[i]}" = "$1" ] && cmds=("${_TL_CMDS[i]}" "${cmds[@]}")
	done
	cleanup_drop "$1"
	for i in "${!cmds[@]}"; do
		eval "${cmds[i]}"
	done
}

# (Functions that set a VAR of the caller's name their locals _tl_*, so that
# no VAR can be shadowed by one of them.)
tmpdir() { # VAR NAME
	local _tl_d
	_tl_main_shell "tmpdir $2" || return 1
	_tl_d=$(mktemp -d "/tmp/tunleak-$2.XXXXXX") || return 1
	cleanup_add "dir:$_tl_d" rm -rf -- "$_tl_d"
	printf -v "$1" '%s' "$_tl_d"
}

# --- network namespaces ------------------------------------------------------------

# mkns VAR SUFFIX: the namespace tl<PID><SUFFIX> (SUFFIX starts with a letter,
# so that no two scripts' names meet), removed at exit; its name into VAR.
mkns() {
	local _tl_ns="tl$$$2"
	[[ $2 =~ ^[A-Za-z][A-Za-z0-9]*$ ]] || { say "mkns: suffix \"$2\": expected a letter, then letters or digits"; return 1; }
	_tl_main_shell "mkns $_tl_ns" || return 1
	ip netns add "$_tl_ns" || return 1
	cleanup_add "ns:$_tl_ns" ip netns del "$_tl_ns"
	ip -n "$_tl_ns" link set lo up
	printf -v "$1" '%s' "$_tl_ns"
}

delns() { # NS...
	local ns
	for ns in "$@"; do
		cleanup_drop "ns:$ns"
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# ns_sysctls NS FORWARD: a lab's namespace quiet and explicit. IPv6 off (no
# router solicitations or MLD: counts stay exactly the traffic sent), IPv4
# forwarding set to FORWARD: a new namespace copies the root's, which a
# container runtime may have turned on.
ns_sysctls() {
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward="$2" net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}

# --- processes, by PID and start time ------------------------------------------------

# pid_start PID: its start time (ticks since boot) in PID_START, its state
# letter in PID_STATE; false if there is no such process.
pid_start() {
	local s f
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	# after the command name, which may hold spaces and ")"
	read -r -a f <<<"${s##*) }"
	PID_STATE=${f[0]}
	PID_START=${f[19]}
}

pid_running() { # PID: exists and is not a zombie waiting for its parent
	pid_start "$1" && [ "$PID_STATE" != Z ]
}
pid_gone() { ! pid_running "$1"; }

# stop_pid PID...: SIGTERM, up to 2 s for all to end, then SIGKILL.
stop_pid() {
	local p i left
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		left=()
		for p in "$@"; do pid_running "$p" && left+=("$p"); done
		[ ${#left[@]} -eq 0 ] && return 0
		sleep 0.05
	done
	kill -KILL "${left[@]}" 2>/dev/null
	return 0
}

_tl_stop_same() { # PID START: stop PID if it is still the process that started then
	pid_start "$1" && [ "$PID_START" = "$2" ] && stop_pid "$1"
	return 0
}

track() { # PID
	_tl_main_shell "track $1" || return 1
	# gone already (and reaped): nothing to stop
	pid_start "$1" || return 0
	cleanup_add "pid:$1" _tl_stop_same "$1" "$PID_START"
}

# bg NS CMD...: CMD in the background in network namespace NS ("" for this
# one), with the caller's redirections; stopped at exit; its PID in BG_PID.
bg() {
	local ns=$1
	shift
	_tl_main_shell "bg $1" || return 1
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@" &
	else
		"$@" &
	fi
	BG_PID=$!
	track "$BG_PID"
}

# pid_remember FILE PID: "PID START" into FILE. pid_alive FILE: true if that
# process still runs; its PID in PID.
pid_remember() {
	pid_start "$2" || return 1
	echo "$2 $PID_START" >"$1"
}
pid_alive() {
	local st
	PID=
	{ read -r PID st <"$1"; } 2>/dev/null || return 1
	[ -n "$PID" ] && pid_start "$PID" && [ "$PID_START" = "$st" ]
}

# bg_pidfile FILE LOG NS CMD...: CMD in NS, stdin /dev/null, output to LOG,
# remembered in FILE; for a process that outlives this script (stop_pidfile).
bg_pidfile() {
	local pidfile=$1 log=$2 ns=$3
	shift 3
	ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	pid_remember "$pidfile" "$!" || {
		say "$TL_PROG: $1 in $ns ended at once: $(tail -1 "$log")"
		return 1
	}
}
stop_pidfile() { # FILE
	[ -f "$1" ] || return 0
	pid_alive "$1" && stop_pid "$PID"
	rm -f "$1"
}

# --- waiting -----------------------------------------------------------------------

_tl_usec() { # SECONDS (N or N.F): microseconds in REPLY
	local s=$1 frac=
	[[ $s =~ ^[0-9]+(\.[0-9]+)?$ ]] || { say "$TL_PROG: \"$s\": expected seconds"; return 1; }
	[[ $s == *.* ]] && frac=${s#*.}
	frac=${frac}000000
	REPLY=$((10#${s%%.*} * 1000000 + 10#${frac:0:6}))
}
_tl_now_us() { REPLY=${EPOCHREALTIME//[!0-9]/}; }

# wait_until SECONDS CMD...: until CMD succeeds, polled every 20 ms, for at
# most SECONDS (CMD is tried once more at the end); false if it never did.
wait_until() {
	_tl_poll 0.02 "$@"
}

_tl_poll() { # POLL SECONDS CMD...
	local poll=$1 end
	_tl_usec "$2" || return 1
	shift 2
	end=$REPLY
	_tl_now_us
	end=$((end + REPLY))
	while :; do
		"$@" && return 0
		_tl_now_us
		[ "$REPLY" -lt "$end" ] || break
		sleep "$poll"
	done
	"$@"
}

# wait_for FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN
# (grep's basic regular expression), at most SECONDS (default 5).
wait_for() {
	wait_until "${3:-5}" grep -q -- "$2" "$1" 2>/dev/null
}

# --- tunleak attached ------------------------------------------------------------------
# Readiness is asked and waited for here only: a script that starts tunleak
# calls tl_ready_opts LOG before (LOG: where its stderr goes) and passes
# "${TL_READY[@]}" among its options, then tl_wait_ready LOG. The sign is the
# file LOG.ready, which tunleak (--ready-file) creates whole once every
# interface given or found at the start is attached (tl_ready_opts removes a
# former run's).
# A tunleak without --ready-file (an older build, measured beside this one)
# is waited for by its stderr line "tunleak: tracing N interface(s) in ...".

declare -gA _TL_HAS_READY_FILE=()

# tl_ready_opts LOG [BINARY [ROOT]]: before a start of BINARY (default
# ./tunleak) whose stderr goes to LOG: LOG emptied and LOG.ready removed (a
# former run's sign must not count), the options in TL_READY. ROOT: BINARY
# runs chrooted there, LOG is under ROOT.
tl_ready_opts() {
	local log=$1 bin=${2:-$TL_ROOT/tunleak} root=${3:-} help
	: >"$log"
	[ ! -e "$log.ready" ] || rm -f "$log.ready"
	TL_READY=()
	if [ -z "${_TL_HAS_READY_FILE[$bin]:-}" ]; then
		# (not "| grep -q": tunleak would be cut off by SIGPIPE)
		help=$("$bin" trace --help 2>&1) # trace's own options, --ready-file among them
		_TL_HAS_READY_FILE[$bin]=no
		[[ $help == *--ready-file* ]] && _TL_HAS_READY_FILE[$bin]=yes
	fi
	# shellcheck disable=SC2034 # the caller's
	_TL_READY_BY_FILE[$log]=${_TL_HAS_READY_FILE[$bin]}
	[ "${_TL_HAS_READY_FILE[$bin]}" = yes ] && TL_READY=(--ready-file "${log#"$root"}.ready")
	return 0
}

declare -gA _TL_READY_BY_FILE=()
_tl_ready() { # LOG
	if [ "${_TL_READY_BY_FILE[$1]:-}" = yes ]; then
		[ -e "$1.ready" ]
	else
		grep -q '^tunleak: tracing [0-9]' "$1" 2>/dev/null
	fi
}

# tl_wait_ready LOG [SECONDS [POLL]]: until the tunleak started after
# tl_ready_opts LOG is attached, at most SECONDS (default 5), looking every
# POLL seconds (default 0.01; the start-up benchmark uses 0.001).
tl_wait_ready() {
	_tl_poll "${3:-0.01}" "${2:-5}" _tl_ready "$1"
}

# --- numbers ---------------------------------------------------------------------------

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "null"}'; }
minmax() { sort -g | awk 'NR==1{mn=$1} {mx=$1} END {print mn, mx}'; }
# stats_json FIGURE UNIT < values: one JSON line of a benchmark's figure:
# median, min, max and how many values.
stats_json() {
	local v med mn mx
	v=$(cat)
	med=$(median <<<"$v")
	read -r mn mx <<<"$(minmax <<<"$v")"
	printf '{"figure":"%s","unit":"%s","median":%s,"min":%s,"max":%s,"runs":%d}\n' \
		"$1" "$2" "$med" "${mn:-null}" "${mx:-null}" "$(wc -l <<<"$v")"
}
ms_now() {
	_tl_now_us
	echo $((REPLY / 1000))
}
