// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/nexthop.h>
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
#ifndef RTM_F_LOOKUP_TABLE
#define RTM_F_LOOKUP_TABLE 0x1000
#endif

/* A dump's or a lookup's answers, parsed by parse() into elements of size. */
struct collect {
	void *list;
	int n, cap;
	size_t size;
	int (*parse)(const struct nlmsghdr *nlh, size_t len, void *out);
};

static int alen(int family)
{
	return family == 4 ? 4 : 16;
}

static int parse_route(const struct nlmsghdr *nlh, size_t len, void *out)
{
	return route_parse(nlh, len, out);
}

static int parse_rule(const struct nlmsghdr *nlh, size_t len, void *out)
{
	return rule_parse(nlh, len, out);
}

static int parse_nh(const struct nlmsghdr *nlh, size_t len, void *out)
{
	return nexthop_parse(nlh, len, out);
}

static int parse_addr(const struct nlmsghdr *nlh, size_t len, void *out)
{
	return addr_parse(nlh, len, out);
}

/* Each answer (see link_one_cb() in nl.c: nlmsg_len bytes are there); what
 * does not parse (another family, another type) is skipped. */
static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct collect *c = data;

	if (vec_room(&c->list, &c->cap, c->n, c->size, 16))
		return -ENOMEM;
	if (c->parse(nlh, nlh->nlmsg_len, (char *)c->list + c->size * c->n) == 0)
		c->n++;
	return 0;
}

