// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Export and event rendering; JSON is parsed back with jq. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "out/export.h"
#include "out/output.h"
#include "model/cidr.h"
#include "model/findings.h"

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

#define assert_jq(path, filter, expect)                                                            \
	do {                                                                                       \
		const char *got_ = jq(path, filter);                                               \
		if (strcmp(got_, expect))                                                          \
			fail_msg("%s: expected %s, got %s", filter, expect, got_);                 \
	} while (0)

static struct flows *sample_flows(void)
{
	struct flows *f = flows__new(16);
	struct tl_flow_key k = {.family = 4, .proto = 6, .slot = 1, .dir = TL_DIR_EGRESS};
	struct flow_rec *r;
	int is_new;

	inet_pton(AF_INET, "10.8.0.2", k.src);
	inet_pton(AF_INET, "10.130.0.5", k.dst);
	k.sport = htons(40000);
	k.dport = htons(8080);
	r = flows__upsert(f, &k, &is_new);
	r->ns_id = 1;
	r->type = TL_TYPE_LEAK;
	r->cls = TL_CLASS_POD;
	r->iface = "tun0";
	r->first_ns = 1795694401123000000ULL; /* 2026-11-26T12:00:01.123Z */
	flows__set_kernel_counts(f, r, 7, 588, 1795694402000000000ULL);
	r->route = "10.0.0.0/8 via 10.8.0.1 dev tun0";
	r->has_route = 1;
	return f;
}

static void sample(struct snapshot *s)
{
	struct ns_snap *n;

	memset(s, 0, sizeof(*s));
	s->started_ns = 1795694400000000000ULL; /* 2026-11-26T12:00:00.000Z */
	s->updated_ns = 1795694405500000000ULL;
	s->attach_mode = "tcx";
	n = snapshot_add_ns(s);
	n->id = 1;
	strcpy(n->label, "pod\"1");
	strcpy(n->netns, "/run/netns/pod\"1");
	n->state = NS_TRACING;
	n->leak_flows = 2;
	n->bypass_flows = 1;
	n->nr_ifaces = 2;
	strcpy(n->ifaces[0].name, "eth0");
	n->ifaces[0].role = TL_ROLE_CLUSTER;
	n->ifaces[0].state = IFACE_ATTACHED;
	n->ifaces[0].l2 = 1;
	n->ifaces[0].c[TL_DIR_INGRESS][TL_CLASS_POD] = (struct tl_counter){3, 252};
	n->ifaces[0].c[TL_DIR_EGRESS][TL_CLASS_REMOTE] = (struct tl_counter){2, 200};
	n->ifaces[0].c[TL_DIR_EGRESS][TL_CNT_NONIP] = (struct tl_counter){1, 28};
	strcpy(n->ifaces[1].name, "tun0");
	n->ifaces[1].role = TL_ROLE_TUNNEL;
	n->ifaces[1].state = IFACE_WAITING;
	n->ifaces[1].c[TL_DIR_EGRESS][TL_CLASS_POD] = (struct tl_counter){7, 588};
	n->ifaces[1].c[TL_DIR_EGRESS][TL_CLASS_SERVICE] = (struct tl_counter){2, 120};
	n->ifaces[1].c[TL_DIR_EGRESS][TL_CLASS_OTHER] = (struct tl_counter){9, 900};
	s->stats[TL_STAT_LEAK_FLOWS] = 2;
	s->stats[TL_STAT_BYPASS_FLOWS] = 1;
	s->stats[TL_STAT_EVENTS_EMITTED] = 3;
	s->stats[TL_STAT_EVENTS_DROPPED] = 4;
	s->flows = sample_flows();
	/* a second namespace: a pod that has ended */
	n = snapshot_add_ns(s);
	n->id = 2;
	strcpy(n->label, "vpn-b");
	strcpy(n->pod, "vpn-b");
	strcpy(n->k8s_ns, "team-a");
	n->state = NS_GONE;
	n->leak_flows = 1;
	n->nr_ifaces = 1;
	strcpy(n->ifaces[0].name, "tun0");
	n->ifaces[0].role = TL_ROLE_TUNNEL;
	n->ifaces[0].state = IFACE_GONE;
	n->ifaces[0].c[TL_DIR_EGRESS][TL_CLASS_NODE] = (struct tl_counter){5, 500};
}

