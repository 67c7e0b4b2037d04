// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: link_parse(), route_parse(), rule_parse(), nexthop_parse()
 * and addr_parse() on any bytes, read as a
 * stream of netlink messages the way libnl walks what it received (nlmsg_ok(),
 * then the next message at NLMSG_ALIGN(nlmsg_len); at most MAX_MSGS). Each
 * message is parsed twice: with the rest of the stream as len (its nlmsg_len
 * may claim more than that), and alone, copied to the end of a mapping that an
 * inaccessible page follows. libnl-3 is not instrumented: there, reading past
 * the message faults where ASan would not see it. Both answers must agree and
 * keep the contract of nlparse.h; at most one parser takes a message.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <sanitizer/asan_interface.h>

#include "netns/nlparse.h"

#define MAX_MSGS   64
#define GUARD_ROOM (256 * 1024) /* the longest message copied before the guard */
#define FILL	   0xa5		/* *out before a call: an error must leave it so */

static uint8_t *guard; /* the inaccessible page, after GUARD_ROOM bytes */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *m;

	(void)argc;
	(void)argv;
	m = mmap(NULL, GUARD_ROOM + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0);
	if (m == MAP_FAILED || mprotect(m + GUARD_ROOM, page, PROT_NONE))
		abort();
	guard = m + GUARD_ROOM;
	return 0;
}

static int filled(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != FILL)
			return 0;
	return 1;
}

static int zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void check_link(int ret, const struct link_info *l)
{
	if (ret == -EINVAL) {
		if (!filled(l, sizeof(*l)))
			abort();
		return;
	}
	if (ret != 0)
		abort();
	/* names NUL-terminated within their arrays, the name not empty */
	if (!memchr(l->name, '\0', sizeof(l->name)) || !l->name[0] ||
	    !memchr(l->kind, '\0', sizeof(l->kind)))
		abort();
	if (l->ifindex == 0 || l->ifindex > INT_MAX || l->l2 != link_is_l2(l->arphrd))
		abort();
}

/* A next hop's gateway: none, or one of its family's length. */
static int gw_ok(uint8_t has, uint8_t family, const uint8_t *gw)
{
	if (has > 1 || (!has && (family || !zero(gw, 16))))
		return 0;
	return !has || (family == 4 && zero(gw + 4, 12)) || family == 6;
}

static void check_route(int ret, const struct route_info *r)
{
	int alen, i;

	if (ret == -EINVAL) {
		if (!filled(r, sizeof(*r)))
			abort();
		return;
	}
	if (ret != 0 || (r->family != 4 && r->family != 6))
		abort();
	alen = r->family == 4 ? 4 : 16;
	if (r->dst_len > alen * 8 || r->src_len > alen * 8 || !zero(r->dst + alen, 16 - alen) ||
	    !zero(r->src + alen, 16 - alen) || (!r->src_len && !zero(r->src, 16)) ||
	    r->multipath > 1 || r->nh_blackhole || r->nr_nh > ROUTE_MAX_NH ||
	    r->nh_total < r->nr_nh || (r->nh_total > r->nr_nh && r->nr_nh != ROUTE_MAX_NH))
		abort();
	/* each next hop kept: an interface or none, a gateway of its family's
	 * length, no name (route.c names them), a weight only in a multipath
	 * route; nothing in those not kept */
	for (i = 0; i < ROUTE_MAX_NH; i++) {
		const struct route_nh *nh = &r->nh[i];

		if (i >= r->nr_nh) {
			if (!zero((const uint8_t *)nh, sizeof(*nh)))
				abort();
			continue;
		}
		if (nh->oif < 0 || !gw_ok(nh->has_gw, nh->gw_family, nh->gw) ||
		    !zero((const uint8_t *)nh->dev, 16) ||
		    (r->multipath ? nh->weight < 1 || nh->weight > 256 : nh->weight != 0))
			abort();
	}
}

static void check_rule(int ret, const struct rule_info *r)
{
	int alen;

	if (ret == -EINVAL) {
		if (!filled(r, sizeof(*r)))
			abort();
		return;
	}
	if (ret != 0 || (r->family != 4 && r->family != 6))
		abort();
	alen = r->family == 4 ? 4 : 16;
	if (r->dst_len > alen * 8 || r->src_len > alen * 8 || !zero(r->dst + alen, 16 - alen) ||
	    !zero(r->src + alen, 16 - alen) || r->invert > 1 || r->has_mark > 1 || r->other > 1 ||
	    r->suppress_prefixlen < -1 || r->suppress_prefixlen > alen * 8 ||
	    !memchr(r->iif, '\0', sizeof(r->iif)) || !memchr(r->oif, '\0', sizeof(r->oif)) ||
	    (!r->has_mark && (r->fwmark || r->fwmask)))
		abort();
}

