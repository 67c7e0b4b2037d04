// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/loader.h"
#include "model/ranges.h"
#include "netns/netns.h"
#include "tunleak.skel.h"

#define SWEEP_BATCH 1024

struct datapath {
	/* The loaded object: the two programs and every map */
	struct tunleak_bpf *skel;
	unsigned int nr_slots;
	bool by_netns;
	uint64_t lost_seen; /* events dropped as of the last lost-table drain */
	/* The counters map, mmap'ed: nr_slots struct tl_slot_counters per CPU */
	struct tl_slot_counters *counters;
	size_t counters_len;
	int ncpu;
};

/* A probe is a namespace's cookie: what its interfaces are recorded by. */
struct probe {
	struct datapath *dp;
	uint64_t netns;
};

struct datapath *datapath__new(const struct loader_opts *o)
{
	unsigned int ring = o->ringbuf_bytes ? o->ringbuf_bytes : LOADER_RINGBUF_DEFAULT;
	unsigned int slots = o->nr_slots ? o->nr_slots : TL_MAX_SLOTS;
	struct datapath *dp;
	struct tunleak_bpf *skel;
	struct tl_hot *hot;
	int n4, n6, err;

	if (slots > TL_MAX_SLOTS) {
		errno = EINVAL;
		return NULL;
	}
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	/* even: a CPU's counters are whole cache lines (224 bytes a slot) */
	dp->nr_slots = (slots + 1) & ~1u;
	skel = tunleak_bpf__open();
	if (!skel) {
		err = -errno;
		goto fail;
	}
	dp->skel = skel;
	dp->ncpu = libbpf_num_possible_cpus();
	if (dp->ncpu < 0) {
		err = dp->ncpu;
		goto fail;
	}
	bpf_map__set_max_entries(skel->maps.counters, dp->ncpu * dp->nr_slots);
	bpf_map__set_max_entries(skel->maps.ifaces, dp->nr_slots);
	bpf_map__set_max_entries(skel->maps.ifcache, dp->ncpu * TL_IFCACHE_BUCKETS);
	if (o->max_flows) {
		bpf_map__set_max_entries(skel->maps.flows, o->max_flows);
		bpf_map__set_max_entries(skel->maps.lost, o->max_flows);
	}
	bpf_map__set_max_entries(skel->maps.events, ring);
	if (o->pcap_packets)
		bpf_map__set_max_entries(skel->maps.pkts, 4 * 1024 * 1024);
	/* Parameterize BPF code: the slots, when to wake the consumer (a
	 * record is the event and the ring's 8-byte header), what to capture */
	skel->rodata->nr_slots = dp->nr_slots;
	skel->rodata->by_netns = o->by_netns;
	dp->by_netns = o->by_netns;
	skel->rodata->wakeup_events =
	    o->wakeup_events ? o->wakeup_events : ring / (sizeof(struct tl_event) + 8) / 4;
	if (o->pcap_packets) {
		skel->rodata->pcap_packets = o->pcap_packets;
		skel->rodata->pcap_snaplen = o->pcap_snaplen ? o->pcap_snaplen : 256;
	}
	/* Load and verify the programs: once for every namespace */
	err = tunleak_bpf__load(skel);
	if (err)
		goto fail;
	/* Read and reset in place: a lookup copies a whole element, and
	 * writing one back would lose what the programs added meanwhile */
	dp->counters_len = sizeof(struct tl_slot_counters) * dp->ncpu * dp->nr_slots;
	dp->counters = mmap(NULL, dp->counters_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			    bpf_map__fd(skel->maps.counters), 0);
	if (dp->counters == MAP_FAILED) {
		err = -errno;
		dp->counters = NULL;
		goto fail;
	}

