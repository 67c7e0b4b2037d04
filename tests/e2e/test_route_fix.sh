#!/usr/bin/env bash
# scripts/tunleak-route-fix, the one fix hook for every VPN, on the basic pod
# (tests/e2e/lib.sh: eth0 via 10.128.0.1, tun0 with 10.0.0.0/8): where it
# adds the route (main, the table a rule looks up first), where it takes the
# gateway from, that it is idempotent and never replaces or removes a route,
# and its errors.
. "$(dirname "$0")/lib.sh"
require_root
topo_basic || { echo "not ok setup: topology"; exit 0; }
FIX=$ROOT/scripts/tunleak-route-fix
fix() { ip netns exec "$POD" "$FIX" "$@" >"$TMP/fix.out" 2>"$TMP/fix.err"; }
routes() { ip -n "$POD" route show table all | grep -v '^local\|^broadcast\|^multicast\|^fe80\|table local' | sed 's/ *$//' | sort; }

# --- bad input: one line naming the value, exit 2, nothing changed ------------
before=$(routes)
fix 10.128.0.1/14
expect_eq "host bits: exit" 2 "$?"
expect_eq "host bits: message" "tunleak-route-fix: CIDR \"10.128.0.1/14\": expected an IPv4 or IPv6 network such as 10.128.0.0/14 (host bits clear)" "$(cat "$TMP/fix.err")"
fix 10.128.0.0/14 300.1.2.0/24
expect_eq "bad octet (after a good CIDR): exit" 2 "$?"
expect_match "bad octet: message" '^tunleak-route-fix: CIDR "300.1.2.0/24": ' "$(cat "$TMP/fix.err")"
fix fd00::/129
expect_eq "IPv6 prefix length: exit" 2 "$?"
ip netns exec "$POD" env -u TUNLEAK_CLUSTER_CIDRS "$FIX" >/dev/null 2>"$TMP/fix.err"
expect_eq "no CIDR: exit" 2 "$?"
expect_eq "no CIDR: message" "tunleak-route-fix: no cluster CIDRs: give them as arguments or in TUNLEAK_CLUSTER_CIDRS" "$(cat "$TMP/fix.err")"
ip netns exec "$POD" env TUNLEAK_CLUSTER_IFACE=eth9 "$FIX" 10.128.0.0/14 >/dev/null 2>"$TMP/fix.err"
expect_eq "no such interface: exit" 2 "$?"
expect_eq "no such interface: message" 'tunleak-route-fix: TUNLEAK_CLUSTER_IFACE "eth9": no such interface' "$(cat "$TMP/fix.err")"
expect_eq "nothing changed" "$before" "$(routes)"
case_end "bad-input"

# --- main: added once, then nothing to do -------------------------------------
fix 10.128.0.0/14
expect_eq "exit" 0 "$?"
expect_eq "what it did" 'tunleak-route-fix: ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0 (was: 10.131.255.255 to tun0 by "10.0.0.0/8 via 10.8.0.1 dev tun0")' "$(cat "$TMP/fix.out")"
expect_eq "the route" "10.128.0.0/14 via 10.128.0.1 dev eth0" "$(ip -n "$POD" route show 10.128.0.0/14 | sed 's/ *$//')"
after=$(routes)
fix 10.128.0.0/14
expect_eq "again: exit" 0 "$?"
expect_eq "again: says so" "tunleak-route-fix: 10.128.0.0/14: already goes out eth0" "$(cat "$TMP/fix.out")"
expect_eq "again: routes unchanged" "$after" "$(routes)"
# the environment, as OpenVPN's setenv gives it, under the old name
ip -n "$POD" route del 10.128.0.0/14
ip netns exec "$POD" env TUNLEAK_CLUSTER_CIDRS="10.128.0.0/14" "$ROOT/scripts/openvpn-route-up.sh" >"$TMP/fix.out" 2>&1
expect_eq "openvpn-route-up.sh: exit" 0 "$?"
expect_match "openvpn-route-up.sh: what it did" "^tunleak-route-fix: ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0 " "$(cat "$TMP/fix.out")"
expect_eq "openvpn-route-up.sh: routes" "$after" "$(routes)"
ip -n "$POD" route del 10.128.0.0/14
case_end "main-idempotent"

