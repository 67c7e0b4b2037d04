// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlbench classifier [REPEAT [RUNS]]: the per-packet cost of tunleak's tc
 * program over an empty tc program loaded in the same process, measured by
 * BPF_PROG_TEST_RUN on crafted frames, pinned to one CPU. Prints one JSON
 * object per figure (ns per packet: median, min, max over RUNS).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config/cli.h"
#include "datapath/loader.h"
#include "tunleak.skel.h"
#include "frames.h"

#define LO	 1
#define MAX_RUNS 15

static int empty_fd;
static volatile int consumer_stop;

/*
 * The frame of every figure: UDP from a pod (10.128.0.10, fd00:10:128::10)
 * port sport to dst port 53, 32 bytes of payload; with an Ethernet header
 * when l2 (tests/helpers/frames.h).
 */
static void build(struct frame *f, int v6, int l2, const char *dst, unsigned short sport)
{
	memset(f, 0, sizeof(*f));
	if (l2)
		frame_eth(f, v6 ? ETH_P_IPV6 : ETH_P_IP, FRAME_UNTAGGED);
	if (v6)
		frame_ipv6(f, "fd00:10:128::10", dst, NULL, IPPROTO_UDP, sport, 53, 32);
	else
		frame_ipv4(f, "10.128.0.10", dst, IPPROTO_UDP, 0, sport, 53, 32);
}

/* Average ns per run of prog on frame, from the kernel's own timing. */
static double run(int prog_fd, const struct frame *f, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o)) {
		fprintf(stderr, "tlbench: test run: %s\n", strerror(errno));
		exit(1);
	}
	return o.duration;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The figure: (tunleak - empty) per packet, RUNS times, interleaved. */
static void figure(const char *name, int prog_fd, const struct frame *f, int repeat, int runs,
		   const char *extra)
{
	double d[MAX_RUNS], t[MAX_RUNS], e[MAX_RUNS];
	int i;

	for (i = 0; i < runs; i++) {
		e[i] = run(empty_fd, f, repeat);
		t[i] = run(prog_fd, f, repeat);
		d[i] = t[i] - e[i];
	}
	qsort(d, runs, sizeof(double), cmp_d);
	qsort(t, runs, sizeof(double), cmp_d);
	qsort(e, runs, sizeof(double), cmp_d);
	printf("{\"figure\":\"%s\",\"ns_over_empty\":%.1f,\"min\":%.1f,\"max\":%.1f,"
	       "\"tunleak_ns\":%.1f,\"empty_ns\":%.1f,\"repeat\":%d,\"runs\":%d%s}\n",
	       name, d[runs / 2], d[0], d[runs - 1], t[runs / 2], e[runs / 2], repeat, runs,
	       extra ? extra : "");
	fflush(stdout);
}

static unsigned int rnd_state = 2463534242u;

/* xorshift32: every bit has the full period (an LCG's low bits do not) */
static unsigned int rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/*
 * N prefixes: the cluster's own four per family, then N-4 more of random
 * length inside 10.0.0.0/8 (fd00::/8), dense around the test addresses as
 * a cluster with many node subnets would be, none containing them.
 */
static struct class_cidr *prefixes(int n, int v6, const char *avoid)
{
	struct class_cidr *t = calloc(n, sizeof(*t));
	const char *base4[4] = {"10.128.0.0/14", "172.30.0.0/16", "198.18.0.0/24", "192.0.2.0/24"};
	const char *base6[4] = {"fd00:10:128::/48", "fd00:172:30::/112", "2001:db8:100::/48",
				"2001:db8:50::/48"};
	int cls[4] = {TL_CLASS_POD, TL_CLASS_SERVICE, TL_CLASS_NODE, TL_CLASS_REMOTE};
	unsigned char a[16];
	int i, k = 0;

	inet_pton(v6 ? AF_INET6 : AF_INET, avoid, a);
	for (i = 0; i < 4 && k < n; i++) {
		cidr_parse(v6 ? base6[i] : base4[i], &t[k].cidr);
		t[k++].cls = cls[i];
	}
	while (k < n) {
		struct cidr c = {.family = v6 ? 6 : 4};
		int j, dup = 0;

		if (!v6) {
			c.prefixlen = 16 + rnd() % 13; /* /16 .. /28 */
			c.addr[0] = 10;
			c.addr[1] = 128 + rnd() % 4;
			c.addr[2] = rnd();
			c.addr[3] = rnd();
		} else {
			c.prefixlen = 56 + rnd() % 57; /* /56 .. /112 */
			c.addr[0] = 0xfd;
			c.addr[1] = 0;
			c.addr[2] = 0;
			c.addr[3] = 0x10;
			c.addr[4] = 0x01;
			c.addr[5] = 0x28;
			for (j = 6; j < 16; j++)
				c.addr[j] = rnd();
		}
		cidr_mask(&c);
		if (cidr_contains(&c, c.family, a))
			continue;
		for (j = 0; j < k && !dup; j++)
			dup = !memcmp(&t[j].cidr, &c, sizeof(c));
		if (dup)
			continue;
		t[k].cidr = c;
		t[k++].cls = rnd() % 2 ? TL_CLASS_POD : TL_CLASS_REMOTE;
	}
	return t;
}