	/* Classes as address ranges, written through the mmap'ed .bss */
	n4 = ranges_build4(o->cidrs, o->nr_cidrs, skel->bss->ranges4, TL_MAX_RANGES);
	n6 = ranges_build6(o->cidrs, o->nr_cidrs, skel->bss->ranges6, TL_MAX_RANGES);
	if (n4 < 0 || n6 < 0) {
		err = n4 < 0 ? n4 : n6;
		goto fail;
	}
	hot = &skel->data_hot->hot;
	hot->nr_ranges4 = n4;
	hot->top_step4 = ranges_top_step(n4);
	hot->nr_ranges6 = n6;
	hot->top_step6 = ranges_top_step(n6);
	/* The search probes up to 2 * top_step - 1: pad with the last range,
	 * starting at the highest address, so such a probe changes nothing */
	ranges_pad4(skel->bss->ranges4, n4, TL_MAX_RANGES);
	ranges_pad6(skel->bss->ranges6, n6, TL_MAX_RANGES);
	/* A few CIDRs: the searches read the hot lines only */
	ranges_small4(skel->bss->ranges4, n4, hot->start4, hot->cls4, TL_HOT_RANGES4);
	ranges_small6(skel->bss->ranges6, n6, hot->bound6_hi, hot->bound6_lo, &hot->cls6,
		      TL_HOT_BOUNDS6);
	return dp;
fail:
	datapath__free(dp);
	errno = -err;
	return NULL;
}

void datapath__free(struct datapath *dp)
{
	if (!dp)
		return;
	if (dp->counters)
		munmap(dp->counters, dp->counters_len);
	tunleak_bpf__destroy(dp->skel);
	free(dp);
}

int datapath__events_fd(const struct datapath *dp)
{
	return bpf_map__fd(dp->skel->maps.events);
}

int datapath__pkts_fd(const struct datapath *dp)
{
	return bpf_map__fd(dp->skel->maps.pkts);
}

int datapath__flows_fd(const struct datapath *dp)
{
	return bpf_map__fd(dp->skel->maps.flows);
}

int datapath__prog_fd(const struct datapath *dp, int dir)
{
	return bpf_program__fd(dir == TL_DIR_EGRESS ? dp->skel->progs.tunleak_egress
						    : dp->skel->progs.tunleak_ingress);
}

int datapath__nr_slots(const struct datapath *dp)
{
	return dp->nr_slots;
}

struct probe *probe__new(struct datapath *dp, uint64_t netns_cookie)
{
	struct probe *p;

	if (!dp->by_netns)
		netns_cookie = 0; /* one namespace: its interfaces are keyed by 0 */
	else if (!netns_cookie && !(netns_cookie = netns_cookie_here()))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->dp = dp;
	p->netns = netns_cookie;
	return p;
}

void probe__free(struct probe *p)
{
	free(p);
}

int probe__prog_fd(const struct probe *p, enum tl_dir dir)
{
	return datapath__prog_fd(p->dp, dir);
}

/* After every change of the ifaces table: no CPU uses an entry of its
 * cache filled before it. */
static void next_gen(struct datapath *dp)
{
	__atomic_fetch_add(&dp->skel->data_hot->hot.gen, 1, __ATOMIC_SEQ_CST);
}

int probe__set_iface(struct probe *p, uint32_t ifindex, int slot, enum tl_role role, bool l2)
{
	struct tl_iface_key k = {.netns = p->netns, .ifindex = ifindex};
	struct tl_iface v = {.slot = slot, .role = role, .l2 = l2};

	if (!ifindex || slot < 0 || slot >= (int)p->dp->nr_slots)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(p->dp->skel->maps.ifaces), &k, &v, BPF_ANY))
		return -errno;
	next_gen(p->dp);
	return 0;
}

int probe__del_iface(struct probe *p, uint32_t ifindex)
{
	struct tl_iface_key k = {.netns = p->netns, .ifindex = ifindex};

	if (bpf_map_delete_elem(bpf_map__fd(p->dp->skel->maps.ifaces), &k) && errno != ENOENT)
		return -errno;
	next_gen(p->dp);
	return 0;
}

int datapath__read_counters(struct datapath *dp,
			    struct tl_counter out[TL_MAX_SLOTS][2][TL_NR_COUNTERS])
{
	const size_t words = sizeof(struct tl_slot_counters) / sizeof(uint64_t);
	unsigned int slot;
	size_t i;
	int cpu;

	memset(out, 0, sizeof(struct tl_counter) * TL_MAX_SLOTS * 2 * TL_NR_COUNTERS);
	for (cpu = 0; cpu < dp->ncpu; cpu++) {
		const struct tl_slot_counters *c = &dp->counters[(size_t)cpu * dp->nr_slots];

		for (slot = 0; slot < dp->nr_slots; slot++) {
			const uint64_t *from = (const uint64_t *)&c[slot];
			uint64_t *to = (uint64_t *)out[slot];

			/* each word as one load: a CPU may be adding to it */
			for (i = 0; i < words; i++)
				to[i] += __atomic_load_n(&from[i], __ATOMIC_RELAXED);
		}
	}
	return 0;
}

