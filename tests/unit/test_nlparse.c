// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * link_parse(), route_parse(), rule_parse(), nexthop_parse() and addr_parse()
 * on what the kernel answered in a namespace that
 * tests/fuzz/capture-netlink.sh built (tests/fuzz/corpus/netlink/): the exact
 * fields of every link, route, rule, nexthop and address of the dumps. Then those real
 * messages cut short, claiming more than there is, followed by other bytes,
 * and corrupted one field at a time; and messages built here for what a
 * capture cannot hold (names too long, next hops cut). Every call gets a copy
 * of exactly len bytes, so that the ASan build sees a read past them.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_arp.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <cmocka.h>

#include "model/audit.h"
#include "netns/nlparse.h"

#define FILL 0xa5 /* *out before a call: -EINVAL must leave it so */

struct capture {
	uint8_t *buf;
	size_t len;
};

/* tests/fuzz/corpus/netlink/NAME, found from this binary (.output/tests/ or
 * .output-asan/tests/), so the test runs from any directory. */
static struct capture load(const char *name)
{
	char exe[PATH_MAX / 2], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct capture c = {0};
	char *slash;
	FILE *f;
	long size;

	assert_true(n > 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	assert_non_null(slash);
	*slash = '\0';
	assert_true((size_t)snprintf(path, sizeof(path), "%s/../../tests/fuzz/corpus/netlink/%s",
				     exe, name) < sizeof(path));
	f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: %m (tests/fuzz/capture-netlink.sh makes it)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	c.len = size;
	c.buf = malloc(c.len); /* malloc'ed: aligned for struct nlmsghdr */
	assert_non_null(c.buf);
	assert_int_equal(fread(c.buf, 1, c.len, f), c.len);
	fclose(f);
	return c;
}

/* The messages of a capture, walked as libnl walks a receive buffer. */
static int messages(const struct capture *c, const struct nlmsghdr **out, int max)
{
	size_t off = 0;
	int n = 0;

	while (c->len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(c->buf + off);

		assert_true(nlh->nlmsg_len >= NLMSG_HDRLEN && nlh->nlmsg_len <= c->len - off);
		assert_true(n < max);
		out[n++] = nlh;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (off >= c->len)
			break;
	}
	return n;
}

/* The parsers on a copy of exactly len bytes of nlh; *out filled with FILL
 * before, and left so on an error. */
static int link_exact(const void *nlh, size_t len, struct link_info *out)
{
	void *copy = malloc(len ? len : 1);
	struct link_info before;
	int ret;

	assert_non_null(copy);
	memcpy(copy, nlh, len);
	memset(out, FILL, sizeof(*out));
	before = *out;
	ret = link_parse(copy, len, out);
	free(copy);
	if (ret)
		assert_memory_equal(out, &before, sizeof(before));
	return ret;
}

static int route_exact(const void *nlh, size_t len, struct route_info *out)
{
	void *copy = malloc(len ? len : 1);
	struct route_info before;
	int ret;

	assert_non_null(copy);
	memcpy(copy, nlh, len);
	memset(out, FILL, sizeof(*out));
	before = *out;
	ret = route_parse(copy, len, out);
	free(copy);
	if (ret)
		assert_memory_equal(out, &before, sizeof(before));
	return ret;
}

/* Every field of a route: "DST/LEN [nhid N] [via GW] oif N [, next hop]... table
 * T type Y [metric M]"; next hops of a multipath route each with "weight W". */
/* The other parsers on a copy of exactly len bytes, as route_exact(). */
#define EXACT(name, type, parser)                                                                  \
	static int name(const void *nlh, size_t len, type *out)                                    \
	{                                                                                          \
		void *copy = malloc(len ? len : 1);                                                \
		type before;                                                                       \
		int ret;                                                                           \
                                                                                                   \
		assert_non_null(copy);                                                             \
		memcpy(copy, nlh, len);                                                            \
		memset(out, FILL, sizeof(*out));                                                   \
		before = *out;                                                                     \
		ret = parser(copy, len, out);                                                      \
		free(copy);                                                                        \
		if (ret)                                                                           \
			assert_memory_equal(out, &before, sizeof(before));                         \
		return ret;                                                                        \
	}
EXACT(rule_exact, struct rule_info, rule_parse)
EXACT(nh_exact, struct nh_info, nexthop_parse)
EXACT(addr_exact, struct addr_info, addr_parse)

/* How many of the five parsers take the message (each one of its own type). */
static int parsers_taking(const void *nlh, size_t len)
{
	struct link_info l;
	struct route_info r;
	struct rule_info ru;
	struct nh_info nh;
	struct addr_info a;

	return !link_exact(nlh, len, &l) + !route_exact(nlh, len, &r) + !rule_exact(nlh, len, &ru) +
	       !nh_exact(nlh, len, &nh) + !addr_exact(nlh, len, &a);
}

static const char *describe(const struct route_info *r, char *buf, size_t len)
{
	int af = r->family == 4 ? AF_INET : AF_INET6, i;
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
	size_t off;

	assert_non_null(inet_ntop(af, r->dst, dst, sizeof(dst)));
	off = snprintf(buf, len, "%s/%u", dst, r->dst_len);
	if (r->nhid)
		off += snprintf(buf + off, len - off, " nhid %u", r->nhid);
	for (i = 0; i < r->nr_nh; i++) {
		const struct route_nh *nh = &r->nh[i];

		if (nh->has_gw)
			assert_non_null(inet_ntop(nh->gw_family == 4 ? AF_INET : AF_INET6, nh->gw,
						  gw, sizeof(gw)));
		off += snprintf(buf + off, len - off, "%s%s%s oif %d", i ? "," : "",
				nh->has_gw ? " via " : "", nh->has_gw ? gw : "", nh->oif);
		if (r->multipath)
			off += snprintf(buf + off, len - off, " weight %u", nh->weight);
		assert_string_equal(nh->dev, "");
	}
	assert_int_equal(r->nh_total, r->nr_nh);
	off += snprintf(buf + off, len - off, " table %u type %u", r->table, r->type);
	if (r->metric)
		snprintf(buf + off, len - off, " metric %u", r->metric);
	return buf;
}

static void assert_link(const struct link_info *l, uint32_t ifindex, const char *name,
			const char *kind, uint16_t arphrd, bool l2, bool up)
{
	assert_int_equal(l->ifindex, ifindex);
	assert_string_equal(l->name, name);
	assert_string_equal(l->kind, kind);
	assert_int_equal(l->arphrd, arphrd);
	assert_int_equal(l->l2, l2);
	assert_int_equal(l->up, up);
}

/* --- real answers ------------------------------------------------------------- */

/* The namespace's links in ifindex order: lo, the veth pair (the peer first,
 * as veth registers it first), the tun device (up, no carrier), and a veth
 * pair left down with names of 15 bytes. */
static void test_link_dump(void **state)
{
	struct capture c = load("link-dump");
	const struct nlmsghdr *m[16];
	struct link_info l[6];
	struct route_info r;
	int n = messages(&c, m, 16), i;

	assert_int_equal(n, 7);
	for (i = 0; i < 6; i++) {
		assert_int_equal(link_exact(m[i], m[i]->nlmsg_len, &l[i]), 0);
		assert_int_equal(route_exact(m[i], m[i]->nlmsg_len, &r), -EINVAL);
	}
	assert_link(&l[0], 1, "lo", "", ARPHRD_LOOPBACK, true, true);
	assert_link(&l[1], 2, "peer0", "veth", ARPHRD_ETHER, true, true);
	assert_link(&l[2], 3, "eth0", "veth", ARPHRD_ETHER, true, true);
	assert_link(&l[3], 4, "tun0", "tun", ARPHRD_NONE, false, true);
	assert_link(&l[4], 5, "onmlkjihgfedcba", "veth", ARPHRD_ETHER, true, false);
	assert_link(&l[5], 6, "abcdefghijklmno", "veth", ARPHRD_ETHER, true, false);
	assert_int_equal(m[6]->nlmsg_type, NLMSG_DONE);
	assert_int_equal(link_exact(m[6], m[6]->nlmsg_len, &l[0]), -EINVAL);
	free(c.buf);
}

static void test_link_get(void **state)
{
	struct capture c = load("link-get-tun0");
	const struct nlmsghdr *m[4];
	struct link_info l;

	assert_int_equal(messages(&c, m, 4), 1);
	assert_int_equal(link_exact(m[0], c.len, &l), 0);
	assert_link(&l, 4, "tun0", "tun", ARPHRD_NONE, false, true);
	free(c.buf);
}

/* Every route of a dump, described, against want[] (ifindex 1-4: lo, peer0,
 * eth0, tun0 as test_link_dump shows); the last message is NLMSG_DONE. */
static void assert_routes(const char *file, const char *const *want, int nwant)
{
	struct capture c = load(file);
	const struct nlmsghdr *m[64];
	int n = messages(&c, m, 64), i;
	struct route_info r;
	struct link_info l;
	char buf[400];

	assert_int_equal(n, nwant + 1);
	for (i = 0; i < nwant; i++) {
		assert_int_equal(route_exact(m[i], m[i]->nlmsg_len, &r), 0);
		assert_string_equal(describe(&r, buf, sizeof(buf)), want[i]);
		assert_int_equal(link_exact(m[i], m[i]->nlmsg_len, &l), -EINVAL);
	}
	assert_int_equal(m[n - 1]->nlmsg_type, NLMSG_DONE);
	assert_int_equal(route_exact(m[n - 1], m[n - 1]->nlmsg_len, &r), -EINVAL);
	free(c.buf);
}

static void test_route4_dump(void **state)
{
	static const char *const want[] = {
	    /* routes of nexthop objects (nexthop_compat_mode=1: with their
	     * next hops): the weighted group 11/12,3, the blackhole (the
	     * kernel says lo), one next hop */
	    "192.0.2.64/26 nhid 13 via 198.51.100.1 oif 3 weight 1, via 203.0.113.1 oif 2 weight 3 "
	    "table 51820 type 1",
	    "198.51.100.128/25 nhid 14 oif 1 table 51820 type 6",
	    "203.0.113.128/25 nhid 12 via 203.0.113.1 oif 2 table 51820 type 1 metric 50",
	    /* table 1000: rtm_table says RT_TABLE_COMPAT (252), RTA_TABLE 1000 */
	    "10.0.0.0/8 oif 4 table 1000 type 1",
	    "0.0.0.0/0 via 198.51.100.1 oif 3 table 254 type 1",
	    "10.128.0.0/14 via 198.51.100.1 oif 3 table 254 type 1",
	    "172.30.0.0/16 via 192.0.2.1 oif 4 table 254 type 1",
	    "192.0.2.0/24 oif 4 table 254 type 1",
	    "192.0.2.128/25 table 254 type 6", /* blackhole: no next hop */
	    /* two next hops: both */
	    "198.18.0.0/15 via 198.51.100.1 oif 3 weight 1, via 203.0.113.1 oif 2 weight 1 table "
	    "254 type 1",
	    "198.51.100.0/24 oif 3 table 254 type 1",
	    "203.0.113.0/24 oif 2 table 254 type 1",
	    "127.0.0.0/8 oif 1 table 255 type 2",
	    "127.0.0.1/32 oif 1 table 255 type 2",
	    "127.255.255.255/32 oif 1 table 255 type 3",
	    "192.0.2.2/32 oif 4 table 255 type 2",
	    "192.0.2.255/32 oif 4 table 255 type 3",
	    "198.51.100.2/32 oif 3 table 255 type 2",
	    "198.51.100.255/32 oif 3 table 255 type 3",
	    "203.0.113.2/32 oif 2 table 255 type 2",
	    "203.0.113.255/32 oif 2 table 255 type 3",
	};

	assert_routes("route4-dump", want, sizeof(want) / sizeof(want[0]));
}

static void test_route6_dump(void **state)
{
	static const char *const want[] = {
	    "2001:db8:2::/64 oif 4 table 254 type 1 metric 256",
	    "2001:db8:100::/64 oif 3 table 254 type 1 metric 256",
	    "2001:db8:113::/48 via 2001:db8:100::1 oif 3 weight 1, via 2001:db8:2::1 oif 4 weight "
	    "1 table 254 type 1 metric 1024",
	    "fd00:10:128::/48 via 2001:db8:100::1 oif 3 table 254 type 1 metric 1024",
	    "::/0 via 2001:db8:100::1 oif 3 table 254 type 1 metric 1024",
	    "::1/128 oif 1 table 255 type 2",
	    "2001:db8:2::2/128 oif 4 table 255 type 2",
	    "2001:db8:100::2/128 oif 3 table 255 type 2",
	    "ff00::/8 oif 2 table 255 type 5 metric 256",
	    "ff00::/8 oif 3 table 255 type 5 metric 256",
	    "ff00::/8 oif 4 table 255 type 5 metric 256",
	};

	assert_routes("route6-dump", want, sizeof(want) / sizeof(want[0]));
}

/* `ip route get fibmatch`: one answer, the entry that takes the address */
static void test_route_get(void **state)
{
	struct capture c4 = load("route4-get"), c6 = load("route6-get");
	struct capture n1 = load("route4-get-nhid"), n0 = load("route4-get-nhid0");
	struct route_info r;
	char buf[400];

	assert_int_equal(route_exact(c4.buf, c4.len, &r), 0);
	assert_string_equal(describe(&r, buf, sizeof(buf)),
			    "10.128.0.0/14 via 198.51.100.1 oif 3 table 254 type 1");
	assert_int_equal(route_exact(c6.buf, c6.len, &r), 0);
	assert_string_equal(describe(&r, buf, sizeof(buf)),
			    "2001:db8:113::/48 via 2001:db8:100::1 oif 3 weight 1, via "
			    "2001:db8:2::1 oif 4 weight 1 table 254 type 1 metric 1024");
	/* from tun0's address, a rule takes it to table 51820: the route of a
	 * nexthop group, with its next hops; with nexthop_compat_mode=0, only
	 * its nhid (route.c resolves it) */
	assert_int_equal(route_exact(n1.buf, n1.len, &r), 0);
	assert_string_equal(describe(&r, buf, sizeof(buf)),
			    "192.0.2.64/26 nhid 13 via 198.51.100.1 oif 3 weight 1, via "
			    "203.0.113.1 oif 2 weight 3 table 51820 type 1");
	assert_int_equal(route_exact(n0.buf, n0.len, &r), 0);
	assert_string_equal(describe(&r, buf, sizeof(buf)),
			    "192.0.2.64/26 nhid 13 table 51820 type 1");
	free(c4.buf);
	free(c6.buf);
	free(n1.buf);
	free(n0.buf);
}

/* --- lengths --------------------------------------------------------------------- */

static const char *const files[] = {
    "link-dump",    "link-get-tun0",   "route4-dump",	   "route6-dump", "route4-get",
    "route6-get",   "rule4-dump",      "rule6-dump",	   "addr4-dump",  "addr6-dump",
    "nexthop-dump", "route4-get-nhid", "route4-get-nhid0",
};

/* Every real message cut at every length, the header itself too: refused,
 * and nothing read past the cut (the copy ends there). */
static void test_cut_short(void **state)
{
	size_t f, len, tried = 0;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct capture c = load(files[f]);
		const struct nlmsghdr *m[64];
		int n = messages(&c, m, 64), i;

		for (i = 0; i < n; i++) {
			/* whole, each message is one parser's (NLMSG_DONE none's) */
			assert_int_equal(parsers_taking(m[i], m[i]->nlmsg_len),
					 m[i]->nlmsg_type != NLMSG_DONE);
			for (len = 0; len < m[i]->nlmsg_len; len++) {
				assert_int_equal(parsers_taking(m[i], len), 0);
				tried++;
			}
		}
		free(c.buf);
	}
	assert_true(tried > 15000);
}