# --- a route of exactly the CIDR into the tunnel is reported, not replaced ----
ip -n "$POD" route add 10.128.0.0/14 via 10.8.0.1 dev tun0
before=$(routes)
fix 10.128.0.0/14
expect_eq "exit" 1 "$?"
expect_eq "message" 'tunleak-route-fix: 10.128.0.0/14: table main already routes it by "10.128.0.0/14 via 10.8.0.1 dev tun0"; not replacing a route' "$(cat "$TMP/fix.err")"
expect_eq "routes unchanged" "$before" "$(routes)"
ip -n "$POD" route del 10.128.0.0/14
case_end "never-replaces"

# --- a table looked up before main (strongSwan's 220): the route goes there ---
ip -n "$POD" route add default dev tun0 table 220
ip -n "$POD" rule add priority 220 lookup 220
fix 10.128.0.0/14
expect_eq "exit" 0 "$?"
expect_match "what it did" '^tunleak-route-fix: ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0 table 220 \(was: 10.128.0.0 to tun0 by "default dev tun0 table 220' "$(cat "$TMP/fix.out")"
expect_eq "nothing added to main" "" "$(ip -n "$POD" route show 10.128.0.0/14)"
expect_match "the kernel's route now" "^10.130.0.5 via 10.128.0.1 dev eth0 table 220 " "$(ip -n "$POD" route get 10.130.0.5 | head -1)"
fix 10.128.0.0/14
expect_eq "again: says so" "tunleak-route-fix: 10.128.0.0/14: already goes out eth0" "$(cat "$TMP/fix.out")"
ip -n "$POD" rule del priority 220 lookup 220
ip -n "$POD" route flush table 220
case_end "policy-table"

# --- the default route replaced (vpnc-script's full tunnel): the gateway -------
# from the host route to the VPN server; an on-link route would need the
# gateway to answer ARP for foreign addresses
ip -n "$POD" route del default
ip -n "$POD" route add default dev tun0
ip -n "$POD" route add 203.0.113.5 via 10.128.0.1 dev eth0
fix 10.128.0.0/14 172.30.0.0/16
expect_eq "exit" 0 "$?"
expect_eq "what it did" 'tunleak-route-fix: ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0 (was: 10.131.255.255 to tun0 by "10.0.0.0/8 via 10.8.0.1 dev tun0")
tunleak-route-fix: ip route add 172.30.0.0/16 via 10.128.0.1 dev eth0 (was: 172.30.0.0 to tun0 by "default dev tun0 scope link")' "$(cat "$TMP/fix.out")"
ping_out=$(ip netns exec "$POD" ping -c 1 -W 1 10.130.0.5 2>&1 | grep -c '1 received')
expect_eq "another node's pod answers" 1 "$ping_out"
case_end "default-route-replaced"

# --- strongSwan's updown: only on up ------------------------------------------
ip -n "$POD" route del 10.128.0.0/14
before=$(routes)
ip netns exec "$POD" env PLUTO_VERB=down-client "$FIX" 10.128.0.0/14 >"$TMP/fix.out" 2>&1
expect_eq "down-client: exit" 0 "$?"
expect_eq "down-client: silent" "" "$(cat "$TMP/fix.out")"
expect_eq "down-client: routes unchanged" "$before" "$(routes)"
ip netns exec "$POD" env PLUTO_VERB=up-client "$FIX" 10.128.0.0/14 >"$TMP/fix.out" 2>&1
expect_match "up-client: acts" "^tunleak-route-fix: ip route add 10.128.0.0/14 " "$(cat "$TMP/fix.out")"
case_end "updown-verbs"
