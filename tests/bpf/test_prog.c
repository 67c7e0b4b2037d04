// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The classifier on crafted frames with BPF_PROG_TEST_RUN: no interface is
 * touched (the test runs in a network namespace of its own). For each frame:
 * the verdict passes it unchanged, exactly the expected counter moves by the
 * expected packets and bytes, and an event appears exactly when it must.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "config/cli.h"
#include "datapath/loader.h"
#include "netns/netns.h"
#include "model/ranges.h"
#include "model/names.h"
#include "frames.h"

#define LO_IFINDEX   1 /* BPF_PROG_TEST_RUN runs on the namespace's loopback */
#define SLOT_CLUSTER 0
#define SLOT_TUNNEL  1

static struct datapath *dp;
static struct probe *pr; /* the test namespace's programs */
static struct ring_buffer *rb;
static struct tl_event events[512];
static int nr_events;
static uint16_t next_port = 1000;

static const char *const cidr_spec[][2] = {
    {"10.128.0.0/14", "pod"},	   {"172.30.0.0/16", "service"},
    {"198.51.100.0/24", "node"},   {"203.0.113.0/24", "remote"},
    {"10.0.0.0/8", "remote"}, /* overlaps pod: longest prefix wins */
    {"fd00:10:128::/48", "pod"},   {"fd00:172:30::/112", "service"},
    {"2001:db8:100::/48", "node"}, {"2001:db8:113::/48", "remote"},
};

/* One address per class and family: [class][family 4/6] */
static const char *const addr_of[TL_NR_CLASSES][2] = {
    [TL_CLASS_POD] = {"10.130.2.5", "fd00:10:128::5"},
    [TL_CLASS_SERVICE] = {"172.30.0.10", "fd00:172:30::a"},
    [TL_CLASS_NODE] = {"198.51.100.7", "2001:db8:100::7"},
    [TL_CLASS_REMOTE] = {"203.0.113.9", "2001:db8:113::9"},
    [TL_CLASS_OTHER] = {"192.0.2.1", "2001:db8:ffff::1"},
};

static int on_event(void *ctx, void *data, size_t len)
{
	if (len == sizeof(struct tl_event) && nr_events < 512)
		memcpy(&events[nr_events++], data, len);
	return 0;
}

static struct datapath *load(unsigned int ringbuf)
{
	static struct class_cidr cidrs[16];
	/* node mode's datapath: interfaces told apart by their namespace */
	struct loader_opts o = {.cidrs = cidrs, .ringbuf_bytes = ringbuf, .by_netns = true};
	size_t i;

	for (i = 0; i < sizeof(cidr_spec) / sizeof(cidr_spec[0]); i++) {
		assert_int_equal(cidr_parse(cidr_spec[i][0], &cidrs[i].cidr), 0);
		cidrs[i].cls = !strcmp(cidr_spec[i][1], "pod")	     ? TL_CLASS_POD
			       : !strcmp(cidr_spec[i][1], "service") ? TL_CLASS_SERVICE
			       : !strcmp(cidr_spec[i][1], "node")    ? TL_CLASS_NODE
								     : TL_CLASS_REMOTE;
	}
	o.nr_cidrs = i;
	return datapath__new(&o);
}

static int setup(void **state)
{
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	dp = load(0);
	if (!dp) {
		perror("datapath__new");
		return -1;
	}
	pr = probe__new(dp, 0);
	if (!pr) {
		perror("probe__new");
		return -1;
	}
	rb = ring_buffer__new(datapath__events_fd(dp), on_event, NULL, NULL);
	return rb ? 0 : -1;
}

static int teardown(void **state)
{
	ring_buffer__free(rb);
	probe__free(pr);
	datapath__free(dp);
	return 0;
}

/* --- running and checking --------------------------------------------------- */

static void set_iface(int role, int l2)
{
	int slot = role == TL_ROLE_TUNNEL ? SLOT_TUNNEL : SLOT_CLUSTER;

	assert_int_equal(probe__set_iface(pr, LO_IFINDEX, slot, role, l2), 0);
}

static void run(struct probe *p, int dir, const struct frame *f, uint32_t gso_segs)
{
	uint8_t out[512];
	/* an aggregate, as the stack makes them: segments of gso_size bytes */
	struct __sk_buff ctx = {.gso_segs = gso_segs, .gso_size = gso_segs ? 1000 : 0};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (gso_segs) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	assert_int_equal(bpf_prog_test_run_opts(probe__prog_fd(p, dir), &o), 0);
	/* Transparent: TC_ACT_UNSPEC (== TCX_NEXT), and the packet unchanged. */
	if (o.retval != (uint32_t)TC_ACT_UNSPEC)
		fail_msg("verdict: expected TC_ACT_UNSPEC (-1), got %d", (int)o.retval);
	assert_int_equal(o.data_size_out, f->len);
	assert_memory_equal(out, f->b, f->len);
}

static struct tl_counter before[TL_MAX_SLOTS][2][TL_NR_COUNTERS];
static struct tl_counter after[TL_MAX_SLOTS][2][TL_NR_COUNTERS];