/* A message whose own length ends inside its family header (ifinfomsg,
 * rtmsg): refused before the header is read. The real headers, with nlmsg_len
 * and len both cut to 16 bytes and more. */
static void test_header_cut(void **state)
{
	struct capture l = load("link-get-tun0"), r = load("route4-get");
	struct nlmsghdr *lh = (struct nlmsghdr *)l.buf, *rh = (struct nlmsghdr *)r.buf;
	struct link_info li;
	struct route_info ri;
	uint32_t len;

	for (len = NLMSG_HDRLEN; len < NLMSG_LENGTH(sizeof(struct ifinfomsg)); len++) {
		lh->nlmsg_len = len;
		assert_int_equal(link_exact(lh, len, &li), -EINVAL);
	}
	for (len = NLMSG_HDRLEN; len < NLMSG_LENGTH(sizeof(struct rtmsg)); len++) {
		rh->nlmsg_len = len;
		assert_int_equal(route_exact(rh, len, &ri), -EINVAL);
	}
	free(l.buf);
	free(r.buf);
}

/* nlmsg_len larger than what there is: refused before libnl walks it */
static void test_claims_more(void **state)
{
	struct capture l = load("link-get-tun0"), r = load("route4-get");
	struct nlmsghdr *lh = (struct nlmsghdr *)l.buf, *rh = (struct nlmsghdr *)r.buf;
	const uint32_t llen = lh->nlmsg_len, rlen = rh->nlmsg_len;
	const uint32_t lclaim[] = {llen + 1, llen + 4,	  llen + 4096,
				   INT_MAX,  0x80000000u, UINT32_MAX};
	const uint32_t rclaim[] = {rlen + 1, rlen + 4,	  rlen + 4096,
				   INT_MAX,  0x80000000u, UINT32_MAX};
	struct link_info li;
	struct route_info ri;
	size_t i;

	for (i = 0; i < sizeof(lclaim) / sizeof(lclaim[0]); i++) {
		lh->nlmsg_len = lclaim[i];
		rh->nlmsg_len = rclaim[i];
		assert_int_equal(link_exact(lh, llen, &li), -EINVAL);
		assert_int_equal(route_exact(rh, rlen, &ri), -EINVAL);
	}
	free(l.buf);
	free(r.buf);
}

