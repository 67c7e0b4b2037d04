// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Route audit logic: candidate addresses, routes and rules as text, rules
 * matched, next hops resolved, fixes planned. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <cmocka.h>

#include "model/abi.h"
#include "model/audit.h"
#include "out/output.h"

static struct route_info rt(const char *prefix, const char *gw, const char *dev)
{
	struct route_info r = {.type = RTN_UNICAST, .table = RT_TABLE_MAIN};
	struct cidr c;

	assert_int_equal(cidr_parse(prefix, &c), 0);
	r.family = c.family;
	r.dst_len = c.prefixlen;
	memcpy(r.dst, c.addr, 16);
	if (gw) {
		inet_pton(c.family == 4 ? AF_INET : AF_INET6, gw, r.nh[0].gw);
		r.nh[0].has_gw = 1;
		r.nh[0].gw_family = c.family;
	}
	if (dev) {
		strcpy(r.nh[0].dev, dev);
		r.nh[0].oif = 1;
	}
	r.nr_nh = r.nh_total = gw || dev;
	return r;
}

static int has(uint8_t (*cand)[16], int n, const char *addr)
{
	uint8_t a[16] = {};
	int i;

	inet_pton(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, a);
	for (i = 0; i < n; i++)
		if (!memcmp(cand[i], a, 16))
			return 1;
	return 0;
}

static void test_candidates_broad_route(void **state)
{
	/* The pod's own /23 on eth0 hides the first part of the /14: the /8
	 * into the tunnel takes the rest, from 10.128.2.0 on. */
	struct route_info r[] = {
	    rt("0.0.0.0/0", "10.128.0.1", "eth0"),    rt("10.128.0.0/23", NULL, "eth0"),
	    rt("10.0.0.0/8", "198.19.8.1", "tun0"),   rt("198.19.8.0/24", NULL, "tun0"),
	    rt("192.0.2.0/24", "198.19.8.1", "tun0"),
	};
	uint8_t cand[16][16];
	struct cidr c;
	int n;

	cidr_parse("10.128.0.0/14", &c);
	n = audit_candidates(&c, r, 5, NULL, 0, cand, 16);
	assert_int_equal(n, 2);
	assert_true(has(cand, n, "10.128.0.0"));
	assert_true(has(cand, n, "10.128.2.0"));
}

static void test_candidates_inner_routes(void **state)
{
	struct route_info r[] = {
	    rt("10.130.0.0/16", NULL, "tun0"), rt("10.131.255.0/24", NULL, "eth0"),
	    rt("172.30.0.0/16", NULL, "tun0"), /* outside: ignored */
	    rt("fd00::/8", NULL, "tun0"),      /* other family: ignored */
	};
	uint8_t cand[16][16];
	struct cidr c;
	int n;

	cidr_parse("10.128.0.0/14", &c);
	n = audit_candidates(&c, r, 4, NULL, 0, cand, 16);
	/* regions: [10.128.0.0, 10.130.0.0) [10.130/16] [10.131.0.0, 10.131.255.0)
	 * [10.131.255/24, which ends where the /14 ends] */
	assert_int_equal(n, 4);
	assert_true(has(cand, n, "10.128.0.0"));
	assert_true(has(cand, n, "10.130.0.0"));
	assert_true(has(cand, n, "10.131.0.0"));
	assert_true(has(cand, n, "10.131.255.0"));
}

static void test_candidates_ipv6_and_cap(void **state)
{
	struct route_info r[] = {
	    rt("fd00::/8", "2001:db8:8::1", "tun0"),
	    rt("fd00:10:128::/64", NULL, "eth0"),
	    rt("::/0", "fd00:10:128::1", "eth0"),
	};
	uint8_t cand[16][16];
	struct cidr c;
	int n;

	cidr_parse("fd00:10:128::/48", &c);
	n = audit_candidates(&c, r, 3, NULL, 0, cand, 16);
	assert_int_equal(n, 2);
	assert_true(has(cand, n, "fd00:10:128::"));
	assert_true(has(cand, n, "fd00:10:128:1::"));
	assert_int_equal(audit_candidates(&c, r, 3, NULL, 0, cand, 1), 1); /* bounded */
}

