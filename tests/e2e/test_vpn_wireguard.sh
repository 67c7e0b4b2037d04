#!/usr/bin/env bash
# WireGuard through wg-quick (wireguard-go): split AllowedIPs with broad
# ranges (routes in main), and 0.0.0.0/0 (wg-quick's table 51820 and fwmark
# rules). Cases: tests/e2e/vpn_family.sh.
. "$(dirname "$0")/lib.sh"
require_root
. "$(dirname "$0")/vpn_family.sh"
require_tools vpn_wireguard wg wg-quick wireguard-go tcpdump

# --- a server that cannot start: one line, exit 1, nothing left -------------
mkdir -p "$TMP/fake"
printf '#!/bin/sh\nexit 1\n' >"$TMP/fake/wireguard-go"
chmod +x "$TMP/fake/wireguard-go"
cleanup_add lab:fail "$ROOT/scripts/lab-wireguard.sh" down "${ID}f"
out=$(PATH="$TMP/fake:$PATH" "$ROOT/scripts/lab-wireguard.sh" up "${ID}f" 2>&1)
expect_eq "exit code" 1 "$?"
expect_match "saying which" "^lab-wireguard: the WireGuard server did not start: " "$out"
expect_eq "in one line" 1 "$(wc -l <<<"$out")"
expect_eq "namespaces left" "" "$(ip netns list | grep "^twg${ID}f")"
expect_eq "state left" "" "$(ls -d "/tmp/tunleak-lab-wireguard.${ID}f" 2>/dev/null)"
case_end "lab-up-fails-cleanly"

for mode in split full; do
	vpn_lab_up lab-wireguard.sh "$mode" || continue
	vpn_family_cases lab-wireguard.sh "$mode" 0
	if [ "$mode" = full ]; then
		# wg-quick picks the first empty table from 51820 on: the hook's routes
		# stay in 51820 (it never removes a route), so after a reconnect the
		# tunnel's table is 51821, and the hook fixed that one.
		expect_eq "the hook's routes after the second reconnect" \
			"$CLUSTER_CIDR via $POD_GW dev eth0 table 51821" \
			"$(ip -n "$NS_VPNPOD" route show table all "$CLUSTER_CIDR" | grep 51821 | sed 's/ *$//')"
		expect_match "the fwmark rule" "not from all fwmark 0xca6d lookup 51821" "$(ip -n "$NS_VPNPOD" rule)"
		case_end "full/next-table-after-reconnect"
	fi
	vpn_lab_down lab-wireguard.sh
done