/* Bytes after the message are not its own: with any of them, the same answer */
static void test_bytes_after(void **state)
{
	struct capture c = load("route6-get");
	struct route_info want, got;
	uint8_t *more = malloc(c.len + 64);
	int i;

	assert_non_null(more);
	assert_int_equal(route_exact(c.buf, c.len, &want), 0);
	for (i = 0; i < 4; i++) {
		memcpy(more, c.buf, c.len);
		/* another message's header, zeros, ones, attribute-like */
		memset(more + c.len, i == 1 ? 0 : i == 2 ? 0xff : 0x08, 64);
		if (i == 0)
			memcpy(more + c.len, c.buf, 16);
		assert_int_equal(route_exact(more, c.len + 64, &got), 0);
		assert_memory_equal(&got, &want, sizeof(want));
	}
	free(more);
	free(c.buf);
}

/* --- fields, one at a time ------------------------------------------------------- */

/* The attribute of type t at the top level of a message (header hdrlen). */
static struct nlattr *attr(struct nlmsghdr *nlh, int hdrlen, int t)
{
	struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, nlh, hdrlen, rem) if (nla_type(a) == t) return a;
	fail_msg("no attribute %d", t);
	return NULL;
}

/* A fresh copy of route4-get (10.128.0.0/14 via 198.51.100.1 oif 3: RTA_TABLE,
 * RTA_DST, RTA_GATEWAY, RTA_OIF), corrupted by the caller. */