static void test_candidates_top_of_space(void **state)
{
	/* a route ending at the last address: no wrap-around candidate */
	struct route_info r[] = {rt("255.255.255.0/24", NULL, "eth0")};
	uint8_t cand[4][16];
	struct cidr c;

	cidr_parse("255.0.0.0/8", &c);
	assert_int_equal(audit_candidates(&c, r, 1, NULL, 0, cand, 4), 2);
}

/* A rule of family 4: "pref: [from SRC] [to DST] lookup TABLE" (NULL: all). */
static struct rule_info rl(uint32_t pref, const char *from, const char *to, uint32_t table)
{
	struct rule_info r = {.family = 4,
			      .pref = pref,
			      .action = FR_ACT_TO_TBL,
			      .table = table,
			      .suppress_prefixlen = -1};
	struct cidr c;

	if (from) {
		assert_int_equal(cidr_parse(from, &c), 0);
		r.src_len = c.prefixlen;
		memcpy(r.src, c.addr, 16);
	}
	if (to) {
		assert_int_equal(cidr_parse(to, &c), 0);
		r.family = c.family;
		r.dst_len = c.prefixlen;
		memcpy(r.dst, c.addr, 16);
	}
	return r;
}

/* The next hop of route b, added to route a as its next one (multipath). */
static void add_nh(struct route_info *a, const struct route_info *b, uint32_t weight)
{
	if (!a->multipath) {
		a->multipath = 1;
		a->nh[0].weight = 1;
	}
	a->nh[a->nr_nh] = b->nh[0];
	a->nh[a->nr_nh].weight = weight;
	a->nr_nh++;
	a->nh_total++;
}

