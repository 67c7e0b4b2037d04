#!/bin/sh
# OpenVPN route-up hook, kept under its old name: it is tunleak-route-fix
# (installed beside it), which works for every VPN; see that file.
#
# In the OpenVPN client config:
#   script-security 2
#   setenv TUNLEAK_CLUSTER_CIDRS "10.128.0.0/14 172.30.0.0/16 fd00:10:128::/48"
#   setenv TUNLEAK_CLUSTER_IFACE eth0      # optional, eth0 by default
#   route-up /usr/local/share/tunleak/openvpn-route-up.sh
#
# OpenVPN passes route-up no argument: the CIDRs come from the environment.
exec "$(dirname "$0")/tunleak-route-fix"
