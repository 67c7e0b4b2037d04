#!/usr/bin/env bash
# A full file system under --pcap and --export: a 64 KiB tmpfs mounted in a
# private mount namespace of the test's own (nothing is mounted on the
# machine). The pcap file ends at its last whole record and stops, said once,
# its lost packets counted; space that comes back changes nothing; an export
# that cannot be written says "No space left on device".
. "$(dirname "$0")/lib.sh"
require_root
if ! command -v tcpdump >/dev/null; then
	echo "skip fullfs: tcpdump is not installed (scripts/deps.sh installs it)"
	exit 0
fi
topo_basic || { echo "not ok setup: namespaces"; exit 0; }
CIDRS=(--cluster-cidr 10.128.0.0/14 --remote-cidr 203.0.113.0/24)
FULL=$TMP/full
mkdir -p "$FULL"

# infull SCRIPT ARGS...: bash SCRIPT in a new mount namespace where FULL is a
# 64 KiB tmpfs; $1 in it is FULL. It goes away with its last process.
infull() {
	local script=$1
	shift
	unshare -m --propagation private bash -c \
		"mount -t tmpfs -o size=64k tunleak-full-$ID '$FULL' && $script" _ "$FULL" "$@"
}

# --- --pcap: the file fills ------------------------------------------------------
# Inside: a 16 KiB filler, tunleak in the background (its PID in FULL/../pid),
# until told to free the filler (FULL/../free), then until it ends; the pcap
# file copied out.
cat >"$TMP/run.sh" <<'EOF'
full=$1 tl=$2 pod=$3 out=$4
shift 4
dd if=/dev/zero of="$full/filler" bs=4k count=4 status=none
"$tl" --netns "$pod" "$@" --pcap "$full/x.pcap" >"$out/tl.out" 2>"$out/tl.err" &
tl_pid=$!
echo $tl_pid >"$out/pid"
while [ ! -e "$out/free" ]; do sleep 0.05; done
rm -f "$full/filler"
: >"$out/freed"
wait $tl_pid
echo $? >"$out/rc"
cp "$full/x.pcap" "$out/x.pcap"
EOF
tl_ready_opts "$TMP/tl.err"
infull "bash '$TMP/run.sh' \"\$@\"" "$TUNLEAK" "$POD" "$TMP" "${CIDRS[@]}" "${TL_READY[@]}" \
	--pcap-packets 1000 --export "$TMP/c.json" --interval 0.2 &
RUNNER=$!
track "$RUNNER"
tl_wait_ready "$TMP/tl.err" 5 || ERRORS+=("tunleak did not start: $(cat "$TMP/tl.err" 2>/dev/null)")
TL=$(cat "$TMP/pid")
track "$TL"
# two flows of 900 datagrams, 128 bytes at L3 each: 1,800 records of 144
# bytes would need 253 KiB
ip netns exec "$POD" "$HELPERS/netprobe" udp 10.130.0.5 9999 900 100 40001
ip netns exec "$POD" "$HELPERS/netprobe" udp 10.130.0.5 9999 900 100 40002
for ((i = 0; i < 50; i++)); do
	[ "$(jqf "$TMP/c.json" .leaks.packets)" = 1800 ] && break
	sleep 0.1
done
expect_eq "leaks counted" 1800 "$(jqf "$TMP/c.json" .leaks.packets)"
sleep 0.5
written=$(jqf "$TMP/c.json" .pcap.packets)
# space comes back: nothing more is written after a record that failed
: >"$TMP/free"
for ((i = 0; i < 60; i++)); do [ -e "$TMP/freed" ] && break; sleep 0.05; done
ip netns exec "$POD" "$HELPERS/netprobe" udp 10.130.0.5 9999 10 100 40003
sleep 0.5
kill -TERM "$TL"
wait "$RUNNER"
expect_eq "exit code" 0 "$(cat "$TMP/rc")"
expect_eq "said once, with the reason" 1 "$(grep -c 'pcap' "$TMP/tl.err")"
expect_match "the line" "^tunleak: --pcap $FULL/x.pcap: cannot write: No space left on device; the file ends at its last whole record \($written packets\) and stops, later packets are counted as not written$" "$(grep pcap "$TMP/tl.err")"
expect_eq "written, then not written: every packet" 1810 \
	"$(jqf "$TMP/c.json" '.pcap | .packets + .dropped_write_error + .dropped_ring_full')"
expect_match "some not written" '^[1-9][0-9]*$' "$(jqf "$TMP/c.json" .pcap.dropped_write_error)"
expect_eq "the error in the file" "No space left on device" "$(jqf "$TMP/c.json" .pcap.error)"
tcpdump -n -r "$TMP/x.pcap" >"$TMP/x.txt" 2>"$TMP/x.err"
expect_eq "tcpdump reads it to its end" "0 " "$? $(grep -v '^reading from' "$TMP/x.err")"
expect_eq "whole records, as many as counted" "$written" "$(wc -l <"$TMP/x.txt")"
expect_eq "its size: header and whole records" $((24 + written * 144)) "$(stat -c %s "$TMP/x.pcap")"
expect_eq "nothing after space came back" 0 "$(grep -c '\.40003 >' "$TMP/x.txt")"
case_end "pcap-full-fs"

# --- --export: the file system fills under a counters file ----------------------
# (Prometheus text: larger than stdio's buffer, whose error flag said only
# "Input/output error"). Said once, and when it is written again; the last
# write failing is exit 2.
cat >"$TMP/full.sh" <<'EOF'
full=$1 tl=$2 pod=$3 out=$4
shift 4
"$tl" --netns "$pod" "$@" --export "$full/c.prom" --interval 0.1 --ready-file "$out/e.ready" \
	>"$out/e.out" 2>"$out/e.err" &
tl_pid=$!
for ((i = 0; i < 100; i++)); do [ -e "$out/e.ready" ] && break; sleep 0.05; done
dd if=/dev/zero of="$full/filler" bs=4k count=64 status=none 2>/dev/null
sleep 0.6
rm -f "$full/filler"
sleep 0.4
dd if=/dev/zero of="$full/filler" bs=4k count=64 status=none 2>/dev/null
sleep 0.3
kill -TERM $tl_pid
wait $tl_pid
echo $? >"$out/erc"
EOF
infull "bash '$TMP/full.sh' \"\$@\"" "$TUNLEAK" "$POD" "$TMP" "${CIDRS[@]}"
expect_eq "export: what it said" \
	"tunleak: write $FULL/c.prom: No space left on device (tried again every interval)|tunleak: write $FULL/c.prom: written again|tunleak: write $FULL/c.prom: No space left on device (tried again every interval)" \
	"$(grep 'c.prom' "$TMP/e.err" | paste -sd '|')"
expect_eq "export: the last write failed: exit code" 2 "$(cat "$TMP/erc")"
expect_clean "$POD" eth0
case_end "export-full-fs"