static void test_json(void **state)
{
	struct snapshot s;
	char path[128];

	sample(&s);
	snprintf(path, sizeof(path), "%s/c.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".version", "2");
	assert_jq(path, ".started", "2026-11-26T12:00:00.000Z");
	assert_jq(path, ".updated", "2026-11-26T12:00:05.500Z");
	assert_jq(path, ".namespaces | length", "2");
	assert_jq(path, ".namespaces[0].label", "pod\"1");
	assert_jq(path, ".namespaces[0].netns", "/run/netns/pod\"1");
	assert_jq(path, ".namespaces[0].pod", "null");
	assert_jq(path, ".namespaces[0].state", "tracing");
	assert_jq(path, ".namespaces[0].interfaces.eth0.role", "cluster");
	assert_jq(path, ".namespaces[0].interfaces.tun0.role", "tunnel");
	assert_jq(path, ".namespaces[0].interfaces.tun0.state", "waiting");
	assert_jq(path, ".namespaces[0].interfaces.eth0.ingress.pod.packets", "3");
	assert_jq(path, ".namespaces[0].interfaces.eth0.ingress.pod.bytes", "252");
	assert_jq(path, ".namespaces[0].interfaces.eth0.egress | keys | join(\",\")",
		  "node,other,pod,remote,service");
	assert_jq(path, ".namespaces[0].interfaces.eth0.non_ip.egress.bytes", "28");
	assert_jq(path, ".namespaces[0].interfaces.tun0.egress.pod.packets", "7");
	assert_jq(path,
		  ".namespaces[0].leaks | [.packets,.bytes,.flows] | map(tostring) | join(\" \")",
		  "9 708 2");
	assert_jq(path, ".namespaces[1] | [.label,.pod,.k8s_namespace,.state] | join(\" \")",
		  "vpn-b vpn-b team-a gone");
	assert_jq(path, ".namespaces[1].leaks.packets", "5");
	/* the totals are over every namespace */
	assert_jq(path, ".leaks.packets", "14");
	assert_jq(path, ".leaks.bytes", "1208");
	assert_jq(path, ".leaks.flows", "3");
	assert_jq(path, ".bypass.packets", "2");
	assert_jq(path, ".bypass.flows", "1");
	assert_jq(path, ".events.emitted", "3");
	assert_jq(path, ".events.dropped", "4");
	assert_jq(path, ".events.flows", "3");
	assert_jq(path, ".flow_list | [.limit,.listed,.omitted] | map(tostring) | join(\" \")",
		  "1000 1 0");
	assert_jq(path, ".namespaces[0].flows | length", "1");
	assert_jq(path, ".namespaces[1].flows | length", "0");
	assert_jq(path,
		  ".namespaces[0].flows[0] | "
		  "[.type,.iface,.src,.dst,.proto,.sport,.dport,.class,.packets,.bytes,.first,."
		  "route] | map(tostring) | join(\" \")",
		  "leak tun0 10.8.0.2 10.130.0.5 tcp 40000 8080 pod 7 588 2026-11-26T12:00:01.123Z "
		  "10.0.0.0/8 via 10.8.0.1 dev tun0");
	flows__free(s.flows);
	snapshot_free(&s);
}

/* 70,000 flows: the file lists 1,000 (the largest, then the newest), says
 * how many it left out, and its totals stay exact. */
static void test_json_bounded(void **state)
{
	struct snapshot s;
	struct flows *f = flows__new(100000);
	char path[128];
	uint32_t i;

	sample(&s);
	flows__free(s.flows);
	for (i = 0; i < 70000; i++) {
		struct tl_flow_key k = {.family = 4, .proto = 17, .slot = 1, .dir = TL_DIR_EGRESS};
		struct flow_rec *r;
		int is_new;

		memcpy(k.src, &i, 4);
		r = flows__upsert(f, &k, &is_new);
		r->ns_id = 1;
		r->type = TL_TYPE_LEAK;
		/* flow i has i packets; flows 34500..34999 were seen last */
		flows__set_kernel_counts(f, r, i, i * 100ULL, 1000000000ULL + (i + 35000) % 70000);
	}
	s.flows = f;
	snprintf(path, sizeof(path), "%s/big.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".flow_list | [.listed,.omitted] | map(tostring) | join(\" \")",
		  "1000 69000");
	assert_jq(path, ".namespaces[0].flows | length", "1000");
	assert_jq(path, ".namespaces[0].flows | map(.packets) | max", "69999");
	/* the 500 largest are there, and the 500 most recent */
	assert_jq(path, "[.namespaces[0].flows[] | select(.packets >= 69500)] | length", "500");
	assert_jq(
	    path,
	    "[.namespaces[0].flows[] | select(.packets >= 34500 and .packets < 35000)] | length",
	    "500");
	assert_jq(path, ".leaks.packets", "14");
	flows__free(f);
	snapshot_free(&s);
}

static void test_json_long_string(void **state)
{
	struct snapshot s = {.attach_mode = "tc"};
	struct ns_snap *n = snapshot_add_ns(&s);
	char path[128], want[64];
	int i;

	/* characters to escape, and control characters a pod could put in a name */
	for (i = 0; i < 60; i++)
		n->label[i] = i % 17 == 0   ? '"'
			      : i % 13 == 0 ? '\\'
			      : i % 11 == 0 ? '\033'
					    : 'a' + i % 26;
	n->label[60] = '\0';
	snprintf(path, sizeof(path), "%s/long.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".namespaces[0].label | length", "60");
	memcpy(want, n->label, sizeof(want));
	assert_string_equal(jq(path, ".namespaces[0].label"), want);
	snapshot_free(&s);
}

static void test_json_empty(void **state)
{
	struct snapshot s = {.attach_mode = "tc"};
	char path[128];

	snprintf(path, sizeof(path), "%s/empty.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".namespaces | length", "0");
	assert_jq(path, ".leaks.packets", "0");
	assert_jq(path, ".flow_list.listed", "0");
}

static char *prom(struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(export_render_prom(f, s), 0);
	fclose(f);
	return buf;
}

/* The labels a scraper adds to every series of a target (Prometheus itself,
 * the Prometheus Operator, OpenShift's user-workload monitoring): a series
 * of ours with one of them would see it renamed exported_NAME when the
 * scrape does not honour our labels. */
static const char *const target_labels[] = {"pod", "namespace", "node",	   "instance",
					    "job", "container", "service", "endpoint"};

/* No label of the sample line is one of them. */
static void assert_no_target_label(const char *line)
{
	const char *p = strchr(line, '{'), *eq;
	size_t i;

	while (p && *p != '}') {
		p++;
		eq = strchr(p, '=');
		assert_non_null(eq);
		for (i = 0; i < sizeof(target_labels) / sizeof(target_labels[0]); i++)
			if (strlen(target_labels[i]) == (size_t)(eq - p) &&
			    !strncmp(p, target_labels[i], eq - p))
				fail_msg("label %s in %s", target_labels[i], line);
		/* past the quoted value, its escapes included */
		for (p = eq + 2; *p && *p != '"'; p++)
			if (*p == '\\')
				p++;
		p++;
	}
}

static void test_prom(void **state)
{
	struct snapshot s;
	char *buf;

	sample(&s);
	buf = prom(&s);
	assert_non_null(strstr(buf, "# HELP tunleak_packets_total "));
	assert_non_null(strstr(buf, "# TYPE tunleak_packets_total counter\n"));
	assert_non_null(
	    strstr(buf, "\ntunleak_packets_total{netns=\"pod\\\"1\",k8s_pod=\"\",k8s_namespace="
			"\"\",iface=\"tun0\",direction=\"egress\",class=\"pod\"} 7\n"));
	assert_non_null(
	    strstr(buf, "\ntunleak_bytes_total{netns=\"pod\\\"1\",k8s_pod=\"\",k8s_namespace=\"\","
			"iface=\"eth0\",direction=\"ingress\",class=\"pod\"} 252\n"));
	assert_non_null(strstr(buf, "# TYPE tunleak_leak_packets_total "
				    "counter\ntunleak_leak_packets_total{netns=\"pod\\\"1\",k8s_"
				    "pod=\"\",k8s_namespace=\"\"} 9\n"));
	assert_non_null(strstr(buf, "\ntunleak_leak_packets_total{netns=\"vpn-b\",k8s_pod=\"vpn-"
				    "b\",k8s_namespace=\"team-a\"} 5\n"));
	assert_non_null(strstr(
	    buf, "\ntunleak_leak_flows{netns=\"pod\\\"1\",k8s_pod=\"\",k8s_namespace=\"\"} 2\n"));
	assert_non_null(strstr(buf, "\ntunleak_bypass_packets_total{netns=\"pod\\\"1\",k8s_pod="
				    "\"\",k8s_namespace=\"\"} 2\n"));
	assert_non_null(strstr(
	    buf, "# TYPE tunleak_events_dropped_total counter\ntunleak_events_dropped_total 4\n"));
	assert_non_null(strstr(buf, "tunleak_interface_up{netns=\"pod\\\"1\",k8s_pod=\"\",k8s_"
				    "namespace=\"\",iface=\"tun0\",role=\"tunnel\"} 0\n"));
	assert_non_null(strstr(buf, "tunleak_namespace_traced{netns=\"vpn-b\",k8s_pod=\"vpn-b\","
				    "k8s_namespace=\"team-a\"} 0\n"));
	/* every sample line is NAME{...} VALUE or NAME VALUE */
	{
		char *line, *save = NULL;

		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (line[0] == '#')
				continue;
			assert_non_null(strchr(line, ' '));
			assert_true(!strncmp(line, "tunleak_", 8));
			assert_no_target_label(line);
		}
	}
	free(buf);
	flows__free(s.flows);
	snapshot_free(&s);
}

/* Names a pod controls cannot break the file: quotes and backslashes escaped,
 * newlines and escape sequences shown as text. */
/* The interface slots and the interfaces over the limit: in the counters
 * file (only when known) and as a gauge; an interface's state "not counted". */
static void test_slots_export(void **state)
{
	struct snapshot s = {.attach_mode = "tc", .slots = 2048, .slots_used = 3, .not_counted = 2};
	struct ns_snap *n = snapshot_add_ns(&s);
	char path[128], *buf;

	strcpy(n->label, "pod");
	n->nr_ifaces = 1;
	strcpy(n->ifaces[0].name, "tun9");
	n->ifaces[0].role = TL_ROLE_TUNNEL;
	n->ifaces[0].state = IFACE_NOT_COUNTED;
	snprintf(path, sizeof(path), "%s/s.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".interface_slots | \"\\(.limit) \\(.used) \\(.not_counted)\"", "2048 3 2");
	assert_jq(path, ".namespaces[0].interfaces.tun9.state", "not counted");
	buf = prom(&s);
	assert_non_null(strstr(
	    buf,
	    "# TYPE tunleak_interfaces_not_counted gauge\ntunleak_interfaces_not_counted 2\n"));
	assert_non_null(strstr(buf, "iface=\"tun9\",role=\"tunnel\"} 0\n"));
	free(buf);
	s.slots = 0;
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".interface_slots", "null");
	snapshot_free(&s);
}

static void test_prom_hostile_names(void **state)
{
	struct snapshot s = {.attach_mode = "tc"};
	struct ns_snap *n = snapshot_add_ns(&s);
	char *buf, *line, *save = NULL;
	int samples = 0;

	strcpy(n->label, "evil\n# TYPE x counter");
	strcpy(n->pod, "p\033[31m");
	n->nr_ifaces = 1;
	strcpy(n->ifaces[0].name, "tun\"0\\");
	n->ifaces[0].role = TL_ROLE_TUNNEL;
	buf = prom(&s);
	assert_non_null(strstr(buf, "tunleak_interface_up{netns=\"evil\\\\x0a# TYPE x "
				    "counter\",k8s_pod=\"p\\\\x1b[31m\",k8s_namespace=\"\",iface="
				    "\"tun\\\"0\\\\\",role=\"tunnel\"} 0\n"));
	assert_null(strchr(buf, '\033'));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#') {
			assert_true(!strncmp(line, "# HELP tunleak_", 15) ||
				    !strncmp(line, "# TYPE tunleak_", 15));
			continue;
		}
		assert_true(!strncmp(line, "tunleak_", 8));
		assert_no_target_label(line);
		samples++;
	}
	/* packets and bytes per direction and class, 5 totals, 3 event
	 * counters, interface up, interfaces not counted, route fixes, namespace
	 * traced; namespaces by
	 * state (4), its name's source, namespaces folded (no route finding: no
	 * series of it) */
	assert_int_equal(samples, 2 * 2 * 7 + 5 + 3 + 1 + 1 + 1 + 1 + 4 + 1 + 1);
	free(buf);
	snapshot_free(&s);
}

