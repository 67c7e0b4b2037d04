// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The objects that drive tracing, without root: the fleet's reconcile
 * decisions (fleet_plan), the collector's reporting (each flow once, never
 * from a sweep), the publisher's snapshot and counters file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/flows.h"
#include "node/node.h"
#include "out/export.h"
#include "out/output.h"
#include "trace/collector.h"
#include "trace/fleet.h"
#include "trace/publisher.h"
#include "trace/tracer.h"

/* --- interface slots ---------------------------------------------------------- */

/* Any free slot for a cluster interface or a first tunnel, until none is
 * left; never-used slots first, then the one given back longest ago. */
static void test_slots_base_and_reuse(void **state)
{
	static struct slot_table st;
	struct tracer *a = (struct tracer *)0x1000, *b = (struct tracer *)0x2000;
	bool reused;
	int i;

	memset(&st, 0, sizeof(st));
	st.nr = 6;
	for (i = 0; i < 6; i++) {
		assert_int_equal(slot_table_take(&st, a, i, false, 4, &reused), i);
		assert_false(reused);
	}
	assert_int_equal(st.used, 6);
	assert_int_equal(slot_table_take(&st, b, 0, false, 0, &reused), -ENOSPC);
	slot_table_give(&st, 4);
	slot_table_give(&st, 1);
	slot_table_give(&st, 1); /* twice: once */
	assert_int_equal(st.used, 4);
	/* the one given back first, its counts shown longest */
	assert_int_equal(slot_table_take(&st, b, 3, false, 0, &reused), 4);
	assert_true(reused);
	assert_true(st.owner[4] == b);
	assert_int_equal(st.iface[4], 3);
	assert_int_equal(slot_table_take(&st, b, 5, false, 0, &reused), 1);
	assert_int_equal(slot_table_take(&st, b, 6, false, 0, &reused), -ENOSPC);
}

/* A namespace's further tunnels never take the last `keep` free slots: a
 * pod that makes many tunnels cannot starve the next pod's interfaces. */
static void test_slots_extra_keeps_room(void **state)
{
	static struct slot_table st;
	struct tracer *hostile = (struct tracer *)0x1000, *next = (struct tracer *)0x2000;
	bool reused;
	int i, got = 0;

	memset(&st, 0, sizeof(st));
	st.nr = 20;
	for (i = 0; i < 20; i++)
		got += slot_table_take(&st, hostile, i, true, 5, &reused) >= 0;
	assert_int_equal(got, 15); /* 20 slots, 5 kept */
	assert_int_equal(st.used, 15);
	/* the next pod's cluster interface and first tunnel get theirs */
	for (i = 0; i < 5; i++)
		assert_true(slot_table_take(&st, next, i, false, 5, &reused) >= 0);
	assert_int_equal(slot_table_take(&st, next, 5, false, 5, &reused), -ENOSPC);
}

/* The limits as built: 2,048 slots with --all, each VPN pod taking two: a
 * node of 500 VPN pods fits four times, and with 8 tunnels each beyond the
 * first (the most one pod can count) 512 pods still leave 512 slots. */
static void test_slots_sized_for_nodes(void **state)
{
	assert_true(TL_MAX_SLOTS >= 2 * 500 * 2);
	assert_true(TL_MAX_SLOTS - SLOTS_KEPT_FOR_PODS >= 2 * 500);
	assert_int_equal(SLOTS_KEPT_FOR_PODS % 2, 0);
	assert_true(TRACER_EXTRA_TUNNELS >= 1);
}

/* --- fleet_plan -------------------------------------------------------------- */

static struct node_ns ns_found(uint64_t ino, const char *pod, const char *k8s_ns)
{
	struct node_ns x = {.f = {.dev = 4, .ino = ino}};

	snprintf(x.pod, sizeof(x.pod), "%s", pod);
	snprintf(x.label, sizeof(x.label), "%s", pod);
	snprintf(x.k8s_ns, sizeof(x.k8s_ns), "%s", k8s_ns);
	return x;
}

