// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Route audit logic: candidate addresses, formatting, fixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <cmocka.h>

#include "model/abi.h"
#include "model/audit.h"
#include "out/output.h"

static struct route_info rt(const char *prefix, const char *gw, const char *dev)
{
	struct route_info r = { .type = RTN_UNICAST, .table = RT_TABLE_MAIN };
	struct cidr c;

	assert_int_equal(cidr_parse(prefix, &c), 0);
	r.family = c.family;
	r.dst_len = c.prefixlen;
	memcpy(r.dst, c.addr, 16);
	if (gw) {
		inet_pton(c.family == 4 ? AF_INET : AF_INET6, gw, r.gw);
		r.has_gw = 1;
	}
	if (dev) {
		strcpy(r.oif_name, dev);
		r.oif = 1;
	}
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
		rt("0.0.0.0/0", "10.128.0.1", "eth0"),	  rt("10.128.0.0/23", NULL, "eth0"),
		rt("10.0.0.0/8", "198.19.8.1", "tun0"),	  rt("198.19.8.0/24", NULL, "tun0"),
		rt("192.0.2.0/24", "198.19.8.1", "tun0"),
	};
	uint8_t cand[16][16];
	struct cidr c;
	int n;

	cidr_parse("10.128.0.0/14", &c);
	n = audit_candidates(&c, r, 5, cand, 16);
	assert_int_equal(n, 2);
	assert_true(has(cand, n, "10.128.0.0"));
	assert_true(has(cand, n, "10.128.2.0"));
}

static void test_candidates_inner_routes(void **state)
{
	struct route_info r[] = {
		rt("10.130.0.0/16", NULL, "tun0"),
		rt("10.131.255.0/24", NULL, "eth0"),
		rt("172.30.0.0/16", NULL, "tun0"), /* outside: ignored */
		rt("fd00::/8", NULL, "tun0"),	   /* other family: ignored */
	};
	uint8_t cand[16][16];
	struct cidr c;
	int n;

	cidr_parse("10.128.0.0/14", &c);
	n = audit_candidates(&c, r, 4, cand, 16);
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
	n = audit_candidates(&c, r, 3, cand, 16);
	assert_int_equal(n, 2);
	assert_true(has(cand, n, "fd00:10:128::"));
	assert_true(has(cand, n, "fd00:10:128:1::"));
	assert_int_equal(audit_candidates(&c, r, 3, cand, 1), 1); /* bounded */
}

static void test_candidates_top_of_space(void **state)
{
	/* a route ending at the last address: no wrap-around candidate */
	struct route_info r[] = { rt("255.255.255.0/24", NULL, "eth0") };
	uint8_t cand[4][16];
	struct cidr c;

	cidr_parse("255.0.0.0/8", &c);
	assert_int_equal(audit_candidates(&c, r, 1, cand, 4), 2);
}

static void test_route_format(void **state)
{
	struct route_info r = rt("10.0.0.0/8", "10.8.0.1", "tun0");
	char b[160];

	assert_string_equal(route_format(&r, b, sizeof(b)), "10.0.0.0/8 via 10.8.0.1 dev tun0");
	r = rt("0.0.0.0/0", "10.128.0.1", "eth0");
	assert_string_equal(route_format(&r, b, sizeof(b)), "default via 10.128.0.1 dev eth0");
	r = rt("10.128.0.0/23", NULL, "eth0");
	r.table = 100;
	assert_string_equal(route_format(&r, b, sizeof(b)), "10.128.0.0/23 dev eth0 table 100");
	r = rt("fd00::/8", "2001:db8:8::1", "tun0");
	assert_string_equal(route_format(&r, b, sizeof(b)), "fd00::/8 via 2001:db8:8::1 dev tun0");
	r = rt("10.128.0.10/32", NULL, "eth0");
	r.type = RTN_LOCAL;
	r.table = RT_TABLE_LOCAL;
	assert_string_equal(route_format(&r, b, sizeof(b)), "local 10.128.0.10 dev eth0");
	r = rt("192.0.2.0/24", NULL, NULL);
	r.type = RTN_UNREACHABLE;
	assert_string_equal(route_format(&r, b, sizeof(b)), "unreachable 192.0.2.0/24");
}

static void test_fix(void **state)
{
	struct route_info broad = rt("10.0.0.0/8", "198.19.8.1", "tun0");
	struct route_info inner = rt("10.130.0.0/16", NULL, "tun0");
	struct route_info same = rt("10.128.0.0/14", NULL, "tun0");
	struct route_info v6 = rt("fd00::/8", "2001:db8:8::1", "tun0");
	uint8_t gw[16] = {}, gw6[16] = {};
	struct cidr c, c6;
	char b[192];

	inet_pton(AF_INET, "10.128.0.1", gw);
	inet_pton(AF_INET6, "fd00:10:128::1", gw6);
	cidr_parse("10.128.0.0/14", &c);
	cidr_parse("fd00:10:128::/48", &c6);
	assert_string_equal(audit_fix(&c, &broad, "eth0", gw, b, sizeof(b)),
			    "ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0");
	assert_string_equal(audit_fix(&c, &inner, "eth0", gw, b, sizeof(b)),
			    "ip route replace 10.130.0.0/16 via 10.128.0.1 dev eth0");
	assert_string_equal(audit_fix(&c, &same, "eth0", NULL, b, sizeof(b)),
			    "ip route replace 10.128.0.0/14 dev eth0");
	assert_string_equal(audit_fix(&c6, &v6, "eth0", gw6, b, sizeof(b)),
			    "ip -6 route add fd00:10:128::/48 via fd00:10:128::1 dev eth0");
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
		cmocka_unit_test(test_route_format),
		cmocka_unit_test(test_fix),
		cmocka_unit_test(test_cidr_for),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