/* Exactly one counter moved, the expected one, by packets and bytes. */
static void expect_delta(int slot, int dir, int kind, uint64_t packets, uint64_t bytes,
			 const char *what)
{
	int s, d, k;

	assert_int_equal(datapath__read_counters(dp, after), 0);
	for (s = 0; s < TL_MAX_SLOTS; s++)
		for (d = 0; d < 2; d++)
			for (k = 0; k < TL_NR_COUNTERS; k++) {
				uint64_t dp = after[s][d][k].packets - before[s][d][k].packets;
				uint64_t db = after[s][d][k].bytes - before[s][d][k].bytes;
				int want = s == slot && d == dir && k == kind;

				if (want && (dp != packets || db != bytes))
					fail_msg("%s: counter %s/%s: expected %lu packets %lu "
						 "bytes, got %lu packets %lu bytes",
						 what, d ? "egress" : "ingress", class_name(k),
						 packets, bytes, dp, db);
				if (!want && (dp || db))
					fail_msg("%s: counter slot %d %s/%s moved by %lu packets, "
						 "expected 0",
						 what, s, d ? "egress" : "ingress", class_name(k),
						 dp);
			}
}

static void snap(void)
{
	assert_int_equal(datapath__read_counters(dp, before), 0);
	ring_buffer__consume(rb);
	nr_events = 0;
}

static int take_events(void)
{
	nr_events = 0;
	ring_buffer__consume(rb);
	return nr_events;
}

static uint64_t stat_of(struct datapath *d, int idx)
{
	uint64_t st[TL_NR_STATS];

	assert_int_equal(datapath__read_stats(d, st), 0);
	return st[idx];
}

static uint64_t stat(int idx)
{
	return stat_of(dp, idx);
}

/* Build the packet whose class (by the address that counts for dir) is cls. */
static void build(struct frame *f, int l2, int v6, int dir, int cls, int proto, uint16_t sport,
		  uint16_t dport, int payload)
{
	const char *mine = v6 ? "fd00:8::2" : "10.8.0.2"; /* in no CIDR: other */
	const char *peer = addr_of[cls][v6];
	const char *src = dir == TL_DIR_EGRESS ? mine : peer;
	const char *dst = dir == TL_DIR_EGRESS ? peer : mine;

	memset(f, 0, sizeof(*f));
	if (l2)
		frame_eth(f, v6 ? ETH_P_IPV6 : ETH_P_IP, FRAME_UNTAGGED);
	if (v6)
		frame_ipv6(f, src, dst, NULL, proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : proto, sport,
			   dport, payload);
	else
		frame_ipv4(f, src, dst, proto, 0, sport, dport, payload);
}

/* The whole matrix: L2/L3 x IPv4/IPv6 x class x direction x role. */
static void test_matrix(void **state)
{
	int l2, v6, cls, dir, role, cases = 0;

	for (l2 = 0; l2 <= 1; l2++)
		for (v6 = 0; v6 <= 1; v6++)
			for (role = TL_ROLE_CLUSTER; role <= TL_ROLE_TUNNEL; role++)
				for (dir = 0; dir <= 1; dir++)
					for (cls = 0; cls < TL_NR_CLASSES; cls++) {
						struct frame f;
						char what[128];
						int slot = role == TL_ROLE_TUNNEL ? SLOT_TUNNEL
										  : SLOT_CLUSTER;
						int leak = dir == TL_DIR_EGRESS &&
							   role == TL_ROLE_TUNNEL &&
							   cls <= TL_CLASS_NODE;
						int bypass = dir == TL_DIR_EGRESS &&
							     role == TL_ROLE_CLUSTER &&
							     cls == TL_CLASS_REMOTE;
						uint16_t sport = next_port++;
						struct tl_flow_key fk = {};
						size_t l3;

						snprintf(
						    what, sizeof(what), "%s %s %s %s %s",
						    l2 ? "L2" : "L3", v6 ? "IPv6" : "IPv4",
						    role == TL_ROLE_TUNNEL ? "tunnel" : "cluster",
						    dir ? "egress" : "ingress", class_name(cls));
						set_iface(role, l2);
						build(&f, l2, v6, dir, cls, IPPROTO_UDP, sport, 53,
						      100);
						l3 = f.len - f.l2len;
						snap();
						run(pr, dir, &f, 0);
						expect_delta(slot, dir, cls, 1, l3, what);
						if (take_events() != (leak || bypass))
							fail_msg("%s: expected %d event, got %d",
								 what, leak || bypass, nr_events);
						if (leak || bypass) {
							struct tl_event *e = &events[0];

							fk = e->key;
							assert_int_equal(e->type,
									 leak ? TL_TYPE_LEAK
									      : TL_TYPE_BYPASS);
							assert_int_equal(e->cls, cls);
							assert_int_equal(e->key.family, v6 ? 6 : 4);
							assert_int_equal(e->key.proto, IPPROTO_UDP);
							assert_int_equal(ntohs(e->key.sport),
									 sport);
							assert_int_equal(ntohs(e->key.dport), 53);
							assert_int_equal(e->key.slot, slot);
							assert_int_equal(e->key.dir, TL_DIR_EGRESS);
							assert_int_equal(e->packets, 1);
							assert_int_equal(e->bytes, l3);
							assert_int_equal(e->ifindex, LO_IFINDEX);
						}
						/* The same flow again: counted, no second event. */
						snap();
						run(pr, dir, &f, 0);
						expect_delta(slot, dir, cls, 1, l3, what);
						if (take_events() != 0)
							fail_msg("%s: second packet of a flow gave "
								 "an event",
								 what);
						if (leak || bypass) {
							struct tl_flow_val v;

							assert_int_equal(
							    bpf_map_lookup_elem(
								datapath__flows_fd(dp), &fk, &v),
							    0);
							assert_int_equal(v.packets, 2);
							assert_int_equal(v.bytes, 2 * l3);
						} else {
							struct tl_flow_key k = {};
							struct tl_flow_val v;

							/* nothing of a non-leak packet enters the
							 * flow table */
							memcpy(&k, &fk, sizeof(k));
							k.sport = htons(sport);
							assert_int_not_equal(
							    bpf_map_lookup_elem(
								datapath__flows_fd(dp), &k, &v),
							    0);
						}
						cases++;
					}
	assert_int_equal(cases, 80);
}