static struct fleet_known ns_known(uint64_t ino, enum ns_state state, const char *pod,
				   const char *k8s_ns)
{
	return (struct fleet_known){
	    .dev = 4, .ino = ino, .state = state, .pod = pod, .k8s_ns = k8s_ns};
}

/* "NEW:f1 RENAME:k0/f0 ..." */
static const char *plan_text(const struct fleet_known *known, int nk, const struct node_ns *found,
			     int nf, int kept)
{
	static const char *const names[] = {"NEW", "RENAME", "RESCAN", "END", "DROP", "RETRY"};
	static char buf[1024];
	struct fleet_step steps[64];
	int i, n = fleet_plan(known, nk, found, nf, kept, steps);
	size_t o = 0;

	assert_true(n >= 0 && n <= nf + 3 * nk);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		o += snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", names[steps[i].kind]);
		if (steps[i].known >= 0)
			o += snprintf(buf + o, sizeof(buf) - o, ":k%d", steps[i].known);
		if (steps[i].found >= 0)
			o += snprintf(buf + o, sizeof(buf) - o, "%sf%d",
				      steps[i].known >= 0 ? "/" : ":", steps[i].found);
	}
	return buf;
}

static void test_plan_new_and_known(void **state)
{
	struct fleet_known known[] = {ns_known(10, NS_TRACING, "a", "default"),
				      ns_known(11, NS_WATCHING, "b", "")};
	struct node_ns found[] = {ns_found(10, "a", "default"), ns_found(11, "b", ""),
				  ns_found(12, "c", "")};

	/* the traced one stays as it is, the watched one is looked at again */
	assert_string_equal(plan_text(known, 2, found, 3, 64), "RESCAN:k1/f1 NEW:f2");
	assert_string_equal(plan_text(NULL, 0, found, 3, 64), "NEW:f0 NEW:f1 NEW:f2");
	assert_string_equal(plan_text(known, 2, found, 2, 64), "RESCAN:k1/f1");
}

static void test_plan_names_never_get_less(void **state)
{
	struct fleet_known known[] = {ns_known(10, NS_TRACING, "", ""),
				      ns_known(11, NS_TRACING, "web", "shop")};
	struct node_ns found[] = {ns_found(10, "web-1", "shop"), ns_found(11, "", "")};

	/* a name that comes later is taken; one that goes is not forgotten */
	assert_string_equal(plan_text(known, 2, found, 2, 64), "RENAME:k0/f0");
	found[1] = ns_found(11, "web", "other");
	assert_string_equal(plan_text(known, 2, found, 2, 64), "RENAME:k0/f0 RENAME:k1/f1");
}

static void test_plan_ended(void **state)
{
	struct fleet_known known[] = {
	    ns_known(10, NS_TRACING, "a", ""), ns_known(11, NS_WATCHING, "b", ""),
	    ns_known(12, NS_GONE, "c", ""), ns_known(13, NS_TRACING, "d", "")};
	struct node_ns found[] = {ns_found(13, "d", "")};

	/* traced and gone: detached, kept; watched and gone: forgotten; a
	 * gone one is never matched again, even if its inode comes back */
	assert_string_equal(plan_text(known, 4, found, 1, 64), "END:k0 DROP:k1");
	found[0] = ns_found(12, "c2", "");
	assert_string_equal(plan_text(known, 4, found, 1, 64), "NEW:f0 END:k0 END:k3 DROP:k1");
}

/* Found but not traced (out of fds, no permission): tried again while it is
 * there, forgotten when it is not; nothing holds it, so its name is the one
 * found now, even a lesser one. */
