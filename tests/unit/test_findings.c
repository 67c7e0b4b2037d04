// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The findings set: one per (kind, CIDR, route), and the difference between
 * two audits — appeared, gone, and since when each one that stayed. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "model/abi.h"
#include "model/findings.h"

static struct finding fnd(enum finding_kind kind, const char *cidr, const char *route)
{
	struct finding f = {.kind = kind,
			    .cls = kind == FINDING_BYPASS ? TL_CLASS_REMOTE : TL_CLASS_POD};

	assert_int_equal(cidr_parse(cidr, &f.cidr), 0);
	snprintf(f.route, sizeof(f.route), "%s", route);
	snprintf(f.fix_text, sizeof(f.fix_text), "ip route add %s via 10.128.0.1 dev eth0", cidr);
	return f;
}

struct seen {
	char appeared[8][600], gone[8][600];
	int na, ng;
};

static void on(const struct finding *f, bool appeared, void *ctx)
{
	struct seen *s = ctx;
	char key[600];

	finding_key(f, key, sizeof(key));
	if (appeared)
		snprintf(s->appeared[s->na++], sizeof(s->appeared[0]), "%s", key);
	else
		snprintf(s->gone[s->ng++], sizeof(s->gone[0]), "%s", key);
}

static void test_key_and_set(void **state)
{
	struct findings *s = findings__new();
	struct finding a = fnd(FINDING_LEAK, "10.128.0.0/14", "10.0.0.0/8 via 10.8.0.1 dev tun0");
	struct finding b = a;
	char key[600];

	assert_non_null(s);
	assert_string_equal(finding_key(&a, key, sizeof(key)),
			    "leak|10.128.0.0/14|10.0.0.0/8 via 10.8.0.1 dev tun0");
	assert_int_equal(findings__add(s, &a), 1);
	/* the same key from another probe or source: the first one stays */
	b.example[3] = 7;
	b.has_src = true;
	assert_int_equal(findings__add(s, &b), 0);
	assert_int_equal(findings__count(s), 1);
	assert_int_equal(findings__get(s, 0)->example[3], 0);
	/* another route, another kind, another CIDR: each its own */
	b = fnd(FINDING_LEAK, "10.128.0.0/14", "default dev tun0 table 51820");
	assert_int_equal(findings__add(s, &b), 1);
	b = fnd(FINDING_BYPASS, "10.128.0.0/14", "default dev tun0 table 51820");
	assert_int_equal(findings__add(s, &b), 1);
	b = fnd(FINDING_LEAK, "10.128.0.0/15", "default dev tun0 table 51820");
	assert_int_equal(findings__add(s, &b), 1);
	assert_int_equal(findings__count(s), 4);
	assert_int_equal(findings__find(s, &b), 3);
	assert_null(findings__get(s, 4));
	assert_null(findings__get(s, -1));
	findings__clear(s);
	assert_int_equal(findings__count(s), 0);
	assert_int_equal(findings__find(s, &a), -1);
	findings__free(s);
	findings__free(NULL);
}

static void test_limit(void **state)
{
	struct findings *s = findings__new();
	struct finding f = fnd(FINDING_LEAK, "10.128.0.0/14", "");
	int i;

	for (i = 0; i < FINDINGS_MAX; i++) {
		snprintf(f.route, sizeof(f.route), "10.%d.%d.0/24 dev tun0", i / 256, i % 256);
		assert_int_equal(findings__add(s, &f), 1);
	}
	snprintf(f.route, sizeof(f.route), "one more");
	assert_int_equal(findings__add(s, &f), -ENOSPC);
	assert_int_equal(findings__add(s, &f), -ENOSPC);
	assert_int_equal(findings__count(s), FINDINGS_MAX);
	assert_int_equal(findings__dropped(s), 2);
	/* one already there is no drop */
	snprintf(f.route, sizeof(f.route), "10.0.0.0/24 dev tun0");
	assert_int_equal(findings__add(s, &f), 0);
	assert_int_equal(findings__dropped(s), 2);
	findings__clear(s);
	assert_int_equal(findings__dropped(s), 0);
	findings__free(s);
}

static void test_diff(void **state)
{
	struct findings *prev = findings__new(), *now = findings__new();
	struct finding leak =
	    fnd(FINDING_LEAK, "10.128.0.0/14", "10.0.0.0/8 via 10.8.0.1 dev tun0");
	struct finding svc =
	    fnd(FINDING_LEAK, "172.30.0.0/16", "172.16.0.0/12 via 10.8.0.1 dev tun0");
	struct finding byp = fnd(FINDING_BYPASS, "192.0.2.0/24", "default via 10.128.0.1 dev eth0");
	struct findings_diff d;
	struct seen s = {0};

	/* the first audit: everything appears, since then */
	findings__add(now, &leak);
	findings__add(now, &svc);
	d = findings__diff(prev, now, 1000, on, &s);
	assert_int_equal(d.appeared, 2);
	assert_int_equal(d.gone, 0);
	assert_int_equal(d.kept, 0);
	assert_int_equal(s.na, 2);
	assert_string_equal(s.appeared[0], "leak|10.128.0.0/14|10.0.0.0/8 via 10.8.0.1 dev tun0");
	assert_string_equal(s.appeared[1],
			    "leak|172.30.0.0/16|172.16.0.0/12 via 10.8.0.1 dev tun0");
	assert_int_equal(findings__get(now, 0)->since, 1000);
	findings__move(prev, now);
	assert_int_equal(findings__count(prev), 2);
	assert_int_equal(findings__count(now), 0);

	/* nothing changed: nothing said, since kept */
	memset(&s, 0, sizeof(s));
	findings__add(now, &svc);
	findings__add(now, &leak);
	d = findings__diff(prev, now, 2000, on, &s);
	assert_int_equal(d.appeared + d.gone, 0);
	assert_int_equal(d.kept, 2);
	assert_int_equal(s.na + s.ng, 0);
	assert_int_equal(findings__get(now, 0)->since, 1000);
	assert_int_equal(findings__get(now, 1)->since, 1000);
	findings__move(prev, now);

	/* the leak fixed, a bypass appeared: one each way */
	memset(&s, 0, sizeof(s));
	findings__add(now, &svc);
	findings__add(now, &byp);
	d = findings__diff(prev, now, 3000, on, &s);
	assert_int_equal(d.appeared, 1);
	assert_int_equal(d.gone, 1);
	assert_int_equal(d.kept, 1);
	assert_string_equal(s.appeared[0], "bypass|192.0.2.0/24|default via 10.128.0.1 dev eth0");
	assert_string_equal(s.gone[0], "leak|10.128.0.0/14|10.0.0.0/8 via 10.8.0.1 dev tun0");
	assert_int_equal(findings__get(now, 0)->since, 1000);
	assert_int_equal(findings__get(now, 1)->since, 3000);
	findings__move(prev, now);

	/* the same CIDR by another route is another finding: the old one goes */
	memset(&s, 0, sizeof(s));
	svc = fnd(FINDING_LEAK, "172.30.0.0/16", "default dev tun0 table 51820");
	findings__add(now, &svc);
	findings__add(now, &byp);
	d = findings__diff(prev, now, 4000, NULL, NULL);
	assert_int_equal(d.appeared, 1);
	assert_int_equal(d.gone, 1);
	findings__move(prev, now);

	/* all clean */
	memset(&s, 0, sizeof(s));
	d = findings__diff(prev, now, 5000, on, &s);
	assert_int_equal(d.gone, 2);
	assert_int_equal(s.ng, 2);
	findings__free(prev);
	findings__free(now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_and_set),
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