static void check_nh(int ret, const struct nh_info *h)
{
	int i;

	if (ret == -EINVAL) {
		if (!filled(h, sizeof(*h)))
			abort();
		return;
	}
	if (ret != 0 || h->id == 0 || h->blackhole > 1 || h->group > 1 || h->oif < 0 ||
	    h->nr_grp > ROUTE_MAX_NH || h->grp_total < h->nr_grp || (!h->group && h->grp_total) ||
	    (h->group && !h->grp_total) || !gw_ok(h->has_gw, h->gw_family, h->gw))
		abort();
	for (i = 0; i < ROUTE_MAX_NH; i++) {
		if (i >= h->nr_grp) {
			if (h->grp[i].id || h->grp[i].weight)
				abort();
		} else if (!h->grp[i].id || h->grp[i].weight < 1 || h->grp[i].weight > 65536) {
			abort();
		}
	}
}

static void check_addr(int ret, const struct addr_info *a)
{
	int alen;

	if (ret == -EINVAL) {
		if (!filled(a, sizeof(*a)))
			abort();
		return;
	}
	if (ret != 0 || (a->family != 4 && a->family != 6))
		abort();
	alen = a->family == 4 ? 4 : 16;
	if (a->prefixlen > alen * 8 || !zero(a->addr + alen, 16 - alen) || a->ifindex <= 0 ||
	    a->usable > 1)
		abort();
}

struct result {
	int lret, rret, uret, nret, aret;
	struct link_info l;
	struct route_info r;
	struct rule_info u;
	struct nh_info n;
	struct addr_info a;
};

static void parse(const struct nlmsghdr *nlh, size_t len, struct result *res)
{
	memset(res, 0, sizeof(*res));
	memset(&res->l, FILL, sizeof(res->l));
	memset(&res->r, FILL, sizeof(res->r));
	memset(&res->u, FILL, sizeof(res->u));
	memset(&res->n, FILL, sizeof(res->n));
	memset(&res->a, FILL, sizeof(res->a));
	res->lret = link_parse(nlh, len, &res->l);
	res->rret = route_parse(nlh, len, &res->r);
	res->uret = rule_parse(nlh, len, &res->u);
	res->nret = nexthop_parse(nlh, len, &res->n);
	res->aret = addr_parse(nlh, len, &res->a);
	check_link(res->lret, &res->l);
	check_route(res->rret, &res->r);
	check_rule(res->uret, &res->u);
	check_nh(res->nret, &res->n);
	check_addr(res->aret, &res->a);
	if (!res->lret + !res->rret + !res->uret + !res->nret + !res->aret > 1)
		abort(); /* a message has one type */
	/* a message that claims more than there is, or no whole header */
	if ((len < NLMSG_HDRLEN || nlh->nlmsg_len > len) &&
	    (!res->lret || !res->rret || !res->uret || !res->nret || !res->aret))
		abort();
}

/* The same len bytes alone, ending where the guard page begins (the 0-3 bytes
 * of alignment before it poisoned for ASan). */
static void parse_alone(const struct nlmsghdr *nlh, size_t len, const struct result *want)
{
	size_t room = NLMSG_ALIGN(len);
	struct result got;
	uint8_t *copy;

	if (room > GUARD_ROOM)
		return;
	copy = guard - room;
	memcpy(copy, nlh, len);
	ASAN_POISON_MEMORY_REGION(copy + len, room - len);
	parse((const struct nlmsghdr *)copy, len, &got);
	ASAN_UNPOISON_MEMORY_REGION(copy + len, room - len);
	if (got.lret != want->lret || got.rret != want->rret || got.uret != want->uret ||
	    got.nret != want->nret || got.aret != want->aret ||
	    memcmp(&got.l, &want->l, sizeof(got.l)) || memcmp(&got.r, &want->r, sizeof(got.r)) ||
	    memcmp(&got.u, &want->u, sizeof(got.u)) || memcmp(&got.n, &want->n, sizeof(got.n)) ||
	    memcmp(&got.a, &want->a, sizeof(got.a)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int n;

	/* libFuzzer's copy of the input is malloc'ed, so aligned; messages
	 * start at multiples of NLMSG_ALIGNTO from it */
	for (n = 0; n < MAX_MSGS; n++) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(data + off);
		size_t rest = size - off, own = rest, next;
		struct result res;

		parse(nlh, rest, &res);
		if (rest >= NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
		    nlh->nlmsg_len <= rest)
			own = nlh->nlmsg_len; /* nlmsg_ok(): the message alone */
		parse_alone(nlh, own, &res);
		if (own == rest)
			break;
		next = NLMSG_ALIGN(own);
		if (next >= rest)
			break;
		off += next;
	}
	return 0;
}