static struct nlmsghdr *route4(struct capture *c)
{
	*c = load("route4-get");
	return (struct nlmsghdr *)c->buf;
}

static void test_route_fields(void **state)
{
	struct route_info r;
	struct capture c;
	struct nlmsghdr *h;
	struct rtmsg *rtm;

	/* a prefix longer than the address: route_cache__get() would read
	 * dst_len bits of a 16-byte address */
	h = route4(&c);
	rtm = nlmsg_data(h);
	rtm->rtm_dst_len = 33;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	rtm->rtm_dst_len = 32;
	assert_int_equal(route_exact(h, c.len, &r), 0);
	assert_int_equal(r.dst_len, 32);
	/* not IPv4 nor IPv6; IPv6 with 4-byte addresses */
	rtm->rtm_family = AF_UNSPEC;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	rtm->rtm_family = AF_INET6;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	/* another message type */
	rtm->rtm_family = AF_INET;
	h->nlmsg_type = RTM_DELROUTE;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	free(c.buf);

	/* RTA_OIF with no payload, the last attribute: nla_get_u32() would
	 * read the 4 bytes after the message */
	h = route4(&c);
	attr(h, sizeof(*rtm), RTA_OIF)->nla_len = NLA_HDRLEN;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	free(c.buf);
	/* RTA_TABLE of 2 bytes (the next attribute stays in place) */
	h = route4(&c);
	attr(h, sizeof(*rtm), RTA_TABLE)->nla_len = NLA_HDRLEN + 2;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	free(c.buf);
	/* an ifindex no int holds */
	h = route4(&c);
	*(uint32_t *)nla_data(attr(h, sizeof(*rtm), RTA_OIF)) = 0x80000000u;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	free(c.buf);
	/* addresses of 3 bytes */
	h = route4(&c);
	attr(h, sizeof(*rtm), RTA_GATEWAY)->nla_len = NLA_HDRLEN + 3;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	free(c.buf);
	h = route4(&c);
	attr(h, sizeof(*rtm), RTA_DST)->nla_len = NLA_HDRLEN + 3;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	free(c.buf);
	/* an IPv4 gateway of 12 bytes (it takes in RTA_OIF, which follows) */
	h = route4(&c);
	attr(h, sizeof(*rtm), RTA_GATEWAY)->nla_len = NLA_HDRLEN + 12;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	free(c.buf);
	/* without RTA_TABLE, rtm_table says the table (ids up to 255) */
	h = route4(&c);
	rtm = nlmsg_data(h);
	rtm->rtm_table = 100;
	assert_int_equal(route_exact(h, c.len, &r), 0);
	assert_int_equal(r.table, RT_TABLE_MAIN); /* RTA_TABLE's */
	attr(h, sizeof(*rtm), RTA_TABLE)->nla_type = RTA_MAX + 1;
	assert_int_equal(route_exact(h, c.len, &r), 0);
	assert_int_equal(r.table, 100);
	free(c.buf);
	/* a /14 with no RTA_DST (its type beyond RTA_MAX: ignored) */
	h = route4(&c);
	attr(h, sizeof(*rtm), RTA_DST)->nla_type = RTA_MAX + 1;
	assert_int_equal(route_exact(h, c.len, &r), -EINVAL);
	free(c.buf);
}

/* A copy of route6-get (two next hops: via 2001:db8:100::1 dev eth0, via
 * 2001:db8:2::1 dev tun0) and its RTA_MULTIPATH. */
static struct nlattr *route6_mp(struct capture *c, struct rtnexthop **first)
{
	struct nlattr *mp;

	*c = load("route6-get");
	mp = attr((struct nlmsghdr *)c->buf, sizeof(struct rtmsg), RTA_MULTIPATH);
	*first = nla_data(mp);
	return mp;
}

/* route6-get with RTA_OIF 7 appended (malloc'ed) */
static struct nlmsghdr *route6_oif(void)
{
	struct capture c = load("route6-get");
	struct nlattr oif = {.nla_len = NLA_HDRLEN + 4, .nla_type = RTA_OIF};
	uint8_t *buf = malloc(c.len + NLA_HDRLEN + 4);
	uint32_t v = 7;

	assert_non_null(buf);
	assert_int_equal(((struct nlmsghdr *)c.buf)->nlmsg_len, c.len);
	memcpy(buf, c.buf, c.len);
	memcpy(buf + c.len, &oif, NLA_HDRLEN);
	memcpy(buf + c.len + NLA_HDRLEN, &v, 4);
	((struct nlmsghdr *)buf)->nlmsg_len += NLA_HDRLEN + 4;
	free(c.buf);
	return (struct nlmsghdr *)buf;
}