/* More ended namespaces than are kept: the list is trimmed, not the sums.
 * The totals (and the summary line, which reads them) never decrease, and
 * the file says how many were folded away. */
static void test_totals_keep_folded(void **state)
{
	struct snapshot s;
	struct totals t;
	char path[256];

	sample(&s);
	s.folded = (struct totals){.leak_packets = 40000,
				   .leak_bytes = 3360000,
				   .leak_flows = 64,
				   .bypass_packets = 3,
				   .bypass_flows = 1};
	s.folded_ns = 65;
	s.gone_kept = 64;
	s.states[NS_TRACING] = 1;
	s.states[NS_GONE] = 1;
	snapshot_totals(&s, &t);
	assert_int_equal(t.leak_packets, 40000 + 7 + 2 + 5);
	assert_int_equal(t.leak_flows, 64 + 2 + 1);
	snprintf(path, sizeof(path), "%s/folded.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path,
		  "[.leaks.packets, .leaks.flows, .bypass.packets] | map(tostring) | join(\" \")",
		  "40014 67 5");
	assert_jq(path,
		  ".namespace_states | [.traced, .gone, .gone_folded, .gone_kept_limit] | "
		  "map(tostring) | join(\" \")",
		  "1 1 65 64");
	assert_jq(path, "[.namespaces[].label] | length", "2");
	snprintf(path, sizeof(path), "%s/folded.prom", dir);
	assert_int_equal(export_write(path, EXPORT_PROM, &s), 0);
	{
		char cmd[512], got[256] = "";
		FILE *p;

		snprintf(cmd, sizeof(cmd),
			 "grep -E '^tunleak_namespaces(_folded_total)?[{ ]' %s | paste -sd '|'",
			 path);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_non_null(fgets(got, sizeof(got), p));
		pclose(p);
		assert_string_equal(got, "tunleak_namespaces{state=\"watching\"} 0|"
					 "tunleak_namespaces{state=\"traced\"} 1|"
					 "tunleak_namespaces{state=\"gone\"} 1|"
					 "tunleak_namespaces{state=\"untraced\"} 0|"
					 "tunleak_namespaces_folded_total 65\n");
	}
	flows__free(s.flows);
	snapshot_free(&s);
}

