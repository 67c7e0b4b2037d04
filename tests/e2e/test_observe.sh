#!/usr/bin/env bash
# Reply-path leaks, leaked packets to pcap, and the live table (--top, under
# tmux), against the OpenVPN lab.
. "$(dirname "$0")/lib.sh"
require_root
for tool in openvpn tcpdump tmux; do
	if ! command -v $tool >/dev/null; then
		echo "skip observe: $tool is not installed (scripts/deps.sh installs it)"
		exit 0
	fi
done

TMUX_SOCK=tunleak$ID
lab_start || exit 0
PROBE=$HELPERS/netprobe
CIDRS=(--cluster-cidr "$CLUSTER_CIDR" --service-cidr "$SERVICE_CIDR" --remote-cidr "$REMOTE_CIDR")
in_pod() { ip netns exec "$NS_VPNPOD" "$@"; }

# --- reply leaks: the SYN-ACK answers a connection that came in on eth0 ------
start_tunleak "${CIDRS[@]}" --json --pcap "$TMP/a.pcap" --pcap-packets 2 --snaplen 64 \
	--export "$TMP/a.json" --interval 0.2 || { case_end start; exit 0; }
ip netns exec "$NS_OTHER" "$PROBE" connect "$VPNPOD_IP" 8080 40000 1200 >/dev/null
in_pod ping -q -c 3 -i 0.1 -W 1 "$OTHER_IP" >/dev/null     # outgoing: not a reply
in_pod ping -q -c 4 -i 0.1 -W 1 "$SERVICE_IP" >/dev/null   # outgoing: not a reply
sleep 0.5
expect_eq "SYN-ACK is a reply" "true eth0" \
	"$(jq -r 'select(.proto=="tcp") | "\(.reply) \(.reply_to)"' "$TMP/tl.out")"
expect_eq "outgoing ping is not" "false null" \
	"$(jq -r "select(.proto==\"icmp\" and .dst==\"$OTHER_IP\") | \"\(.reply) \(.reply_to)\"" "$TMP/tl.out")"
case_end "reply-leak-flagged"

# --- pcap: the first 2 packets of each flow, 64 bytes of each ---------------
stop_tunleak TERM
expect_eq "exit code" 0 "$TL_RC"
tcpdump -n -r "$TMP/a.pcap" >"$TMP/a.txt" 2>"$TMP/a.err"
expect_eq "tcpdump reads the file" 0 "$?"
expect_eq "echo requests to the other-node pod" 2 "$(grep -c "IP 198.19.8.2 > $OTHER_IP: ICMP echo request" "$TMP/a.txt")"
expect_eq "echo requests to the service" 2 "$(grep -c "IP 198.19.8.2 > $SERVICE_IP: ICMP echo request" "$TMP/a.txt")"
expect_eq "SYN-ACKs (first 2 of the flow)" 2 "$(grep -c "IP $VPNPOD_IP.8080 > $OTHER_IP.40000: Flags \[S.\]" "$TMP/a.txt")"
expect_eq "nothing else" 6 "$(wc -l <"$TMP/a.txt")"
# 24-byte header, then 16 + min(len, 64) per packet: 4 x 84-byte echoes cut
# at 64, 2 SYN-ACKs of 60 bytes whole
expect_eq "file size" $((24 + 4 * (16 + 64) + 2 * (16 + 60))) "$(stat -c %s "$TMP/a.pcap")"
expect_eq "export counts the copies" 6 "$(jqf "$TMP/a.json" .pcap.packets)"
case_end "pcap-first-packets"

# A killed run leaves a file tcpdump reads to its last packet.
start_tunleak "${CIDRS[@]}" --pcap "$TMP/k.pcap"
in_pod ping -q -c 3 -i 0.1 -W 1 10.129.0.9 >/dev/null
sleep 0.3
stop_tunleak KILL
tcpdump -n -r "$TMP/k.pcap" >"$TMP/k.txt" 2>/dev/null
expect_eq "tcpdump after SIGKILL" 0 "$?"
expect_eq "packets after SIGKILL" 3 "$(grep -c "ICMP echo request" "$TMP/k.txt")"
"$TUNLEAK" cleanup --netns "$POD" 2>/dev/null
case_end "pcap-survives-sigkill"

# --- the live table under tmux ------------------------------------------------
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s top -x 160 -y 40 \
	"NO_COLOR=1 $TUNLEAK --netns $POD ${CIDRS[*]} --top; echo EXIT=\$?; stty -a | tr ' ' '\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo; sleep 60" &&
	cleanup_add tmux tmux -L "$TMUX_SOCK" kill-server
sleep 0.5
ip netns exec "$NS_OTHER" "$PROBE" connect "$VPNPOD_IP" 8080 40001 2500 >/dev/null &
CONN=$!
track "$CONN"
t0=$(date +%s%N)
seen=""
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2500 ]; do
	tmux -L "$TMUX_SOCK" capture-pane -p -t top >"$TMP/pane.txt"
	if grep -q "REPLY to eth0: 10.0.0.0/8 via $TUN_GW dev tun0" "$TMP/pane.txt"; then
		seen=$(( ($(date +%s%N) - t0) / 1000000 ))
		break
	fi
	sleep 0.1
done
wait "$CONN"
[ -n "$seen" ] || ERRORS+=("the reply leak did not show within 2.5 s: $(tr '\n' '|' <"$TMP/pane.txt" | cut -c1-600)")
[ -n "$seen" ] && [ "$seen" -gt 2000 ] && ERRORS+=("the leak showed after $seen ms")
expect_match "header" "^tunleak  network namespace $POD  tcx  up " "$(head -1 "$TMP/pane.txt")"
expect_match "interfaces" "eth0 cluster attached   tun0 tunnel attached" "$(cat "$TMP/pane.txt")"
expect_match "totals" "LEAKS [0-9]+ packets in [0-9]+ flows" "$(cat "$TMP/pane.txt")"
expect_match "the flow" "LEAK +tun0 +tcp +$VPNPOD_IP:8080 -> $OTHER_IP:40001 +pod +[0-9]+ +[0-9]+ .*REPLY to eth0: 10.0.0.0/8 via $TUN_GW dev tun0" "$(cat "$TMP/pane.txt")"
expect_match "per-class rows" "tun0 +egress +pod" "$(cat "$TMP/pane.txt")"
tmux -L "$TMUX_SOCK" send-keys -t top b
sleep 0.3
expect_match "sort key" "LEAK AND BYPASS FLOWS, by bytes" "$(tmux -L "$TMUX_SOCK" capture-pane -p -t top)"
tmux -L "$TMUX_SOCK" send-keys -t top q
for _ in $(seq 50); do
	tmux -L "$TMUX_SOCK" capture-pane -p -t top >"$TMP/after.txt"
	# the stty line comes after EXIT=: wait for it, not only for EXIT=
	grep -qE '^-?icanon' "$TMP/after.txt" && break
	sleep 0.1
done
expect_match "q exits 0" "EXIT=0" "$(cat "$TMP/after.txt")"
expect_match "terminal restored (canonical, echo)" "^icanon echo *$" "$(grep -E '^-?icanon' "$TMP/after.txt")"
expect_eq "the table is gone (main screen back)" 0 "$(grep -c "LEAK AND BYPASS" "$TMP/after.txt")"
expect_clean "$POD" eth0
case_end "top-under-tmux"
