// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "netns/nl.h"
#include "netns/nlparse.h"
#include "netns/route.h"
#include "lib/vec.h"

#ifndef RTM_F_FIB_MATCH
#define RTM_F_FIB_MATCH 0x2000
#endif

struct collect {
	struct route_info *list;
	int n, cap;
};

static int alen(int family)
{
	return family == 4 ? 4 : 16;
}

/* Each route of the answer (see link_one_cb() in nl.c: nlmsg_len bytes are
 * there); what is not an IPv4 or IPv6 route, or does not parse, is skipped. */
static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct collect *c = data;
	struct route_info r;

	if (route_parse(nlh, nlh->nlmsg_len, &r))
		return 0;
	if (vec_room(&c->list, &c->cap, c->n, sizeof(*c->list), 64))
		return -ENOMEM;
	c->list[c->n++] = r;
	return 0;
}

/* Interface names of the namespace's routes, from its own link table (the
 * process is elsewhere: if_indextoname() would ask the wrong namespace). */
static void name_oifs(struct nl *nl, struct route_info *list, int n)
{
	struct link_info *links = NULL;
	int nlinks = 0, i, j;

	if (n == 1) {
		struct link_info l;

		if (list[0].oif && nl__link_by_index(nl, list[0].oif, &l) == 0)
			snprintf(list[0].oif_name, sizeof(list[0].oif_name), "%s", l.name);
		return;
	}
	if (nl__link_dump(nl, &links, &nlinks))
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < nlinks; j++)
			if (list[i].oif && (uint32_t)list[i].oif == links[j].ifindex)
				snprintf(list[i].oif_name, sizeof(list[i].oif_name), "%s",
					 links[j].name);
	free(links);
}

static struct nl_msg *route_msg(int family, bool dump)
{
	struct rtmsg rtm = { .rtm_family = family == 4 ? AF_INET : AF_INET6 };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST);

	if (!dump)
		rtm.rtm_flags = RTM_F_FIB_MATCH; /* the entry, not the resolved dst */
	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int route_get(struct nl *nl, int family, const uint8_t *dst, const uint8_t *src,
	      struct route_info *out)
{
	struct nl_msg *msg = route_msg(family, false);
	struct collect c = { 0 };
	int n = alen(family), ret;