/* A namespace found but not traced (out of fds) is listed with its reason,
 * has no counter series (a 0 would read as "no leak"), and a series of its
 * own; every namespace says where its name comes from. */
static void test_untraced_and_name_source(void **state)
{
	struct snapshot s;
	struct ns_snap *n;
	char path[256], *buf;

	sample(&s);
	s.ns[0].source = NAME_NETNS;
	s.ns[1].source = NAME_RUNTIME;
	n = snapshot_add_ns(&s);
	n->id = 3;
	strcpy(n->label, "default\\x2fvictim");
	strcpy(n->pod, "default\\x2fvictim");
	n->source = NAME_HOSTNAME;
	n->state = NS_UNTRACED;
	n->untraced_errno = EMFILE;
	strcpy(n->untraced, "cannot open its network namespace: Too many open files");
	s.states[NS_UNTRACED] = 1;
	snprintf(path, sizeof(path), "%s/untraced.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path,
		  "[.namespaces[] | [.label, .state, .name_source, .untraced] | map(tostring) | "
		  "join(\"=\")] | join(\" \")",
		  "pod\"1=tracing=netns=null vpn-b=gone=runtime=null "
		  "default\\x2fvictim=untraced=hostname=cannot open its network namespace: Too "
		  "many open files");
	assert_jq(path, ".namespace_states.untraced", "1");
	buf = prom(&s);
	assert_non_null(strstr(
	    buf, "tunleak_namespace_untraced{netns=\"default\\\\x2fvictim\",k8s_pod="
		 "\"default\\\\x2fvictim\",k8s_namespace=\"\",reason=\"file_descriptors\"} 1\n"));
	assert_non_null(strstr(buf, "tunleak_namespace_name_source{netns=\"vpn-b\",k8s_pod=\"vpn-"
				    "b\",k8s_namespace=\"team-a\",source=\"runtime\"} 1\n"));
	assert_non_null(
	    strstr(buf, "tunleak_namespace_name_source{netns=\"default\\\\x2fvictim\",k8s_pod="
			"\"default\\\\x2fvictim\",k8s_namespace=\"\",source=\"hostname\"} 1\n"));
	assert_non_null(strstr(buf, "tunleak_namespaces{state=\"untraced\"} 1\n"));
	/* no counts for it: none would be true */
	assert_null(strstr(buf, "tunleak_leak_packets_total{netns=\"default"));
	assert_null(strstr(buf, "tunleak_namespace_traced{netns=\"default"));
	free(buf);
	flows__free(s.flows);
	snapshot_free(&s);
}

