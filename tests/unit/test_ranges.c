// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The address-range form of the classes agrees with longest-prefix match. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "model/ranges.h"

static unsigned int seed = 88172645u;

static unsigned int rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

static int lookup(int fam, const void *r, int n, const uint8_t *a)
{
	return fam == 4 ? ranges_lookup4(r, n, a) : ranges_lookup6(r, n, a);
}

/* every boundary of every prefix, its neighbours, and random addresses */
static void agree(const struct class_cidr *tab, int n, int fam)
{
	static struct tl_range4 r4[TL_MAX_RANGES];
	static struct tl_range6 r6[TL_MAX_RANGES];
	void *r = fam == 4 ? (void *)r4 : (void *)r6;
	int nr = fam == 4 ? ranges_build4(tab, n, r4, TL_MAX_RANGES)
			  : ranges_build6(tab, n, r6, TL_MAX_RANGES);
	int i, k, alen = fam == 4 ? 4 : 16, checked = 0;

	assert_true(nr >= 1);
	if (fam == 4)
		assert_int_equal(r4[0].start, 0);
	else
		assert_true(r6[0].hi == 0 && r6[0].lo == 0);
	for (i = 1; i < nr; i++) { /* sorted, and no two neighbours alike */
		if (fam == 4) {
			assert_true(r4[i - 1].start < r4[i].start);
			assert_int_not_equal(r4[i - 1].cls, r4[i].cls);
		} else {
			assert_true(r6[i - 1].hi < r6[i].hi ||
				    (r6[i - 1].hi == r6[i].hi && r6[i - 1].lo < r6[i].lo));
			assert_int_not_equal(r6[i - 1].cls, r6[i].cls);
		}
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < 4; k++) {
			uint8_t a[16] = {};
			int j, want, got;

			memcpy(a, tab[i].cidr.addr, alen);
			if (k == 1 || k == 3) { /* the last address of the prefix */
				for (j = 0; j < alen * 8; j++)
					if (j >= tab[i].cidr.prefixlen)
						a[j / 8] |= 0x80 >> (j % 8);
			}
			if (k == 2) { /* one before the first */
				for (j = alen - 1; j >= 0 && a[j]-- == 0; j--)
					;
			}
			if (k == 3) { /* one after the last */
				for (j = alen - 1; j >= 0 && ++a[j] == 0; j--)
					;
			}
			want = cidr_classify(tab, n, fam, a, TL_CLASS_OTHER);
			got = lookup(fam, r, nr, a);
			if (want != got)
				fail_msg("prefix %d case %d: expected class %d, got %d", i, k, want,
					 got);
			checked++;
		}
	}
	if (fam == 4) { /* the padded, branchless form the BPF program uses */
		ranges_pad4(r4, nr, TL_MAX_RANGES);
		for (i = 0; i < n; i++)
			assert_int_equal(ranges_lookup4_padded(r4, nr, tab[i].cidr.addr),
					 ranges_lookup4(r4, nr, tab[i].cidr.addr));
		{
			uint8_t top[4] = {255, 255, 255, 255};

			assert_int_equal(ranges_lookup4_padded(r4, nr, top),
					 cidr_classify(tab, n, 4, top, TL_CLASS_OTHER));
		}
	}
	if (fam == 4 && nr <= TL_HOT_RANGES4) { /* the small table of the hot line */
		uint32_t st[TL_HOT_RANGES4];
		uint8_t cl[TL_HOT_RANGES4], top[4] = {255, 255, 255, 255};

		ranges_small4(r4, nr, st, cl, TL_HOT_RANGES4);
		for (i = 0; i < 20000; i++) {
			uint8_t a[4];

			memcpy(a, tab[rnd() % n].cidr.addr, 4);
			a[rnd() % 4] ^= rnd(); /* near a prefix, inside it or not */
			assert_int_equal(ranges_lookup4_small(st, cl, TL_HOT_RANGES4, a),
					 cidr_classify(tab, n, 4, a, TL_CLASS_OTHER));
		}
		assert_int_equal(ranges_lookup4_small(st, cl, TL_HOT_RANGES4, top),
				 cidr_classify(tab, n, 4, top, TL_CLASS_OTHER));
		checked += 20000;
	}
	if (fam == 6 && nr <= TL_HOT_BOUNDS6 + 1) { /* the IPv6 small table */
		__u64 hi[TL_HOT_BOUNDS6], lo[TL_HOT_BOUNDS6], cl;
		uint8_t top[16];

		ranges_small6(r6, nr, hi, lo, &cl, TL_HOT_BOUNDS6);
		for (i = 0; i < 20000; i++) {
			uint8_t a[16];

			memcpy(a, tab[rnd() % n].cidr.addr, 16);
			a[rnd() % 16] ^= rnd(); /* near a prefix, inside it or not */
			assert_int_equal(ranges_lookup6_small(hi, lo, cl, a),
					 cidr_classify(tab, n, 6, a, TL_CLASS_OTHER));
		}
		memset(top, 0xff, sizeof(top));
		assert_int_equal(ranges_lookup6_small(hi, lo, cl, top),
				 cidr_classify(tab, n, 6, top, TL_CLASS_OTHER));
		memset(top, 0, sizeof(top));
		assert_int_equal(ranges_lookup6_small(hi, lo, cl, top),
				 cidr_classify(tab, n, 6, top, TL_CLASS_OTHER));
		checked += 20000;
	}
	for (i = 0; i < 20000; i++) {
		uint8_t a[16] = {};
		int j;

		/* near the prefixes: copy one and scramble its tail */
		memcpy(a, tab[rnd() % n].cidr.addr, alen);
		for (j = alen / 2; j < alen; j++)
			if (rnd() % 2)
				a[j] = rnd();
		assert_int_equal(lookup(fam, r, nr, a),
				 cidr_classify(tab, n, fam, a, TL_CLASS_OTHER));
		checked++;
	}
	assert_true(checked > 20000);
}