static void test_flow_table(void **state)
{
	struct frame f;
	struct tl_flow_key k = {};
	struct tl_flow_val v;
	int i;

	set_iface(TL_ROLE_TUNNEL, 0);
	build(&f, 0, 0, TL_DIR_EGRESS, TL_CLASS_POD, IPPROTO_TCP, 40000, 8080, 60);
	for (i = 0; i < 5; i++)
		run(pr, TL_DIR_EGRESS, &f, 0);
	inet_pton(AF_INET, "10.8.0.2", k.src);
	inet_pton(AF_INET, addr_of[TL_CLASS_POD][0], k.dst);
	k.sport = htons(40000);
	k.dport = htons(8080);
	k.family = 4;
	k.proto = IPPROTO_TCP;
	k.slot = SLOT_TUNNEL;
	k.dir = TL_DIR_EGRESS;
	assert_int_equal(bpf_map_lookup_elem(datapath__flows_fd(dp), &k, &v), 0);
	assert_int_equal(v.packets, 5);
	assert_int_equal(v.bytes, 5 * 100);
	assert_int_equal(v.type, TL_TYPE_LEAK);
	assert_int_equal(v.cls, TL_CLASS_POD);
	assert_true(v.last_ns >= v.first_ns);
	assert_int_equal(take_events(), 1);
	assert_memory_equal(&events[0].key, &k, sizeof(k));
}

static void test_longest_prefix(void **state)
{
	/* 10.0.0.0/8 is remote, 10.128.0.0/14 inside it is pod. */
	struct frame f = {};

	set_iface(TL_ROLE_TUNNEL, 0);
	frame_ipv4(&f, "10.8.0.2", "10.5.0.1", IPPROTO_ICMP, 0, 0, 0, 56);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CLASS_REMOTE, 1, 84, "10.5.0.1");
	assert_int_equal(take_events(), 0); /* remote through the tunnel: fine */
	memset(&f, 0, sizeof(f));
	frame_ipv4(&f, "10.8.0.2", "10.131.255.255", IPPROTO_ICMP, 0, 0, 0, 56);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CLASS_POD, 1, 84, "10.131.255.255");
	assert_int_equal(take_events(), 1);
	assert_int_equal(events[0].key.proto, IPPROTO_ICMP);
	assert_int_equal(events[0].key.sport, 0);
	assert_int_equal(events[0].key.dport, 0);
}

static void test_vlan(void **state)
{
	int tag;

	for (tag = 1; tag <= 2; tag++) {
		struct frame f = {};

		set_iface(TL_ROLE_CLUSTER, 1);
		frame_eth(&f, ETH_P_IP, tag);
		frame_ipv4(&f, "10.128.0.2", addr_of[TL_CLASS_REMOTE][0], IPPROTO_UDP, 0,
			   next_port++, 443, 30);
		snap();
		run(pr, TL_DIR_EGRESS, &f, 0);
		expect_delta(SLOT_CLUSTER, TL_DIR_EGRESS, TL_CLASS_REMOTE, 1, f.len - 18,
			     tag == 1 ? "802.1Q" : "802.1ad");
		assert_int_equal(take_events(), 1); /* a bypass */
		assert_int_equal(events[0].type, TL_TYPE_BYPASS);
		assert_int_equal(ntohs(events[0].key.dport), 443);
	}
}

static void test_qinq(void **state)
{
	/* 802.1ad outer tag, 802.1Q inner tag: the IPv4 packet behind both is
	 * classified (a bypass here), not counted as non-IP. */
	struct frame f = {};

	set_iface(TL_ROLE_CLUSTER, 1);
	frame_eth(&f, ETH_P_IP, FRAME_QINQ);
	frame_ipv4(&f, "10.128.0.2", addr_of[TL_CLASS_REMOTE][0], IPPROTO_UDP, 0, next_port++, 443,
		   30);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_CLUSTER, TL_DIR_EGRESS, TL_CLASS_REMOTE, 1, f.len - 22, "QinQ");
	assert_int_equal(take_events(), 1);
	assert_int_equal(events[0].type, TL_TYPE_BYPASS);
	assert_int_equal(ntohs(events[0].key.dport), 443);

	/* the same with IPv6 behind the two tags */
	memset(&f, 0, sizeof(f));
	frame_eth(&f, ETH_P_IPV6, FRAME_QINQ);
	frame_ipv6(&f, "fd00:10:128::2", addr_of[TL_CLASS_REMOTE][1], NULL, IPPROTO_UDP,
		   next_port++, 443, 30);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_CLUSTER, TL_DIR_EGRESS, TL_CLASS_REMOTE, 1, f.len - 22, "QinQ IPv6");
	assert_int_equal(take_events(), 1);
}

/* An Ethernet frame whose ethertype says IPv4 but whose header says version
 * 6 is not IPv4 (the kernel drops it as a header error): malformed. */
static void test_ipv4_version(void **state)
{
	struct frame f = {};

	set_iface(TL_ROLE_TUNNEL, 1);
	frame_eth(&f, ETH_P_IP, FRAME_UNTAGGED);
	frame_ipv4(&f, "10.8.0.2", "10.128.3.5", IPPROTO_UDP, 0, next_port++, 53, 20);
	f.b[14] = 0x65; /* version 6, IHL 5 */
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CNT_MALFORMED, 1, f.len - 14, "version 6");
	assert_int_equal(take_events(), 0);
}

