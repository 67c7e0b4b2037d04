// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "model/flows.h"

static struct tl_flow_key key(int n)
{
	struct tl_flow_key k = {.family = 4, .proto = 17, .dir = TL_DIR_EGRESS, .slot = 1};

	k.src[0] = 10;
	k.dst[0] = 10;
	k.dst[1] = 128;
	k.dst[2] = n >> 8;
	k.dst[3] = n & 0xff;
	k.dport = htons(8080);
	return k;
}

static struct flow_rec *add(struct flows *f, int n, uint64_t packets, uint64_t bytes, uint64_t last)
{
	struct tl_flow_key k = key(n);
	struct flow_rec *r;
	int is_new;

	r = flows__upsert(f, &k, &is_new);
	assert_non_null(r);
	flows__set_kernel_counts(f, r, packets, bytes, last);
	return r;
}

static void test_insert_update(void **state)
{
	struct flows *f = flows__new(16);
	struct tl_flow_key k = key(1);
	struct flow_rec *r, *r2;
	int is_new;

	r = flows__upsert(f, &k, &is_new);
	assert_int_equal(is_new, 1);
	flows__set_kernel_counts(f, r, 1, 84, 100);
	r2 = flows__upsert(f, &k, &is_new);
	assert_int_equal(is_new, 0);
	assert_ptr_equal(r, r2);
	flows__set_kernel_counts(f, r, 5, 420, 200);
	assert_int_equal(r->packets, 5);
	assert_int_equal(r->bytes, 420);
	assert_int_equal(r->last_ns, 200);
	assert_int_equal(flows__count(f), 1);
	assert_ptr_equal(flows__lookup(f, &k), r);
	k.dport = htons(1);
	assert_null(flows__lookup(f, &k));
	flows__free(f);
}

static void test_kernel_reinsert(void **state)
{
	/* The kernel's LRU evicted the flow and began it again at 1 packet:
	 * what it had counted before is carried over, not lost. */
	struct flows *f = flows__new(16);
	struct flow_rec *r = add(f, 1, 10, 1000, 100);

	flows__set_kernel_counts(f, r, 2, 200, 300);
	assert_int_equal(r->packets, 12);
	assert_int_equal(r->bytes, 1200);
	flows__set_kernel_counts(f, r, 3, 300, 400);
	assert_int_equal(r->packets, 13);
	assert_int_equal(r->bytes, 1300);
	flows__free(f);
}

static void test_top(void **state)
{
	struct flows *f = flows__new(64);
	const struct flow_rec *top[3];
	int i;

	for (i = 0; i < 10; i++)
		add(f, i, (uint64_t)(i * 7 % 10), (uint64_t)(1000 - i), 100 + i);
	assert_int_equal(flows__top(f, top, 3, FLOW_SORT_PACKETS, 0), 3);
	assert_int_equal(top[0]->packets, 9);
	assert_int_equal(top[1]->packets, 8);
	assert_int_equal(top[2]->packets, 7);
	assert_int_equal(flows__top(f, top, 3, FLOW_SORT_BYTES, 0), 3);
	assert_int_equal(top[0]->bytes, 1000);
	assert_int_equal(top[1]->bytes, 999);
	assert_int_equal(flows__top(f, top, 2, FLOW_SORT_LAST, 0), 2);
	assert_int_equal(top[0]->last_ns, 109);
	assert_int_equal(top[1]->last_ns, 108);
	/* fewer flows than asked */
	{
		const struct flow_rec *all[20];

		assert_int_equal(flows__top(f, all, 20, FLOW_SORT_PACKETS, 0), 10);
		for (i = 1; i < 10; i++)
			assert_true(all[i - 1]->packets >= all[i]->packets);
	}
	flows__free(f);
}

static void test_ageing(void **state)
{
	struct flows *f = flows__new(64);
	const struct flow_rec *top[8];

	add(f, 1, 50, 5000, 100); /* stopped long ago */
	add(f, 2, 5, 500, 900);
	add(f, 3, 1, 100, 1000);
	/* The view shows flows seen since 500; the stopped one stays in the table. */
	assert_int_equal(flows__top(f, top, 8, FLOW_SORT_PACKETS, 500), 2);
	assert_int_equal(top[0]->packets, 5);
	assert_int_equal(top[1]->packets, 1);
	assert_int_equal(flows__count(f), 3);
	flows__free(f);
}

