#!/usr/bin/env bash
# check --fix on a simulated node (scripts/nodelab.sh): two pods whose real
# OpenVPN pushed 10.0.0.0/8 and 172.16.0.0/12 cannot reach a pod on the other
# node; `check --pod NAME --fix` heals one, `check --all --fix` the other
# (and leaves the healthy pods alone); then their cross-node TCP connections
# succeed. Ground truth: connections this script makes itself.
. "$(dirname "$0")/lib.sh"
require_root
PROBE=$HELPERS/netprobe

nodelab_start vpn-a:leaky vpn-b:leaky:crio vpn-ok:clean web:plain || exit 0
NL=$ROOT/scripts/nodelab.sh
CIDRS=(--cluster-cidr "$NL_CLUSTER_CIDR" --service-cidr "$NL_SERVICE_CIDR" --remote-cidr "$NL_REMOTE_CIDR")
on_node() { "$NL" node "$NL_ID" -- "$@"; }
in_pod() { local p=$1; shift; "$NL" pod "$NL_ID" "$p" -- "$@"; }
connect() { # POD SPORT: a TCP connection to the other node's pod
	in_pod "$1" "$PROBE" connect "$NL_OTHER_POD_IP" "$NL_SERVER_PORT" "$2" 1500
}
FIX_POD="ip route add $NL_CLUSTER_CIDR via $NL_POD_GW dev eth0"
FIX_SVC="ip route add $NL_SERVICE_CIDR via $NL_POD_GW dev eth0"

# --- before: the leaky pods' connections time out ------------------------------
expect_eq "vpn-a before" timeout "$(connect vpn-a 40100)"
expect_eq "vpn-b before" timeout "$(connect vpn-b 40101)"
expect_eq "vpn-ok before" connected "$(connect vpn-ok 40102)"
on_node "$TUNLEAK" check --all "${CIDRS[@]}" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "check --all before: exit code" 1 "$?"
expect_eq "check --all before: the findings, by pod" \
	"$NL_PODNS/vpn-b: LEAK-ROUTE pod $NL_CLUSTER_CIDR|$NL_PODNS/vpn-b: LEAK-ROUTE service $NL_SERVICE_CIDR|vpn-a: LEAK-ROUTE pod $NL_CLUSTER_CIDR|vpn-a: LEAK-ROUTE service $NL_SERVICE_CIDR" \
	"$(awk '{sub(/:$/, "", $4); print $1, $2, $3, $4}' "$TMP/c.out" | sort | paste -sd '|')"
case_end "before"

# --- check --pod vpn-a --fix ------------------------------------------------------
on_node "$TUNLEAK" check --pod vpn-a "${CIDRS[@]}" --fix >"$TMP/a.out" 2>"$TMP/a.err"
expect_eq "--pod --fix: exit code" 0 "$?"
expect_eq "--pod --fix: each change, as the ip command" \
	"vpn-a: ROUTE-FIXED pod $NL_CLUSTER_CIDR: $FIX_POD|vpn-a: ROUTE-FIXED service $NL_SERVICE_CIDR: $FIX_SVC" \
	"$(grep 'ROUTE-FIXED' "$TMP/a.out" | paste -sd '|')"
expect_match "--pod --fix: summary" "^tunleak: check --fix: pod vpn-a: 2 fixes added; audited again: clean$" "$(tail -1 "$TMP/a.err")"
expect_eq "vpn-a after its fix" connected "$(connect vpn-a 40103)"
in_pod vpn-a ping -q -n -c 1 -W 1 "$NL_SERVICE_IP" >/dev/null || ERRORS+=("vpn-a: the service does not answer after the fix")
expect_eq "vpn-b untouched" timeout "$(connect vpn-b 40104)"
expect_eq "vpn-a: the remote network still through the tunnel" tun0 \
	"$(in_pod vpn-a ip route get "$NL_REMOTE_IP" | sed -n 's/.* dev \([^ ]*\).*/\1/p')"
case_end "fix-pod"

# --- check --all --fix: vpn-b only --------------------------------------------------
on_node "$TUNLEAK" check --all "${CIDRS[@]}" --json --fix >"$TMP/all.json" 2>"$TMP/all.err"
expect_eq "--all --fix: exit code" 0 "$?"
expect_eq "--all --fix: the changes, of vpn-b only" \
	"route_fixed vpn-b $NL_PODNS $NL_CLUSTER_CIDR $FIX_POD|route_fixed vpn-b $NL_PODNS $NL_SERVICE_CIDR $FIX_SVC" \
	"$(jq -r 'select(.type == "route_fixed") | "\(.type) \(.pod) \(.k8s_namespace) \(.cidr) \(.fix)"' "$TMP/all.json" | paste -sd '|')"
expect_eq "--all --fix: nothing remains" 0 "$(jq -r 'select(.type == "route_remains")' "$TMP/all.json" | wc -l)"
expect_match "--all --fix: vpn-b audited again" "check --fix: pod $NL_PODNS/vpn-b: 2 fixes added; audited again: clean" "$(cat "$TMP/all.err")"
expect_eq "--all --fix: one namespace fixed" 1 "$(grep -c 'check --fix:' "$TMP/all.err")"
expect_eq "vpn-b after --all --fix" connected "$(connect vpn-b 40105)"
expect_eq "vpn-ok still" connected "$(connect vpn-ok 40106)"
on_node "$TUNLEAK" check --all "${CIDRS[@]}" >"$TMP/c2.out" 2>"$TMP/c2.err"
expect_eq "check --all after: exit code" 0 "$?"
expect_eq "check --all after: nothing" "" "$(cat "$TMP/c2.out")"
case_end "fix-all"
