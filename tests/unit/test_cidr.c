// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "model/abi.h"
#include "model/cidr.h"

static void assert_cidr(const char *in, int family, int prefixlen, const char *canon)
{
	struct cidr c;
	char buf[64];

	assert_int_equal(cidr_parse(in, &c), 0);
	assert_int_equal(c.family, family);
	assert_int_equal(c.prefixlen, prefixlen);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), canon);
}

static void test_ipv4(void **state)
{
	assert_cidr("10.128.0.0/14", 4, 14, "10.128.0.0/14");
	assert_cidr("172.30.0.0/16", 4, 16, "172.30.0.0/16");
	assert_cidr("0.0.0.0/0", 4, 0, "0.0.0.0/0");
	assert_cidr("192.0.2.7/32", 4, 32, "192.0.2.7/32");
	assert_cidr("192.0.2.7", 4, 32, "192.0.2.7/32"); /* bare address: a host */
	assert_cidr("10.0.0.0/08", 4, 8, "10.0.0.0/8");
}

static void test_ipv6(void **state)
{
	assert_cidr("fd00:10:128::/48", 6, 48, "fd00:10:128::/48");
	assert_cidr("::/0", 6, 0, "::/0");
	assert_cidr("2001:db8::1/128", 6, 128, "2001:db8::1/128");
	assert_cidr("2001:DB8:0:0::/64", 6, 64, "2001:db8::/64");
	assert_cidr("2001:db8::1", 6, 128, "2001:db8::1/128");
}

static void test_host_bits(void **state)
{
	struct cidr c;
	char buf[64];

	assert_int_equal(cidr_parse("10.128.0.1/14", &c), -CIDR_EHOSTBITS);
	assert_int_equal(cidr_parse("10.129.0.0/14", &c), -CIDR_EHOSTBITS);
	assert_int_equal(cidr_parse("0.0.0.1/0", &c), -CIDR_EHOSTBITS);
	assert_int_equal(cidr_parse("fd00::1/64", &c), -CIDR_EHOSTBITS);
	assert_int_equal(cidr_parse("fd00:0:0:1::/63", &c), -CIDR_EHOSTBITS);
	/* cidr_mask suggests the intended network */
	c.family = 4;
	c.prefixlen = 14;
	inet_pton(AF_INET, "10.129.255.3", c.addr);
	cidr_mask(&c);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "10.128.0.0/14");
}

static void test_garbage(void **state)
{
	static const char *const bad_syntax[] = {
	    "",
	    "/",
	    "/8",
	    "10.0.0/8",
	    "10.0.0.0.0/8",
	    "256.0.0.0/8",
	    "ten/8",
	    "10.0.0.0 /8",
	    " 10.0.0.0/8",
	    "fd00:::1/64",
	    "fd00::g/64",
	    "1111:2222:3333:4444:5555:6666:7777:8888:9999/64",
	    /* after the slash, anything but a decimal number is no CIDR */
	    "10.0.0.0/8 ",
	    "10.0.0.0/8\n",
	    "10.0.0.0/-1",
	    "10.0.0.0/8a",
	    "10.0.0.0/ 8",
	    "10.0.0.0/+8",
	    "10.0.0.0/0x8",
	    "10.0.0.0//8",
	    "10.0.0.0/8/8",
	    NULL,
	};
	/* a number, but no prefix length of the family, or none at all */
	static const char *const bad_prefix[] = {
	    "10.0.0.0/",
	    "10.0.0.0/33",
	    "fd00::/129",
	    "fd00::/1000",
	    "10.0.0.0/99999999999999999999",
	    NULL,
	};
	struct cidr c;
	int i;

	for (i = 0; bad_syntax[i]; i++) {
		if (cidr_parse(bad_syntax[i], &c) != -CIDR_ESYNTAX)
			fail_msg("\"%s\": expected a syntax error", bad_syntax[i]);
	}
	for (i = 0; bad_prefix[i]; i++) {
		if (cidr_parse(bad_prefix[i], &c) != -CIDR_EPREFIX)
			fail_msg("\"%s\": expected a prefix error", bad_prefix[i]);
	}
	assert_int_equal(cidr_parse(NULL, &c), -CIDR_ESYNTAX);
}