static void test_multipath(void **state)
{
	static const uint16_t bad_len[] = {0, 1, 7, 0xffff};
	struct rtnexthop *nh;
	struct nlmsghdr *h;
	struct route_info r;
	struct nlattr *mp;
	struct capture c;
	char buf[400];
	size_t i;

	/* rtnh_len shorter than an rtnexthop, or past the attribute */
	for (i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		route6_mp(&c, &nh);
		nh->rtnh_len = bad_len[i];
		assert_int_equal(route_exact(c.buf, c.len, &r), -EINVAL);
		free(c.buf);
	}
	/* the second next hop past the attribute */
	route6_mp(&c, &nh);
	((struct rtnexthop *)((char *)nh + RTNH_ALIGN(nh->rtnh_len)))->rtnh_len += 4;
	assert_int_equal(route_exact(c.buf, c.len, &r), -EINVAL);
	free(c.buf);
	/* no next hop at all; 4 bytes of one */
	for (i = 0; i <= 4; i += 4) {
		mp = route6_mp(&c, &nh);
		mp->nla_len = NLA_HDRLEN + i;
		assert_int_equal(route_exact(c.buf, c.len, &r), -EINVAL);
		free(c.buf);
	}
	/* 4 bytes left after the first next hop: not a next hop */
	mp = route6_mp(&c, &nh);
	mp->nla_len = NLA_HDRLEN + RTNH_ALIGN(nh->rtnh_len) + 4;
	assert_int_equal(route_exact(c.buf, c.len, &r), -EINVAL);
	free(c.buf);
	/* only the first next hop: the route's one */
	mp = route6_mp(&c, &nh);
	mp->nla_len = NLA_HDRLEN + RTNH_ALIGN(nh->rtnh_len);
	assert_int_equal(route_exact(c.buf, c.len, &r), 0);
	assert_string_equal(
	    describe(&r, buf, sizeof(buf)),
	    "2001:db8:113::/48 via 2001:db8:100::1 oif 3 weight 1 table 254 type 1 metric 1024");
	free(c.buf);
	/* ... ending a byte early, inside its gateway (no padding after the
	 * last one is fine, as for the kernel): no gateway */
	mp = route6_mp(&c, &nh);
	nh->rtnh_len -= 1;
	mp->nla_len = NLA_HDRLEN + nh->rtnh_len;
	assert_int_equal(route_exact(c.buf, c.len, &r), 0);
	assert_string_equal(describe(&r, buf, sizeof(buf)),
			    "2001:db8:113::/48 oif 3 weight 1 table 254 type 1 metric 1024");
	free(c.buf);
	/* the weight: rtnh_hops + 1 */
	route6_mp(&c, &nh);
	nh->rtnh_hops = 255;
	assert_int_equal(route_exact(c.buf, c.len, &r), 0);
	assert_int_equal(r.nh[0].weight, 256);
	assert_int_equal(r.nh[1].weight, 1);
	free(c.buf);
	/* RTA_OIF besides (appended here; the kernel sends one or the other):
	 * the next hops are the route's, every one checked */
	h = route6_oif();
	assert_int_equal(route_exact(h, h->nlmsg_len, &r), 0);
	assert_int_equal(r.nr_nh, 2);
	assert_int_equal(r.nh[0].oif, 3);
	assert_int_equal(r.nh[1].oif, 4);
	nh = nla_data(attr(h, sizeof(struct rtmsg), RTA_MULTIPATH));
	nh->rtnh_len = 7;
	assert_int_equal(route_exact(h, h->nlmsg_len, &r), -EINVAL);
	free(h);
	/* a negative ifindex; a gateway of 4 bytes in an IPv6 route */
	route6_mp(&c, &nh);
	nh->rtnh_ifindex = -1;
	assert_int_equal(route_exact(c.buf, c.len, &r), -EINVAL);
	free(c.buf);
	route6_mp(&c, &nh);
	((struct nlattr *)RTNH_DATA(nh))->nla_len = NLA_HDRLEN + 4;
	assert_int_equal(nla_type((struct nlattr *)RTNH_DATA(nh)), RTA_GATEWAY);
	assert_int_equal(route_exact(c.buf, c.len, &r), -EINVAL);
	free(c.buf);
}

/* --- rules, nexthops, addresses ---------------------------------------------------- */

static void test_rule_dump(void **state)
{
	static const char *const want4[] = {
	    "0: from all lookup local",
	    "100: from 192.0.2.2/32 lookup 51820",
	    "200: not from all fwmark 0xca6c lookup 51820",
	    "300: from all to 198.18.0.0/16 prohibit",
	    "400: from all lookup main suppress_prefixlength 0",
	    "500: from all iif lo oif eth0 lookup 1000",
	    /* ipproto tcp dport 443: selectors the audit does not evaluate */
	    "600: from all fwmark 0x10/0xff lookup 1000",
	    "32766: from all lookup main",
	    "32767: from all lookup default",
	};
	static const char *const want6[] = {
	    "0: from all lookup local",
	    "100: from all to 2001:db8:113::/48 lookup 51820",
	    "32766: from all lookup main",
	};
	struct capture c4 = load("rule4-dump"), c6 = load("rule6-dump");
	const struct nlmsghdr *m[16];
	struct rule_info r;
	char buf[ROUTE_TEXT_LEN];
	int n, i;

	n = messages(&c4, m, 16);
	assert_int_equal(n, 10);
	for (i = 0; i < 9; i++) {
		assert_int_equal(rule_exact(m[i], m[i]->nlmsg_len, &r), 0);
		assert_string_equal(rule_format(&r, buf, sizeof(buf)), want4[i]);
		assert_int_equal(r.family, 4);
		assert_int_equal(r.other, i == 6);
	}
	assert_int_equal(m[9]->nlmsg_type, NLMSG_DONE);
	n = messages(&c6, m, 16);
	assert_int_equal(n, 4);
	for (i = 0; i < 3; i++) {
		assert_int_equal(rule_exact(m[i], m[i]->nlmsg_len, &r), 0);
		assert_string_equal(rule_format(&r, buf, sizeof(buf)), want6[i]);
		assert_int_equal(r.family, 6);
	}
	free(c4.buf);
	free(c6.buf);
}

static void test_nexthop_dump(void **state)
{
	struct capture c = load("nexthop-dump");
	const struct nlmsghdr *m[8];
	struct nh_info h[4];
	uint8_t gw[16] = {};
	int i;

	assert_int_equal(messages(&c, m, 8), 5);
	for (i = 0; i < 4; i++)
		assert_int_equal(nh_exact(m[i], m[i]->nlmsg_len, &h[i]), 0);
	assert_int_equal(m[4]->nlmsg_type, NLMSG_DONE);
	/* id 11 via 198.51.100.1 dev eth0 (3); id 12 via 203.0.113.1 dev peer0 (2) */
	assert_int_equal(h[0].id, 11);
	assert_int_equal(h[0].oif, 3);
	assert_int_equal(h[0].has_gw, 1);
	assert_int_equal(h[0].gw_family, 4);
	inet_pton(AF_INET, "198.51.100.1", gw);
	assert_memory_equal(h[0].gw, gw, 16);
	assert_int_equal(h[1].id, 12);
	assert_int_equal(h[1].oif, 2);
	/* id 13 group 11/12,3 */
	assert_int_equal(h[2].id, 13);
	assert_int_equal(h[2].group, 1);
	assert_int_equal(h[2].nr_grp, 2);
	assert_int_equal(h[2].grp_total, 2);
	assert_int_equal(h[2].grp[0].id, 11);
	assert_int_equal(h[2].grp[0].weight, 1);
	assert_int_equal(h[2].grp[1].id, 12);
	assert_int_equal(h[2].grp[1].weight, 3);
	assert_int_equal(h[2].oif, 0);
	/* id 14 blackhole */
	assert_int_equal(h[3].id, 14);
	assert_int_equal(h[3].blackhole, 1);
	assert_int_equal(h[3].has_gw, 0);
	free(c.buf);
}