/*
 * IHL and total length are checked as the kernel's ip_rcv_core() does: IHL
 * at least 5 and within the packet; total length at least the header and not
 * beyond the packet (it may be shorter: padding). A total length of 0 stands
 * for "the whole packet" on a GSO aggregate (BIG TCP: over 64 KiB), and is a
 * header error on anything else.
 */
static void test_ipv4_lengths(void **state)
{
	static const struct {
		const char *what;
		int ihl;       /* 0: keep 5 */
		int tot_delta; /* added to the real total length */
		int tot_zero;
		uint32_t gso_segs;
		int malformed;
	} cases[] = {
	    {"IHL 15 beyond a 48-byte packet", 15, 0, 0, 0, 1},
	    {"IHL 4", 4, 0, 0, 0, 1},
	    {"total length 1 beyond the packet", 0, 1, 0, 0, 1},
	    {"total length 300 beyond the packet", 0, 300, 0, 0, 1},
	    {"total length below the header", 0, -(48 - 10), 0, 0, 1},
	    {"total length 0, not GSO", 0, 0, 1, 0, 1},
	    {"total length shorter than the packet (padding)", 0, -6, 0, 0, 0},
	    {"total length 0 on a GSO aggregate (BIG TCP)", 0, 0, 1, 4, 0},
	    {"GSO aggregate, total length exact", 0, 0, 0, 4, 0},
	};
	size_t i;

	set_iface(TL_ROLE_CLUSTER, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct frame f = {};
		uint8_t *ip = f.b + 14;
		uint64_t l3, segs = cases[i].gso_segs ? cases[i].gso_segs : 1;

		frame_eth(&f, ETH_P_IP, FRAME_UNTAGGED);
		/* 20 IP + 20 TCP + 8 payload: 48 bytes of L3 */
		frame_ipv4(&f, "10.128.0.2", addr_of[TL_CLASS_POD][0], IPPROTO_TCP, 0, next_port++,
			   80, 8);
		l3 = f.len - 14;
		if (cases[i].ihl)
			ip[0] = 0x40 | cases[i].ihl;
		*(uint16_t *)&ip[2] = htons(cases[i].tot_zero ? 0 : l3 + cases[i].tot_delta);
		snap();
		run(pr, TL_DIR_INGRESS, &f, cases[i].gso_segs);
		if (cases[i].malformed)
			expect_delta(SLOT_CLUSTER, TL_DIR_INGRESS, TL_CNT_MALFORMED, 1, l3,
				     cases[i].what);
		else
			expect_delta(SLOT_CLUSTER, TL_DIR_INGRESS, TL_CLASS_POD, segs,
				     l3 + (segs - 1) * 40, cases[i].what);
	}
}

/* IPv6: the version nibble, and a payload length beyond the packet. A
 * payload length of 0 (a jumbogram's, a BIG TCP aggregate's) is left alone;
 * a shorter one is padding. */
static void test_ipv6_lengths(void **state)
{
	static const struct {
		const char *what;
		int version;
		int plen_delta;
		int plen_zero;
		int malformed;
	} cases[] = {
	    {"IPv6 ethertype, version 4", 4, 0, 0, 1},
	    {"payload length 1 beyond the packet", 6, 1, 0, 1},
	    {"payload length 0", 6, 0, 1, 0},
	    {"payload length shorter (padding)", 6, -4, 0, 0},
	};
	size_t i;

	set_iface(TL_ROLE_CLUSTER, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct frame f = {};
		uint8_t *ip = f.b + 14;
		uint64_t l3;

		frame_eth(&f, ETH_P_IPV6, FRAME_UNTAGGED);
		frame_ipv6(&f, "fd00:8::2", addr_of[TL_CLASS_SERVICE][1], NULL, IPPROTO_UDP,
			   next_port++, 53, 12);
		l3 = f.len - 14;
		ip[0] = cases[i].version << 4;
		*(uint16_t *)&ip[4] = htons(cases[i].plen_zero ? 0 : l3 - 40 + cases[i].plen_delta);
		snap();
		run(pr, TL_DIR_INGRESS, &f, 0);
		expect_delta(SLOT_CLUSTER, TL_DIR_INGRESS,
			     cases[i].malformed ? TL_CNT_MALFORMED : TL_CLASS_OTHER, 1, l3,
			     cases[i].what);
	}
}

static void test_ipv6_ext_headers(void **state)
{
	static const int chain[] = {0xff /* hop-by-hop */, IPPROTO_ROUTING, IPPROTO_DSTOPTS, 0};
	struct frame f = {};

	set_iface(TL_ROLE_TUNNEL, 1);
	frame_eth(&f, ETH_P_IPV6, FRAME_UNTAGGED);
	frame_ipv6(&f, "fd00:8::2", addr_of[TL_CLASS_SERVICE][1], chain, IPPROTO_TCP, 33000, 443,
		   10);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CLASS_SERVICE, 1, f.len - 14, "ext headers");
	assert_int_equal(take_events(), 1);
	assert_int_equal(events[0].key.proto, IPPROTO_TCP);
	assert_int_equal(ntohs(events[0].key.sport), 33000);
	assert_int_equal(ntohs(events[0].key.dport), 443);
	assert_int_equal(events[0].cls, TL_CLASS_SERVICE);
}

