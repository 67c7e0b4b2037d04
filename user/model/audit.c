// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "model/audit.h"

static int alen(int family)
{
	return family == 4 ? 4 : 16;
}

/* last address of a prefix */
static void prefix_end(const uint8_t *addr, int plen, int family, uint8_t *end)
{
	int n = alen(family), i;

	memcpy(end, addr, n);
	for (i = 0; i < n; i++) {
		int bit = i * 8;

		if (bit >= plen)
			end[i] = 0xff;
		else if (bit + 8 > plen)
			end[i] |= (uint8_t)(0xff >> (plen - bit));
	}
}

/* a + 1; returns 1 on wrap-around (a was all ones). */
static int addr_inc(uint8_t *a, int family)
{
	int i;

	for (i = alen(family) - 1; i >= 0; i--)
		if (++a[i] != 0)
			return 0;
	return 1;
}

static int add_unique(uint8_t (*out)[16], int n, int max, const uint8_t *a)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(out[i], a, 16))
			return n;
	if (n >= max)
		return n;
	memset(out[n], 0, 16);
	memcpy(out[n], a, 16);
	return n + 1;
}

int audit_candidates(const struct cidr *c, const struct route_info *routes, int nroutes,
		     uint8_t (*out)[16], int max)
{
	int i, n = 0;

	n = add_unique(out, n, max, c->addr);
	for (i = 0; i < nroutes; i++) {
		const struct route_info *r = &routes[i];
		struct cidr rc = { .family = r->family, .prefixlen = r->dst_len };
		uint8_t end[16] = {};

		if (r->family != c->family)
			continue;
		memcpy(rc.addr, r->dst, 16);
		if (!cidr_overlaps(&rc, c))
			continue;
		if (rc.prefixlen > c->prefixlen) /* inside c: where it begins */
			n = add_unique(out, n, max, rc.addr);
		/* where it ends, if c goes on after it */
		prefix_end(rc.addr, rc.prefixlen, rc.family, end);
		if (!addr_inc(end, rc.family) && cidr_contains(c, c->family, end))
			n = add_unique(out, n, max, end);
	}
	return n;
}

const char *route_format(const struct route_info *r, char *buf, size_t len)
{
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
	const char *type = "";
	size_t off = 0;
	int af = r->family == 4 ? AF_INET : AF_INET6;

	switch (r->type) {
	case RTN_LOCAL:
		type = "local ";
		break;
	case RTN_UNREACHABLE:
		type = "unreachable ";
		break;
	case RTN_BLACKHOLE:
		type = "blackhole ";
		break;
	case RTN_PROHIBIT:
		type = "prohibit ";
		break;
	case RTN_BROADCAST:
		type = "broadcast ";
		break;
	default:
		break;
	}
	inet_ntop(af, r->dst, dst, sizeof(dst));
	if (r->dst_len == 0)
		off += snprintf(buf + off, len - off, "%sdefault", type);
	else if (r->dst_len == (r->family == 4 ? 32 : 128))
		off += snprintf(buf + off, len - off, "%s%s", type, dst);
	else
		off += snprintf(buf + off, len - off, "%s%s/%u", type, dst, r->dst_len);
	if (r->has_gw && off < len) {
		inet_ntop(af, r->gw, gw, sizeof(gw));
		off += snprintf(buf + off, len - off, " via %s", gw);
	}
	if (r->oif_name[0] && off < len)
		off += snprintf(buf + off, len - off, " dev %s", r->oif_name);
	if (r->table && r->table != RT_TABLE_MAIN && r->table != RT_TABLE_LOCAL && off < len)
		snprintf(buf + off, len - off, " table %u", r->table);
	return buf;
}

const char *fix_command(const char *verb, const struct cidr *c, const char *iface,
			const uint8_t *gw, char *buf, size_t len)
{
	char cs[64], g[INET6_ADDRSTRLEN];

	cidr_format(c, cs, sizeof(cs));
	if (gw) {
		inet_ntop(c->family == 4 ? AF_INET : AF_INET6, gw, g, sizeof(g));
		snprintf(buf, len, "ip %sroute %s %s via %s dev %s", c->family == 6 ? "-6 " : "",
			 verb, cs, g, iface);
	} else {
		snprintf(buf, len, "ip %sroute %s %s dev %s", c->family == 6 ? "-6 " : "", verb, cs,
			 iface);
	}
	return buf;
}

const char *audit_fix(const struct cidr *c, const struct route_info *bad, const char *iface,
		      const uint8_t *gw, char *buf, size_t len)
{
	struct cidr target = *c;

	if (bad->dst_len < c->prefixlen)
		return fix_command("add", c, iface, gw, buf, len);
	target.prefixlen = bad->dst_len;
	memcpy(target.addr, bad->dst, 16);
	return fix_command("replace", &target, iface, gw, buf, len);
}

const struct class_cidr *audit_cidr_for(const struct class_cidr *tab, int n, int family,
					const uint8_t *addr)
{
	const struct class_cidr *best = NULL;
	int i;

	for (i = 0; i < n; i++)
		if (cidr_contains(&tab[i].cidr, family, addr) &&
		    (!best || tab[i].cidr.prefixlen > best->cidr.prefixlen))
			best = &tab[i];
	return best;
}
