// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The --top view rendered into a buffer of a given width. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "out/table.h"

static struct snapshot now, prev;
static struct flows *fl;
static const struct flow_rec *list[8];

static int setup(void **state)
{
	struct tl_flow_key k = {.family = 4, .proto = 6, .slot = 1, .dir = TL_DIR_EGRESS};
	struct flow_rec *r;
	int is_new;

	struct ns_snap *n, *p;

	snapshot_free(&now);
	snapshot_free(&prev);
	memset(&now, 0, sizeof(now));
	n = snapshot_add_ns(&now);
	n->id = 1;
	strcpy(n->label, "pod1");
	n->state = NS_TRACING;
	n->leak_flows = 1;
	n->nr_ifaces = 2;
	strcpy(n->ifaces[0].name, "eth0");
	n->ifaces[0].role = TL_ROLE_CLUSTER;
	n->ifaces[0].state = IFACE_ATTACHED;
	n->ifaces[0].c[TL_DIR_INGRESS][TL_CLASS_POD] = (struct tl_counter){12, 1008};
	strcpy(n->ifaces[1].name, "tun0");
	n->ifaces[1].role = TL_ROLE_TUNNEL;
	n->ifaces[1].state = IFACE_ATTACHED;
	n->ifaces[1].c[TL_DIR_EGRESS][TL_CLASS_POD] = (struct tl_counter){4, 240};
	now.updated_ns = 1795694410000000000ULL;
	now.started_ns = 1795694400000000000ULL;
	memset(&prev, 0, sizeof(prev));
	p = snapshot_add_ns(&prev);
	*p = *n;
	p->ifaces[1].c[TL_DIR_EGRESS][TL_CLASS_POD] = (struct tl_counter){2, 120};
	prev.updated_ns = now.updated_ns - 1000000000ULL;

	fl = flows__new(16);
	inet_pton(AF_INET, "10.128.0.10", k.src);
	inet_pton(AF_INET, "10.130.0.5", k.dst);
	k.sport = htons(8080);
	k.dport = htons(40000);
	r = flows__upsert(fl, &k, &is_new);
	r->ns_id = 1;
	r->type = TL_TYPE_LEAK;
	r->cls = TL_CLASS_POD;
	r->iface = "tun0";
	r->first_ns = now.updated_ns - 7000000000ULL;
	flows__set_kernel_counts(fl, r, 4, 240, now.updated_ns - 2000000000ULL);
	r->route = "10.0.0.0/8 via 198.19.8.1 dev tun0";
	r->has_route = 1;
	r->reply = 1;
	r->reply_to = "eth0";
	r->pps = 2;
	list[0] = r;
	return 0;
}

static int teardown(void **state)
{
	flows__free(fl);
	snapshot_free(&now);
	snapshot_free(&prev);
	return 0;
}

static char out[64 * 1024];

static int render_mode(int width, int height, bool color, uint64_t dropped, bool node_mode)
{
	struct table_view v = {.now = &now,
			       .prev = &prev,
			       .dt = 1.0,
			       .where = "network namespace pod1",
			       .attach = "tcx",
			       .uptime_s = 3723,
			       .flows = list,
			       .nflows = 1,
			       .now_ns = now.updated_ns,
			       .color = color,
			       .node_mode = node_mode};

	now.stats[TL_STAT_EVENTS_DROPPED] = dropped;
	return table_render(out, sizeof(out), width, height, &v);
}

static int render(int width, int height, bool color, uint64_t dropped)
{
	return render_mode(width, height, color, dropped, false);
}

static const char *find_line(const char *needle)
{
	static char l[2048];
	const char *p = out, *nl;

	while ((nl = strchr(p, '\n'))) {
		snprintf(l, sizeof(l), "%.*s", (int)(nl - p), p);
		if (strstr(l, needle))
			return l;
		p = nl + 1;
	}
	return NULL;
}

static void assert_widths(int width)
{
	const char *p = out, *nl;

	while ((nl = strchr(p, '\n'))) {
		if (nl - p > width)
			fail_msg("line of %d columns in a %d-column view: %.*s", (int)(nl - p),
				 width, (int)(nl - p), p);
		p = nl + 1;
	}
}