static void test_fragments(void **state)
{
	struct frame f = {};
	uint8_t *fh;

	/* IPv4, non-first fragment: classified by address, ports 0. */
	set_iface(TL_ROLE_TUNNEL, 0);
	frame_ipv4(&f, "10.8.0.2", "10.129.0.7", IPPROTO_UDP, 185, 1111, 2222, 40);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CLASS_POD, 1, f.len, "IPv4 fragment");
	assert_int_equal(take_events(), 1);
	assert_int_equal(events[0].key.proto, IPPROTO_UDP);
	assert_int_equal(events[0].key.sport, 0);
	assert_int_equal(events[0].key.dport, 0);

	/* IPv6 fragment header with offset 1480: ports 0, proto from it. */
	{
		static const int chain[] = {IPPROTO_FRAGMENT, 0};

		memset(&f, 0, sizeof(f));
		frame_ipv6(&f, "fd00:8::2", "fd00:10:128::77", chain, IPPROTO_UDP, 5555, 6666, 40);
		fh = f.b + 40;
		*(uint16_t *)&fh[2] = htons(1480); /* offset in 8-byte units << 3 */
		snap();
		run(pr, TL_DIR_EGRESS, &f, 0);
		expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CLASS_POD, 1, f.len, "IPv6 fragment");
		assert_int_equal(take_events(), 1);
		assert_int_equal(events[0].key.proto, IPPROTO_UDP);
		assert_int_equal(events[0].key.sport, 0);
	}
	/* IPv6 first fragment (offset 0): ports are read. */
	{
		static const int chain[] = {IPPROTO_FRAGMENT, 0};

		memset(&f, 0, sizeof(f));
		frame_ipv6(&f, "fd00:8::2", "fd00:10:128::78", chain, IPPROTO_UDP, 5555, 6666, 40);
		snap();
		run(pr, TL_DIR_EGRESS, &f, 0);
		assert_int_equal(take_events(), 1);
		assert_int_equal(ntohs(events[0].key.sport), 5555);
		assert_int_equal(ntohs(events[0].key.dport), 6666);
	}
}

static void test_truncated(void **state)
{
	struct frame f = {};

	/* L2: the VLAN tag says IPv4, 10 bytes of IP header follow. (Behind a
	 * tag, because BPF_PROG_TEST_RUN itself rejects an untagged frame whose
	 * ethertype promises more IP header than it holds.) */
	set_iface(TL_ROLE_TUNNEL, 1);
	frame_eth(&f, ETH_P_IP, FRAME_8021Q);
	memset(f.b + 18, 0x45, 10);
	f.len = 28;
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CNT_MALFORMED, 1, 10, "truncated L2 IPv4");
	assert_int_equal(take_events(), 0);

	/* L3: 30 bytes that claim to be IPv6 (header is 40). */
	set_iface(TL_ROLE_TUNNEL, 0);
	memset(&f, 0, sizeof(f));
	f.b[0] = 0x60;
	f.len = 30;
	snap();
	run(pr, TL_DIR_INGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_INGRESS, TL_CNT_MALFORMED, 1, 30, "truncated L3 IPv6");

	/* L2 VLAN tag cut off after the outer ethertype. */
	set_iface(TL_ROLE_CLUSTER, 1);
	memset(&f, 0, sizeof(f));
	frame_eth(&f, ETH_P_IP, FRAME_UNTAGGED);
	*(uint16_t *)&f.b[12] = htons(0x8100);
	f.b[14] = 0;
	f.len = 15;
	snap();
	run(pr, TL_DIR_INGRESS, &f, 0);
	expect_delta(SLOT_CLUSTER, TL_DIR_INGRESS, TL_CNT_MALFORMED, 1, 15, "truncated VLAN");

	/* IPv4 header complete, TCP header cut: classified, ports 0. */
	set_iface(TL_ROLE_TUNNEL, 0);
	memset(&f, 0, sizeof(f));
	frame_ipv4(&f, "10.8.0.2", "10.128.9.9", IPPROTO_TCP, 0, 1, 2, 0);
	f.len = 24; /* 20 IP + 4 of the TCP header, and the IP header says so */
	*(uint16_t *)&f.b[2] = htons(24);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CLASS_POD, 1, 24, "cut TCP");
	assert_int_equal(take_events(), 1);
	assert_int_equal(events[0].key.sport, 0);
}

static void test_non_ip(void **state)
{
	struct frame f = {};

	/* ARP on an L2 cluster interface */
	set_iface(TL_ROLE_CLUSTER, 1);
	frame_eth(&f, 0x0806, FRAME_UNTAGGED);
	memset(f.b + 14, 0x01, 28);
	f.len = 42;
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(SLOT_CLUSTER, TL_DIR_EGRESS, TL_CNT_NONIP, 1, 28, "ARP");
	assert_int_equal(take_events(), 0);

	/* An L3 frame whose version nibble is neither 4 nor 6 */
	set_iface(TL_ROLE_TUNNEL, 0);
	memset(&f, 0, sizeof(f));
	f.b[0] = 0x20;
	f.len = 40;
	snap();
	run(pr, TL_DIR_INGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_INGRESS, TL_CNT_NONIP, 1, 40, "version 2");
}

static void test_gso(void **state)
{
	struct frame f = {};
	const uint64_t segs = 4;

	/* A TSO aggregate of 4 segments of 1000 bytes payload: on the wire,
	 * 4 packets of 20 + 20 + 1000 bytes. The frame holds 4000 bytes of
	 * payload in reality; here it carries the headers and 100 bytes, and
	 * the program adds the headers of the 3 further segments. */
	set_iface(TL_ROLE_TUNNEL, 1);
	frame_eth(&f, ETH_P_IP, FRAME_UNTAGGED);
	frame_ipv4(&f, "10.8.0.2", "10.128.3.3", IPPROTO_TCP, 0, 40001, 80, 100);
	snap();
	run(pr, TL_DIR_EGRESS, &f, segs);
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CLASS_POD, segs, (f.len - 14) + (segs - 1) * 40,
		     "GSO x4");
	assert_int_equal(take_events(), 1);
	assert_int_equal(events[0].packets, segs);
}