/* A pod that came back under its name, and two live pods with one name:
 * no two series with the same labels (a scraper would reject the text). */
static void test_prom_unique_series(void **state)
{
	struct snapshot s = {.attach_mode = "tc"};
	const char *states[] = {"gone", "gone", "tracing", "tracing", "tracing"};
	uint64_t inodes[] = {11, 12, 13, 14, 15};
	char *buf, *line, *save = NULL, seen[64][256];
	int i, nseen = 0, j;

	for (i = 0; i < 5; i++) {
		struct ns_snap *n = snapshot_add_ns(&s);

		/* 0, 1, 2: web-0 that ended twice and runs again; 3, 4: two "api" */
		strcpy(n->label, i < 3 ? "web-0" : "api");
		strcpy(n->pod, n->label);
		n->id = i + 1;
		n->inode = inodes[i];
		n->state = !strcmp(states[i], "gone") ? NS_GONE : NS_TRACING;
		n->nr_ifaces = 1;
		strcpy(n->ifaces[0].name, "tun0");
		n->ifaces[0].role = TL_ROLE_TUNNEL;
		n->ifaces[0].c[TL_DIR_EGRESS][TL_CLASS_POD].packets = 100 + i;
	}
	buf = prom(&s);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');

		if (line[0] != 't' || strncmp(line, "tunleak_leak_packets_total{", 27))
			continue;
		*sp = '\0';
		for (j = 0; j < nseen; j++)
			if (!strcmp(seen[j], line))
				fail_msg("series twice: %s", line);
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", line);
	}
	/* web-0: the live one only; api: both, told apart by inode */
	assert_int_equal(nseen, 3);
	free(buf);
	buf = prom(&s);
	assert_non_null(
	    strstr(buf, "tunleak_packets_total{netns=\"web-0\",k8s_pod=\"web-0\",k8s_namespace="
			"\"\",iface=\"tun0\",direction=\"egress\",class=\"pod\"} 102\n"));
	assert_null(strstr(buf, "} 100\n"));
	assert_null(strstr(buf, "} 101\n"));
	assert_non_null(strstr(
	    buf,
	    "tunleak_namespace_traced{netns=\"api@14\",k8s_pod=\"api\",k8s_namespace=\"\"} 1\n"));
	assert_non_null(strstr(
	    buf,
	    "tunleak_namespace_traced{netns=\"api@15\",k8s_pod=\"api\",k8s_namespace=\"\"} 1\n"));
	free(buf);
	/* with no live web-0, the latest of the gone ones */
	s.ns[2].state = NS_GONE;
	buf = prom(&s);
	assert_non_null(strstr(
	    buf,
	    "tunleak_namespace_traced{netns=\"web-0\",k8s_pod=\"web-0\",k8s_namespace=\"\"} 0\n"));
	assert_non_null(strstr(buf, "class=\"pod\"} 102\n"));
	assert_null(strstr(buf, "} 101\n"));
	free(buf);
	snapshot_free(&s);
}

