#!/usr/bin/env bash
# tunleak check: no false alarm for the VPN's own addresses (local and
# broadcast routes carry nothing away), and no finding lost however many
# there are.
. "$(dirname "$0")/lib.sh"
require_root
topo_basic || { echo "not ok setup: topology"; exit 0; }

# --- a remote CIDR that covers the VPN's own subnet ---------------------------
# tun0 is 10.8.0.2/24: 10.8.0.2 (local) and 10.8.0.255 (broadcast) are routes
# of the local table; they send nothing anywhere, so they are no bypass.
for cidr in 10.8.0.0/24 10.8.0.0/16; do
	"$TUNLEAK" check --netns "$POD" --remote-cidr "$cidr" >"$TMP/r.out" 2>"$TMP/r.err"
	expect_eq "$cidr: exit code" 0 "$?"
	expect_eq "$cidr: no finding" "" "$(cat "$TMP/r.out")"
	expect_match "$cidr: clean" "^tunleak: check: clean: .* in network namespace $POD \(1 CIDR, [0-9]+ regions looked up\)$" "$(cat "$TMP/r.err")"
	"$TUNLEAK" check --netns "$POD" --remote-cidr "$cidr" --json >"$TMP/r.json" 2>/dev/null
	expect_eq "$cidr --json: exit code" 0 "$?"
	expect_eq "$cidr --json: no finding" "" "$(cat "$TMP/r.json")"
done
# and a remote CIDR that does bypass the tunnel is still found, alone
"$TUNLEAK" check --netns "$POD" --remote-cidr 10.8.0.0/24 --remote-cidr 203.0.113.0/24 \
	>"$TMP/r.out" 2>"$TMP/r.err"
expect_eq "with a real bypass: exit code" 1 "$?"
expect_eq "with a real bypass: the one finding" \
	'BYPASS-ROUTE remote 203.0.113.0/24: 203.0.113.0 goes out eth0 by "default via 10.128.0.1 dev eth0"; fix: ip route add 203.0.113.0/24 via 10.8.0.1 dev tun0' \
	"$(cat "$TMP/r.out")"
expect_eq "no local or broadcast finding" 0 "$(grep -c 'local\|broadcast' "$TMP/r.out")"
case_end "check-remote-covers-vpn-subnet"

# --- 301 leak routes into the tunnel: 301 findings, and the summary says so -----
# 10.129.0.0/24 ... 10.130.44.0/24 via tun0, without the broad 10.0.0.0/8
# (its own finding would make 302).
ip -n "$POD" route del 10.0.0.0/8
for ((i = 0; i < 301; i++)); do
	echo "route add 10.$((129 + i / 256)).$((i % 256)).0/24 via 10.8.0.1 dev tun0"
done >"$TMP/routes.batch"
ip -n "$POD" -batch "$TMP/routes.batch" || ERRORS+=("could not add the 301 routes")
expect_eq "routes into tun0" 301 "$(ip -n "$POD" route show dev tun0 | grep -c '^10\.1[23][0-9]\.')"
"$TUNLEAK" check --netns "$POD" --cluster-cidr 10.128.0.0/14 >"$TMP/l.out" 2>"$TMP/l.err"
expect_eq "exit code" 1 "$?"
expect_eq "findings printed" 301 "$(grep -c '^LEAK-ROUTE pod 10.128.0.0/14: ' "$TMP/l.out")"
expect_eq "every line a finding" 301 "$(wc -l <"$TMP/l.out")"
expect_eq "one per route" 301 "$(grep -o 'by "10\.[0-9.]*/24 via 10.8.0.1 dev tun0"' "$TMP/l.out" | sort -u | wc -l)"
# each route as specific as the fix: its two halves win (never a replacement)
expect_eq "the first" \
	'LEAK-ROUTE pod 10.128.0.0/14: 10.129.0.0 goes into tun0 by "10.129.0.0/24 via 10.8.0.1 dev tun0"; fix: ip route add 10.129.0.0/25 via 10.128.0.1 dev eth0; ip route add 10.129.0.128/25 via 10.128.0.1 dev eth0' \
	"$(grep -F '"10.129.0.0/24 ' "$TMP/l.out")"
expect_eq "the last" \
	'LEAK-ROUTE pod 10.128.0.0/14: 10.130.44.0 goes into tun0 by "10.130.44.0/24 via 10.8.0.1 dev tun0"; fix: ip route add 10.130.44.0/25 via 10.128.0.1 dev eth0; ip route add 10.130.44.128/25 via 10.128.0.1 dev eth0' \
	"$(grep -F '"10.130.44.0/24 ' "$TMP/l.out")"
expect_match "summary" "^tunleak: check: 301 findings in network namespace $POD \(1 CIDR, [0-9]+ regions looked up\)$" "$(cat "$TMP/l.err")"
"$TUNLEAK" check --netns "$POD" --cluster-cidr 10.128.0.0/14 --json >"$TMP/l.json" 2>/dev/null
expect_eq "--json: exit code" 1 "$?"
expect_eq "--json: findings" 301 "$(jq -r 'select(.kind == "leak" and .iface == "tun0") | .route' "$TMP/l.json" | sort -u | wc -l)"
expect_eq "--json: every line a finding" 301 "$(wc -l <"$TMP/l.json")"
case_end "check-301-leak-routes"

# --- check --fix on the 301: 602 routes added, clean after ----------------------
"$TUNLEAK" check --netns "$POD" --cluster-cidr 10.128.0.0/14 --fix >"$TMP/f.out" 2>"$TMP/f.err"
expect_eq "--fix: exit code" 0 "$?"
expect_eq "--fix: a line per fix" 301 "$(grep -c '^ROUTE-FIXED pod 10.128.0.0/14: ip route add 10\.[0-9.]*/25 via 10.128.0.1 dev eth0; ip route add 10\.[0-9.]*/25 via 10.128.0.1 dev eth0$' "$TMP/f.out")"
expect_eq "--fix: routes added" 602 "$(ip -n "$POD" route show dev eth0 | grep -c '^10\.1[23][0-9]\.[0-9]*\.[0-9]*/25 via 10.128.0.1 ')"
expect_match "--fix: summary" "^tunleak: check --fix: network namespace $POD: 301 fixes added; audited again: clean$" "$(tail -1 "$TMP/f.err")"
expect_eq "--fix: the routes into tun0 are all still there" 301 "$(ip -n "$POD" route show dev tun0 | grep -c '^10\.1[23][0-9]\.')"
expect_eq "--fix: 10.130.44.200 now via eth0" "10.130.44.200 via 10.128.0.1 dev eth0" \
	"$(ip -n "$POD" route get 10.130.44.200 | head -1 | sed 's/ src .*//; s/ *$//')"
"$TUNLEAK" check --netns "$POD" --cluster-cidr 10.128.0.0/14 >/dev/null 2>&1
expect_eq "check after --fix: exit code" 0 "$?"
case_end "check-fix-301"