static void test_unknown_iface(void **state)
{
	struct frame f = {};
	uint64_t unknown = stat(TL_STAT_UNKNOWN_IFACE);

	assert_int_equal(probe__del_iface(pr, LO_IFINDEX), 0);
	frame_ipv4(&f, "10.8.0.2", "10.128.3.4", IPPROTO_ICMP, 0, 0, 0, 56);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(-1, 0, 0, 0, 0, "unknown interface");
	assert_int_equal(stat(TL_STAT_UNKNOWN_IFACE), unknown + 1);
	assert_int_equal(take_events(), 0);
}

static int lost_seen;

static void on_lost(const struct tl_event *e, void *ctx)
{
	(void)ctx;
	/* the event as the ring would have carried it */
	assert_int_equal(e->type, TL_TYPE_LEAK);
	assert_int_equal(e->key.slot, SLOT_TUNNEL);
	assert_int_equal(e->packets, 1);
	lost_seen++;
}

static void test_ring_full(void **state)
{
	/* A ring buffer of one page and nobody consuming: every new flow still
	 * lands in the flow table, every lost event is counted. */
	struct datapath *small = load(4096);
	struct probe *p = small ? probe__new(small, 0) : NULL;
	struct tl_flow_key k, nk, *prev = NULL;
	const int flows = 200;
	uint64_t emitted, dropped;
	int i, in_table = 0;

	assert_non_null(small);
	assert_non_null(p);
	assert_int_equal(probe__set_iface(p, LO_IFINDEX, SLOT_TUNNEL, TL_ROLE_TUNNEL, 0), 0);
	for (i = 0; i < flows; i++) {
		struct frame f = {};

		frame_ipv4(&f, "10.8.0.2", "10.128.7.7", IPPROTO_UDP, 0, 20000 + i, 53, 20);
		run(p, TL_DIR_EGRESS, &f, 0);
	}
	emitted = stat_of(small, TL_STAT_EVENTS_EMITTED);
	dropped = stat_of(small, TL_STAT_EVENTS_DROPPED);
	assert_int_equal(emitted + dropped, flows);
	if (dropped == 0 || emitted == 0)
		fail_msg("expected a partly full ring: emitted %lu, dropped %lu", emitted, dropped);
	assert_int_equal(stat_of(small, TL_STAT_LEAK_FLOWS), flows);
	while (bpf_map_get_next_key(datapath__flows_fd(small), prev, &nk) == 0) {
		in_table++;
		k = nk;
		prev = &k;
	}
	assert_int_equal(in_table, flows);
	/* what was emitted is readable */
	{
		struct ring_buffer *r;

		nr_events = 0;
		r = ring_buffer__new(datapath__events_fd(small), on_event, NULL, NULL);
		assert_non_null(r);
		ring_buffer__consume(r);
		assert_int_equal(nr_events, emitted);
		ring_buffer__free(r);
	}
	/* what was dropped waits in the lost table, each flow once, and is
	 * taken exactly once */
	lost_seen = 0;
	assert_int_equal(datapath__drain_lost(small, false, on_lost, NULL), dropped);
	assert_int_equal(lost_seen, dropped);
	assert_int_equal(stat_of(small, TL_STAT_UNREPORTED), 0);
	assert_int_equal(datapath__drain_lost(small, false, on_lost, NULL), 0);
	probe__free(p);
	datapath__free(small);
}

/* Two namespaces on one datapath, each with its interface at the same
 * ifindex (every namespace has its own): a packet counts in the slot of the
 * namespace its device is in, and only there; its leak event names that
 * slot. The program runs here on this namespace's loopback. */
static void test_two_namespaces(void **state)
{
	uint64_t here = netns_cookie_here();
	struct probe *other = probe__new(dp, here + 1000); /* a namespace that is not this one */
	const int other_slot = 200;
	struct frame f = {};

	assert_non_null(other);
	assert_true(here != 0);
	set_iface(TL_ROLE_TUNNEL, 0);
	assert_int_equal(probe__set_iface(other, LO_IFINDEX, other_slot, TL_ROLE_TUNNEL, 0), 0);
	frame_ipv4(&f, "10.8.0.2", "10.128.9.9", IPPROTO_UDP, 0, 4444, 53, 30);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	run(other, TL_DIR_EGRESS, &f, 0); /* the same programs: the device decides */
	expect_delta(SLOT_TUNNEL, TL_DIR_EGRESS, TL_CLASS_POD, 2, 2 * f.len,
		     "this namespace's slot, never the other's");
	assert_int_equal(take_events(), 1);
	assert_int_equal(events[0].key.slot, SLOT_TUNNEL);
	/* this namespace's entry gone: the other's does not match here */
	assert_int_equal(probe__del_iface(pr, LO_IFINDEX), 0);
	snap();
	run(pr, TL_DIR_EGRESS, &f, 0);
	expect_delta(-1, 0, 0, 0, 0, "no entry for this namespace");
	probe__free(other);
}

/* An interface's entry changed and deleted while cached: every change
 * takes effect from the next packet (the cache's generation), and many
 * interfaces of one namespace do not disturb each other. */