static void test_route_format(void **state)
{
	struct route_info r = rt("10.0.0.0/8", "10.8.0.1", "tun0"), t;
	char b[ROUTE_TEXT_LEN];

	assert_string_equal(route_format(&r, b, sizeof(b)), "10.0.0.0/8 via 10.8.0.1 dev tun0");
	r = rt("0.0.0.0/0", "10.128.0.1", "eth0");
	assert_string_equal(route_format(&r, b, sizeof(b)), "default via 10.128.0.1 dev eth0");
	r = rt("10.128.0.0/23", NULL, "eth0");
	r.table = 100;
	assert_string_equal(route_format(&r, b, sizeof(b)), "10.128.0.0/23 dev eth0 table 100");
	r = rt("0.0.0.0/0", NULL, "tun0");
	r.table = 51820;
	assert_string_equal(route_format(&r, b, sizeof(b)), "default dev tun0 table 51820");
	r.table = RT_TABLE_DEFAULT;
	assert_string_equal(route_format(&r, b, sizeof(b)), "default dev tun0 table default");
	r = rt("fd00::/8", "2001:db8:8::1", "tun0");
	assert_string_equal(route_format(&r, b, sizeof(b)), "fd00::/8 via 2001:db8:8::1 dev tun0");
	/* an IPv6 route of a source prefix */
	r.src_len = 128;
	inet_pton(AF_INET6, "2001:db8:8::2", r.src);
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "fd00::/8 from 2001:db8:8::2 via 2001:db8:8::1 dev tun0");
	r.src_len = 0;
	memset(r.src, 0, 16);
	/* IPv6's default metric is no news; another one is */
	r.metric = 1024;
	assert_string_equal(route_format(&r, b, sizeof(b)), "fd00::/8 via 2001:db8:8::1 dev tun0");
	r.metric = 50;
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "fd00::/8 via 2001:db8:8::1 dev tun0 metric 50");
	r = rt("10.0.0.0/8", "10.8.0.1", "tun0");
	r.metric = 50;
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "10.0.0.0/8 via 10.8.0.1 dev tun0 metric 50");
	r = rt("10.128.0.10/32", NULL, "eth0");
	r.type = RTN_LOCAL;
	r.table = RT_TABLE_LOCAL;
	assert_string_equal(route_format(&r, b, sizeof(b)), "local 10.128.0.10 dev eth0");
	r = rt("192.0.2.0/24", NULL, NULL);
	r.type = RTN_UNREACHABLE;
	assert_string_equal(route_format(&r, b, sizeof(b)), "unreachable 192.0.2.0/24");
	r.type = RTN_THROW;
	r.table = 51820;
	assert_string_equal(route_format(&r, b, sizeof(b)), "throw 192.0.2.0/24 table 51820");

	/* every next hop, as `ip -o route` shows them */
	r = rt("10.0.0.0/8", "10.128.0.1", "eth0");
	t = rt("10.0.0.0/8", "10.8.0.1", "tun0");
	add_nh(&r, &t, 1);
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "10.0.0.0/8 nexthop via 10.128.0.1 dev eth0 weight 1 "
			    "nexthop via 10.8.0.1 dev tun0 weight 1");
	r.nhid = 13;
	r.nh[1].weight = 3;
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "10.0.0.0/8 nhid 13 nexthop via 10.128.0.1 dev eth0 weight 1 "
			    "nexthop via 10.8.0.1 dev tun0 weight 3");
	/* next hops the route has beyond those kept are counted */
	r.nh_total = 20;
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "10.0.0.0/8 nhid 13 nexthop via 10.128.0.1 dev eth0 weight 1 "
			    "nexthop via 10.8.0.1 dev tun0 weight 3 (and 18 more next hops)");
	/* a nexthop object with one next hop; a blackhole one */
	r = rt("192.0.2.0/24", "10.8.0.1", "tun0");
	r.nhid = 12;
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "192.0.2.0/24 nhid 12 via 10.8.0.1 dev tun0");
	r = rt("192.0.2.0/24", NULL, NULL);
	r.nhid = 5;
	r.nh_blackhole = 1;
	assert_string_equal(route_format(&r, b, sizeof(b)), "192.0.2.0/24 nhid 5 blackhole");
	/* an IPv4 route through an IPv6 gateway; an unnamed interface */
	r = rt("192.0.2.0/24", NULL, NULL);
	r.nr_nh = r.nh_total = 1;
	r.nh[0].has_gw = 1;
	r.nh[0].gw_family = 6;
	inet_pton(AF_INET6, "fe80::1", r.nh[0].gw);
	r.nh[0].oif = 7;
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "192.0.2.0/24 via inet6 fe80::1 dev if7");
	/* cut where it does not fit, and said so */
	r = rt("10.0.0.0/8", "10.128.0.1", "eth0");
	assert_string_equal(route_format(&r, b, 20), "10.0.0.0/8 via 1...");
	assert_int_equal(strlen(b), 19);
}

static void test_rule_format(void **state)
{
	struct rule_info r = rl(100, NULL, NULL, 51820);
	char b[ROUTE_TEXT_LEN];

	assert_string_equal(rule_format(&r, b, sizeof(b)), "100: from all lookup 51820");
	r = rl(32765, "10.8.0.2/32", NULL, RT_TABLE_MAIN);
	assert_string_equal(rule_format(&r, b, sizeof(b)), "32765: from 10.8.0.2/32 lookup main");
	/* wg-quick's pair */
	r = rl(32765, NULL, NULL, 51820);
	r.invert = 1;
	r.has_mark = 1;
	r.fwmark = 0xca6c;
	r.fwmask = 0xffffffff;
	assert_string_equal(rule_format(&r, b, sizeof(b)),
			    "32765: not from all fwmark 0xca6c lookup 51820");
	r = rl(32764, NULL, NULL, RT_TABLE_MAIN);
	r.suppress_prefixlen = 0;
	assert_string_equal(rule_format(&r, b, sizeof(b)),
			    "32764: from all lookup main suppress_prefixlength 0");
	r = rl(100, NULL, "198.18.0.0/16", 0);
	r.action = FR_ACT_PROHIBIT;
	assert_string_equal(rule_format(&r, b, sizeof(b)),
			    "100: from all to 198.18.0.0/16 prohibit");
	r.has_mark = 1;
	r.fwmark = 1;
	r.fwmask = 0xff;
	strcpy(r.iif, "lo");
	r.action = FR_ACT_BLACKHOLE;
	assert_string_equal(rule_format(&r, b, sizeof(b)),
			    "100: from all to 198.18.0.0/16 fwmark 0x1/0xff iif lo blackhole");
}