static void test_addr_dump(void **state)
{
	struct capture c4 = load("addr4-dump"), c6 = load("addr6-dump");
	const struct nlmsghdr *m[8];
	struct addr_info a;
	char s[INET6_ADDRSTRLEN];
	static const char *const want4[] = {
	    "127.0.0.1/8 scope 254 if 1", "203.0.113.2/24 scope 0 if 2",
	    "198.51.100.2/24 scope 0 if 3", "192.0.2.2/24 scope 0 if 4"};
	static const char *const want6[] = {"::1/128 scope 254 if 1",
					    "2001:db8:100::2/64 scope 0 if 3",
					    "2001:db8:2::2/64 scope 0 if 4"};
	char buf[96];
	int i;

	assert_int_equal(messages(&c4, m, 8), 5);
	for (i = 0; i < 4; i++) {
		assert_int_equal(addr_exact(m[i], m[i]->nlmsg_len, &a), 0);
		inet_ntop(AF_INET, a.addr, s, sizeof(s));
		snprintf(buf, sizeof(buf), "%s/%u scope %u if %d", s, a.prefixlen, a.scope,
			 a.ifindex);
		assert_string_equal(buf, want4[i]);
		assert_int_equal(a.usable, 1);
	}
	assert_int_equal(messages(&c6, m, 8), 4);
	for (i = 0; i < 3; i++) {
		assert_int_equal(addr_exact(m[i], m[i]->nlmsg_len, &a), 0);
		inet_ntop(AF_INET6, a.addr, s, sizeof(s));
		snprintf(buf, sizeof(buf), "%s/%u scope %u if %d", s, a.prefixlen, a.scope,
			 a.ifindex);
		assert_string_equal(buf, want6[i]);
	}
	/* the kernel sends IFA_FLAGS, the whole of the flags: the u8 field
	 * (its low bits, for old readers) is not read over it */
	((struct ifaddrmsg *)nlmsg_data(m[1]))->ifa_flags |= IFA_F_TENTATIVE;
	assert_int_equal(addr_exact(m[1], m[1]->nlmsg_len, &a), 0);
	assert_int_equal(a.usable, 1);
	free(c4.buf);
	free(c6.buf);
}

/* A message of type with header hdr and the attributes the caller adds. */
static struct nl_msg *msg_of(int type, const void *hdr, size_t hdrlen)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, 0);

	assert_non_null(msg);
	assert_int_equal(nlmsg_append(msg, (void *)hdr, hdrlen, NLMSG_ALIGNTO), 0);
	return msg;
}

static int built_rule(struct nl_msg *msg, struct rule_info *r)
{
	int ret = rule_exact(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len, r);

	nlmsg_free(msg);
	return ret;
}

static int built_nh(struct nl_msg *msg, struct nh_info *h)
{
	int ret = nh_exact(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len, h);

	nlmsg_free(msg);
	return ret;
}

static int built_addr(struct nl_msg *msg, struct addr_info *a)
{
	int ret = addr_exact(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len, a);

	nlmsg_free(msg);
	return ret;
}

static void test_rule_fields(void **state)
{
	struct fib_rule_hdr h = {
	    .family = AF_INET, .dst_len = 16, .action = FR_ACT_TO_TBL, .table = 100};
	uint8_t a4[4] = {198, 18, 0, 0};
	struct rule_info r;
	struct nl_msg *m;

	/* the prefix and its address */
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put(m, FRA_DST, 4, a4);
	assert_int_equal(built_rule(m, &r), 0);
	assert_int_equal(r.dst_len, 16);
	assert_int_equal(r.table, 100);
	assert_int_equal(r.suppress_prefixlen, -1);
	/* a length with no address, a longer one than IPv4's, an address of 3 bytes */
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	assert_int_equal(built_rule(m, &r), -EINVAL);
	h.dst_len = 33;
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put(m, FRA_DST, 4, a4);
	assert_int_equal(built_rule(m, &r), -EINVAL);
	h.dst_len = 16;
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put(m, FRA_DST, 3, a4);
	assert_int_equal(built_rule(m, &r), -EINVAL);
	/* another family */
	h.family = AF_BRIDGE;
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put(m, FRA_DST, 4, a4);
	assert_int_equal(built_rule(m, &r), -EINVAL);
	/* interface names: NUL-terminated, at most 15 bytes */
	h = (struct fib_rule_hdr){.family = AF_INET, .action = FR_ACT_TO_TBL, .table = 100};
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put(m, FRA_IIFNAME, 16, "abcdefghijklmno");
	assert_int_equal(built_rule(m, &r), 0);
	assert_string_equal(r.iif, "abcdefghijklmno");
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put(m, FRA_OIFNAME, 17, "abcdefghijklmnop");
	assert_int_equal(built_rule(m, &r), -EINVAL);
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put(m, FRA_IIFNAME, 4, "eth0");
	assert_int_equal(built_rule(m, &r), -EINVAL);
	/* a table of 2 bytes; a mark alone has the whole mask */
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put(m, FRA_TABLE, 2, "\1\0");
	assert_int_equal(built_rule(m, &r), -EINVAL);
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put_u32(m, FRA_FWMARK, 0xca6c);
	nla_put_u32(m, FRA_TABLE, 51820);
	assert_int_equal(built_rule(m, &r), 0);
	assert_int_equal(r.has_mark, 1);
	assert_int_equal(r.fwmask, 0xffffffffu);
	assert_int_equal(r.table, 51820);
	/* suppress_prefixlength: -1 (none) as the kernel keeps it, or beyond
	 * the address: none */
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put_u32(m, FRA_SUPPRESS_PREFIXLEN, 0xffffffffu);
	assert_int_equal(built_rule(m, &r), 0);
	assert_int_equal(r.suppress_prefixlen, -1);
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	nla_put_u32(m, FRA_SUPPRESS_PREFIXLEN, 0);
	assert_int_equal(built_rule(m, &r), 0);
	assert_int_equal(r.suppress_prefixlen, 0);
	/* a tos: a selector not evaluated */
	h.tos = 0x10;
	m = msg_of(RTM_NEWRULE, &h, sizeof(h));
	assert_int_equal(built_rule(m, &r), 0);
	assert_int_equal(r.other, 1);
}

