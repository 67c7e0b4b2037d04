/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What tunleak knows of a network interface, and which ones are VPN tunnels. Plain C. */
#ifndef TL_LINKS_H
#define TL_LINKS_H

#include <stdbool.h>
#include <stdint.h>

#define LINK_NAMSIZ  16
#define LINK_KINDSIZ 24

struct link_info {
	uint32_t ifindex;
	char name[LINK_NAMSIZ];
	char kind[LINK_KINDSIZ]; /* IFLA_INFO_KIND: "veth", "tun", "wireguard"; "" for none */
	uint16_t arphrd;	 /* ARPHRD_* */
	bool l2;		 /* frames carry an Ethernet header at tc */
	bool up;
};

/* Ethernet-framed devices (veth, tap, bridges, VLANs, loopback) carry an L2
 * header at tc; tun, ovpn, WireGuard, GRE, PPP do not. */
bool link_is_l2(uint16_t arphrd);

/* A VPN's link kind (tun, tap, wireguard, ovpn, ipip, gre, sit, ip6tnl, vti,
 * vti6, xfrm and their variants) — never a CNI's overlay (geneve, vxlan) nor
 * the fallback device a tunnel module creates in every namespace (tunl0,
 * gre0, sit0, ...). */
bool link_is_vpn(const struct link_info *l);

/* A tunnel for a run: one of names[] when --tunnel gave any (n > 0), else
 * any interface of a VPN's link kind. */
bool link_is_tunnel(const struct link_info *l, const char (*names)[LINK_NAMSIZ], int n);

/* A valid interface name, as the kernel's dev_valid_name(): 1-15 bytes, not
 * "." or "..", no '/', ':' or white space. An alias such as "tun0:x" is not
 * an interface. */
bool link_name_valid(const char *name);

#endif
