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
