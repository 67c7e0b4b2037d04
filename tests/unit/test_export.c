// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Export and event rendering; JSON is parsed back with jq. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "export.h"
#include "output.h"

static char dir[] = "/tmp/tunleak-unit-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Run jq -r FILTER on path; the first line of its output. */
static char *jq(const char *path, const char *filter)
{
	static char out[4096];
	char cmd[1024];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "jq -r '%s' %s 2>&1", filter, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	assert_int_equal(pclose(p), 0);
	return out;
}

#define assert_jq(path, filter, expect)                                                  \
	do {                                                                             \
		const char *got_ = jq(path, filter);                                     \
		if (strcmp(got_, expect))                                                \
			fail_msg("%s: expected %s, got %s", filter, expect, got_);       \
	} while (0)

static struct flows *sample_flows(void)
{
	struct flows *f = flows__new(16);
	struct tl_flow_key k = { .family = 4, .proto = 6, .slot = 1, .dir = TL_DIR_EGRESS };
	struct flow_rec *r;
	int is_new;

	inet_pton(AF_INET, "10.8.0.2", k.src);
	inet_pton(AF_INET, "10.130.0.5", k.dst);
	k.sport = htons(40000);
	k.dport = htons(8080);
	r = flows__upsert(f, &k, &is_new);
	r->type = TL_TYPE_LEAK;
	r->cls = TL_CLASS_POD;
	strcpy(r->iface, "tun0");
	r->first_ns = 1795694401123000000ULL; /* 2026-11-26T12:00:01.123Z */
	flows__set_kernel_counts(f, r, 7, 588, 1795694402000000000ULL);
	strcpy(r->route, "10.0.0.0/8 via 10.8.0.1 dev tun0");
	r->has_route = 1;
	return f;
}

static void sample(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->started_ns = 1795694400000000000ULL; /* 2026-11-26T12:00:00.000Z */
	s->updated_ns = 1795694405500000000ULL;
	s->netns = "pod\"1";
	s->attach_mode = "tcx";
	s->nr_ifaces = 2;
	strcpy(s->ifaces[0].name, "eth0");
	s->ifaces[0].role = TL_ROLE_CLUSTER;
	s->ifaces[0].state = "attached";
	s->ifaces[0].l2 = 1;
	s->ifaces[0].c[TL_DIR_INGRESS][TL_CLASS_POD] = (struct tl_counter){ 3, 252 };
	s->ifaces[0].c[TL_DIR_EGRESS][TL_CLASS_REMOTE] = (struct tl_counter){ 2, 200 };
	s->ifaces[0].c[TL_DIR_EGRESS][TL_CNT_NONIP] = (struct tl_counter){ 1, 28 };
	strcpy(s->ifaces[1].name, "tun0");
	s->ifaces[1].role = TL_ROLE_TUNNEL;
	s->ifaces[1].state = "waiting";
	s->ifaces[1].c[TL_DIR_EGRESS][TL_CLASS_POD] = (struct tl_counter){ 7, 588 };
	s->ifaces[1].c[TL_DIR_EGRESS][TL_CLASS_SERVICE] = (struct tl_counter){ 2, 120 };
	s->ifaces[1].c[TL_DIR_EGRESS][TL_CLASS_OTHER] = (struct tl_counter){ 9, 900 };
	s->stats[TL_STAT_LEAK_FLOWS] = 2;
	s->stats[TL_STAT_BYPASS_FLOWS] = 1;
	s->stats[TL_STAT_EVENTS_EMITTED] = 3;
	s->stats[TL_STAT_EVENTS_DROPPED] = 4;
	s->flows = sample_flows();
}

