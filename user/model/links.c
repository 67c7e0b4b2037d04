// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <linux/if_arp.h>
#include <string.h>

#include "model/links.h"

bool link_is_l2(uint16_t arphrd)
{
	return arphrd == ARPHRD_ETHER || arphrd == ARPHRD_LOOPBACK;
}

/* Kinds a VPN makes, and the fallback device its module puts in every
 * namespace (that one carries no VPN unless someone names it). */
static const struct {
	const char *kind;
	const char *fallback;
} vpn_kinds[] = {
    {"tun", NULL}, /* OpenVPN, and tap devices (also kind "tun") */
    {"tap", NULL},	  {"wireguard", NULL}, {"ovpn", NULL}, /* OpenVPN data channel offload,
								  in-tree */
    {"ovpn-dco", NULL},					       /* ... and its out-of-tree module */
    {"ipip", "tunl0"},	  {"gre", "gre0"},     {"gretap", "gretap0"}, {"ip6gre", "ip6gre0"},
    {"ip6gretap", NULL},  {"sit", "sit0"},     {"ip6tnl", "ip6tnl0"}, {"vti", "ip_vti0"},
    {"vti6", "ip6_vti0"}, {"xfrm", NULL},
};

bool link_is_vpn(const struct link_info *l)
{
	size_t i;

	for (i = 0; i < sizeof(vpn_kinds) / sizeof(vpn_kinds[0]); i++) {
		if (strcmp(l->kind, vpn_kinds[i].kind))
			continue;
		return !vpn_kinds[i].fallback || strcmp(l->name, vpn_kinds[i].fallback);
	}
	return false;
}

bool link_is_tunnel(const struct link_info *l, const char (*names)[LINK_NAMSIZ], int n)
{
	int i;

	if (!n)
		return link_is_vpn(l);
	for (i = 0; i < n; i++)
		if (!strcmp(l->name, names[i]))
			return true;
	return false;
}

bool link_name_valid(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n >= LINK_NAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]))
			return false;
	return true;
}