static void test_bounded(void **state)
{
	struct flows *f = flows__new(100);
	struct tl_flow_key k;
	int i;

	for (i = 0; i < 250; i++)
		add(f, i, 1, 100, 1000 + i);
	assert_int_equal(flows__count(f), 100);
	assert_int_equal(flows__evicted(f), 150);
	/* The least recently seen went first: 0..149 are gone, 150..249 stay. */
	k = key(149);
	assert_null(flows__lookup(f, &k));
	k = key(150);
	assert_non_null(flows__lookup(f, &k));
	k = key(249);
	assert_non_null(flows__lookup(f, &k));
	flows__free(f);
}

static void test_recent_survives(void **state)
{
	/* A flow that keeps being seen is not evicted by a burst of new ones. */
	struct flows *f = flows__new(10);
	struct flow_rec *hot = add(f, 1000, 1, 100, 1);
	struct tl_flow_key k = key(1000);
	int i;

	for (i = 0; i < 50; i++) {
		add(f, i, 1, 100, 10 + 2 * i);
		flows__set_kernel_counts(f, hot, 2 + i, 100, 11 + 2 * i);
	}
	assert_non_null(flows__lookup(f, &k));
	assert_int_equal(flows__evicted(f), 41);
	flows__free(f);
}

static void test_iterate(void **state)
{
	struct flows *f = flows__new(16);
	const struct flow_rec *r = NULL;
	int n = 0;

	add(f, 1, 1, 1, 1);
	add(f, 2, 1, 1, 2);
	add(f, 3, 1, 1, 3);
	while ((r = flows__next(f, r)))
		n++;
	assert_int_equal(n, 3);
	assert_null(flows__new(0));
	flows__free(f);
}

/* Strings shared by many flows are kept once, and outlive nothing */
static void test_intern(void **state)
{
	struct flows *f = flows__new(4);
	char long_name[FLOW_ROUTE_LEN + 100];
	const char *a, *b;

	a = flows__intern(f, "10.0.0.0/8 via 10.8.0.1 dev tun0");
	b = flows__intern(f, "10.0.0.0/8 via 10.8.0.1 dev tun0");
	assert_ptr_equal(a, b);
	assert_string_equal(a, "10.0.0.0/8 via 10.8.0.1 dev tun0");
	assert_ptr_not_equal(a, flows__intern(f, "tun0"));
	/* cut to FLOW_ROUTE_LEN - 1 bytes */
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(strlen(flows__intern(f, long_name)), FLOW_ROUTE_LEN - 1);
	flows__free(f);
}

/* A slot given to another interface: its old flows are forgotten */
static void test_purge_slot(void **state)
{
	struct flows *f = flows__new(16);
	struct tl_flow_key k = {.family = 4, .proto = 17};
	int i, is_new;

	for (i = 0; i < 6; i++) {
		k.slot = i % 2;
		k.sport = i;
		assert_non_null(flows__upsert(f, &k, &is_new));
	}
	flows__purge_slot(f, 1);
	assert_int_equal(flows__count(f), 3);
	k.slot = 1;
	k.sport = 1;
	assert_null(flows__lookup(f, &k));
	k.slot = 0;
	k.sport = 0;
	assert_non_null(flows__lookup(f, &k));
	flows__free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_insert_update), cmocka_unit_test(test_kernel_reinsert),
	    cmocka_unit_test(test_top),		  cmocka_unit_test(test_ageing),
	    cmocka_unit_test(test_bounded),	  cmocka_unit_test(test_recent_survives),
	    cmocka_unit_test(test_iterate),	  cmocka_unit_test(test_intern),
	    cmocka_unit_test(test_purge_slot),
	};

	return cmocka_run_group_tests_name("flows", tests, NULL, NULL);
}