static void test_rule_matches(void **state)
{
	struct rule_info r = rl(100, "10.8.0.2/32", NULL, 51820);
	uint8_t dst[16] = {}, src[16] = {}, other[16] = {};

	inet_pton(AF_INET, "10.128.2.5", dst);
	inet_pton(AF_INET, "10.8.0.2", src);
	inet_pton(AF_INET, "10.128.0.2", other);
	/* from: only a lookup from that source */
	assert_true(rule_matches(&r, 4, dst, src));
	assert_false(rule_matches(&r, 4, dst, other));
	assert_false(rule_matches(&r, 4, dst, NULL));
	assert_false(rule_matches(&r, 6, dst, src));
	/* to */
	r = rl(100, NULL, "10.128.0.0/14", 51820);
	assert_true(rule_matches(&r, 4, dst, NULL));
	inet_pton(AF_INET, "10.132.0.1", dst);
	assert_false(rule_matches(&r, 4, dst, NULL));
	/* "not": the others */
	r.invert = 1;
	assert_true(rule_matches(&r, 4, dst, NULL));
	/* a lookup carries no mark: "not fwmark X" takes it, "fwmark X" not */
	r = rl(100, NULL, NULL, 51820);
	r.has_mark = 1;
	r.fwmark = 0xca6c;
	r.fwmask = 0xffffffff;
	assert_false(rule_matches(&r, 4, dst, NULL));
	r.invert = 1;
	assert_true(rule_matches(&r, 4, dst, NULL));
	/* iif lo is the namespace's own traffic; another iif, an oif, or a
	 * selector not evaluated: not this lookup */
	r = rl(100, NULL, NULL, 51820);
	strcpy(r.iif, "lo");
	assert_true(rule_matches(&r, 4, dst, NULL));
	strcpy(r.iif, "eth0");
	assert_false(rule_matches(&r, 4, dst, NULL));
	r = rl(100, NULL, NULL, 51820);
	strcpy(r.oif, "eth0");
	assert_false(rule_matches(&r, 4, dst, NULL));
	r = rl(100, NULL, NULL, 51820);
	r.other = 1;
	assert_false(rule_matches(&r, 4, dst, NULL));
}

static void test_nh_through_and_gateway(void **state)
{
	const char tun[][16] = {"tun0"}, cluster[][16] = {"eth1", "eth0"};
	struct route_info r[4], t;
	uint8_t gw[16] = {}, want[16] = {};
	char dev[16];

	r[0] = rt("10.0.0.0/8", "10.128.0.1", "eth0");
	t = rt("10.0.0.0/8", "10.8.0.1", "tun0");
	add_nh(&r[0], &t, 1);
	assert_int_equal(route_nh_through(&r[0], tun, 1), 1);
	assert_int_equal(route_nh_through(&r[0], cluster, 2), 1);
	r[1] = rt("10.0.0.0/8", "10.8.0.1", "tun0");
	assert_int_equal(route_nh_through(&r[1], cluster, 2), 0);

	/* the gateway of eth0: the multipath route's (no default route) */
	assert_int_equal(audit_pick_gateway(r, 2, cluster, 2, gw, dev), 0);
	inet_pton(AF_INET, "10.128.0.1", want);
	assert_memory_equal(gw, want, 16);
	assert_string_equal(dev, "eth0");
	/* the default route's first, and the main table's over another's */
	r[2] = rt("0.0.0.0/0", "10.128.0.254", "eth0");
	r[2].table = 100;
	r[3] = rt("0.0.0.0/0", "10.128.0.253", "eth0");
	assert_int_equal(audit_pick_gateway(r, 4, cluster, 2, gw, dev), 0);
	inet_pton(AF_INET, "10.128.0.253", want);
	assert_memory_equal(gw, want, 16);
	/* none through these */
	assert_int_equal(audit_pick_gateway(r, 4, (const char[][16]){"eth9"}, 1, gw, dev), -1);
	/* not a unicast route: not a way out */
	r[0].type = RTN_BLACKHOLE;
	r[2].type = r[3].type = RTN_BLACKHOLE;
	assert_int_equal(audit_pick_gateway(r, 4, cluster, 2, gw, dev), -1);
}