	if (!msg)
		return -ENOMEM;
	((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_dst_len = n * 8;
	if (src)
		((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_src_len = n * 8;
	if (nla_put(msg, RTA_DST, n, dst) < 0 || (src && nla_put(msg, RTA_SRC, n, src) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = nl__request(nl, msg, false, route_cb, &c);
	if (ret == -EINVAL && src) { /* src not local (forwarded traffic) */
		free(c.list);
		return route_get(nl, family, dst, NULL, out);
	}
	if (!ret && !c.n)
		ret = -ENETUNREACH;
	if (!ret) {
		name_oifs(nl, c.list, 1);
		*out = c.list[0];
	}
	free(c.list);
	return ret;
}

int route_dump(struct nl *nl, int family, struct route_info **out, int *n)
{
	struct nl_msg *msg = route_msg(family, true);
	struct collect c = { 0 };
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = nl__request(nl, msg, true, route_cb, &c);
	if (ret) {
		free(c.list);
		return ret;
	}
	name_oifs(nl, c.list, c.n);
	*out = c.list;
	*n = c.n;
	return 0;
}

static int route_iface_gateway(struct nl *nl, int family, const char *ifname, uint8_t *gw)
{
	struct route_info *rs = NULL;
	struct link_info l;
	int n = 0, i, best = -1, ret;

	if (nl__link_get(nl, ifname, &l))
		return -ENODEV;
	ret = route_dump(nl, family, &rs, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (rs[i].oif != (int)l.ifindex || !rs[i].has_gw || rs[i].type != RTN_UNICAST)
			continue;
		/* the default route's gateway first, else the shortest prefix's */
		if (best < 0 || rs[i].dst_len < rs[best].dst_len ||
		    (rs[i].dst_len == rs[best].dst_len && rs[i].table == RT_TABLE_MAIN))
			best = i;
	}
	if (best >= 0)
		memcpy(gw, rs[best].gw, 16);
	free(rs);
	return best >= 0 ? 0 : -ENOENT;
}

const char *route_pick_gateway(struct nl *nl, int family, char names[][16], int n, uint8_t *gw,
			       int *has_gw)
{
	struct link_info l;
	int i;

	*has_gw = 0;
	for (i = 0; i < n; i++)
		if (route_iface_gateway(nl, family, names[i], gw) == 0) {
			*has_gw = 1;
			return names[i];
		}
	for (i = 0; i < n; i++)
		if (nl__link_get(nl, names[i], &l) == 0)
			return names[i];
	return n ? names[0] : "?";
}

#define RC_ENTRIES 256

struct rc_entry {
	uint8_t used, family, plen;
	uint8_t key[16], src[16];
	struct route_info r;
};

struct route_cache {
	struct nl *nl; /* the namespace's socket (not owned) */
	struct route_info *routes[2]; /* dumps, [0] IPv4 [1] IPv6; NULL: stale */
	int nroutes[2];
	struct rc_entry e[RC_ENTRIES];
	unsigned int next; /* round-robin replacement */
	int gw_valid[2][2], gw_has[2][2]; /* [which][family] */
	uint8_t gw[2][2][16];
	char gw_iface[2][2][16];
	uint64_t lookups;
};

struct route_cache *route_cache__new(struct nl *nl)
{
	struct route_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->nl = nl;
	return c;
}

void route_cache__invalidate(struct route_cache *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		free(c->routes[i]);
		c->routes[i] = NULL;
		c->gw_valid[i][0] = c->gw_valid[i][1] = 0;
	}
	memset(c->e, 0, sizeof(c->e));
}

void route_cache__free(struct route_cache *c)
{
	if (!c)
		return;
	route_cache__invalidate(c);
	free(c);
}

static int contains(const uint8_t *pfx, int plen, const uint8_t *a)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(pfx, a, full))
		return 0;
	return !rest || ((pfx[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int route_cache__get(struct route_cache *c, int family, const uint8_t *dst, const uint8_t *src,
		     struct route_info *out)
{
	int f = family == 6, n = f ? 16 : 4, i, best = -1, ret;
	uint8_t key[16] = {}, s[16] = {};

	if (!c->routes[f] && route_dump(c->nl, family, &c->routes[f], &c->nroutes[f]))
		c->routes[f] = NULL, c->nroutes[f] = 0;
	for (i = 0; i < c->nroutes[f]; i++) {
		const struct route_info *r = &c->routes[f][i];

		if (contains(r->dst, r->dst_len, dst) && r->dst_len > best)
			best = r->dst_len;
	}
	if (best < 0)
		best = 0;
	memcpy(key, dst, n);
	for (i = best; i < n * 8; i++)
		key[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	if (src)
		memcpy(s, src, n);
	for (i = 0; i < RC_ENTRIES; i++) {
		const struct rc_entry *e = &c->e[i];

		if (e->used && e->family == family && e->plen == best && !memcmp(e->key, key, 16) &&
		    !memcmp(e->src, s, 16)) {
			*out = e->r;
			return 0;
		}
	}
	c->lookups++;
	ret = route_get(c->nl, family, dst, src, out);
	if (!ret) {
		struct rc_entry *e = &c->e[c->next++ % RC_ENTRIES];

		e->used = 1;
		e->family = family;
		e->plen = best;
		memcpy(e->key, key, 16);
		memcpy(e->src, s, 16);
		e->r = *out;
	}
	return ret;
}

const char *route_cache__gateway(struct route_cache *c, int which, int family, char names[][16],
				 int n, uint8_t *gw, int *has_gw)
{
	int f = family == 6, w = !!which;

	if (!c->gw_valid[w][f]) {
		const char *via =
			route_pick_gateway(c->nl, family, names, n, c->gw[w][f], &c->gw_has[w][f]);

		snprintf(c->gw_iface[w][f], sizeof(c->gw_iface[w][f]), "%s", via);
		c->gw_valid[w][f] = 1;
		c->lookups++;
	}
	memcpy(gw, c->gw[w][f], 16);
	*has_gw = c->gw_has[w][f];
	return c->gw_iface[w][f];
}

uint64_t route_cache__lookups(const struct route_cache *c)
{
	return c->lookups;
}
