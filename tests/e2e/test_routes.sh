#!/usr/bin/env bash
# tunleak check on every route layout a VPN makes, and every fix it prints
# verified: applied by hand, exactly as printed, in one namespace, and by
# `check --fix` in a second one of the same layout; then the kernel must route
# each finding's probe (from its source, when the finding has one) out of the
# cluster interface (a leak) or into the tunnel (a bypass), the two namespaces
# must hold the same routes and rules, and check must find nothing more.
. "$(dirname "$0")/lib.sh"
require_root

# pod VAR SUFFIX: a pod namespace: eth0 10.128.0.2/23 and fd00:10:128::2/64
# (its veth peer beside it: a carrier, no address), default routes via
# 10.128.0.1 and fd00:10:128::1; tun0 (tunsink: a carrier too) 10.8.0.2/24
# and 2001:db8:8::2/64, up, with no route but its own subnet's.
pod() {
	local ns i
	mkns "$1" "${2//[^a-zA-Z0-9]/}" || return 1
	ns=${!1}
	ip link add eth0 netns "$ns" type veth peer name gw0 netns "$ns" || return 1
	ip -n "$ns" link set gw0 up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add 10.128.0.2/23 dev eth0
	ip -n "$ns" -6 addr add fd00:10:128::2/64 dev eth0 nodad
	ip -n "$ns" route add default via 10.128.0.1 dev eth0
	ip -n "$ns" -6 route add default via fd00:10:128::1 dev eth0
	bg "$ns" "$HELPERS/tunsink" tun0 >/dev/null
	for ((i = 0; i < 100; i++)); do
		ip -n "$ns" link show tun0 >/dev/null 2>&1 && break
		sleep 0.02
	done
	ip -n "$ns" addr add 10.8.0.2/24 dev tun0
	ip -n "$ns" -6 addr add 2001:db8:8::2/64 dev tun0 nodad
	ip -n "$ns" link set tun0 up
}

# The way out the kernel takes for DST (from SRC, or unbound): its dev, and
# the table of the entry that matched.
way() { # NS DST [SRC]
	local out
	out=$(ip -n "$1" route get "$2" ${3:+from "$3"} 2>&1 | head -1)
	sed -n 's/.* dev \([^ ]*\).*/\1/p' <<<"$out"
}
entry() { # NS DST [SRC]: `ip route get fibmatch`, on one line
	ip -n "$1" -o route get fibmatch "$2" ${3:+from "$3"} 2>&1 | tr -s ' \t\\' ' ' | sed 's/ *$//'
}