/* A request of type with family header hdr (hdrlen bytes) and flags. */
static struct nl_msg *new_msg(int type, int flags, const void *hdr, size_t hdrlen)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | flags);

	if (msg && nlmsg_append(msg, (void *)hdr, hdrlen, NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static int dump(struct nl *nl, struct nl_msg *msg, struct collect *c, void **out, int *n)
{
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = nl__request(nl, msg, true, collect_cb, c);
	if (ret) {
		free(c->list);
		return ret;
	}
	*out = c->list;
	*n = c->n;
	return 0;
}

int nexthop_dump(struct nl *nl, struct nh_info **out, int *n)
{
	struct nhmsg nhm = {.nh_family = AF_UNSPEC};
	struct collect c = {.size = sizeof(**out), .parse = parse_nh};

	return dump(nl, new_msg(RTM_GETNEXTHOP, 0, &nhm, sizeof(nhm)), &c, (void **)out, n);
}

int rule_dump(struct nl *nl, int family, struct rule_info **out, int *n)
{
	struct fib_rule_hdr h = {.family = family == 4 ? AF_INET : AF_INET6};
	struct collect c = {.size = sizeof(**out), .parse = parse_rule};

	return dump(nl, new_msg(RTM_GETRULE, 0, &h, sizeof(h)), &c, (void **)out, n);
}

int addr_dump(struct nl *nl, int family, struct addr_info **out, int *n)
{
	struct ifaddrmsg ifa = {.ifa_family = family == 4 ? AF_INET : AF_INET6};
	struct collect c = {.size = sizeof(**out), .parse = parse_addr};

	return dump(nl, new_msg(RTM_GETADDR, 0, &ifa, sizeof(ifa)), &c, (void **)out, n);
}

/* The next hops of routes of a nexthop object, and every next hop's name. */
static void complete(struct nl *nl, struct route_info *list, int n)
{
	struct link_info *links = NULL;
	struct nh_info *nhs = NULL;
	int nlinks = 0, nnh = 0, i;

	for (i = 0; i < n && !list[i].nhid; i++)
		;
	if (i < n && nexthop_dump(nl, &nhs, &nnh) == 0)
		for (i = 0; i < n; i++)
			route_resolve_nh(&list[i], nhs, nnh);
	free(nhs);
	if (nl__link_dump(nl, &links, &nlinks) == 0)
		for (i = 0; i < n; i++)
			route_name_devs(&list[i], links, nlinks);
	free(links);
}

int route_lookup_bare(struct nl *nl, int family, const uint8_t *dst, const uint8_t *src,
		      struct route_info *out)
{
	struct rtmsg rtm = {.rtm_family = family == 4 ? AF_INET : AF_INET6,
			    .rtm_dst_len = alen(family) * 8,
			    .rtm_src_len = src ? alen(family) * 8 : 0,
			    /* the entry, not the resolved dst; and its table */
			    .rtm_flags = RTM_F_FIB_MATCH | RTM_F_LOOKUP_TABLE};
	struct collect c = {.size = sizeof(*out), .parse = parse_route};
	struct nl_msg *msg = new_msg(RTM_GETROUTE, 0, &rtm, sizeof(rtm));
	int n = alen(family), ret;

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, RTA_DST, n, dst) < 0 || (src && nla_put(msg, RTA_SRC, n, src) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = nl__request(nl, msg, false, collect_cb, &c);
	if (!ret && !c.n)
		ret = -ENETUNREACH;
	if (!ret)
		*out = *(struct route_info *)c.list;
	free(c.list);
	return ret;
}

int route_lookup(struct nl *nl, int family, const uint8_t *dst, const uint8_t *src,
		 struct route_info *out)
{
	int ret = route_lookup_bare(nl, family, dst, src, out);

	if (!ret)
		complete(nl, out, 1);
	return ret;
}

int route_get(struct nl *nl, int family, const uint8_t *dst, const uint8_t *src,
	      struct route_info *out)
{
	int ret = route_lookup(nl, family, dst, src, out);

	if (ret == -EINVAL && src) /* src not local (forwarded traffic) */
		ret = route_lookup(nl, family, dst, NULL, out);
	return ret;
}

int route_dump(struct nl *nl, int family, struct route_info **out, int *n)
{
	struct rtmsg rtm = {.rtm_family = family == 4 ? AF_INET : AF_INET6};
	struct collect c = {.size = sizeof(**out), .parse = parse_route};
	int ret = dump(nl, new_msg(RTM_GETROUTE, 0, &rtm, sizeof(rtm)), &c, (void **)out, n);

	if (ret)
		return ret;
	complete(nl, *out, *n);
	return 0;
}

/* --- adding ------------------------------------------------------------------------ */

static int put_table(struct nl_msg *msg, int attr, uint32_t table, unsigned char *hdr_table)
{
	*hdr_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	return nla_put_u32(msg, attr, table);
}

static int ack_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	return 0;
}

int route_change_add(struct nl *nl, const struct fix_change *c)
{
	const int flags = NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	int af = c->dst.family == 4 ? AF_INET : AF_INET6, n = alen(c->dst.family), err = 0;
	struct nl_msg *msg;
	struct link_info l;

	if (c->replace)
		return -EPERM; /* add only: a replacement is for a person to decide */
	if (c->op == FIX_RULE) {
		struct fib_rule_hdr h = {
		    .family = af, .dst_len = c->dst.prefixlen, .action = FR_ACT_TO_TBL};

		msg = new_msg(RTM_NEWRULE, flags, &h, sizeof(h));
		if (!msg)
			return -ENOMEM;
		if (put_table(msg, FRA_TABLE, c->table,
			      &((struct fib_rule_hdr *)nlmsg_data(nlmsg_hdr(msg)))->table) < 0 ||
		    nla_put_u32(msg, FRA_PRIORITY, c->pref) < 0 ||
		    (c->dst.prefixlen && nla_put(msg, FRA_DST, n, c->dst.addr) < 0))
			err = -ENOMEM;
	} else {
		struct rtmsg rtm = {.rtm_family = af,
				    .rtm_dst_len = c->dst.prefixlen,
				    .rtm_protocol = RTPROT_BOOT, /* as `ip route add` */
				    .rtm_scope = c->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
				    .rtm_type = RTN_UNICAST};

		err = nl__link_get(nl, c->dev, &l);
		if (err)
			return err;
		msg = new_msg(RTM_NEWROUTE, flags, &rtm, sizeof(rtm));
		if (!msg)
			return -ENOMEM;
		if (put_table(msg, RTA_TABLE, c->table,
			      &((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_table) < 0 ||
		    nla_put(msg, RTA_DST, n, c->dst.addr) < 0 ||
		    (c->has_gw && nla_put(msg, RTA_GATEWAY, n, c->gw) < 0) ||
		    nla_put_u32(msg, RTA_OIF, l.ifindex) < 0)
			err = -ENOMEM;
	}
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return nl__request(nl, msg, false, ack_cb, NULL);
}

/* --- gateways ---------------------------------------------------------------------- */

const char *route_pick_gateway(struct nl *nl, int family, char names[][16], int n, uint8_t *gw,
			       int *has_gw)
{
	struct route_info *rs = NULL;
	struct link_info l;
	int nr = 0, i;
	char dev[16];

	*has_gw = 0;
	if (route_dump(nl, family, &rs, &nr) == 0 &&
	    audit_pick_gateway(rs, nr, (const char(*)[16])names, n, gw, dev) == 0)
		*has_gw = 1;
	free(rs);
	for (i = 0; i < n && *has_gw; i++)
		if (!strcmp(names[i], dev))
			return names[i];
	for (i = 0; i < n; i++)
		if (nl__link_get(nl, names[i], &l) == 0)
			return names[i];
	return n ? names[0] : "?";
}

#define RC_ENTRIES 256

struct rc_entry {
	uint32_t gen; /* valid while the cache's generation is this */
	uint8_t family, plen;
	uint8_t key[16], src[16];
	struct route_info r;
};

struct route_cache {
	struct nl *nl;		      /* the namespace's socket (not owned) */
	struct route_info *routes[2]; /* dumps, [0] IPv4 [1] IPv6; NULL: stale */
	int nroutes[2];
	struct rule_info *rules[2]; /* a rule's "to" splits a route's addresses too */
	int nrules[2];
	/* entries are touched only when written: a route_info with every next
	 * hop is large, and an invalidation only moves to a new generation */
	struct rc_entry e[RC_ENTRIES];
	uint32_t gen;
	unsigned int next;		  /* round-robin replacement */
	int gw_valid[2][2], gw_has[2][2]; /* [which][family] */
	uint8_t gw[2][2][16];
	char gw_iface[2][2][16];
	uint64_t lookups;
};

struct route_cache *route_cache__new(struct nl *nl)
{
	struct route_cache *c = calloc(1, sizeof(*c));

	if (c) {
		c->nl = nl;
		c->gen = 1;
	}
	return c;
}

void route_cache__invalidate(struct route_cache *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		free(c->routes[i]);
		c->routes[i] = NULL;
		free(c->rules[i]);
		c->rules[i] = NULL;
		c->nrules[i] = 0;
		c->gw_valid[i][0] = c->gw_valid[i][1] = 0;
	}
	if (++c->gen == 0) { /* wrapped: no entry may look valid */
		memset(c->e, 0, sizeof(c->e));
		c->gen = 1;
	}
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

	if (!c->routes[f]) {
		if (route_dump(c->nl, family, &c->routes[f], &c->nroutes[f]))
			c->routes[f] = NULL, c->nroutes[f] = 0;
		if (rule_dump(c->nl, family, &c->rules[f], &c->nrules[f]))
			c->rules[f] = NULL, c->nrules[f] = 0;
	}
	for (i = 0; i < c->nroutes[f]; i++) {
		const struct route_info *r = &c->routes[f][i];

		if (contains(r->dst, r->dst_len, dst) && r->dst_len > best)
			best = r->dst_len;
	}
	for (i = 0; i < c->nrules[f]; i++) {
		const struct rule_info *r = &c->rules[f][i];

		if (contains(r->dst, r->dst_len, dst) && r->dst_len > best)
			best = r->dst_len;
	}
	if (best < 0)
		best = 0;
	memcpy(key, dst, n);
	for (i = best; i < n * 8; i++)
		key[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	if (src)
		memcpy(s, src, n);
	for (i = 0; i < RC_ENTRIES; i++) {
		const struct rc_entry *e = &c->e[i];

		if (e->gen == c->gen && e->family == family && e->plen == best &&
		    !memcmp(e->key, key, 16) && !memcmp(e->src, s, 16)) {
			*out = e->r;
			return 0;
		}
	}
	c->lookups++;
	ret = route_get(c->nl, family, dst, src, out);
	if (!ret)
		route_canonical(out, c->routes[f], c->nroutes[f]);
	if (!ret) {
		struct rc_entry *e = &c->e[c->next++ % RC_ENTRIES];

		e->gen = c->gen;
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