static void test_json(void **state)
{
	struct snapshot s;
	char path[128];

	sample(&s);
	snprintf(path, sizeof(path), "%s/c.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".version", "1");
	assert_jq(path, ".started", "2026-11-26T12:00:00.000Z");
	assert_jq(path, ".updated", "2026-11-26T12:00:05.500Z");
	assert_jq(path, ".netns", "pod\"1");
	assert_jq(path, ".interfaces.eth0.role", "cluster");
	assert_jq(path, ".interfaces.tun0.role", "tunnel");
	assert_jq(path, ".interfaces.tun0.state", "waiting");
	assert_jq(path, ".interfaces.eth0.ingress.pod.packets", "3");
	assert_jq(path, ".interfaces.eth0.ingress.pod.bytes", "252");
	assert_jq(path, ".interfaces.eth0.egress | keys | join(\",\")",
		  "node,other,pod,remote,service");
	assert_jq(path, ".interfaces.eth0.non_ip.egress.bytes", "28");
	assert_jq(path, ".interfaces.tun0.egress.pod.packets", "7");
	assert_jq(path, ".leaks.packets", "9");
	assert_jq(path, ".leaks.bytes", "708");
	assert_jq(path, ".leaks.flows", "2");
	assert_jq(path, ".bypass.packets", "2");
	assert_jq(path, ".bypass.flows", "1");
	assert_jq(path, ".events.emitted", "3");
	assert_jq(path, ".events.dropped", "4");
	assert_jq(path, ".flows | length", "1");
	assert_jq(path,
		  ".flows[0] | [.type,.iface,.src,.dst,.proto,.sport,.dport,.class,.packets,.bytes,.first,.route] | map(tostring) | join(\" \")",
		  "leak tun0 10.8.0.2 10.130.0.5 tcp 40000 8080 pod 7 588 2026-11-26T12:00:01.123Z 10.0.0.0/8 via 10.8.0.1 dev tun0");
	flows__free(s.flows);
}

static void test_json_long_string(void **state)
{
	struct snapshot s = { .attach_mode = "tc" };
	char path[128], name[2100], want[2100];
	int i;

	/* longer than the line buffer, with characters to escape across
	 * the pieces it is written in */
	for (i = 0; i < 2000; i++)
		name[i] = i % 97 == 0 ? '"' : i % 89 == 0 ? '\\' : 'a' + i % 26;
	name[2000] = '\0';
	s.netns = name;
	snprintf(path, sizeof(path), "%s/long.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".netns | length", "2000");
	memcpy(want, name, sizeof(name));
	assert_string_equal(jq(path, ".netns"), want);
}

static void test_json_empty(void **state)
{
	struct snapshot s = { .attach_mode = "tc" };
	char path[128];

	snprintf(path, sizeof(path), "%s/empty.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".flows | length", "0");
	assert_jq(path, ".interfaces | length", "0");
	assert_jq(path, ".netns", "null");
}

static void test_prom(void **state)
{
	struct snapshot s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sample(&s);
	assert_int_equal(export_render_prom(f, &s), 0);
	fclose(f);
	assert_non_null(strstr(buf, "# HELP tunleak_packets_total "));
	assert_non_null(strstr(buf, "# TYPE tunleak_packets_total counter\n"));
	assert_non_null(strstr(buf,
			       "\ntunleak_packets_total{iface=\"tun0\",direction=\"egress\",class=\"pod\"} 7\n"));
	assert_non_null(strstr(buf,
			       "\ntunleak_bytes_total{iface=\"eth0\",direction=\"ingress\",class=\"pod\"} 252\n"));
	assert_non_null(strstr(buf, "# TYPE tunleak_leak_packets_total counter\ntunleak_leak_packets_total 9\n"));
	assert_non_null(strstr(buf, "# TYPE tunleak_leak_flows gauge\ntunleak_leak_flows 2\n"));
	assert_non_null(strstr(buf, "\ntunleak_bypass_packets_total 2\n"));
	assert_non_null(strstr(buf, "# TYPE tunleak_events_dropped_total counter\ntunleak_events_dropped_total 4\n"));
	assert_non_null(strstr(buf, "tunleak_interface_up{iface=\"tun0\",role=\"tunnel\"} 0\n"));
	/* every sample line is NAME{...} VALUE or NAME VALUE */
	{
		char *line, *save = NULL;

		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (line[0] == '#')
				continue;
			assert_non_null(strchr(line, ' '));
			assert_true(!strncmp(line, "tunleak_", 8));
		}
	}
	free(buf);
	flows__free(s.flows);
}

static void test_atomic_write(void **state)
{
	struct snapshot s = { .attach_mode = "tc" };
	char path[128], cmd[256];

	snprintf(path, sizeof(path), "%s/a.prom", dir);
	assert_int_equal(export_write(path, EXPORT_PROM, &s), 0);
	assert_int_equal(export_write(path, EXPORT_PROM, &s), 0);
	/* no temporary file left beside it */
	snprintf(cmd, sizeof(cmd), "test $(ls %s | grep -c tmp) -eq 0", dir);
	assert_int_equal(system(cmd), 0);
	/* an unwritable directory is an error, not a crash */
	assert_int_not_equal(export_write("/nonexistent-dir/c.json", EXPORT_JSON, &s), 0);
}

static char *event_line(int json, struct flow_rec *r)
{
	static char out[1024];
	char *buf = NULL;
	size_t len = 0;
	struct out o = { .json = json };

	o.f = open_memstream(&buf, &len);
	event_print(&o, r);
	fclose(o.f);
	snprintf(out, sizeof(out), "%s", buf);
	free(buf);
	return out;
}

static void test_event_text(void **state)
{
	struct flows *f = sample_flows();
	struct flow_rec *r = (struct flow_rec *)flows__next(f, NULL);

	assert_string_equal(event_line(0, r),
			    "2026-11-26T12:00:01.123Z LEAK tun0 egress tcp 10.8.0.2:40000 -> 10.130.0.5:8080 class=pod via \"10.0.0.0/8 via 10.8.0.1 dev tun0\"\n");
	r->reply = 1;
	strcpy(r->reply_to, "eth0");
	assert_string_equal(event_line(0, r),
			    "2026-11-26T12:00:01.123Z LEAK tun0 egress tcp 10.8.0.2:40000 -> 10.130.0.5:8080 class=pod via \"10.0.0.0/8 via 10.8.0.1 dev tun0\" (reply to a connection that came in on eth0)\n");
	r->reply = 0;
	r->has_route = 0;
	r->key.proto = 1;
	assert_string_equal(event_line(0, r),
			    "2026-11-26T12:00:01.123Z LEAK tun0 egress icmp 10.8.0.2 -> 10.130.0.5 class=pod\n");
	r->key.family = 6;
	r->key.proto = 17;
	memset(r->key.src, 0, 16);
	memset(r->key.dst, 0, 16);
	inet_pton(AF_INET6, "fd00:8::2", r->key.src);
	inet_pton(AF_INET6, "fd00:10:128::5", r->key.dst);
	r->type = TL_TYPE_BYPASS;
	r->cls = TL_CLASS_REMOTE;
	strcpy(r->iface, "eth0");
	assert_string_equal(event_line(0, r),
			    "2026-11-26T12:00:01.123Z BYPASS eth0 egress udp [fd00:8::2]:40000 -> [fd00:10:128::5]:8080 class=remote\n");
	flows__free(f);
}

static void test_event_json(void **state)
{
	struct flows *f = sample_flows();
	struct flow_rec *r = (struct flow_rec *)flows__next(f, NULL);
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/ev.json", dir);
	fp = fopen(path, "w");
	fputs(event_line(1, r), fp);
	r->has_route = 0;
	r->key.proto = 58;
	r->key.family = 6;
	fputs(event_line(1, r), fp);
	fclose(fp);
	assert_jq(path, "select(.route != null) | [.time,.type,.iface,.direction,.family,.proto,.src,.dst,.sport,.dport,.class,.packets,.bytes,.route] | map(tostring) | join(\" \")",
		  "2026-11-26T12:00:01.123Z leak tun0 egress ipv4 tcp 10.8.0.2 10.130.0.5 40000 8080 pod 7 588 10.0.0.0/8 via 10.8.0.1 dev tun0");
	/* JSON Lines: the second line on its own; route null, sport still present */
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd),
			 "test \"$(sed -n 2p %s | jq -c '[.proto,.family,.route,.sport]')\" = '[\"icmpv6\",\"ipv6\",null,40000]'",
			 path);
		assert_int_equal(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "test $(wc -l < %s) -eq 2", path);
		assert_int_equal(system(cmd), 0);
	}
	flows__free(f);
}

static void test_helpers(void **state)
{
	char b[64];

	assert_string_equal(proto_name(6, b, sizeof(b)), "tcp");
	assert_string_equal(proto_name(17, b, sizeof(b)), "udp");
	assert_string_equal(proto_name(1, b, sizeof(b)), "icmp");
	assert_string_equal(proto_name(58, b, sizeof(b)), "icmpv6");
	assert_string_equal(proto_name(47, b, sizeof(b)), "47");
	assert_string_equal(format_time(0, b, sizeof(b)), "1970-01-01T00:00:00.000Z");
	assert_string_equal(format_time(1795694401999999999ULL, b, sizeof(b)),
			    "2026-11-26T12:00:01.999Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),	     cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_json_long_string),
		cmocka_unit_test(test_prom),	     cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_event_text),   cmocka_unit_test(test_event_json),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests_name("export", tests, setup, teardown);
}