# Apply a printed fix verbatim: "ip ...; ip ..." in NS.
apply_fix() { # NS FIX
	local c
	IFS=';' read -ra cmds <<<"$2"
	for c in "${cmds[@]}"; do
		c=${c# }
		# shellcheck disable=SC2086 # the printed command, word by word
		ip -n "$1" ${c#ip } || ERRORS+=("printed fix failed: $c")
	done
}

# Each finding of FILE (check --json) routed the right way in NS now.
verify_ways() { # NS FILE
	local kind ex from want got
	while IFS=' ' read -r kind ex from; do
		[ "$from" = null ] && from=""
		want=eth0
		[ "$kind" = bypass ] && want=tun0
		got=$(way "$1" "$ex" "$from")
		expect_eq "$ex${from:+ from $from} after the fix goes out" "$want" "$got"
		if [ "$kind" = leak ]; then
			expect_eq "$ex${from:+ from $from}: no tunnel next hop in the entry" "" \
				"$(entry "$1" "$ex" "$from" | grep -o 'dev tun0')"
		fi
	done < <(jq -r '"\(.kind) \(.example) \(.from)"' "$2")
}

routing() { # NS: every route and rule, to compare two namespaces
	ip -n "$1" route show table all | grep -v 'fe80::\|ff00::\|^local\|^broadcast\|^multicast'
	ip -n "$1" -6 route show table all | grep -v 'fe80::\|ff00::\|^local\|^multicast'
	ip -n "$1" rule show
	ip -n "$1" -6 rule show
}

# layout NAME SETUP CIDR-OPTIONS... -- EXPECTED-LINE...
# SETUP is a function run with the namespace as $1. The findings must be
# EXPECTED (exactly, in order); then each fix is verified both ways.
layout() {
	local name=$1 setup=$2 a b n i args=() want=() fixed
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	want=("$@")
	pod a "a$name" && pod b "b$name" || { ERRORS+=("setup"); case_end "layout-$name"; return; }

	"$setup" "$a" && "$setup" "$b" || ERRORS+=("layout commands failed")

	"$TUNLEAK" check --netns "$a" "${args[@]}" >"$TMP/$name.out" 2>"$TMP/$name.err"
	expect_eq "check: exit code" 1 "$?"
	expect_eq "check: findings" "$(printf '%s\n' "${want[@]}")" "$(cat "$TMP/$name.out")"
	"$TUNLEAK" check --netns "$a" "${args[@]}" --json >"$TMP/$name.json" 2>/dev/null
	expect_eq "check --json: findings" "${#want[@]}" "$(wc -l <"$TMP/$name.json")"
	# by hand, as printed
	while IFS= read -r fix; do
		apply_fix "$a" "$fix"
	done < <(jq -r .fix "$TMP/$name.json")
	verify_ways "$a" "$TMP/$name.json"
	"$TUNLEAK" check --netns "$a" "${args[@]}" >"$TMP/$name.after" 2>&1
	expect_eq "check after the printed fixes: exit code" 0 "$?"

	# by check --fix, in the other one
	"$TUNLEAK" check --netns "$b" "${args[@]}" --fix >"$TMP/$name.fix" 2>"$TMP/$name.fixerr"
	expect_eq "check --fix: exit code" 0 "$?"
	n=${#want[@]}
	expect_eq "check --fix: each change said" "$n" "$(grep -c '^ROUTE-FIXED ' "$TMP/$name.fix")"
	for ((i = 0; i < n; i++)); do
		fixed=$(jq -r -s ".[$i] | \"ROUTE-FIXED \(.class) \(.cidr): \(.fix)\"" "$TMP/$name.json")
		expect_true "check --fix said: $fixed" grep -qxF "$fixed" "$TMP/$name.fix"
	done
	expect_match "check --fix: clean after" "audited again: clean$" "$(tail -1 "$TMP/$name.fixerr")"
	verify_ways "$b" "$TMP/$name.json"
	expect_eq "check --fix made what the printed fixes made" "$(routing "$a")" "$(routing "$b")"
	case_end "layout-$name"
	delns "$a" "$b"
}

# clean NAME SETUP CIDR-OPTIONS...: a layout with nothing to find.
clean() {
	local name=$1 setup=$2 a
	shift 2
	pod a "c$name" || { ERRORS+=("setup"); case_end "clean-$name"; return; }
	"$setup" "$a" || ERRORS+=("layout commands failed")
	"$TUNLEAK" check --netns "$a" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	expect_eq "check: exit code" 0 "$?"
	expect_eq "check: nothing found" "" "$(cat "$TMP/$name.out")"
	expect_match "check: says clean" "^tunleak: check: clean: " "$(cat "$TMP/$name.err")"
	case_end "clean-$name"
	delns "$a"
}

V4=(--cluster-cidr 10.128.0.0/14 --service-cidr 172.30.0.0/16)
FIX14="ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0"

# --- the VPN's broad route ----------------------------------------------------------
l_broad() { ip -n "$1" route add 10.0.0.0/8 via 10.8.0.1 dev tun0; }
layout broad l_broad "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by \"10.0.0.0/8 via 10.8.0.1 dev tun0\"; fix: $FIX14"

# --- multipath: one next hop of two into the tunnel ----------------------------------
l_multipath() {
	ip -n "$1" route add 10.0.0.0/8 nexthop via 10.128.0.1 dev eth0 nexthop via 10.8.0.1 dev tun0
}
layout multipath l_multipath "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by \"10.0.0.0/8 nexthop via 10.128.0.1 dev eth0 weight 1 nexthop via 10.8.0.1 dev tun0 weight 1\"; fix: $FIX14"

# --- a nexthop group, eth0's first; then the same without compat answers ---------------
l_group() {
	ip -n "$1" nexthop add id 11 via 10.128.0.1 dev eth0 &&
		ip -n "$1" nexthop add id 12 via 10.8.0.1 dev tun0 &&
		ip -n "$1" nexthop add id 13 group 11/12 &&
		ip -n "$1" route add 10.0.0.0/8 nhid 13
}
GROUP_ROUTE="10.0.0.0/8 nhid 13 nexthop via 10.128.0.1 dev eth0 weight 1 nexthop via 10.8.0.1 dev tun0 weight 1"
layout nhgroup l_group "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by \"$GROUP_ROUTE\"; fix: $FIX14"
l_group0() { ip netns exec "$1" sysctl -qw net.ipv4.nexthop_compat_mode=0 && l_group "$1"; }
layout nhgroup-compat0 l_group0 "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by \"$GROUP_ROUTE\"; fix: $FIX14"
l_nhid0() {
	ip netns exec "$1" sysctl -qw net.ipv4.nexthop_compat_mode=0 &&
		ip -n "$1" nexthop add id 12 via 10.8.0.1 dev tun0 &&
		ip -n "$1" route add 10.0.0.0/8 nhid 12
}
layout nhid-compat0 l_nhid0 "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by \"10.0.0.0/8 nhid 12 via 10.8.0.1 dev tun0\"; fix: $FIX14"

# --- policy routing: a rule to a table with the tunnel's default --------------------
l_policy() {
	ip -n "$1" route add default dev tun0 table 51820 && ip -n "$1" rule add pref 100 lookup 51820
}
layout policy l_policy "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.0.0 goes into tun0 by \"default dev tun0 table 51820\"; fix: $FIX14 table 51820" \
	"LEAK-ROUTE service 172.30.0.0/16: 172.30.0.0 goes into tun0 by \"default dev tun0 table 51820\"; fix: ip route add 172.30.0.0/16 via 10.128.0.1 dev eth0 table 51820"

# --- a source-based rule: only what the pod sends from the tunnel's address ----------
l_source() {
	ip -n "$1" route add default dev tun0 table 51820 &&
		ip -n "$1" rule add from 10.8.0.2 lookup 51820
}
layout source-rule l_source "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.0.0 from 10.8.0.2 goes into tun0 by \"default dev tun0 table 51820\"; fix: $FIX14 table 51820" \
	"LEAK-ROUTE service 172.30.0.0/16: 172.30.0.0 from 10.8.0.2 goes into tun0 by \"default dev tun0 table 51820\"; fix: ip route add 172.30.0.0/16 via 10.128.0.1 dev eth0 table 51820"

# --- wg-quick: main without its default (suppress_prefixlength 0), then a fwmark table --
l_wgquick() {
	ip -n "$1" route add default dev tun0 table 51820 &&
		ip -n "$1" rule add not fwmark 0xca6c table 51820 &&
		ip -n "$1" rule add table main suppress_prefixlength 0
}
layout wg-quick l_wgquick "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by \"default dev tun0 table 51820\"; fix: $FIX14 table 51820" \
	"LEAK-ROUTE service 172.30.0.0/16: 172.30.0.0 goes into tun0 by \"default dev tun0 table 51820\"; fix: ip route add 172.30.0.0/16 via 10.128.0.1 dev eth0 table 51820"

# --- OpenVPN's redirect-gateway def1: two halves of the address space -----------------
l_def1() {
	ip -n "$1" route add 0.0.0.0/1 via 10.8.0.1 dev tun0 &&
		ip -n "$1" route add 128.0.0.0/1 via 10.8.0.1 dev tun0
}
layout def1 l_def1 "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by \"0.0.0.0/1 via 10.8.0.1 dev tun0\"; fix: $FIX14" \
	"LEAK-ROUTE service 172.30.0.0/16: 172.30.0.0 goes into tun0 by \"128.0.0.0/1 via 10.8.0.1 dev tun0\"; fix: ip route add 172.30.0.0/16 via 10.128.0.1 dev eth0"

# --- a metric-ordered pair: the tunnel's wins; reversed, nothing to find --------------
l_metric() {
	ip -n "$1" route add 10.0.0.0/8 via 10.8.0.1 dev tun0 metric 50 &&
		ip -n "$1" route add 10.0.0.0/8 via 10.128.0.1 dev eth0 metric 100
}
layout metric-pair l_metric "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by \"10.0.0.0/8 via 10.8.0.1 dev tun0 metric 50\"; fix: $FIX14"
l_metric_ok() {
	ip -n "$1" route add 10.0.0.0/8 via 10.8.0.1 dev tun0 metric 100 &&
		ip -n "$1" route add 10.0.0.0/8 via 10.128.0.1 dev eth0 metric 50
}
clean metric-pair-eth0-first l_metric_ok "${V4[@]}"

# --- routes inside the CIDR: a /16 (its halves win), a host route (a rule) -------------
l_inner() { ip -n "$1" route add 10.129.0.0/16 via 10.8.0.1 dev tun0; }
layout inner l_inner "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.129.0.0 goes into tun0 by \"10.129.0.0/16 via 10.8.0.1 dev tun0\"; fix: ip route add 10.129.0.0/17 via 10.128.0.1 dev eth0; ip route add 10.129.128.0/17 via 10.128.0.1 dev eth0"
l_host() { ip -n "$1" route add 10.129.0.5 via 10.8.0.1 dev tun0; }
layout host l_host "${V4[@]}" -- \
	"LEAK-ROUTE pod 10.128.0.0/14: 10.129.0.5 goes into tun0 by \"10.129.0.5 via 10.8.0.1 dev tun0\"; fix: ip route add 10.129.0.5/32 via 10.128.0.1 dev eth0 table 32286; ip rule add pref 32765 to 10.129.0.5/32 lookup 32286"

# --- throw: the pod network thrown back to main, the rest into the tunnel -------------
l_throw() {
	ip -n "$1" route add default dev tun0 table 51820 &&
		ip -n "$1" route add throw 10.128.0.0/14 table 51820 &&
		ip -n "$1" rule add pref 100 lookup 51820
}
layout throw l_throw "${V4[@]}" -- \
	"LEAK-ROUTE service 172.30.0.0/16: 172.30.0.0 goes into tun0 by \"default dev tun0 table 51820\"; fix: ip route add 172.30.0.0/16 via 10.128.0.1 dev eth0 table 51820"
l_throw_only() {
	ip -n "$1" route add default dev tun0 table 51820 &&
		ip -n "$1" route add throw 10.128.0.0/14 table 51820 &&
		ip -n "$1" rule add pref 100 lookup 51820
}
clean throw-pod-network l_throw_only --cluster-cidr 10.128.0.0/14

# --- unreachable, blackhole, prohibit for the cluster: nothing goes into the tunnel --
l_dead() {
	ip -n "$1" route add 10.0.0.0/8 via 10.8.0.1 dev tun0 &&
		ip -n "$1" route add unreachable 10.128.0.0/15 &&
		ip -n "$1" route add blackhole 10.130.0.0/16 &&
		ip -n "$1" route add prohibit 10.131.0.0/16 &&
		ip -n "$1" rule add pref 100 to 172.30.0.0/16 prohibit
}
clean unreachable-blackhole-prohibit l_dead "${V4[@]}"

# --- IPv6: a broad route, a multipath one ------------------------------------------------
V6=(--cluster-cidr fd00:10:128::/48)
l_v6() { ip -n "$1" -6 route add fd00::/8 via 2001:db8:8::1 dev tun0; }
layout ipv6 l_v6 "${V6[@]}" -- \
	"LEAK-ROUTE pod fd00:10:128::/48: fd00:10:128:1:: goes into tun0 by \"fd00::/8 via 2001:db8:8::1 dev tun0\"; fix: ip -6 route add fd00:10:128::/48 via fd00:10:128::1 dev eth0"
l_v6mp() {
	ip -n "$1" -6 route add fd00::/8 nexthop via fd00:10:128::1 dev eth0 nexthop via 2001:db8:8::1 dev tun0
}
layout ipv6-multipath l_v6mp "${V6[@]}" -- \
	"LEAK-ROUTE pod fd00:10:128::/48: fd00:10:128:1:: goes into tun0 by \"fd00::/8 nexthop via fd00:10:128::1 dev eth0 weight 1 nexthop via 2001:db8:8::1 dev tun0 weight 1\"; fix: ip -6 route add fd00:10:128::/48 via fd00:10:128::1 dev eth0"
# an IPv6 route of a source prefix: only what the pod sends from its tunnel address
l_v6src() { ip -n "$1" -6 route add fd00::/8 from 2001:db8:8::2 via 2001:db8:8::1 dev tun0; }
layout ipv6-source-route l_v6src "${V6[@]}" -- \
	"LEAK-ROUTE pod fd00:10:128::/48: fd00:10:128:1:: from 2001:db8:8::2 goes into tun0 by \"fd00::/8 from 2001:db8:8::2 via 2001:db8:8::1 dev tun0\"; fix: ip -6 route add fd00:10:128::/48 via fd00:10:128::1 dev eth0"

# --- remote networks that do not reach the tunnel: out of eth0, unreachable,
# blackholed, prohibited (routes and rules). The tunnel's gateway comes from
# its route to 192.0.2.0/24.
tunnel_gw() { ip -n "$1" route add 192.0.2.0/24 via 10.8.0.1 dev tun0; }
l_out() { tunnel_gw "$1"; }
layout bypass l_out --remote-cidr 203.0.113.0/24 -- \
	"BYPASS-ROUTE remote 203.0.113.0/24: 203.0.113.0 goes out eth0 by \"default via 10.128.0.1 dev eth0\"; fix: ip route add 203.0.113.0/24 via 10.8.0.1 dev tun0"
for t in unreachable blackhole prohibit; do
	eval "l_$t() { tunnel_gw \"\$1\" && ip -n \"\$1\" route add $t 198.51.100.0/24; }"
	layout "remote-$t" "l_$t" --remote-cidr 198.51.100.0/24 -- \
		"BYPASS-ROUTE remote 198.51.100.0/24: 198.51.100.0 has no route by \"$t 198.51.100.0/24\"; fix: ip route add 198.51.100.0/25 via 10.8.0.1 dev tun0; ip route add 198.51.100.128/25 via 10.8.0.1 dev tun0"
	eval "l_rule_$t() { tunnel_gw \"\$1\" && ip -n \"\$1\" rule add pref 100 to 198.18.0.0/16 $t; }"
	layout "remote-rule-$t" "l_rule_$t" --remote-cidr 198.18.0.0/16 -- \
		"BYPASS-ROUTE remote 198.18.0.0/16: 198.18.0.0 has no route by \"100: from all to 198.18.0.0/16 $t\"; fix: ip route add 198.18.0.0/16 via 10.8.0.1 dev tun0 table 32286; ip rule add pref 99 to 198.18.0.0/16 lookup 32286"
done

# --- refused: no gateway on eth0 ------------------------------------------------------
# Printed for a person (a device route), never added by --fix: it says why,
# exits 1, and names what remains.
pod a nogw && {
	ip -n "$a" route del default
	ip -n "$a" route add 10.0.0.0/8 via 10.8.0.1 dev tun0
	"$TUNLEAK" check --netns "$a" --cluster-cidr 10.128.0.0/14 >"$TMP/nogw.out" 2>/dev/null
	expect_eq "no gateway: exit code" 1 "$?"
	expect_eq "no gateway: the finding says it" \
		'LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by "10.0.0.0/8 via 10.8.0.1 dev tun0"; fix: ip route add 10.128.0.0/14 dev eth0 (not added by --fix: no gateway known on eth0: no route through it has one)' \
		"$(cat "$TMP/nogw.out")"
	before=$(routing "$a")
	"$TUNLEAK" check --netns "$a" --cluster-cidr 10.128.0.0/14 --fix >"$TMP/nogw.fix" 2>"$TMP/nogw.err"
	expect_eq "no gateway --fix: exit code" 1 "$?"
	expect_eq "no gateway --fix: refused, with the reason" \
		"ROUTE-NOT-FIXED pod 10.128.0.0/14: no gateway known on eth0: no route through it has one; by hand: ip route add 10.128.0.0/14 dev eth0" \
		"$(grep '^ROUTE-NOT-FIXED' "$TMP/nogw.fix")"
	expect_eq "no gateway --fix: what remains, and why" \
		'REMAINS LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0 goes into tun0 by "10.0.0.0/8 via 10.8.0.1 dev tun0"; fix: ip route add 10.128.0.0/14 dev eth0 (no gateway known on eth0: no route through it has one)' \
		"$(grep '^REMAINS' "$TMP/nogw.fix")"
	expect_match "no gateway --fix: summary" "^tunleak: check --fix: network namespace $a: 0 fixes added, 1 refused; audited again: 1 finding remains$" "$(tail -1 "$TMP/nogw.err")"
	expect_eq "no gateway --fix: nothing added" "$before" "$(routing "$a")"
	"$TUNLEAK" check --netns "$a" --cluster-cidr 10.128.0.0/14 --json --fix >"$TMP/nogw.jfix" 2>/dev/null
	expect_eq "no gateway --fix --json: the refusal" "route_fix_refused|no gateway known on eth0: no route through it has one|ip route add 10.128.0.0/14 dev eth0" \
		"$(jq -r 'select(.type == "route_fix_refused") | "\(.type)|\(.reason)|\(.fix)"' "$TMP/nogw.jfix")"
	expect_eq "no gateway --fix --json: what remains" "route_remains|leak|no gateway known on eth0: no route through it has one" \
		"$(jq -r 'select(.type == "route_remains") | "\(.type)|\(.kind)|\(.reason)"' "$TMP/nogw.jfix")"
	# the printed command, by hand: the kernel routes it out of eth0
	apply_fix "$a" "ip route add 10.128.0.0/14 dev eth0"
	expect_eq "no gateway: by hand, out of eth0" eth0 "$(way "$a" 10.128.2.0)"
	case_end "refused-no-gateway"
	delns "$a"
}

# --- refused: a bypass fix that would route the pod network into the tunnel ------------
# remote 10.0.0.0/8 goes out eth0 by the default route; adding 10/8 into
# tun0 would take 10.128.0.0/14 (only its /23 has a route of its own). Once the
# pod network has its route through eth0, the same fix is safe.
pod a wrongway && {
	tunnel_gw "$a"
	args=(--remote-cidr 10.0.0.0/8 --cluster-cidr 10.128.0.0/14)
	"$TUNLEAK" check --netns "$a" "${args[@]}" --fix >"$TMP/ww.fix" 2>"$TMP/ww.err"
	expect_eq "into the tunnel: exit code" 1 "$?"
	expect_eq "into the tunnel: refused, with the reason" \
		"ROUTE-NOT-FIXED remote 10.0.0.0/8: the fix would itself route cluster CIDR 10.128.0.0/14 into tun0; by hand: ip route add 10.0.0.0/8 via 10.8.0.1 dev tun0" \
		"$(grep '^ROUTE-NOT-FIXED' "$TMP/ww.fix" | sort -u)"
	expect_eq "into the tunnel: nothing added" "" "$(ip -n "$a" route show 10.0.0.0/8)"
	expect_eq "into the tunnel: the pod network still out of eth0" eth0 "$(way "$a" 10.128.2.0)"
	ip -n "$a" route add 10.128.0.0/14 via 10.128.0.1 dev eth0
	"$TUNLEAK" check --netns "$a" "${args[@]}" --fix >"$TMP/ww.fix2" 2>"$TMP/ww.err2"
	expect_eq "with the pod network's route: exit code" 0 "$?"
	expect_eq "with the pod network's route: fixed" \
		"ROUTE-FIXED remote 10.0.0.0/8: ip route add 10.0.0.0/8 via 10.8.0.1 dev tun0" \
		"$(grep '^ROUTE-FIXED' "$TMP/ww.fix2")"
	expect_eq "10.0.0.1 into tun0" tun0 "$(way "$a" 10.0.0.1)"
	expect_eq "10.128.2.0 out of eth0" eth0 "$(way "$a" 10.128.2.0)"
	case_end "refused-into-tunnel"
	delns "$a"
}

# --- --pid: the namespace of a process; a second --fix has nothing to do ------------
pod a bypid && {
	l_broad "$a"
	bg "$a" sleep 60
	wait_in_ns "$BG_PID" "$a" || ERRORS+=("sleep not in $a")
	"$TUNLEAK" check --pid "$BG_PID" --cluster-cidr 10.128.0.0/14 --fix >"$TMP/pid.fix" 2>"$TMP/pid.err"
	expect_eq "--pid --fix: exit code" 0 "$?"
	expect_eq "--pid --fix: the change" "ROUTE-FIXED pod 10.128.0.0/14: $FIX14" "$(grep '^ROUTE-FIXED' "$TMP/pid.fix")"
	expect_match "--pid --fix: summary" "^tunleak: check --fix: the network namespace of PID $BG_PID: 1 fix added; audited again: clean$" "$(tail -1 "$TMP/pid.err")"
	"$TUNLEAK" check --pid "$BG_PID" --cluster-cidr 10.128.0.0/14 --fix >"$TMP/pid.fix2" 2>"$TMP/pid.err2"
	expect_eq "--fix again: exit code" 0 "$?"
	expect_eq "--fix again: nothing to do" "" "$(cat "$TMP/pid.fix2")"
	expect_match "--fix again: clean" "^tunleak: check: clean: " "$(cat "$TMP/pid.err2")"
	case_end "fix-by-pid"
	delns "$a"
}

# --- trace: each leak event names the route as check does ----------------------------
# A nexthop group without compat answers, and a source-based rule: a packet
# from eth0's address that the group sends into tun0 names both next hops;
# one from tun0's address, the rule's table. Pings from each address (bound:
# the kernel looks up from it, as the tracer does).
pod POD trace && {
	l_group0 "$POD"
	l_source "$POD"
	into=()
	for ((i = 1; i <= 60 && ${#into[@]} < 3; i++)); do
		[ "$(way "$POD" "10.129.0.$i" 10.128.0.2)" = tun0 ] && into+=("10.129.0.$i")
	done
	expect_eq "the group sends some of eth0's flows into tun0" 3 "${#into[@]}"
	if start_tunleak --cluster-cidr 10.128.0.0/14 --json; then
		for d in "${into[@]}"; do
			ip netns exec "$POD" ping -q -n -c 1 -W 0.2 -I 10.128.0.2 "$d" >/dev/null 2>&1
		done
		ip netns exec "$POD" ping -q -n -c 1 -W 0.2 -I 10.8.0.2 10.130.0.5 >/dev/null 2>&1
		wait_for "$TMP/tl.out" '"dst":"10.130.0.5"' 3
		stop_tunleak
		expect_eq "from eth0's address: an event each" "${into[*]}" \
			"$(jq -r 'select(.type == "leak" and .src == "10.128.0.2") | .dst' "$TMP/tl.out" | paste -sd ' ')"
		expect_eq "from eth0's address: the group, every next hop" "$GROUP_ROUTE|$FIX14" \
			"$(jq -r 'select(.type == "leak" and .src == "10.128.0.2") | "\(.route)|\(.fix)"' "$TMP/tl.out" | sort -u)"
		expect_eq "from tun0's address: the rule's table" "10.130.0.5 default dev tun0 table 51820|$FIX14 table 51820" \
			"$(jq -r 'select(.type == "leak" and .src == "10.8.0.2") | "\(.dst) \(.route)|\(.fix)"' "$TMP/tl.out")"
	fi
	case_end "trace-route-text"
}