static void test_iface_table(void **state)
{
	struct probe *p3 = probe__new(dp, 0);
	struct frame f = {};
	uint32_t i;

	assert_non_null(p3);
	for (i = 0; i < 300; i++)
		assert_int_equal(probe__set_iface(p3, 100 + i, 300 + i, TL_ROLE_CLUSTER, 1), 0);
	assert_int_equal(probe__set_iface(p3, LO_IFINDEX, 42, TL_ROLE_TUNNEL, 0), 0);
	frame_ipv4(&f, "10.8.0.2", "10.128.4.4", IPPROTO_UDP, 0, 4545, 53, 10);
	snap();
	run(p3, TL_DIR_EGRESS, &f, 0);
	run(p3, TL_DIR_EGRESS, &f, 0); /* the second from the cache */
	expect_delta(42, TL_DIR_EGRESS, TL_CLASS_POD, 2, 2 * f.len, "interface among 301");
	assert_int_equal(take_events(), 1); /* a leak: role tunnel came through */
	assert_int_equal(events[0].key.slot, 42);
	/* moved to another slot in place, then gone */
	assert_int_equal(probe__set_iface(p3, LO_IFINDEX, 43, TL_ROLE_TUNNEL, 0), 0);
	snap();
	run(p3, TL_DIR_EGRESS, &f, 0);
	expect_delta(43, TL_DIR_EGRESS, TL_CLASS_POD, 1, f.len, "interface updated");
	take_events();
	assert_int_equal(probe__del_iface(p3, LO_IFINDEX), 0);
	snap();
	run(p3, TL_DIR_EGRESS, &f, 0);
	expect_delta(-1, 0, 0, 0, 0, "interface deleted");
	for (i = 0; i < 300; i++)
		assert_int_equal(probe__del_iface(p3, 100 + i), 0);
	probe__free(p3);
}

/* One namespace's datapath (single mode): interfaces keyed by ifindex alone,
 * without reading the device's namespace; slots beyond its few are refused. */
static void test_single_namespace(void **state)
{
	static struct class_cidr c[1];
	struct loader_opts o = {.cidrs = c, .nr_cidrs = 1, .nr_slots = 7};
	struct tl_counter(*cnt)[2][TL_NR_COUNTERS] = calloc(TL_MAX_SLOTS, sizeof(*cnt));
	struct datapath *one;
	struct probe *p;
	struct frame f = {};

	assert_non_null(cnt);
	assert_int_equal(cidr_parse("10.128.0.0/14", &c[0].cidr), 0);
	c[0].cls = TL_CLASS_POD;
	one = datapath__new(&o);
	assert_non_null(one);
	assert_int_equal(datapath__nr_slots(one), 8); /* rounded up to even */
	p = probe__new(one, 12345);		      /* the cookie is not used */
	assert_non_null(p);
	assert_int_equal(probe__set_iface(p, LO_IFINDEX, 8, TL_ROLE_TUNNEL, 0), -EINVAL);
	assert_int_equal(probe__set_iface(p, LO_IFINDEX, 7, TL_ROLE_TUNNEL, 0), 0);
	frame_ipv4(&f, "10.8.0.2", "10.128.4.4", IPPROTO_UDP, 0, 4545, 53, 10);
	run(p, TL_DIR_EGRESS, &f, 0);
	run(p, TL_DIR_INGRESS, &f, 0);
	assert_int_equal(datapath__read_counters(one, cnt), 0);
	assert_int_equal(cnt[7][TL_DIR_EGRESS][TL_CLASS_POD].packets, 1);
	assert_int_equal(cnt[7][TL_DIR_INGRESS][TL_CLASS_OTHER].packets, 1);
	assert_int_equal(cnt[7][TL_DIR_EGRESS][TL_CLASS_POD].bytes, f.len);
	probe__free(p);
	datapath__free(one);
	free(cnt);
}

/* More IPv4 ranges than the hot line holds: the search over ranges4[]. */
static void test_many_prefixes(void **state)
{
	static struct class_cidr t[24];
	struct loader_opts o = {.cidrs = t};
	static struct tl_counter c0[TL_MAX_SLOTS][2][TL_NR_COUNTERS],
	    c1[TL_MAX_SLOTS][2][TL_NR_COUNTERS];
	static struct tl_range4 r4[TL_MAX_RANGES];
	struct datapath *many;
	struct probe *mp;
	char cidr[32], addr[32];
	int i, k;

	/* 20 disjoint /24s with other between them: 41 ranges */
	for (i = 0; i < 20; i++) {
		snprintf(cidr, sizeof(cidr), "10.%d.%d.0/24", 128 + i % 4, 10 * i);
		assert_int_equal(cidr_parse(cidr, &t[i].cidr), 0);
		t[i].cls = i % 2 ? TL_CLASS_SERVICE : TL_CLASS_POD;
	}
	o.nr_cidrs = 20;
	assert_true(ranges_build4(t, 20, r4, TL_MAX_RANGES) > TL_HOT_RANGES4);
	many = datapath__new(&o);
	assert_non_null(many);
	mp = probe__new(many, 0);
	assert_non_null(mp);
	assert_int_equal(probe__set_iface(mp, LO_IFINDEX, SLOT_CLUSTER, TL_ROLE_CLUSTER, 0), 0);
	for (i = 0; i < 20; i++)
		for (k = 0; k < 3; k++) {
			/* inside the /24, just below it, just above it */
			int want = k ? TL_CLASS_OTHER : i % 2 ? TL_CLASS_SERVICE : TL_CLASS_POD;
			struct frame f = {};

			if (k == 0)
				snprintf(addr, sizeof(addr), "10.%d.%d.77", 128 + i % 4, 10 * i);
			else
				snprintf(addr, sizeof(addr), "10.%d.%d.%d", 128 + i % 4,
					 10 * i + (k == 1 ? -1 : 1), k == 1 ? 255 : 0);
			if (k == 1 && i == 0)
				continue; /* 10.128.-1 */
			frame_ipv4(&f, "10.8.0.2", addr, IPPROTO_UDP, 0, 7, 53, 4);
			assert_int_equal(datapath__read_counters(many, c0), 0);
			run(mp, TL_DIR_EGRESS, &f, 0);
			assert_int_equal(datapath__read_counters(many, c1), 0);
			if (c1[SLOT_CLUSTER][TL_DIR_EGRESS][want].packets !=
			    c0[SLOT_CLUSTER][TL_DIR_EGRESS][want].packets + 1)
				fail_msg("%s: expected class %s", addr, class_name(want));
		}
	probe__free(mp);
	datapath__free(many);
}