static void test_atomic_write(void **state)
{
	struct snapshot s = {.attach_mode = "tc"};
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

/* What the rename would replace must be a regular file: a FIFO, a symlink,
 * a device or a directory stays what it is. */
static void test_export_refuses_non_regular(void **state)
{
	struct snapshot s = {.attach_mode = "tc"};
	char path[128], link[128], cmd[300];

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), -EINVAL);
	snprintf(cmd, sizeof(cmd), "test -p %s", path);
	assert_int_equal(system(cmd), 0);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink("a.prom", link), 0);
	assert_int_equal(export_write(link, EXPORT_JSON, &s), -EINVAL);
	snprintf(cmd, sizeof(cmd), "test -L %s", link);
	assert_int_equal(system(cmd), 0);
	/* a device: refused before anything is written (only checked, never a
	 * target the test could damage if the check broke) */
	assert_int_equal(export_check_target("/dev/null"), -EINVAL);
	assert_int_equal(export_write(dir, EXPORT_JSON, &s), -EINVAL);
	assert_int_equal(export_check_target("/dev/stdout"), -EINVAL);
	snprintf(path, sizeof(path), "%s/absent.json", dir);
	assert_int_equal(export_check_target(path), 0);
}

static char *event_line_from(int json, struct flow_rec *r, const struct flow_origin *from)
{
	static char out[1024];
	char *buf = NULL;
	size_t len = 0;
	struct out o = {.json = json};

	o.f = open_memstream(&buf, &len);
	event_print(&o, r, from);
	fclose(o.f);
	out_free(&o);
	snprintf(out, sizeof(out), "%s", buf);
	free(buf);
	return out;
}

static char *event_line(int json, struct flow_rec *r)
{
	return event_line_from(json, r, NULL);
}

/* --- the route watch: its findings in the file and the text, its events --- */

static struct finding sample_finding(enum finding_kind kind, const char *cidr, const char *route)
{
	struct finding f = {.kind = kind,
			    .cls = kind == FINDING_LEAK ? TL_CLASS_POD : TL_CLASS_REMOTE};

	assert_int_equal(cidr_parse(cidr, &f.cidr), 0);
	memcpy(f.example, f.cidr.addr, 16);
	strcpy(f.iface, kind == FINDING_LEAK ? "tun0" : "eth0");
	snprintf(f.route, sizeof(f.route), "%s", route);
	snprintf(f.fix_text, sizeof(f.fix_text), "ip route add %s via 10.128.0.1 dev eth0", cidr);
	f.since = 1795694401123000000ULL; /* 2026-11-26T12:00:01.123Z */
	return f;
}

static void test_route_findings(void **state)
{
	struct finding a = sample_finding(FINDING_LEAK, "10.128.0.0/14",
					  "10.0.0.0/8 via 10.8.0.1 dev tun0"),
		       b = sample_finding(FINDING_LEAK, "10.128.0.0/14",
					  "default dev tun0 table 51820"),
		       c = sample_finding(FINDING_BYPASS, "203.0.113.0/24",
					  "default via 10.128.0.1 dev eth0");
	char path[256], *buf;
	struct snapshot s;
	struct ns_snap *n;

	sample(&s);
	n = &s.ns[s.nr_ns - 1]; /* the last one added takes the findings */
	n->route_fixes = 2;
	assert_int_equal(snapshot_add_route(&s, n, &a), 0);
	assert_int_equal(snapshot_add_route(&s, n, &b), 0);
	assert_int_equal(snapshot_add_route(&s, n, &c), 0);
	buf = prom(&s);
	/* one series per kind and CIDR, its value the routes that make it */
	assert_non_null(strstr(buf, "# TYPE tunleak_route_findings gauge\n"));
	assert_non_null(
	    strstr(buf, "\ntunleak_route_findings{netns=\"vpn-b\",k8s_pod=\"vpn-b\",k8s_namespace="
			"\"team-a\",kind=\"leak\",class=\"pod\",cidr=\"10.128.0.0/14\"} 2\n"));
	assert_non_null(strstr(
	    buf, "\ntunleak_route_findings{netns=\"vpn-b\",k8s_pod=\"vpn-b\",k8s_namespace=\"team-"
		 "a\",kind=\"bypass\",class=\"remote\",cidr=\"203.0.113.0/24\"} 1\n"));
	assert_null(strstr(buf, "tunleak_route_findings{netns=\"pod"));
	assert_non_null(strstr(buf, "\ntunleak_route_fixes_total{netns=\"vpn-b\",k8s_pod=\"vpn-b\","
				    "k8s_namespace=\"team-a\"} 2\n"));
	free(buf);
	snprintf(path, sizeof(path), "%s/routes.json", dir);
	assert_int_equal(export_write(path, EXPORT_JSON, &s), 0);
	assert_jq(path, ".route_findings", "3");
	assert_jq(path, ".namespaces[0].findings | length", "0");
	assert_jq(
	    path,
	    ".namespaces[1].findings | map(.kind + \" \" + .cidr + \" \" + .iface) | join(\",\")",
	    "leak 10.128.0.0/14 tun0,leak 10.128.0.0/14 tun0,bypass 203.0.113.0/24 eth0");
	assert_jq(path, ".namespaces[1].findings[1] | \"\\(.route)|\\(.since)|\\(.fix)\"",
		  "default dev tun0 table 51820|2026-11-26T12:00:01.123Z|ip route add "
		  "10.128.0.0/14 via 10.128.0.1 dev eth0");
	assert_jq(path, ".namespaces[1].route_fixes | \"\\(.added) \\(.refused)\"", "2 0");
	flows__free(s.flows);
	snapshot_free(&s);
}

