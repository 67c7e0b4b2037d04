#!/usr/bin/env bash
# The /metrics server (user/lib/http.c) live, through tests/helpers/httpd (the
# server in a loop like tunleak's), in a network namespace of its own:
# answers, errors, limits, slow and idle clients, a flood of connections,
# running out of file descriptors, and a body swapped while it is sent.
. "$(dirname "$0")/lib.sh"
require_root

PY=/usr/bin/python3
CLIENT=$ROOT/tests/e2e/http_client.py
HTTPD=$HELPERS/httpd

if [ ! -x "$HTTPD" ]; then
	echo "not ok setup: $HTTPD missing (make test-build)"
	exit 1
fi
if ! mkns NS http; then
	echo "not ok setup: could not create a network namespace"
	exit 1
fi

in_ns() { ip netns exec "$NS" "$@"; }
client() { in_ns "$PY" "$CLIENT" "$@"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# start_httpd NAME ARGS...: the helper in NS, its output in $TMP/NAME.log,
# its PID in HTTPD_PID once it listens.
start_httpd() {
	local name=$1
	shift
	bg "$NS" "$@" >"$TMP/$name.log" 2>&1
	HTTPD_PID=$BG_PID
	if ! wait_for "$TMP/$name.log" "^listening" 5; then
		echo "not ok $name-start: $(tr '\n' ' ' <"$TMP/$name.log")"
		return 1
	fi
}

# stop_httpd NAME PID: SIGTERM, exit status in HTTPD_RC, the stats line in
# HTTPD_STATS.
stop_httpd() {
	kill -TERM "$2" 2>/dev/null
	wait "$2" 2>/dev/null
	HTTPD_RC=$?
	HTTPD_STATS=$(grep '^stats ' "$TMP/$1.log")
}

stat_of() { # KEY: a number from HTTPD_STATS
	local v=${HTTPD_STATS#*"$1"=}
	echo "${v%% *}"
}

cat >"$TMP/body.txt" <<'EOF'
# HELP tunleak_leak_packets_total Packets that left a pod through a tunnel toward a cluster CIDR.
# TYPE tunleak_leak_packets_total counter
tunleak_leak_packets_total{netns="cni-1f2e",k8s_pod="vpn-client-7d9f",k8s_namespace="apps"} 12
tunleak_leak_packets_total{netns="cni-9a8b",k8s_pod="web-0",k8s_namespace="apps"} 0
# HELP tunleak_interface_up Whether an interface is attached.
# TYPE tunleak_interface_up gauge
tunleak_interface_up{netns="cni-1f2e",k8s_pod="vpn-client-7d9f",k8s_namespace="apps",iface="tun0",role="tunnel"} 1
EOF
BODY_LEN=$(stat -c %s "$TMP/body.txt")

# --- A: ":PORT" (every address), no metrics until SIGUSR1 -------------------------
start_httpd a "$HTTPD" :9464 none "$TMP/body.txt" || exit 1
A_PID=$HTTPD_PID
expect_eq "the helper runs as itself (not a wrapper)" httpd "$(cat "/proc/$A_PID/comm")"
expect_match "listening address" '^listening \[::\]:9464$' "$(head -1 "$TMP/a.log")"
case_end start

code=$(in_ns curl -s -o "$TMP/503.out" -w '%{http_code}' --max-time 5 http://127.0.0.1:9464/metrics)
expect_eq "status before any metrics" 503 "$code"
expect_eq "503 body" "no metrics yet" "$(cat "$TMP/503.out")"
case_end no-metrics-503

kill -USR1 "$A_PID"
wait_for "$TMP/a.log" "^swapped" 5 || ERRORS+=("the helper did not set the body")
code=$(in_ns curl -s -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' --max-time 5 http://127.0.0.1:9464/metrics)
expect_eq "status" 200 "$code"
expect_true "body is exactly the metrics" cmp "$TMP/b" "$TMP/body.txt"
expect_eq "Content-Type" "Content-Type: text/plain; version=0.0.4; charset=utf-8" \
	"$(grep -i '^content-type:' "$TMP/h" | tr -d '\r')"
expect_eq "Content-Length" "Content-Length: $BODY_LEN" "$(grep -i '^content-length:' "$TMP/h" | tr -d '\r')"
expect_eq "Connection" "Connection: close" "$(grep -i '^connection:' "$TMP/h" | tr -d '\r')"
expect_match "Date" '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$' \
	"$(grep -i '^date:' "$TMP/h" | tr -d '\r')"
case_end metrics-200

code=$(in_ns curl -s -o "$TMP/b6" -w '%{http_code}' --max-time 5 'http://[::1]:9464/metrics')
expect_eq "status over IPv6" 200 "$code"
expect_true "body over IPv6" cmp "$TMP/b6" "$TMP/body.txt"
case_end metrics-ipv6

# HEAD: the same header, no body (the raw answer ends with the blank line)
printf 'HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n' | client raw 127.0.0.1 9464 >"$TMP/head.out"
expect_eq "HEAD status line" "HTTP/1.1 200 OK" "$(head -1 "$TMP/head.out" | tr -d '\r')"
expect_eq "HEAD Content-Length" "Content-Length: $BODY_LEN" \
	"$(grep -i '^content-length:' "$TMP/head.out" | tr -d '\r')"
expect_eq "HEAD ends after the header" "0d0a0d0a" "$(tail -c 4 "$TMP/head.out" | od -An -tx1 | tr -d ' \n')"
expect_eq "HEAD sends no body" "" "$(sed -n '/^\r$/,$p' "$TMP/head.out" | tail -n +2)"
case_end head

code=$(in_ns curl -s -o "$TMP/404.out" -w '%{http_code}' --max-time 5 http://127.0.0.1:9464/nope)
expect_eq "status of /nope" 404 "$code"
expect_eq "404 body" "not found: tunleak serves /metrics" "$(cat "$TMP/404.out")"
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 5 'http://127.0.0.1:9464/metrics/')
expect_eq "status of /metrics/" 404 "$code"
case_end not-found-404

code=$(in_ns curl -s -D "$TMP/h405" -o /dev/null -w '%{http_code}' --max-time 5 -X POST -d x \
	http://127.0.0.1:9464/metrics)
expect_eq "status of POST" 405 "$code"
expect_eq "Allow" "Allow: GET, HEAD" "$(grep -i '^allow:' "$TMP/h405" | tr -d '\r')"
case_end method-405

out=$(printf 'GET /metrics HTTP/1.1\r\n\r\n' | client raw 127.0.0.1 9464 | head -1 | tr -d '\r')
expect_eq "HTTP/1.1 without Host" "HTTP/1.1 400 Bad Request" "$out"
out=$(printf 'GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n' | client raw 127.0.0.1 9464 | head -1 | tr -d '\r')
expect_eq "space before a colon" "HTTP/1.1 400 Bad Request" "$out"
out=$(printf 'GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n' | client raw 127.0.0.1 9464 | head -1 | tr -d '\r')
expect_eq "HTTP/2.0" "HTTP/1.1 505 HTTP Version Not Supported" "$out"
case_end bad-request

out=$(client bigheader 127.0.0.1 9464 1048576)
expect_eq "1 MB header field" "HTTP/1.1 431 Request Header Fields Too Large" "$out"
case_end header-1mb-431

# A slowloris (one byte a second) and an idle client hold connections; a
# normal request is answered meanwhile, and both are timed out later.
bg "$NS" "$PY" "$CLIENT" slowloris 127.0.0.1 9464 >"$TMP/slow.out" 2>&1
SLOW_PID=$BG_PID
bg "$NS" "$PY" "$CLIENT" idle 127.0.0.1 9464 >"$TMP/idle.out" 2>&1
IDLE_PID=$BG_PID
if wait_for "$TMP/slow.out" "^sent 2$" 5; then
	t=$(in_ns curl -s -o "$TMP/bs" -w '%{http_code} %{time_total}' --max-time 2 http://127.0.0.1:9464/metrics)
	expect_eq "status during a slowloris" 200 "${t%% *}"
	expect_true "body during a slowloris" cmp "$TMP/bs" "$TMP/body.txt"
	expect_eq "the slowloris is still being read" "" "$(grep -v '^sent' "$TMP/slow.out")"
	echo "# a request during the slowloris took ${t#* } s"
else
	ERRORS+=("the slowloris client did not start: $(cat "$TMP/slow.out")")
fi
case_end slowloris

# (before the flood: it would evict them, the oldest, first)
wait "$SLOW_PID"
expect_match "slowloris" '^answered after [0-9]+ bytes in [0-9]+ s: HTTP/1.1 408 Request Timeout$' \
	"$(grep -v '^sent' "$TMP/slow.out")"
case_end slowloris-timeout
wait "$IDLE_PID"
expect_match "idle client" '^closed after [0-9]+ s: HTTP/1.1 408 Request Timeout$' "$(cat "$TMP/idle.out")"
case_end idle-timeout

# 1,000 connections, each with half a request: the slots stay 64, the
# oldest are closed for the newest, and a normal request still gets through.
rss_before=$(rss_kib "$A_PID")
mkdir -p "$TMP/flood"
bg "$NS" "$PY" "$CLIENT" flood 127.0.0.1 9464 1000 "$TMP/flood" >"$TMP/flood.out" 2>&1
FLOOD_PID=$BG_PID
if wait_for "$TMP/flood/open" . 60; then
	rss_during=$(rss_kib "$A_PID")
	code=$(in_ns curl -s -o "$TMP/bf" -w '%{http_code}' --max-time 2 http://127.0.0.1:9464/metrics)
	expect_eq "status during the flood" 200 "$code"
	expect_true "body during the flood" cmp "$TMP/bf" "$TMP/body.txt"
	: >"$TMP/flood/done"
	wait "$FLOOD_PID"
	read -r _ opened _ closed < <(cat "$TMP/flood.out")
	expect_eq "connections opened" 1000 "$opened"
	# all but at most 64 (the slots) were closed by the server
	expect_true "closed by the server: $closed of 1000, expected at least 936" \
		test "${closed:-0}" -ge 936
	growth=$((rss_during - rss_before))
	echo "# VmRSS before ${rss_before} KiB, with 1000 connections ${rss_during} KiB"
	# 64 slots of 8.5 KiB (544 KiB) when every one has been used, and nothing per client
	expect_true "VmRSS grew ${growth} KiB with 1000 connections, bound 1024" test "$growth" -le 1024
else
	ERRORS+=("the flood did not open its connections: $(cat "$TMP/flood.out")")
fi
case_end flood-1000

stop_httpd a "$A_PID"
expect_eq "exit status" 0 "$HTTPD_RC"
expect_true "stats line: $HTTPD_STATS" test -n "$HTTPD_STATS"
# closed to make room, or turned away in a burst of new ones from one address
expect_true "evicted $(stat_of evicted) + refused $(stat_of refused), expected at least 900" \
	test $(($(stat_of evicted) + $(stat_of refused))) -ge 900
expect_true "timeouts $(stat_of timeouts), expected at least 2" test "$(stat_of timeouts)" -ge 2
echo "# $HTTPD_STATS"
case_end stop

# --- B: a body swapped while an answer with the old one is being sent ---------------
head -c $((32 << 20)) /dev/zero | tr '\0' 'A' >"$TMP/big.txt"
printf 'tunleak_leak_flows 3\n' >"$TMP/small.txt"
start_httpd b "$HTTPD" 127.0.0.1:9465 "$TMP/big.txt" "$TMP/small.txt" || exit 1
B_PID=$HTTPD_PID
out=$(client swap 127.0.0.1 9465 "$B_PID" "$TMP/b.log" $((32 << 20)))
expect_eq "the answer in flight keeps its body" "HTTP/1.1 200 OK; body 33554432 bytes, all A" "$out"
in_ns curl -s -o "$TMP/bsmall" --max-time 5 http://127.0.0.1:9465/metrics
expect_true "a new request gets the new body" cmp "$TMP/bsmall" "$TMP/small.txt"
stop_httpd b "$B_PID"
expect_eq "exit status" 0 "$HTTPD_RC"
case_end body-swap-in-flight

# --- C: out of file descriptors (RLIMIT_NOFILE 12: a few connections) -----------
start_httpd c prlimit --nofile=12:12 "$HTTPD" 127.0.0.1:9466 "$TMP/body.txt" || exit 1
C_PID=$HTTPD_PID
mkdir -p "$TMP/flood2"
bg "$NS" "$PY" "$CLIENT" flood 127.0.0.1 9466 40 "$TMP/flood2" >"$TMP/flood2.out" 2>&1
F2_PID=$BG_PID
if wait_for "$TMP/flood2/open" . 30; then
	code=$(in_ns curl -s -o "$TMP/bc" -w '%{http_code}' --max-time 2 http://127.0.0.1:9466/metrics)
	expect_eq "status with no fd to spare" 200 "$code"
	expect_true "body with no fd to spare" cmp "$TMP/bc" "$TMP/body.txt"
	# nothing pending may make the loop spin: CPU over 2 s with the
	# connections held (a spinning loop takes the whole 200 ticks)
	t0=$(cpu_ticks "$C_PID")
	sleep 2
	t1=$(cpu_ticks "$C_PID")
	echo "# CPU over 2 s holding the connections: $((t1 - t0)) ticks"
	expect_true "CPU $((t1 - t0)) ticks in 2 s, expected under 50" test $((t1 - t0)) -lt 50
	: >"$TMP/flood2/done"
	wait "$F2_PID"
else
	ERRORS+=("the flood did not open its connections: $(cat "$TMP/flood2.out")")
fi
stop_httpd c "$C_PID"
expect_eq "exit status" 0 "$HTTPD_RC"
expect_true "evicted $(stat_of evicted) + refused $(stat_of refused) for fds, expected at least 30" \
	test $(($(stat_of evicted) + $(stat_of refused))) -ge 30
echo "# $HTTPD_STATS"
case_end out-of-fds

# --- D: out of file descriptors with every connection busy answering ------------
# Clients that ask for a 32 MiB body and never read hold the few fds in the
# write state; a newer connection replaces the one whose client has read
# nothing for the longest and gets its answer, and the loop does not spin on
# the listener.
start_httpd d prlimit --nofile=12:12 "$HTTPD" 127.0.0.1:9467 "$TMP/big.txt" || exit 1
D_PID=$HTTPD_PID
mkdir -p "$TMP/flood3"
bg "$NS" "$PY" "$CLIENT" flood 127.0.0.1 9467 12 "$TMP/flood3" full >"$TMP/flood3.out" 2>&1
F3_PID=$BG_PID
if wait_for "$TMP/flood3/open" . 30; then
	code=$(in_ns curl -s -o "$TMP/bd" -w '%{http_code}' --max-time 5 http://127.0.0.1:9467/metrics)
	expect_eq "a request with every fd busy is answered" 200 "$code"
	expect_true "its body whole" cmp "$TMP/bd" "$TMP/big.txt"
	t0=$(cpu_ticks "$D_PID")
	sleep 2
	t1=$(cpu_ticks "$D_PID")
	echo "# CPU over 2 s, every fd busy: $((t1 - t0)) ticks"
	expect_true "CPU $((t1 - t0)) ticks in 2 s, expected under 50" test $((t1 - t0)) -lt 50
	: >"$TMP/flood3/done"
	wait "$F3_PID"
else
	ERRORS+=("the flood did not open its connections: $(cat "$TMP/flood3.out")")
fi
stop_httpd d "$D_PID"
expect_eq "exit status" 0 "$HTTPD_RC"
expect_true "evicted $(stat_of evicted), expected at least 1 (for the request)" test "$(stat_of evicted)" -ge 1
echo "# $HTTPD_STATS"
case_end out-of-fds-busy

# --- E: clients that ask and never read, 400 a second ---------------------------
# Each sends a whole request with a small receive window and holds the
# connection: its answer stays in the write state, which a slot could not
# leave before HTTP_TOTAL_MS. A scraper (from 127.0.0.1) must still get every
# answer, whole: with the holders from one address (HTTP_MAX_PER_PEER), and
# from 64 (the slots are full: the one that read nothing for longest goes).
head -c $((256 << 10)) /dev/zero | tr '\0' 'B' >"$TMP/quarter.txt"
start_httpd e "$HTTPD" 127.0.0.1:9468 "$TMP/quarter.txt" || exit 1
E_PID=$HTTPD_PID
for sources in 1 64; do
	bg "$NS" "$PY" "$CLIENT" hold 127.0.0.1 9468 400 7 "$sources" >"$TMP/hold.out" 2>&1
	HOLD_PID=$BG_PID
	sleep 1 # the slots full of them
	ok=0 bad=()
	for ((i = 0; i < 60; i++)); do
		rm -f "$TMP/be"
		code=$(in_ns curl -s -o "$TMP/be" -w '%{http_code}' --max-time 5 http://127.0.0.1:9468/metrics)
		if [ "$code" = 200 ] && cmp -s "$TMP/be" "$TMP/quarter.txt"; then
			ok=$((ok + 1))
		else
			bad+=("$code/$(stat -c %s "$TMP/be" 2>/dev/null || echo none)")
		fi
		sleep 0.05
	done
	wait "$HOLD_PID"
	expect_eq "holders from $sources address(es): scrapes answered whole" "60 of 60" "$ok of 60${bad:+ (failed: ${bad[*]})}"
	expect_match "holders from $sources address(es)" "^opened 2[5-9][0-9][0-9]$" "$(cat "$TMP/hold.out")"
done
stop_httpd e "$E_PID"
expect_eq "exit status" 0 "$HTTPD_RC"
expect_true "evicted $(stat_of evicted), expected at least 4000" test "$(stat_of evicted)" -ge 4000
echo "# $HTTPD_STATS"
case_end never-reading-clients-cannot-hold-slots