static void test_resolve_nh(void **state)
{
	struct nh_info nhs[4] = {
	    {.id = 11, .oif = 3, .has_gw = 1, .gw_family = 4},
	    {.id = 12, .oif = 4, .has_gw = 1, .gw_family = 4},
	    {.id = 13,
	     .group = 1,
	     .nr_grp = 2,
	     .grp_total = 2,
	     .grp = {{.id = 11, .weight = 1}, {.id = 12, .weight = 3}}},
	    {.id = 5, .blackhole = 1},
	};
	struct link_info links[2] = {{.ifindex = 3, .name = "eth0"},
				     {.ifindex = 4, .name = "tun0"}};
	struct route_info r = rt("10.0.0.0/8", NULL, NULL);
	char b[ROUTE_TEXT_LEN];

	inet_pton(AF_INET, "10.128.0.1", nhs[0].gw);
	inet_pton(AF_INET, "10.8.0.1", nhs[1].gw);
	/* nexthop_compat_mode=0: the route says only its nhid */
	r.nhid = 13;
	route_resolve_nh(&r, nhs, 4);
	route_name_devs(&r, links, 2);
	assert_int_equal(r.nr_nh, 2);
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "10.0.0.0/8 nhid 13 nexthop via 10.128.0.1 dev eth0 weight 1 "
			    "nexthop via 10.8.0.1 dev tun0 weight 3");
	r = rt("10.0.0.0/8", NULL, NULL);
	r.nhid = 12;
	route_resolve_nh(&r, nhs, 4);
	route_name_devs(&r, links, 2);
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "10.0.0.0/8 nhid 12 via 10.8.0.1 dev tun0");
	r = rt("10.0.0.0/8", NULL, NULL);
	r.nhid = 5;
	route_resolve_nh(&r, nhs, 4);
	assert_int_equal(r.nr_nh, 0);
	assert_string_equal(route_format(&r, b, sizeof(b)), "10.0.0.0/8 nhid 5 blackhole");
	/* an object that is gone: the route as it came */
	r = rt("10.0.0.0/8", "10.8.0.1", "tun0");
	r.nhid = 99;
	route_resolve_nh(&r, nhs, 4);
	assert_string_equal(route_format(&r, b, sizeof(b)),
			    "10.0.0.0/8 nhid 99 via 10.8.0.1 dev tun0");
	/* a member gone: not a next hop, not counted */
	nhs[2].grp[1].id = 98;
	r = rt("10.0.0.0/8", NULL, NULL);
	r.nhid = 13;
	route_resolve_nh(&r, nhs, 4);
	assert_int_equal(r.nr_nh, 1);
	assert_int_equal(r.nh_total, 1);
}

/* An IPv6 lookup answers a multipath route with the next hop it chose first:
 * the dump's order is the route's. */
static void test_canonical(void **state)
{
	struct route_info dump[2] = {rt("::/0", "fd00:10:128::1", "eth0"),
				     rt("fd00::/8", "fd00:10:128::1", "eth0")};
	struct route_info t = rt("fd00::/8", "2001:db8:8::1", "tun0"), got, other;
	char b[ROUTE_TEXT_LEN], want[ROUTE_TEXT_LEN];

	add_nh(&dump[1], &t, 1);
	route_format(&dump[1], want, sizeof(want));
	got = rt("fd00::/8", "2001:db8:8::1", "tun0");
	other = rt("fd00::/8", "fd00:10:128::1", "eth0");
	add_nh(&got, &other, 1);
	assert_string_not_equal(route_format(&got, b, sizeof(b)), want);
	route_canonical(&got, dump, 2);
	assert_string_equal(route_format(&got, b, sizeof(b)), want);
	/* another table's route of the same prefix is another route */
	got = rt("fd00::/8", "2001:db8:8::1", "tun0");
	add_nh(&got, &other, 1);
	got.table = 100;
	route_canonical(&got, dump, 2);
	assert_string_equal(got.nh[0].dev, "tun0");
}

