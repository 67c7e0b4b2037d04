#!/usr/bin/env bash
# strongSwan: charon with kernel-libipsec (ESP in UDP through the TUN ipsec0),
# routes in table 220, looked up before main: same-node pods leak too.
# Cases: tests/e2e/vpn_family.sh.
. "$(dirname "$0")/lib.sh"
require_root
. "$(dirname "$0")/vpn_family.sh"
require_tools vpn_strongswan /usr/lib/ipsec/charon swanctl tcpdump /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so

vpn_lab_up lab-strongswan.sh full || exit 0
expect_eq "rule 220 before main" "220:	from all lookup 220" "$(ip -n "$NS_VPNPOD" rule | grep 'lookup 220')"
expect_eq "the pod's route to a same-node pod" ipsec0 "$(route_dev "$SAME_IP")"
expect_eq "the pod's route to its gateway" ipsec0 "$(route_dev "$POD_GW")"
expect_eq "the VPN server, thrown back to main" eth0 "$(route_dev "$VPNSRV_IP")"
case_end "full/table-220"
vpn_family_cases lab-strongswan.sh full 1
vpn_lab_down lab-strongswan.sh

# --- trace --fix on a fresh lab: each fix added in table 220 as its route_leak comes
vpn_lab_up lab-strongswan.sh full || exit 0
CIDRS=(--cluster-cidr "$CLUSTER_CIDR" --service-cidr "$SERVICE_CIDR" --node-cidr "$NODE_CIDR"
	--remote-cidr "$REMOTE_CIDR")
expect_eq "before: a cross-node connection" timeout "$(other_connect 40040)"
start_tunleak "${CIDRS[@]}" --json --fix --export "$TMP/vpn.json" --interval 0.2
fixed() { jq -r 'select(.type == "route_fixed") | .added' "$TMP/tl.out" | sort; }
three_fixed() { [ "$(fixed | wc -l)" -ge 3 ]; }
wait_until 3 three_fixed
expect_eq "route_fixed events: each CIDR in table 220" \
	"$(printf 'ip route add %s via %s dev eth0 table 220\n' "$CLUSTER_CIDR" "$POD_GW" "$NODE_CIDR" "$POD_GW" "$SERVICE_CIDR" "$POD_GW" | sort)" \
	"$(fixed)"
expect_eq "route_leak then route_fixed, a pair per CIDR" "route_leak route_fixed route_leak route_fixed route_leak route_fixed" \
	"$(jq -r 'select(.type | startswith("route_leak") or startswith("route_fixed")) | .type' "$TMP/tl.out" | paste -sd ' ')"
wait_jq "$TMP/vpn.json" '.namespaces[0].route_fixes.added' 3
wait_jq "$TMP/vpn.json" '.namespaces[0].findings | length' 0
expect_eq "the counters file: no finding left" 0 "$(findings_now)"
expect_eq "the pod's route to another node's pod" eth0 "$(route_dev "$OTHER_IP")"
expect_eq "after: a cross-node connection" connected "$(other_connect 40041)"
"$TUNLEAK" check --netns "$POD" "${CIDRS[@]}" >/dev/null 2>&1
expect_eq "check after trace --fix" 0 "$?"
stop_tunleak TERM
expect_eq "tunleak exit code" 0 "$TL_RC"
case_end "full/trace-fix-table-220"
vpn_lab_down lab-strongswan.sh