static char *route_line(int json, const struct route_event *e, const struct flow_origin *from)
{
	static char out[2048];
	char *buf = NULL;
	size_t len = 0;
	struct out o = {.json = json};

	o.f = open_memstream(&buf, &len);
	route_event_print(&o, e, from);
	fclose(o.f);
	out_free(&o);
	snprintf(out, sizeof(out), "%s", buf);
	free(buf);
	return out;
}

static void test_route_events(void **state)
{
	struct finding f =
	    sample_finding(FINDING_LEAK, "10.128.0.0/14", "10.0.0.0/8 via 10.8.0.1 dev tun0");
	struct flow_origin from = {.netns = "vpn-1", .pod = "vpn-1", .k8s_ns = "team-a"};
	struct route_event e = {
	    .type = "route_leak", .f = &f, .time_ns = f.since, .after_tunnel_ms = 850};

	assert_string_equal(
	    route_line(0, &e, &from),
	    "2026-11-26T12:00:01.123Z ROUTE-LEAK pod=team-a/vpn-1 class=pod 10.128.0.0/14: "
	    "10.128.0.0 goes into tun0 by \"10.0.0.0/8 via 10.8.0.1 dev tun0\" (850 ms after the "
	    "tunnel came up); fix: ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0\n");
	assert_string_equal(route_line(1, &e, &from),
			    "{\"time\":\"2026-11-26T12:00:01.123Z\",\"type\":\"route_leak\","
			    "\"kind\":\"leak\",\"class\":\"pod\",\"cidr\":\"10.128.0.0/"
			    "14\",\"example\":\"10.128.0.0\",\"from\":null,\"iface\":\"tun0\","
			    "\"route\":\"10.0.0.0/8 via 10.8.0.1 dev "
			    "tun0\",\"after_tunnel_ms\":850,\"since\":\"2026-11-26T12:00:01.123Z\","
			    "\"fix\":\"ip route add 10.128.0.0/14 via 10.128.0.1 dev "
			    "eth0\",\"netns\":\"vpn-1\",\"pod\":\"vpn-1\",\"k8s_namespace\":\"team-"
			    "a\",\"name_source\":null}\n");
	e.type = "route_ok";
	e.time_ns += 60000000000ULL;
	assert_string_equal(
	    route_line(0, &e, NULL),
	    "2026-11-26T12:01:01.123Z ROUTE-OK class=pod 10.128.0.0/14: 10.128.0.0 no longer goes "
	    "into tun0 by \"10.0.0.0/8 via 10.8.0.1 dev tun0\" (since 2026-11-26T12:00:01.123Z)\n");
	e.type = "route_fixed";
	e.added = "ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0";
	assert_string_equal(
	    route_line(0, &e, &(struct flow_origin){.netns = "pid:42", .name_it = true}),
	    "2026-11-26T12:01:01.123Z ROUTE-FIXED netns=pid:42 class=pod 10.128.0.0/14: ip route "
	    "add 10.128.0.0/14 via 10.128.0.1 dev eth0\n");
	e.type = "route_fix_refused";
	e.reason = "no gateway known on eth0";
	assert_string_equal(
	    route_line(0, &e, NULL),
	    "2026-11-26T12:01:01.123Z ROUTE-NOT-FIXED class=pod 10.128.0.0/14: no gateway known on "
	    "eth0; by hand: ip route add 10.128.0.0/14 via 10.128.0.1 dev eth0\n");
}

static void test_event_text(void **state)
{
	struct flows *f = sample_flows();
	struct flow_rec *r = (struct flow_rec *)flows__next(f, NULL);

	assert_string_equal(event_line(0, r),
			    "2026-11-26T12:00:01.123Z LEAK tun0 egress tcp 10.8.0.2:40000 -> "
			    "10.130.0.5:8080 class=pod via \"10.0.0.0/8 via 10.8.0.1 dev tun0\"\n");
	r->reply = 1;
	r->reply_to = "eth0";
	assert_string_equal(event_line(0, r),
			    "2026-11-26T12:00:01.123Z LEAK tun0 egress tcp 10.8.0.2:40000 -> "
			    "10.130.0.5:8080 class=pod via \"10.0.0.0/8 via 10.8.0.1 dev tun0\" "
			    "(reply to a connection that came in on eth0)\n");
	r->reply = 0;
	r->has_route = 0;
	r->key.proto = 1;
	assert_string_equal(
	    event_line(0, r),
	    "2026-11-26T12:00:01.123Z LEAK tun0 egress icmp 10.8.0.2 -> 10.130.0.5 class=pod\n");
	r->key.family = 6;
	r->key.proto = 17;
	memset(r->key.src, 0, 16);
	memset(r->key.dst, 0, 16);
	inet_pton(AF_INET6, "fd00:8::2", r->key.src);
	inet_pton(AF_INET6, "fd00:10:128::5", r->key.dst);
	r->type = TL_TYPE_BYPASS;
	r->cls = TL_CLASS_REMOTE;
	r->iface = "eth0";
	assert_string_equal(event_line(0, r),
			    "2026-11-26T12:00:01.123Z BYPASS eth0 egress udp [fd00:8::2]:40000 -> "
			    "[fd00:10:128::5]:8080 class=remote\n");
	flows__free(f);
}