static void test_candidates_rules(void **state)
{
	/* a rule for part of the CIDR splits it like a route */
	struct route_info r[] = {rt("0.0.0.0/0", "10.128.0.1", "eth0")};
	struct rule_info ru[] = {rl(100, NULL, "10.130.0.0/16", 51820),
				 rl(200, "10.8.0.2/32", NULL, 51820)};
	uint8_t cand[8][16];
	struct cidr c;
	int n;

	cidr_parse("10.128.0.0/14", &c);
	n = audit_candidates(&c, r, 1, ru, 2, cand, 8);
	assert_int_equal(n, 3);
	assert_true(has(cand, n, "10.128.0.0"));
	assert_true(has(cand, n, "10.130.0.0"));
	assert_true(has(cand, n, "10.131.0.0"));
}

/* fix_plan() of a leak of 10.128.0.0/14 (or fd00:10:128::/48) through eth0. */
static struct fix_in leak_in(const struct cidr *c, const struct route_info *bad, const uint8_t *gw)
{
	static const char tun[][16] = {"tun0"};
	struct fix_in in = {.cidr = c,
			    .leak = true,
			    .bad = bad,
			    .dev = "eth0",
			    .gw = gw,
			    .dev_l2 = true,
			    .tunnels = tun,
			    .nr_tunnels = 1};

	return in;
}