/* More IPv6 ranges than the hot lines hold: the search over ranges6[]. */
static void test_many_prefixes6(void **state)
{
	static struct class_cidr t[12];
	struct loader_opts o = {.cidrs = t};
	static struct tl_counter c0[TL_MAX_SLOTS][2][TL_NR_COUNTERS],
	    c1[TL_MAX_SLOTS][2][TL_NR_COUNTERS];
	static struct tl_range6 r6[TL_MAX_RANGES];
	struct datapath *many;
	struct probe *mp;
	char cidr[48], addr[48];
	int i, k;

	/* 10 disjoint /64s with other between them: 21 ranges */
	for (i = 0; i < 10; i++) {
		snprintf(cidr, sizeof(cidr), "fd00:10:128:%x::/64", 16 * (i + 1));
		assert_int_equal(cidr_parse(cidr, &t[i].cidr), 0);
		t[i].cls = i % 2 ? TL_CLASS_NODE : TL_CLASS_POD;
	}
	o.nr_cidrs = 10;
	assert_true(ranges_build6(t, 10, r6, TL_MAX_RANGES) > TL_HOT_BOUNDS6 + 1);
	many = datapath__new(&o);
	assert_non_null(many);
	mp = probe__new(many, 0);
	assert_non_null(mp);
	assert_int_equal(probe__set_iface(mp, LO_IFINDEX, SLOT_CLUSTER, TL_ROLE_CLUSTER, 0), 0);
	for (i = 0; i < 10; i++)
		for (k = 0; k < 3; k++) {
			/* inside the /64, the last address below it, the first above */
			int want = k ? TL_CLASS_OTHER : i % 2 ? TL_CLASS_NODE : TL_CLASS_POD;
			struct frame f = {};

			if (k == 0)
				snprintf(addr, sizeof(addr), "fd00:10:128:%x::77", 16 * (i + 1));
			else if (k == 1)
				snprintf(addr, sizeof(addr), "fd00:10:128:%x:ffff:ffff:ffff:ffff",
					 16 * (i + 1) - 1);
			else
				snprintf(addr, sizeof(addr), "fd00:10:128:%x::", 16 * (i + 1) + 1);
			frame_ipv6(&f, "fd00:8::2", addr, NULL, IPPROTO_UDP, 7, 53, 4);
			assert_int_equal(datapath__read_counters(many, c0), 0);
			run(mp, TL_DIR_EGRESS, &f, 0);
			assert_int_equal(datapath__read_counters(many, c1), 0);
			if (c1[SLOT_CLUSTER][TL_DIR_EGRESS][want].packets !=
			    c0[SLOT_CLUSTER][TL_DIR_EGRESS][want].packets + 1)
				fail_msg("%s: expected class %s", addr, class_name(want));
		}
	probe__free(mp);
	datapath__free(many);
}

static void test_ingress_never_leaks(void **state)
{
	/* Cluster-bound traffic arriving on the tunnel is counted by source
	 * class, never reported. */
	struct frame f = {};

	set_iface(TL_ROLE_TUNNEL, 0);
	frame_ipv4(&f, addr_of[TL_CLASS_POD][0], "10.8.0.2", IPPROTO_UDP, 0, 53, 5353, 10);
	snap();
	run(pr, TL_DIR_INGRESS, &f, 0);
	expect_delta(SLOT_TUNNEL, TL_DIR_INGRESS, TL_CLASS_POD, 1, f.len, "ingress pod on tunnel");
	assert_int_equal(take_events(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matrix),
	    cmocka_unit_test(test_flow_table),
	    cmocka_unit_test(test_longest_prefix),
	    cmocka_unit_test(test_vlan),
	    cmocka_unit_test(test_qinq),
	    cmocka_unit_test(test_ipv4_version),
	    cmocka_unit_test(test_ipv4_lengths),
	    cmocka_unit_test(test_ipv6_lengths),
	    cmocka_unit_test(test_ipv6_ext_headers),
	    cmocka_unit_test(test_fragments),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_non_ip),
	    cmocka_unit_test(test_gso),
	    cmocka_unit_test(test_unknown_iface),
	    cmocka_unit_test(test_ring_full),
	    cmocka_unit_test(test_ingress_never_leaks),
	    cmocka_unit_test(test_two_namespaces),
	    cmocka_unit_test(test_many_prefixes),
	    cmocka_unit_test(test_many_prefixes6),
	    cmocka_unit_test(test_iface_table),
	    cmocka_unit_test(test_single_namespace),
	};

	return cmocka_run_group_tests_name("bpf", tests, setup, teardown);
}