/* Node mode: the pod (NAMESPACE/NAME) or the namespace's label in the text,
 * netns and pod in JSON; a hostile interface name is shown as text. */
static void test_event_origin(void **state)
{
	struct flows *f = sample_flows();
	struct flow_rec *r = (struct flow_rec *)flows__next(f, NULL);
	struct flow_origin pod = {
	    .netns = "vpn-a", .pod = "vpn-a", .k8s_ns = "team-a", .name_it = true};
	struct flow_origin anon = {.netns = "pid:42", .name_it = true};
	struct flow_origin single = {.netns = "pod1"};
	char path[128];
	FILE *fp;

	assert_string_equal(
	    event_line_from(0, r, &pod),
	    "2026-11-26T12:00:01.123Z LEAK pod=team-a/vpn-a tun0 egress tcp 10.8.0.2:40000 -> "
	    "10.130.0.5:8080 class=pod via \"10.0.0.0/8 via 10.8.0.1 dev tun0\"\n");
	assert_string_equal(
	    event_line_from(0, r, &anon),
	    "2026-11-26T12:00:01.123Z LEAK netns=pid:42 tun0 egress tcp 10.8.0.2:40000 -> "
	    "10.130.0.5:8080 class=pod via \"10.0.0.0/8 via 10.8.0.1 dev tun0\"\n");
	assert_string_equal(event_line_from(0, r, &single),
			    "2026-11-26T12:00:01.123Z LEAK tun0 egress tcp 10.8.0.2:40000 -> "
			    "10.130.0.5:8080 class=pod via \"10.0.0.0/8 via 10.8.0.1 dev tun0\"\n");
	r->iface = "t\n\033[2J";
	assert_string_equal(
	    event_line_from(0, r, &single),
	    "2026-11-26T12:00:01.123Z LEAK t\\x0a\\x1b[2J egress tcp 10.8.0.2:40000 -> "
	    "10.130.0.5:8080 class=pod via \"10.0.0.0/8 via 10.8.0.1 dev tun0\"\n");
	snprintf(path, sizeof(path), "%s/origin.json", dir);
	fp = fopen(path, "w");
	fputs(event_line_from(1, r, &pod), fp);
	fclose(fp);
	assert_jq(path, "[.netns,.pod,.k8s_namespace,.iface] | join(\"|\")",
		  "vpn-a|vpn-a|team-a|t\n\033[2J");
	fp = fopen(path, "w");
	fputs(event_line_from(1, r, &anon), fp);
	fclose(fp);
	assert_jq(path, "[.netns,.pod,.k8s_namespace] | map(tostring) | join(\"|\")",
		  "pid:42|null|null");
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
	assert_jq(path,
		  "select(.route != null) | "
		  "[.time,.type,.iface,.direction,.family,.proto,.src,.dst,.sport,.dport,.class,."
		  "packets,.bytes,.route] | map(tostring) | join(\" \")",
		  "2026-11-26T12:00:01.123Z leak tun0 egress ipv4 tcp 10.8.0.2 10.130.0.5 40000 "
		  "8080 pod 7 588 10.0.0.0/8 via 10.8.0.1 dev tun0");
	/* JSON Lines: the second line on its own; route null, sport still present */
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd),
			 "test \"$(sed -n 2p %s | jq -c '[.proto,.family,.route,.sport]')\" = "
			 "'[\"icmpv6\",\"ipv6\",null,40000]'",
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
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_bounded),
	    cmocka_unit_test(test_json_empty),
	    cmocka_unit_test(test_json_long_string),
	    cmocka_unit_test(test_prom),
	    cmocka_unit_test(test_prom_hostile_names),
	    cmocka_unit_test(test_slots_export),
	    cmocka_unit_test(test_prom_unique_series),
	    cmocka_unit_test(test_totals_keep_folded),
	    cmocka_unit_test(test_untraced_and_name_source),
	    cmocka_unit_test(test_atomic_write),
	    cmocka_unit_test(test_export_refuses_non_regular),
	    cmocka_unit_test(test_route_findings),
	    cmocka_unit_test(test_route_events),
	    cmocka_unit_test(test_event_text),
	    cmocka_unit_test(test_event_origin),
	    cmocka_unit_test(test_event_json),
	    cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests_name("export", tests, setup, teardown);
}