int datapath__read_stats(struct datapath *dp, uint64_t out[TL_NR_STATS])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(dp->skel->maps.stats);
	__u64 *vals;
	__u32 idx;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (idx = 0; idx < TL_NR_STATS; idx++) {
		int cpu;

		out[idx] = 0;
		if (bpf_map_lookup_elem(fd, &idx, vals))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			out[idx] += vals[cpu];
	}
	free(vals);
	return 0;
}

int datapath__sweep_flows(struct datapath *dp,
			  void (*fn)(const struct tl_flow_key *, const struct tl_flow_val *,
				     void *),
			  void *ctx)
{
	int fd = bpf_map__fd(dp->skel->maps.flows), n = 0;
	struct tl_flow_key *keys = malloc(SWEEP_BATCH * sizeof(*keys));
	struct tl_flow_val *vals = malloc(SWEEP_BATCH * sizeof(*vals));
	__u32 cursor = 0, next;
	void *in = NULL;

	/* In batches: a syscall per thousand flows, not two per flow (at
	 * 70,000 flows that was most of an idle run's CPU) */
	while (keys && vals) {
		__u32 count = SWEEP_BATCH, i;
		int err = bpf_map_lookup_batch(fd, in, &next, keys, vals, &count, NULL);

		if (err && errno != ENOENT) {
			n = n ? n : -errno;
			break;
		}
		for (i = 0; i < count; i++)
			fn(&keys[i], &vals[i], ctx);
		n += count;
		if (err)
			break;
		cursor = next;
		in = &cursor;
	}
	free(keys);
	free(vals);
	return n;
}

int datapath__reset_slot(struct datapath *dp, int slot)
{
	const size_t words = sizeof(struct tl_slot_counters) / sizeof(uint64_t);
	int ffd = bpf_map__fd(dp->skel->maps.flows), cpu;
	struct tl_flow_key key, next;
	void *prev = NULL;
	size_t i;

	if (slot < 0 || slot >= (int)dp->nr_slots)
		return -EINVAL;
	/* In place: no interface maps to the slot now, so no program writes
	 * these words, while the other slots keep counting */
	for (cpu = 0; cpu < dp->ncpu; cpu++) {
		uint64_t *w = (uint64_t *)&dp->counters[(size_t)cpu * dp->nr_slots + slot];

		for (i = 0; i < words; i++)
			__atomic_store_n(&w[i], 0, __ATOMIC_RELAXED);
	}
	/* Its flows: deleting while iterating, so restart after each delete
	 * from the key before it (prev stays valid) */
	while (bpf_map_get_next_key(ffd, prev, &next) == 0) {
		if (next.slot == slot) {
			bpf_map_delete_elem(ffd, &next);
			continue;
		}
		key = next;
		prev = &key;
	}
	return 0;
}

/* One statistic summed over the CPUs. */
static uint64_t read_stat(struct datapath *dp, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;
	__u64 vals[ncpu > 0 ? ncpu : 1];
	uint64_t sum = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.stats), &idx, vals))
		return 0;
	for (cpu = 0; cpu < ncpu; cpu++)
		sum += vals[cpu];
	return sum;
}

int datapath__drain_lost(struct datapath *dp, bool all, void (*fn)(const struct tl_event *, void *),
			 void *ctx)
{
	int fd = bpf_map__fd(dp->skel->maps.lost), n = 0;
	uint64_t dropped = read_stat(dp, TL_STAT_EVENTS_DROPPED);

	/* A batch walks every bucket of the table, empty or not: only when
	 * an event has been dropped since the last time */
	if (dropped == dp->lost_seen && !all)
		return 0;
	dp->lost_seen = dropped;
	struct tl_lost_key keys[256];
	struct tl_event vals[256];
	__u32 cursor = 0, next;
	void *in = NULL;

	/* read-and-delete in one step: each entry is taken exactly once */
	for (;;) {
		__u32 count = 256, i;
		int err = bpf_map_lookup_and_delete_batch(fd, in, &next, keys, vals, &count, NULL);

		if (err && errno != ENOENT)
			return n ? n : -errno;
		for (i = 0; i < count; i++)
			fn(&vals[i], ctx);
		n += count;
		if (err) /* ENOENT: the last batch */
			break;
		cursor = next;
		in = &cursor;
	}
	return n;
}