static void test_nexthop_fields(void **state)
{
	struct nhmsg nhm = {.nh_family = AF_INET};
	uint8_t grp[8 * (ROUTE_MAX_NH + 2)] = {}, a4[4] = {10, 8, 0, 1};
	struct nh_info h;
	struct nl_msg *m;
	uint32_t id;
	int i;

	/* no id, id 0 */
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_OIF, 4);
	assert_int_equal(built_nh(m, &h), -EINVAL);
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_ID, 0);
	assert_int_equal(built_nh(m, &h), -EINVAL);
	/* a gateway of the family's length */
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_ID, 12);
	nla_put(m, NHA_GATEWAY, 4, a4);
	assert_int_equal(built_nh(m, &h), 0);
	assert_int_equal(h.gw_family, 4);
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_ID, 12);
	nla_put(m, NHA_GATEWAY, 16, grp);
	assert_int_equal(built_nh(m, &h), -EINVAL);
	/* a group: entries of 8 bytes, ids > 0, weights 1-65536 (the high
	 * byte from 6.12); more than ROUTE_MAX_NH kept as ROUTE_MAX_NH, all counted */
	nhm.nh_family = AF_UNSPEC;
	for (i = 0; i < ROUTE_MAX_NH + 2; i++) {
		id = 100 + i;
		memcpy(grp + 8 * i, &id, 4);
		grp[8 * i + 4] = 0xff;
		grp[8 * i + 5] = i == 0 ? 0xff : 0;
	}
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_ID, 13);
	nla_put(m, NHA_GROUP, sizeof(grp), grp);
	assert_int_equal(built_nh(m, &h), 0);
	assert_int_equal(h.group, 1);
	assert_int_equal(h.nr_grp, ROUTE_MAX_NH);
	assert_int_equal(h.grp_total, ROUTE_MAX_NH + 2);
	assert_int_equal(h.grp[0].weight, 65536);
	assert_int_equal(h.grp[1].weight, 256);
	assert_int_equal(h.grp[ROUTE_MAX_NH - 1].id, 100 + ROUTE_MAX_NH - 1);
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_ID, 13);
	nla_put(m, NHA_GROUP, 12, grp);
	assert_int_equal(built_nh(m, &h), -EINVAL);
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_ID, 13);
	nla_put(m, NHA_GROUP, 0, grp);
	assert_int_equal(built_nh(m, &h), -EINVAL);
	memset(grp, 0, 4);
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_ID, 13);
	nla_put(m, NHA_GROUP, 16, grp);
	assert_int_equal(built_nh(m, &h), -EINVAL);
	/* a gateway with no family */
	m = msg_of(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	nla_put_u32(m, NHA_ID, 12);
	nla_put(m, NHA_GATEWAY, 4, a4);
	assert_int_equal(built_nh(m, &h), -EINVAL);
}

static void test_addr_fields(void **state)
{
	struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_index = 4};
	uint8_t local[4] = {10, 8, 0, 2}, peer[4] = {10, 8, 0, 1}, want[16] = {};
	struct addr_info a;
	struct nl_msg *m;

	/* point-to-point: IFA_LOCAL is the address, IFA_ADDRESS the peer */
	m = msg_of(RTM_NEWADDR, &ifa, sizeof(ifa));
	nla_put(m, IFA_ADDRESS, 4, peer);
	nla_put(m, IFA_LOCAL, 4, local);
	assert_int_equal(built_addr(m, &a), 0);
	memcpy(want, local, 4);
	assert_memory_equal(a.addr, want, 16);
	assert_int_equal(a.usable, 1);
	/* IFA_FLAGS over the u8 field */
	m = msg_of(RTM_NEWADDR, &ifa, sizeof(ifa));
	nla_put(m, IFA_ADDRESS, 4, local);
	nla_put_u32(m, IFA_FLAGS, IFA_F_DADFAILED);
	assert_int_equal(built_addr(m, &a), 0);
	assert_int_equal(a.usable, 0);
	/* no address, one of 16 bytes for IPv4, a prefix of 33, no interface */
	m = msg_of(RTM_NEWADDR, &ifa, sizeof(ifa));
	assert_int_equal(built_addr(m, &a), -EINVAL);
	m = msg_of(RTM_NEWADDR, &ifa, sizeof(ifa));
	nla_put(m, IFA_ADDRESS, 16, want);
	assert_int_equal(built_addr(m, &a), -EINVAL);
	ifa.ifa_prefixlen = 33;
	m = msg_of(RTM_NEWADDR, &ifa, sizeof(ifa));
	nla_put(m, IFA_ADDRESS, 4, local);
	assert_int_equal(built_addr(m, &a), -EINVAL);
	ifa.ifa_prefixlen = 24;
	ifa.ifa_index = 0;
	m = msg_of(RTM_NEWADDR, &ifa, sizeof(ifa));
	nla_put(m, IFA_ADDRESS, 4, local);
	assert_int_equal(built_addr(m, &a), -EINVAL);
}