static int on_event(void *ctx, void *data, size_t len)
{
	(*(long *)ctx)++;
	(void)data;
	(void)len;
	return 0;
}

static void *consumer(void *arg)
{
	struct ring_buffer *rb = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!consumer_stop) {
		ring_buffer__poll(rb, 10);
		ring_buffer__consume(rb); /* as tunleak does on its timer */
	}
	ring_buffer__consume(rb);
	return NULL;
}

static int classifier(int repeat, int runs)
{
	static const int sizes[] = {4, 16, 64, 4096};
	char path[PATH_MAX], extra[128];
	struct bpf_object *eobj;
	cpu_set_t set;
	int v6, l2, s;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	snprintf(path, sizeof(path), "%s", "/proc/self/exe");
	{
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
		char *slash;

		path[n > 0 ? n : 0] = '\0';
		slash = strrchr(path, '/');
		strcpy(slash ? slash + 1 : path, "empty.bpf.o");
	}
	eobj = bpf_object__open_file(path, NULL);
	if (!eobj || bpf_object__load(eobj)) {
		fprintf(stderr, "tlbench: cannot load %s\n", path);
		return 1;
	}
	empty_fd = bpf_program__fd(bpf_object__find_program_by_name(eobj, "empty"));

	for (v6 = 0; v6 <= 1; v6++)
		for (s = 0; s < 4; s++) {
			const char *pod = v6 ? "fd00:10:128:2::5" : "10.130.0.5";
			struct class_cidr *t = prefixes(sizes[s], v6, pod);
			struct loader_opts o = {.cidrs = t, .nr_cidrs = sizes[s]};
			struct datapath *dp = datapath__new(&o);
			struct probe *skel = dp ? probe__new(dp, 0) : NULL;
			int eg;

			if (!skel) {
				fprintf(stderr, "tlbench: load: %s\n", strerror(errno));
				return 1;
			}
			eg = probe__prog_fd(skel, TL_DIR_EGRESS);
			for (l2 = 1; l2 >= 0; l2--) {
				struct frame f;
				char name[96];

				/* non-leak: a pod address leaving the cluster interface */
				probe__set_iface(skel, LO, 0, TL_ROLE_CLUSTER, l2);
				build(&f, v6, l2, pod, 40000);
				snprintf(name, sizeof(name), "nonleak ipv%d %s %d prefixes",
					 v6 ? 6 : 4, l2 ? "l2" : "l3", sizes[s]);
				snprintf(extra, sizeof(extra),
					 ",\"path\":\"nonleak\",\"family\":\"ipv%d\",\"link\":\"%"
					 "s\",\"prefixes\":%d",
					 v6 ? 6 : 4, l2 ? "l2" : "l3", sizes[s]);
				figure(name, eg, &f, repeat, runs, extra);
				/* leak, existing flow: the same through the tunnel */
				probe__set_iface(skel, LO, 1, TL_ROLE_TUNNEL, l2);
				run(eg, &f, 1);
				snprintf(name, sizeof(name), "leak-flow ipv%d %s %d prefixes",
					 v6 ? 6 : 4, l2 ? "l2" : "l3", sizes[s]);
				snprintf(extra, sizeof(extra),
					 ",\"path\":\"leak-flow\",\"family\":\"ipv%d\",\"link\":\"%"
					 "s\",\"prefixes\":%d",
					 v6 ? 6 : 4, l2 ? "l2" : "l3", sizes[s]);
				figure(name, eg, &f, repeat, runs, extra);
			}
			if (sizes[s] == 4) {
				/* cluster ingress: a TCP ACK from a pod (the bulk of what
				 * eth0 receives) on the ingress program */
				struct frame f = {};
				char name[96];

				probe__set_iface(skel, LO, 0, TL_ROLE_CLUSTER, 1);
				/* from the pod to us: 20 bytes of TCP header and 20 of
				 * payload, as long as the UDP frames */
				frame_eth(&f, v6 ? ETH_P_IPV6 : ETH_P_IP, FRAME_UNTAGGED);
				if (v6)
					frame_ipv6(&f, pod, "fd00:10:128::10", NULL, IPPROTO_TCP,
						   40000, 53, 20);
				else
					frame_ipv4(&f, pod, "10.128.0.10", IPPROTO_TCP, 0, 40000,
						   53, 20);
				frame_tcp_flags(&f, 0x10); /* ACK */
				snprintf(name, sizeof(name), "ingress tcp-ack ipv%d l2 4 prefixes",
					 v6 ? 6 : 4);
				snprintf(extra, sizeof(extra),
					 ",\"path\":\"ingress-ack\",\"family\":\"ipv%d\",\"link\":"
					 "\"l2\",\"prefixes\":4",
					 v6 ? 6 : 4);
				figure(name, probe__prog_fd(skel, TL_DIR_INGRESS), &f, repeat, runs,
				       extra);
			}
			probe__free(skel);
			datapath__free(dp);
			free(t);
		}
	return 0;
}