static void test_fix(void **state)
{
	struct route_info broad = rt("10.0.0.0/8", "198.19.8.1", "tun0");
	struct route_info inner = rt("10.130.0.0/16", NULL, "tun0");
	struct route_info same = rt("10.128.0.0/14", NULL, "tun0");
	struct route_info host = rt("10.129.0.5/32", NULL, "tun0");
	struct route_info v6 = rt("fd00::/8", "2001:db8:8::1", "tun0");
	struct route_info v6in = rt("fd00:10:128:2::/64", NULL, "tun0");
	struct route_info pol = rt("0.0.0.0/0", NULL, "tun0");
	uint8_t gw[16] = {}, gw6[16] = {};
	struct route_fix f;
	struct cidr c, c6;
	struct fix_in in;
	char b[FIX_TEXT_LEN];

	inet_pton(AF_INET, "10.128.0.1", gw);
	inet_pton(AF_INET6, "fd00:10:128::1", gw6);
	cidr_parse("10.128.0.0/14", &c);
	cidr_parse("fd00:10:128::/48", &c6);
	/* broader than the CIDR: the CIDR, in its table */
	in = leak_in(&c, &broad, gw);
	fix_plan(&in, &f);
	assert_string_equal(fix_format(&f, b, sizeof(b)),
			    "ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0");
	assert_string_equal(f.refused, "");
	pol.table = 51820;
	in = leak_in(&c, &pol, gw);
	fix_plan(&in, &f);
	assert_string_equal(fix_format(&f, b, sizeof(b)),
			    "ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0 table 51820");
	in = leak_in(&c6, &v6, gw6);
	fix_plan(&in, &f);
	assert_string_equal(fix_format(&f, b, sizeof(b)),
			    "ip -6 route add fd00:10:128::/48 via fd00:10:128::1 dev eth0");
	/* as specific or more: its two halves, never a replacement */
	in = leak_in(&c, &inner, gw);
	fix_plan(&in, &f);
	assert_int_equal(f.n, 2);
	assert_string_equal(fix_format(&f, b, sizeof(b)),
			    "ip route add 10.130.0.0/17 via 10.128.0.1 dev eth0; "
			    "ip route add 10.130.128.0/17 via 10.128.0.1 dev eth0");
	in = leak_in(&c, &same, gw);
	fix_plan(&in, &f);
	assert_string_equal(fix_format(&f, b, sizeof(b)),
			    "ip route add 10.128.0.0/15 via 10.128.0.1 dev eth0; "
			    "ip route add 10.130.0.0/15 via 10.128.0.1 dev eth0");
	in = leak_in(&c6, &v6in, gw6);
	fix_plan(&in, &f);
	assert_string_equal(fix_format(&f, b, sizeof(b)),
			    "ip -6 route add fd00:10:128:2::/65 via fd00:10:128::1 dev eth0; "
			    "ip -6 route add fd00:10:128:2:8000::/65 via fd00:10:128::1 dev eth0");
	/* a host route: a route in tunleak's table and a rule before main's,
	 * at a preference no rule has */
	{
		struct rule_info rules[] = {
		    rl(0, NULL, NULL, RT_TABLE_LOCAL), rl(32765, "10.8.0.2/32", NULL, 51820),
		    rl(32766, NULL, NULL, RT_TABLE_MAIN), rl(32767, NULL, NULL, RT_TABLE_DEFAULT)};

		in = leak_in(&c, &host, gw);
		in.rules = rules;
		in.nrules = 4;
		fix_plan(&in, &f);
		assert_string_equal(
		    fix_format(&f, b, sizeof(b)),
		    "ip route add 10.129.0.5/32 via 10.128.0.1 dev eth0 table 32286; "
		    "ip rule add pref 32764 to 10.129.0.5/32 lookup 32286");
		assert_string_equal(f.refused, "");
		/* in another table: before the first rule that looks it up */
		host.table = 51820;
		fix_plan(&in, &f);
		assert_string_equal(
		    fix_format(&f, b, sizeof(b)),
		    "ip route add 10.129.0.5/32 via 10.128.0.1 dev eth0 table 32286; "
		    "ip rule add pref 32764 to 10.129.0.5/32 lookup 32286");
		rules[1].pref = 1;
		fix_plan(&in, &f);
		assert_string_equal(f.refused, "no free rule preference before 1 to put a rule at");
		/* printed with a traced flow (no rules known): a replacement, by hand */
		assert_string_equal(
		    audit_fix(&c, &host, "eth0", gw, b, sizeof(b)),
		    "ip route replace 10.129.0.5/32 via 10.128.0.1 dev eth0 table 51820");
	}
	/* a rule that blocks a remote CIDR: a rule before it */
	{
		static const char tun[][16] = {"tun0"};
		struct rule_info block = rl(100, NULL, "198.18.0.0/16", 0);
		struct rule_info rules[] = {rl(0, NULL, NULL, RT_TABLE_LOCAL), block,
					    rl(99, NULL, NULL, 7)};
		struct cidr rc;
		uint8_t tgw[16] = {};

		block.action = FR_ACT_PROHIBIT;
		inet_pton(AF_INET, "10.8.0.1", tgw);
		cidr_parse("198.18.0.0/15", &rc);
		in = (struct fix_in){.cidr = &rc,
				     .leak = false,
				     .block = &block,
				     .dev = "tun0",
				     .gw = tgw,
				     .rules = rules,
				     .nrules = 3,
				     .tunnels = tun,
				     .nr_tunnels = 1};
		fix_plan(&in, &f);
		assert_string_equal(fix_format(&f, b, sizeof(b)),
				    "ip route add 198.18.0.0/16 via 10.8.0.1 dev tun0 table 32286; "
				    "ip rule add pref 98 to 198.18.0.0/16 lookup 32286");
		assert_string_equal(f.refused, "");
		/* a tunnel without a gateway (an L3 device): by dev alone */
		in.gw = NULL;
		fix_plan(&in, &f);
		assert_string_equal(f.refused, "");
		assert_string_equal(fix_change_format(&f.ch[0], b, sizeof(b)),
				    "ip route add 198.18.0.0/16 dev tun0 table 32286");
		in.dev_l2 = true; /* a tap: it needs one */
		fix_plan(&in, &f);
		assert_string_equal(f.refused,
				    "no gateway known on tun0: no route through it has one");
	}
	/* no route at all: the CIDR in main */
	in = leak_in(&c, NULL, gw);
	fix_plan(&in, &f);
	assert_string_equal(fix_format(&f, b, sizeof(b)),
			    "ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0");
	/* refused: no gateway on the cluster interface; a cluster interface that
	 * is a tunnel; the first reason stands */
	in = leak_in(&c, &broad, NULL);
	fix_plan(&in, &f);
	assert_string_equal(f.refused, "no gateway known on eth0: no route through it has one");
	assert_string_equal(fix_format(&f, b, sizeof(b)), "ip route add 10.128.0.0/14 dev eth0");
	in = leak_in(&c, &broad, gw);
	in.dev_is_tunnel = true;
	fix_plan(&in, &f);
	assert_string_equal(f.refused,
			    "eth0 is itself a tunnel: the fix would route into a tunnel");
}