/* A route with more next hops than are kept: the first ROUTE_MAX_NH, all counted. */
static void test_many_next_hops(void **state)
{
	struct rtmsg rtm = {.rtm_family = AF_INET,
			    .rtm_dst_len = 8,
			    .rtm_table = RT_TABLE_MAIN,
			    .rtm_type = RTN_UNICAST};
	uint8_t dst[4] = {10, 0, 0, 0}, buf[(ROUTE_MAX_NH + 3) * 16] = {};
	struct route_info r;
	struct nl_msg *m;
	int i, n = ROUTE_MAX_NH + 3;

	for (i = 0; i < n; i++) {
		struct rtnexthop *nh = (struct rtnexthop *)(buf + 16 * i);
		struct nlattr *gw = (struct nlattr *)RTNH_DATA(nh);

		nh->rtnh_len = 16;
		nh->rtnh_ifindex = i + 1;
		gw->nla_len = NLA_HDRLEN + 4;
		gw->nla_type = RTA_GATEWAY;
		memcpy(nla_data(gw), (uint8_t[4]){10, 8, 0, (uint8_t)i}, 4);
	}
	m = msg_of(RTM_NEWROUTE, &rtm, sizeof(rtm));
	nla_put(m, RTA_DST, 4, dst);
	nla_put(m, RTA_MULTIPATH, 16 * n, buf);
	assert_int_equal(route_exact(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, &r), 0);
	assert_int_equal(r.nr_nh, ROUTE_MAX_NH);
	assert_int_equal(r.nh_total, n);
	assert_int_equal(r.nh[ROUTE_MAX_NH - 1].oif, ROUTE_MAX_NH);
	assert_int_equal(r.nh[ROUTE_MAX_NH - 1].gw[3], ROUTE_MAX_NH - 1);
	nlmsg_free(m);
	/* RTA_NH_ID 0 names no object */
	m = msg_of(RTM_NEWROUTE, &rtm, sizeof(rtm));
	nla_put(m, RTA_DST, 4, dst);
	nla_put_u32(m, RTA_NH_ID, 0);
	assert_int_equal(route_exact(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, &r), -EINVAL);
	nlmsg_free(m);
	/* an IPv6 gateway of an IPv4 route (RTA_VIA) */
	m = msg_of(RTM_NEWROUTE, &rtm, sizeof(rtm));
	nla_put(m, RTA_DST, 4, dst);
	{
		uint8_t via[18] = {0};
		uint16_t fam = AF_INET6;

		memcpy(via, &fam, 2);
		via[2] = 0xfe;
		via[3] = 0x80;
		via[17] = 1;
		nla_put(m, RTA_VIA, 18, via);
		nla_put_u32(m, RTA_OIF, 3);
	}
	assert_int_equal(route_exact(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, &r), 0);
	assert_int_equal(r.nh[0].gw_family, 6);
	assert_int_equal(r.nh[0].gw[0], 0xfe);
	nlmsg_free(m);
	m = msg_of(RTM_NEWROUTE, &rtm, sizeof(rtm));
	nla_put(m, RTA_DST, 4, dst);
	nla_put(m, RTA_VIA, 10, buf);
	assert_int_equal(route_exact(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, &r), -EINVAL);
	nlmsg_free(m);
	/* a source prefix (IPv6 "from"): its address is needed, and kept */
	rtm.rtm_src_len = 24;
	m = msg_of(RTM_NEWROUTE, &rtm, sizeof(rtm));
	nla_put(m, RTA_DST, 4, dst);
	assert_int_equal(route_exact(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, &r), -EINVAL);
	nla_put(m, RTA_SRC, 4, (uint8_t[4]){10, 8, 0, 0});
	assert_int_equal(route_exact(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, &r), 0);
	assert_int_equal(r.src_len, 24);
	assert_int_equal(r.src[1], 8);
	nlmsg_free(m);
	rtm.rtm_src_len = 33;
	m = msg_of(RTM_NEWROUTE, &rtm, sizeof(rtm));
	nla_put(m, RTA_DST, 4, dst);
	nla_put(m, RTA_SRC, 4, (uint8_t[4]){10, 8, 0, 0});
	assert_int_equal(route_exact(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, &r), -EINVAL);
	nlmsg_free(m);
}

/* --- links built here --------------------------------------------------------- */

/* RTM_NEWLINK of ifindex with name (NULL: no IFLA_IFNAME; namelen bytes of
 * it, no NUL added) and kind (NULL: no IFLA_LINKINFO). */
static struct nl_msg *link_msg(int ifindex, const char *name, int namelen, const char *kind)
{
	struct ifinfomsg ifi = {.ifi_index = ifindex, .ifi_type = ARPHRD_NONE, .ifi_flags = 1};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	struct nlattr *info;

	assert_non_null(msg);
	assert_int_equal(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	if (name)
		assert_int_equal(nla_put(msg, IFLA_IFNAME, namelen, name), 0);
	if (kind) {
		info = nla_nest_start(msg, IFLA_LINKINFO);
		assert_non_null(info);
		assert_int_equal(nla_put_string(msg, IFLA_INFO_KIND, kind), 0);
		nla_nest_end(msg, info);
	}
	return msg;
}

static int parse_built(struct nl_msg *msg, struct link_info *l)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	int ret = link_exact(h, h->nlmsg_len, l);

	nlmsg_free(msg);
	return ret;
}

static void test_link_fields(void **state)
{
	struct link_info l;
	struct capture c;

	/* the longest name there is: 15 bytes and its NUL */
	assert_int_equal(parse_built(link_msg(7, "abcdefghijklmno", 16, "wireguard"), &l), 0);
	assert_link(&l, 7, "abcdefghijklmno", "wireguard", ARPHRD_NONE, false, true);
	/* 16 bytes: cut, it could name another interface */
	assert_int_equal(parse_built(link_msg(7, "abcdefghijklmnop", 17, NULL), &l), -EINVAL);
	/* no NUL in the attribute; an empty name; no name */
	assert_int_equal(parse_built(link_msg(7, "tun0", 4, "tun"), &l), -EINVAL);
	assert_int_equal(parse_built(link_msg(7, "", 1, "tun"), &l), -EINVAL);
	assert_int_equal(parse_built(link_msg(7, NULL, 0, "tun"), &l), -EINVAL);
	/* bytes after the name's NUL are not the name */
	assert_int_equal(parse_built(link_msg(7, "tun0\0xyz", 8, NULL), &l), 0);
	assert_link(&l, 7, "tun0", "", ARPHRD_NONE, false, true);
	/* the real tun0, set down */
	c = load("link-get-tun0");
	((struct ifinfomsg *)nlmsg_data((struct nlmsghdr *)c.buf))->ifi_flags &= ~IFF_UP;
	assert_int_equal(link_exact(c.buf, c.len, &l), 0);
	assert_link(&l, 4, "tun0", "tun", ARPHRD_NONE, false, false);
	free(c.buf);
	/* ifindex 0 is no link's; nor a negative one */
	assert_int_equal(parse_built(link_msg(0, "tun0", 5, "tun"), &l), -EINVAL);
	assert_int_equal(parse_built(link_msg(-3, "tun0", 5, "tun"), &l), -EINVAL);
	/* a kind longer than any tunleak knows: cut, terminated */
	assert_int_equal(parse_built(link_msg(7, "x0", 3, "a-kind-of-31-characters-long-xx"), &l),
			 0);
	assert_string_equal(l.kind, "a-kind-of-31-characters");
	assert_int_equal(strlen(l.kind), LINK_KINDSIZ - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_link_dump),	   cmocka_unit_test(test_link_get),
	    cmocka_unit_test(test_route4_dump),	   cmocka_unit_test(test_route6_dump),
	    cmocka_unit_test(test_route_get),	   cmocka_unit_test(test_cut_short),
	    cmocka_unit_test(test_header_cut),	   cmocka_unit_test(test_claims_more),
	    cmocka_unit_test(test_bytes_after),	   cmocka_unit_test(test_route_fields),
	    cmocka_unit_test(test_multipath),	   cmocka_unit_test(test_link_fields),
	    cmocka_unit_test(test_rule_dump),	   cmocka_unit_test(test_nexthop_dump),
	    cmocka_unit_test(test_addr_dump),	   cmocka_unit_test(test_rule_fields),
	    cmocka_unit_test(test_nexthop_fields), cmocka_unit_test(test_addr_fields),
	    cmocka_unit_test(test_many_next_hops),
	};

	return cmocka_run_group_tests_name("nlparse", tests, NULL, NULL);
}