static void test_overlong(void **state)
{
	char buf[300];
	struct cidr c;

	memset(buf, '1', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(cidr_parse(buf, &c), -CIDR_ESYNTAX);
	memcpy(buf, "10.0.0.0/", 9);
	assert_int_equal(cidr_parse(buf, &c), -CIDR_EPREFIX);
}

static void test_strerror(void **state)
{
	assert_non_null(strstr(cidr_strerror(-CIDR_ESYNTAX), "IPv4 or IPv6"));
	assert_non_null(strstr(cidr_strerror(-CIDR_EPREFIX), "0-32"));
	assert_non_null(strstr(cidr_strerror(-CIDR_EHOSTBITS), "host bits"));
}

static int cls_of(const struct class_cidr *tab, int n, const char *addr)
{
	uint8_t a[16] = {};
	int fam = strchr(addr, ':') ? 6 : 4;

	inet_pton(fam == 4 ? AF_INET : AF_INET6, addr, a);
	return cidr_classify(tab, n, fam, a, TL_CLASS_OTHER);
}

static void test_longest_prefix(void **state)
{
	struct class_cidr tab[6];
	const char *spec[6] = {"10.0.0.0/8",	"10.128.0.0/14",    "10.128.4.0/24",
			       "172.30.0.0/16", "fd00:10:128::/48", "fd00::/8"};
	int cls[6] = {TL_CLASS_REMOTE,	TL_CLASS_POD, TL_CLASS_NODE,
		      TL_CLASS_SERVICE, TL_CLASS_POD, TL_CLASS_REMOTE};
	int i;

	for (i = 0; i < 6; i++) {
		assert_int_equal(cidr_parse(spec[i], &tab[i].cidr), 0);
		tab[i].cls = cls[i];
	}
	assert_int_equal(cls_of(tab, 6, "10.1.2.3"), TL_CLASS_REMOTE);
	assert_int_equal(cls_of(tab, 6, "10.130.0.5"), TL_CLASS_POD);
	assert_int_equal(cls_of(tab, 6, "10.128.4.9"), TL_CLASS_NODE);
	assert_int_equal(cls_of(tab, 6, "10.128.5.9"), TL_CLASS_POD);
	assert_int_equal(cls_of(tab, 6, "10.132.0.1"), TL_CLASS_REMOTE);
	assert_int_equal(cls_of(tab, 6, "172.30.0.10"), TL_CLASS_SERVICE);
	assert_int_equal(cls_of(tab, 6, "192.0.2.1"), TL_CLASS_OTHER);
	assert_int_equal(cls_of(tab, 6, "fd00:10:128::5"), TL_CLASS_POD);
	assert_int_equal(cls_of(tab, 6, "fd00:10:129::5"), TL_CLASS_REMOTE);
	assert_int_equal(cls_of(tab, 6, "2001:db8::1"), TL_CLASS_OTHER);
	/* order of the table does not matter */
	{
		struct class_cidr rev[6];

		for (i = 0; i < 6; i++)
			rev[i] = tab[5 - i];
		assert_int_equal(cls_of(rev, 6, "10.128.4.9"), TL_CLASS_NODE);
		assert_int_equal(cls_of(rev, 6, "10.1.2.3"), TL_CLASS_REMOTE);
	}
	/* an IPv4 address never matches an IPv6 prefix of the same bytes */
	assert_int_equal(cls_of(tab, 4, "253.0.0.1"), TL_CLASS_OTHER);
}

static void test_overlaps(void **state)
{
	struct cidr a, b, c, d;

	cidr_parse("10.0.0.0/8", &a);
	cidr_parse("10.128.0.0/14", &b);
	cidr_parse("172.30.0.0/16", &c);
	cidr_parse("fd00::/8", &d);
	assert_true(cidr_overlaps(&a, &b));
	assert_true(cidr_overlaps(&b, &a));
	assert_false(cidr_overlaps(&a, &c));
	assert_false(cidr_overlaps(&a, &d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4),	   cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_host_bits),	   cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_overlong),	   cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_longest_prefix), cmocka_unit_test(test_overlaps),
	};

	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