/* A fix that would send a configured CIDR of the other kind the wrong way. */
static void test_fix_wrong_way(void **state)
{
	static const char tun[][16] = {"tun0"};
	struct class_cidr cidrs[2];
	struct route_info routes[2] = {rt("0.0.0.0/0", "10.128.0.1", "eth0"),
				       rt("10.128.0.0/23", NULL, "eth0")};
	struct route_info bad = routes[0];
	uint8_t tgw[16] = {};
	struct route_fix f;
	struct fix_in in;

	cidr_parse("10.0.0.0/8", &cidrs[0].cidr);
	cidrs[0].cls = TL_CLASS_REMOTE;
	cidrs[1].cls = TL_CLASS_POD;
	cidr_parse("10.128.0.0/14", &cidrs[1].cidr);
	inet_pton(AF_INET, "10.8.0.1", tgw);
	/* remote 10/8 goes out eth0 by the default route: adding 10/8 into
	 * the tunnel would take the pod network (only its /23 has a route) */
	in = (struct fix_in){.cidr = &cidrs[0].cidr,
			     .leak = false,
			     .bad = &bad,
			     .dev = "tun0",
			     .gw = tgw,
			     .routes = routes,
			     .nroutes = 2,
			     .cidrs = cidrs,
			     .nr_cidrs = 2,
			     .tunnels = tun,
			     .nr_tunnels = 1};
	fix_plan(&in, &f);
	assert_string_equal(f.refused,
			    "the fix would itself route cluster CIDR 10.128.0.0/14 into tun0");
	/* with the pod network's own route through eth0, it is safe */
	routes[1] = rt("10.128.0.0/14", "10.128.0.1", "eth0");
	fix_plan(&in, &f);
	assert_string_equal(f.refused, "");
	/* ... but not with one into the tunnel */
	routes[1] = rt("10.128.0.0/14", NULL, "tun0");
	fix_plan(&in, &f);
	assert_string_equal(f.refused,
			    "the fix would itself route cluster CIDR 10.128.0.0/14 into tun0");
}

static void test_cidr_for(void **state)
{
	struct class_cidr t[3];
	uint8_t a[16] = {};

	cidr_parse("10.0.0.0/8", &t[0].cidr);
	t[0].cls = TL_CLASS_REMOTE;
	cidr_parse("10.128.0.0/14", &t[1].cidr);
	t[1].cls = TL_CLASS_POD;
	cidr_parse("172.30.0.0/16", &t[2].cidr);
	t[2].cls = TL_CLASS_SERVICE;
	inet_pton(AF_INET, "10.130.0.5", a);
	assert_ptr_equal(audit_cidr_for(t, 3, 4, a), &t[1]);
	inet_pton(AF_INET, "10.1.0.5", a);
	assert_ptr_equal(audit_cidr_for(t, 3, 4, a), &t[0]);
	inet_pton(AF_INET, "192.0.2.1", a);
	assert_null(audit_cidr_for(t, 3, 4, a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_candidates_broad_route),
	    cmocka_unit_test(test_candidates_inner_routes),
	    cmocka_unit_test(test_candidates_ipv6_and_cap),
	    cmocka_unit_test(test_candidates_top_of_space),
	    cmocka_unit_test(test_candidates_rules),
	    cmocka_unit_test(test_canonical),
	    cmocka_unit_test(test_route_format),
	    cmocka_unit_test(test_rule_format),
	    cmocka_unit_test(test_rule_matches),
	    cmocka_unit_test(test_nh_through_and_gateway),
	    cmocka_unit_test(test_resolve_nh),
	    cmocka_unit_test(test_fix),
	    cmocka_unit_test(test_fix_wrong_way),
	    cmocka_unit_test(test_cidr_for),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