static void test_plan_untraced(void **state)
{
	struct fleet_known known[] = {ns_known(10, NS_UNTRACED, "a", "default"),
				      ns_known(11, NS_UNTRACED, "b", "")};
	struct node_ns found[] = {ns_found(10, "a", ""), ns_found(12, "c", "")};

	known[0].source = NAME_RUNTIME;
	found[0].source = NAME_HOSTNAME;
	assert_string_equal(plan_text(known, 2, found, 2, 64),
			    "RENAME:k0/f0 RETRY:k0/f0 NEW:f1 DROP:k1");
	found[0] = ns_found(10, "a", "default");
	found[0].source = NAME_RUNTIME;
	assert_string_equal(plan_text(known, 2, found, 1, 64), "RETRY:k0/f0 DROP:k1");
}

/* A name from the runtime outranks the same name from a hostname; a traced
 * namespace's name never falls back to a lesser source. */
static void test_plan_name_sources(void **state)
{
	struct fleet_known known[] = {ns_known(10, NS_TRACING, "web", ""),
				      ns_known(11, NS_TRACING, "db", "shop")};
	struct node_ns found[] = {ns_found(10, "web", ""), ns_found(11, "db", "")};

	known[0].source = NAME_HOSTNAME;
	known[1].source = NAME_RUNTIME;
	found[0].source = NAME_RUNTIME;
	found[1].source = NAME_HOSTNAME;
	assert_string_equal(plan_text(known, 2, found, 2, 64), "RENAME:k0/f0");
}

static void test_plan_gone_kept(void **state)
{
	struct fleet_known known[] = {
	    ns_known(10, NS_GONE, "a", ""), ns_known(11, NS_GONE, "b", ""),
	    ns_known(12, NS_TRACING, "c", ""), ns_known(13, NS_GONE, "d", "")};

	/* 4 ended with 2 kept: the two oldest go, highest index first */
	assert_string_equal(plan_text(known, 4, NULL, 0, 2), "END:k2 DROP:k1 DROP:k0");
	assert_string_equal(plan_text(known, 4, NULL, 0, 0),
			    "END:k2 DROP:k3 DROP:k2 DROP:k1 DROP:k0");
	assert_string_equal(plan_text(known, 4, NULL, 0, 4), "END:k2");
}

/* --- collector ------------------------------------------------------------------ */

struct sink {
	char *buf;
	size_t len;
	FILE *f;
	struct out out;
};

static void sink_open(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
	s->out = (struct out){.f = s->f, .json = true};
	jw_init(&s->out.jw, false);
}

static int sink_lines(struct sink *s)
{
	int n = 0;
	size_t i;

	fflush(s->f);
	for (i = 0; i < s->len; i++)
		n += s->buf[i] == '\n';
	return n;
}

static void sink_close(struct sink *s)
{
	out_free(&s->out);
	fclose(s->f);
	free(s->buf);
}

static struct tl_event leak_event(uint8_t last_octet, uint64_t packets, uint64_t bytes)
{
	struct tl_event e = {.type = TL_TYPE_LEAK,
			     .cls = TL_CLASS_POD,
			     .packets = packets,
			     .bytes = bytes,
			     .ts_ns = 1000};

	e.key.family = 4;
	e.key.proto = 17;
	e.key.dir = TL_DIR_EGRESS;
	e.key.src[0] = 10, e.key.src[1] = 128, e.key.src[3] = 5;
	e.key.dst[0] = 10, e.key.dst[1] = 129, e.key.dst[3] = last_octet;
	return e;
}