static void test_80_columns(void **state)
{
	const char *l;
	int n = render(80, 30, false, 0);

	assert_true(n <= 30);
	assert_widths(80);
	assert_non_null(strstr(out, "tunleak  network namespace pod1  tcx  up 1:02:03"));
	assert_non_null(find_line("eth0 cluster attached   tun0 tunnel attached"));
	assert_non_null(find_line(
	    "LEAKS 4 packets in 1 flows   BYPASS 0 packets in 0 flows   events dropped 0"));
	l = find_line("tun0       egress   pod");
	assert_non_null(l);
	/* 4 packets, 240 bytes, 2 pps, 960 bit/s since the last refresh */
	assert_string_equal(l,
			    "tun0       egress   pod              4       240         2       960");
	/* narrow: the route gets the room that interface, rate and times had */
	l = find_line("LEAK   tcp");
	assert_non_null(l);
	assert_string_equal(
	    l, "LEAK   tcp    10.128.0.10:8080 -> 10.130.0.5:40000 pod          4    240");
	l = find_line("       via ");
	assert_non_null(l);
	assert_string_equal(l, "       via 10.0.0.0/8 via 198.19.8.1 dev tun0 (reply to eth0)");
}

static void test_wide(void **state)
{
	const char *l;

	render(200, 30, false, 0);
	assert_widths(200);
	l = find_line("LEAK   tun0");
	assert_non_null(l);
	assert_string_equal(
	    l, "LEAK   tun0   tcp    10.128.0.10:8080 -> 10.130.0.5:40000 pod          "
	       "4    240     2    7s    2s  REPLY to eth0: 10.0.0.0/8 via 198.19.8.1 dev tun0");
}

static void test_dropped_highlight(void **state)
{
	render(120, 30, false, 3);
	assert_non_null(find_line("events dropped 3 (!)"));
	render(120, 30, true, 3);
	assert_non_null(strstr(out, "\033[1;31mevents dropped 3"));
	assert_widths(120 + 40); /* escape sequences take no columns */
}

static void test_short_terminal(void **state)
{
	assert_int_equal(render(80, 5, false, 0), 5);
	assert_null(find_line("LEAK   tcp"));
}

/* Node mode: a POD column for the counters, flows under their pod's name */
static void test_by_pod(void **state)
{
	struct ns_snap *n = &now.ns[0];
	const char *l;

	strcpy(n->pod, "vpn-a");
	strcpy(n->k8s_ns, "team-a");
	now.ns_seen = 12;
	render_mode(120, 30, false, 0, true);
	assert_widths(120);
	assert_non_null(find_line("namespaces: 1 traced, 0 gone, 12 found on the node"));
	l = find_line("team-a/vpn-a         tun0       egress   pod");
	assert_non_null(l);
	assert_string_equal(l, "team-a/vpn-a         tun0       egress   pod              4       "
			       "240         2       960");
	assert_non_null(find_line("LEAK AND BYPASS FLOWS, by packets, by pod"));
	l = find_line("LEAK   tun0");
	assert_non_null(l);
	/* the pod's name on the line above its flows */
	assert_string_equal(l - 0, l);
	assert_non_null(strstr(out, "\nteam-a/vpn-a\nLEAK   tun0"));
	n->pod[0] = n->k8s_ns[0] = '\0';
}

static void test_human(void **state)
{
	char b[16];

	assert_string_equal(human(999, b, sizeof(b)), "999");
	assert_string_equal(human(1234, b, sizeof(b)), "1.2K");
	assert_string_equal(human(56789, b, sizeof(b)), "57K");
	assert_string_equal(human(5300000, b, sizeof(b)), "5.3M");
	assert_string_equal(human(14.9e9, b, sizeof(b)), "15G");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_80_columns),
	    cmocka_unit_test(test_wide),
	    cmocka_unit_test(test_dropped_highlight),
	    cmocka_unit_test(test_short_terminal),
	    cmocka_unit_test(test_by_pod),
	    cmocka_unit_test(test_human),
	};

	return cmocka_run_group_tests_name("table", tests, setup, teardown);
}