static struct class_cidr *random_table(int n, int fam)
{
	struct class_cidr *t = calloc(n, sizeof(*t));
	int i, j, alen = fam == 4 ? 4 : 16;

	for (i = 0; i < n; i++) {
		t[i].cidr.family = fam;
		t[i].cidr.prefixlen = fam == 4 ? rnd() % 33 : rnd() % 129;
		if (i % 3 == 0 && i) { /* nested in an earlier one */
			t[i].cidr = t[rnd() % i].cidr;
			if (t[i].cidr.prefixlen < alen * 8)
				t[i].cidr.prefixlen += 1 + rnd() % (alen * 8 - t[i].cidr.prefixlen);
			for (j = alen / 2; j < alen; j++)
				t[i].cidr.addr[j] ^= rnd();
		} else {
			t[i].cidr.addr[0] = 10;
			for (j = 1; j < alen; j++)
				t[i].cidr.addr[j] = rnd();
		}
		cidr_mask(&t[i].cidr);
		t[i].cls = rnd() % 4; /* pod, service, node, remote */
		/* the CLI refuses one prefix with two classes: so do we */
		for (j = 0; j < i; j++)
			if (t[j].cidr.prefixlen == t[i].cidr.prefixlen &&
			    !memcmp(t[j].cidr.addr, t[i].cidr.addr, 16)) {
				i--;
				break;
			}
	}
	return t;
}

static void test_cluster_example(void **state)
{
	const char *spec[] = {"10.0.0.0/8",	  "10.128.0.0/14", "10.128.4.0/24",
			      "172.30.0.0/16",	  "0.0.0.0/0",	   "255.255.255.255/32",
			      "10.131.255.255/32"};
	int cls[] = {TL_CLASS_REMOTE, TL_CLASS_POD,  TL_CLASS_NODE,   TL_CLASS_SERVICE,
		     TL_CLASS_REMOTE, TL_CLASS_NODE, TL_CLASS_SERVICE};
	struct class_cidr t[7];
	int i;

	for (i = 0; i < 7; i++) {
		assert_int_equal(cidr_parse(spec[i], &t[i].cidr), 0);
		t[i].cls = cls[i];
	}
	agree(t, 7, 4);
	agree(t, 4, 4); /* without the default route */
}

static void test_random_ipv4(void **state)
{
	int sizes[] = {1, 2, 5, 16, 64, 700}, i;

	for (i = 0; i < 6; i++) {
		struct class_cidr *t = random_table(sizes[i], 4);

		agree(t, sizes[i], 4);
		free(t);
	}
}

static void test_random_ipv6(void **state)
{
	int sizes[] = {1, 3, 16, 64, 500}, i;

	for (i = 0; i < 5; i++) {
		struct class_cidr *t = random_table(sizes[i], 6);

		agree(t, sizes[i], 6);
		free(t);
	}
}

static void test_duplicates_and_families(void **state)
{
	struct class_cidr t[4];
	struct tl_range4 r[8];
	uint8_t a[4];

	cidr_parse("10.0.0.0/8", &t[0].cidr);
	t[0].cls = TL_CLASS_POD;
	cidr_parse("10.0.0.0/8", &t[1].cidr);
	t[1].cls = TL_CLASS_POD;
	cidr_parse("fd00::/8", &t[2].cidr); /* other family: ignored */
	t[2].cls = TL_CLASS_REMOTE;
	cidr_parse("11.0.0.0/8", &t[3].cidr); /* adjacent, same class: merged */
	t[3].cls = TL_CLASS_POD;
	assert_int_equal(ranges_build4(t, 4, r, 8), 3); /* other, pod 10-11, other */
	inet_pton(AF_INET, "11.255.255.255", a);
	assert_int_equal(ranges_lookup4(r, 3, a), TL_CLASS_POD);
	inet_pton(AF_INET, "12.0.0.0", a);
	assert_int_equal(ranges_lookup4(r, 3, a), TL_CLASS_OTHER);
	/* no CIDR of the family: everything is other */
	assert_int_equal(ranges_build4(&t[2], 1, r, 8), 1);
	assert_int_equal(ranges_lookup4(r, 1, a), TL_CLASS_OTHER);
}

static void test_too_many(void **state)
{
	struct class_cidr *t = random_table(100, 4);
	struct tl_range4 r[8];

	assert_int_equal(ranges_build4(t, 100, r, 8), -E2BIG);
	free(t);
}

static void test_top_step(void **state)
{
	assert_int_equal(ranges_top_step(0), 0);
	assert_int_equal(ranges_top_step(1), 1);
	assert_int_equal(ranges_top_step(2), 2);
	assert_int_equal(ranges_top_step(3), 2);
	assert_int_equal(ranges_top_step(16384), 16384);
	assert_int_equal(ranges_top_step(16383), 8192);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cluster_example), cmocka_unit_test(test_random_ipv4),
	    cmocka_unit_test(test_random_ipv6),	    cmocka_unit_test(test_duplicates_and_families),
	    cmocka_unit_test(test_too_many),	    cmocka_unit_test(test_top_step),
	};

	return cmocka_run_group_tests_name("ranges", tests, NULL, NULL);
}