static void test_collector_reports_each_flow_once(void **state)
{
	struct tracer_env env = {.flows = flows__new(1024)};
	struct sink s;
	struct collector *c;
	struct tl_event e1 = leak_event(7, 1, 128), e2 = leak_event(8, 2, 256);
	struct tl_flow_val v = {.packets = 9, .bytes = 1152, .last_ns = 2000};
	struct flow_rec *r;

	sink_open(&s);
	c = collector__new(&(struct collector_opts){.env = &env, .events = &s.out});
	assert_non_null(c);
	assert_int_equal(collector__fd(c), -1); /* no datapath, no ring */
	collector__event(c, &e1);
	collector__event(c, &e1); /* the same flow again: no second line */
	collector__lost(c, &e2);  /* one whose event did not fit */
	collector__lost(c, &e2);
	assert_int_equal(sink_lines(&s), 2);
	assert_int_equal(collector__received(c), 2);
	assert_int_equal(collector__recovered(c), 2);
	/* a sweep gives the counts of flows known, and reports none */
	collector__swept(c, &e1.key, &v);
	e1.key.dst[3] = 99;
	collector__swept(c, &e1.key, &v);
	assert_int_equal(sink_lines(&s), 2);
	assert_int_equal(flows__count(env.flows), 2);
	e1.key.dst[3] = 7;
	r = flows__lookup(env.flows, &e1.key);
	assert_non_null(r);
	assert_int_equal(r->packets, 9);
	assert_int_equal(r->bytes, 1152);
	/* an unowned slot: its interface is "?" */
	assert_string_equal(r->iface, "?");
	assert_non_null(strstr(s.buf, "\"type\":\"leak\""));
	collector__free(c);
	sink_close(&s);
	flows__free(env.flows);
}

static void test_collector_quiet_under_top(void **state)
{
	struct tracer_env env = {.flows = flows__new(1024)};
	struct collector *c = collector__new(&(struct collector_opts){.env = &env});
	struct tl_event e = leak_event(7, 1, 128);

	assert_non_null(c);
	collector__event(c, &e);
	/* kept for the table, printed nowhere */
	assert_int_equal(flows__count(env.flows), 1);
	assert_int_equal(collector__received(c), 1);
	collector__free(c);
	flows__free(env.flows);
}

/* --- publisher ------------------------------------------------------------------ */

static void test_publisher_writes_the_file(void **state)
{
	char dir[] = "/tmp/tunleak-unit-XXXXXX", path[128], cmd[256], got[256];
	struct tracer_env env = {.flows = flows__new(1024), .kind = KIND_TCX};
	struct tl_event e = leak_event(7, 3, 384);
	struct collector *c = collector__new(&(struct collector_opts){.env = &env});
	const struct snapshot *s;
	struct publisher *p;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.json", dir);
	collector__event(c, &e);
	collector__lost(c, &e);
	p = publisher__new(&(struct publisher_opts){.env = &env,
						    .collector = c,
						    .export_path = path,
						    .export_fmt = EXPORT_JSON,
						    .started_ns = 1});
	assert_non_null(p);
	s = publisher__build(p);
	assert_int_equal(s->received, 1);
	assert_int_equal(s->recovered, 1);
	assert_string_equal(s->attach_mode, "tcx");
	assert_int_equal(s->nr_ns, 0);
	assert_int_equal(publisher__publish(p), 0);
	snprintf(cmd, sizeof(cmd),
		 "jq -r '\"\\(.version) \\(.events.received) \\(.events.recovered)\"' %s", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	pclose(f);
	assert_string_equal(got, "2 1 1\n");
	/* a file that cannot be written is said, and returned */
	publisher__free(p);
	snprintf(path, sizeof(path), "%s/no/such/dir/c.json", dir);
	p = publisher__new(
	    &(struct publisher_opts){.env = &env, .export_path = path, .export_fmt = EXPORT_JSON});
	assert_int_equal(publisher__publish(p), -ENOENT);
	publisher__free(p);
	collector__free(c);
	flows__free(env.flows);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slots_base_and_reuse),
	    cmocka_unit_test(test_slots_extra_keeps_room),
	    cmocka_unit_test(test_slots_sized_for_nodes),
	    cmocka_unit_test(test_plan_new_and_known),
	    cmocka_unit_test(test_plan_names_never_get_less),
	    cmocka_unit_test(test_plan_ended),
	    cmocka_unit_test(test_plan_gone_kept),
	    cmocka_unit_test(test_plan_untraced),
	    cmocka_unit_test(test_plan_name_sources),
	    cmocka_unit_test(test_collector_reports_each_flow_once),
	    cmocka_unit_test(test_collector_quiet_under_top),
	    cmocka_unit_test(test_publisher_writes_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