/*
 * Per event: N distinct new leak flows, one run each (repeat 1, the kernel's
 * timing), against N distinct non-leak frames the same way; a consumer
 * thread on the other CPU drains the ring buffer.
 */
static int events(int n, int runs)
{
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		const char *pod = v6 ? "fd00:10:128:2::5" : "10.130.0.5";
		struct class_cidr *t = prefixes(4, v6, pod);
		struct loader_opts o = {.cidrs = t, .nr_cidrs = 4, .max_flows = 0};

		if (getenv("TL_WAKEUP_EVENTS"))
			o.wakeup_events = atoi(getenv("TL_WAKEUP_EVENTS"));
		double d[MAX_RUNS], lk[MAX_RUNS], nl[MAX_RUNS];
		int r;

		for (r = 0; r < runs; r++) {
			struct datapath *dp = datapath__new(&o);
			struct probe *skel = dp ? probe__new(dp, 0) : NULL;
			struct ring_buffer *rb;
			pthread_t th;
			long got = 0;
			double sum_leak = 0, sum_non = 0;
			int i, eg;

			if (!skel)
				return 1;
			rb = ring_buffer__new(datapath__events_fd(dp), on_event, &got, NULL);
			consumer_stop = 0;
			pthread_create(&th, NULL, consumer, rb);
			eg = probe__prog_fd(skel, TL_DIR_EGRESS);
			for (i = 0; i < n; i++) {
				struct frame f;

				build(&f, v6, 0, pod, 1024 + i);
				probe__set_iface(skel, LO, 0, TL_ROLE_CLUSTER, 0);
				sum_non += run(eg, &f, 1);
				probe__set_iface(skel, LO, 1, TL_ROLE_TUNNEL, 0);
				sum_leak += run(eg, &f, 1);
			}
			consumer_stop = 1;
			pthread_join(th, NULL);
			nl[r] = sum_non / n;
			lk[r] = sum_leak / n;
			d[r] = lk[r] - nl[r];
			if (got != n)
				fprintf(stderr, "tlbench: %ld of %d events received\n", got, n);
			ring_buffer__free(rb);
			probe__free(skel);
			datapath__free(dp);
		}
		qsort(d, runs, sizeof(double), cmp_d);
		qsort(lk, runs, sizeof(double), cmp_d);
		qsort(nl, runs, sizeof(double), cmp_d);
		printf(
		    "{\"figure\":\"event ipv%d\",\"ns_per_event_over_nonleak\":%.1f,\"min\":%.1f,"
		    "\"max\":%.1f,\"leak_new_flow_ns\":%.1f,\"nonleak_ns\":%.1f,\"flows\":%d,"
		    "\"runs\":%d,\"path\":\"event\",\"family\":\"ipv%d\"}\n",
		    v6 ? 6 : 4, d[runs / 2], d[0], d[runs - 1], lk[runs / 2], nl[runs / 2], n, runs,
		    v6 ? 6 : 4);
		fflush(stdout);
		free(t);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int repeat = 1000000, runs = 5;

	if (argc < 2) {
		fprintf(stderr,
			"usage: tlbench classifier [REPEAT [RUNS]] | events [FLOWS [RUNS]]\n");
		return 2;
	}
	if (unshare(CLONE_NEWNET)) { /* test runs touch no interface, but stay apart */
		perror("tlbench: unshare");
		return 1;
	}
	if (argc > 3)
		runs = atoi(argv[3]);
	if (runs < 1 || runs > MAX_RUNS)
		runs = 5;
	if (!strcmp(argv[1], "classifier")) {
		if (argc > 2)
			repeat = atoi(argv[2]);
		return classifier(repeat > 0 ? repeat : 1000000, runs);
	}
	if (!strcmp(argv[1], "events")) {
		int n = argc > 2 ? atoi(argv[2]) : 10000;

		return events(n > 0 ? n : 10000, runs);
	}
	fprintf(stderr, "tlbench: unknown benchmark %s\n", argv[1]);
	return 2;
}
