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
#include "tunleak.skel.h"

#define SWEEP_BATCH 1024

struct datapath {
	/* Owns the shared maps; its programs are never loaded. */
	struct tunleak_bpf *skel;
	struct loader_opts o; /* what every probe's .rodata gets */
	unsigned int wakeup_events;
	uint64_t lost_seen; /* events dropped as of the last lost-table drain */
	struct tl_hot hot; /* the class tables every probe's hot lines start with */
	/* The counters map, mmap'ed: one struct tl_cpu_counters per CPU */
	struct tl_cpu_counters *counters;
	size_t counters_len;
	int ncpu;
};

/* Once loaded, a probe is its two programs and its interface table: the
 * libbpf object that loaded them is gone (the kernel keeps what the programs
 * use), so fifty namespaces cost fifty pairs of fds and pages, not fifty
 * objects. */
struct probe {
	int prog_fd[2]; /* [TL_DIR_INGRESS], [TL_DIR_EGRESS] */
	/* its .data.probe (hot lines, interface table), mapped (the mapping
	 * holds the map) */
	struct tunleak_bpf__data_probe *data;
	size_t data_len;
};

struct datapath *datapath__new(const struct loader_opts *o)
{
	unsigned int ring = o->ringbuf_bytes ? o->ringbuf_bytes : LOADER_RINGBUF_DEFAULT;
	struct datapath *dp;
	struct tunleak_bpf *skel;
	struct tl_hot *hot;
	int n4, n6, err;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dp->o = *o;
	dp->o.cidrs = NULL; /* not kept: the ranges are built here */
	/* A record is the event and the ring's 8-byte header */
	dp->wakeup_events =
		o->wakeup_events ? o->wakeup_events : ring / (sizeof(struct tl_event) + 8) / 4;
	skel = tunleak_bpf__open();
	if (!skel) {
		err = -errno;
		goto fail;
	}
	dp->skel = skel;

	/* The maps only: programs are loaded per namespace, by probe__new() */
	bpf_program__set_autoload(skel->progs.tunleak_ingress, false);
	bpf_program__set_autoload(skel->progs.tunleak_egress, false);
	dp->ncpu = libbpf_num_possible_cpus();
	if (dp->ncpu < 0) {
		err = dp->ncpu;
		goto fail;
	}
	bpf_map__set_max_entries(skel->maps.counters, dp->ncpu);
	if (o->max_flows) {
		bpf_map__set_max_entries(skel->maps.flows, o->max_flows);
		bpf_map__set_max_entries(skel->maps.lost, o->max_flows);
	}
	bpf_map__set_max_entries(skel->maps.events, ring);
	if (o->pcap_packets)
		bpf_map__set_max_entries(skel->maps.pkts, 4 * 1024 * 1024);
	err = tunleak_bpf__load(skel);
	if (err)
		goto fail;
	/* Read and reset in place: a lookup copies a whole CPU's element, and
	 * writing one back would lose what the programs added meanwhile */
	dp->counters_len = sizeof(struct tl_cpu_counters) * dp->ncpu;
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
	hot = &dp->hot;
	hot->nr_ranges4 = n4;
	hot->top_step4 = ranges_top_step(n4);
	hot->nr_ranges6 = n6;
	hot->top_step6 = ranges_top_step(n6);
	/* The search probes up to 2 * top_step - 1: pad with the last range,
	 * starting at the highest address, so such a probe changes nothing */
	ranges_pad4(skel->bss->ranges4, n4, TL_MAX_RANGES);
	ranges_pad6(skel->bss->ranges6, n6, TL_MAX_RANGES);
	/* A few CIDRs: the IPv4 search reads the probe's own hot lines */
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

struct probe *probe__new(struct datapath *dp)
{
	struct bpf_map *shared[][2] = {
		{ dp->skel->maps.counters, NULL }, { dp->skel->maps.stats, NULL },
		{ dp->skel->maps.flows, NULL },	   { dp->skel->maps.events, NULL },
		{ dp->skel->maps.pkts, NULL },	   { dp->skel->maps.bss, NULL },
		{ dp->skel->maps.lost, NULL },
	};
	struct tunleak_bpf *skel;
	struct probe *p;
	size_t i;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->prog_fd[0] = p->prog_fd[1] = -1;
	p->data = MAP_FAILED;
	skel = tunleak_bpf__open();
	if (!skel) {
		err = -errno;
		free(p);
		errno = -err;
		return NULL;
	}
	shared[0][1] = skel->maps.counters;
	shared[1][1] = skel->maps.stats;
	shared[2][1] = skel->maps.flows;
	shared[3][1] = skel->maps.events;
	shared[4][1] = skel->maps.pkts;
	shared[5][1] = skel->maps.bss;
	shared[6][1] = skel->maps.lost;
	/* Every map but .rodata and .data.probe is the datapath's */
	for (i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		err = bpf_map__reuse_fd(shared[i][1], bpf_map__fd(shared[i][0]));
		if (err)
			goto fail;
	}

	/* The hot lines: the datapath's class tables, no interface yet */
	skel->data_probe->hot = dp->hot;
	/* Parameterize BPF code: when to wake the consumer, what to capture */
	skel->rodata->wakeup_events = dp->wakeup_events;
	if (dp->o.pcap_packets) {
		skel->rodata->pcap_packets = dp->o.pcap_packets;
		skel->rodata->pcap_snaplen = dp->o.pcap_snaplen ? dp->o.pcap_snaplen : 256;
	}

	/* Load and verify BPF programs */
	err = tunleak_bpf__load(skel);
	if (err)
		goto fail;

	/* Keep the programs and the probe's data; let the object go */
	p->prog_fd[TL_DIR_INGRESS] = fcntl(bpf_program__fd(skel->progs.tunleak_ingress),
					   F_DUPFD_CLOEXEC, 0);
	p->prog_fd[TL_DIR_EGRESS] = fcntl(bpf_program__fd(skel->progs.tunleak_egress),
					  F_DUPFD_CLOEXEC, 0);
	p->data_len = sizeof(*skel->data_probe);
	p->data = mmap(NULL, p->data_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(skel->maps.data_probe), 0);
	if (p->prog_fd[0] < 0 || p->prog_fd[1] < 0 || p->data == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	tunleak_bpf__destroy(skel);
	return p;
fail:
	tunleak_bpf__destroy(skel);
	probe__free(p);
	errno = -err;
	return NULL;
}

void probe__free(struct probe *p)
{
	if (!p)
		return;
	if (p->prog_fd[0] >= 0)
		close(p->prog_fd[0]);
	if (p->prog_fd[1] >= 0)
		close(p->prog_fd[1]);
	if (p->data != MAP_FAILED)
		munmap(p->data, p->data_len);
	free(p);
}

int probe__prog_fd(const struct probe *p, enum tl_dir dir)
{
	return p->prog_fd[dir == TL_DIR_EGRESS];
}

/*
 * An interface goes to the probe's hot line while it has room (the fast
 * path looks there first), else to its ifaces table by open addressing. The
 * fields first, the ifindex last: a packet never sees half an entry.
 */
static void iface_put(struct tl_iface *e, uint32_t ifindex, int slot, enum tl_role role, bool l2)
{
	e->slot = slot;
	e->role = role;
	e->l2 = l2;
	e->pad = 0;
	__atomic_store_n(&e->ifindex, ifindex, __ATOMIC_RELEASE);
}

int probe__set_iface(struct probe *p, uint32_t ifindex, int slot, enum tl_role role, bool l2)
{
	struct tl_iface *hot = p->data->hot.iface, *ifaces = p->data->ifaces, *free_e = NULL;
	int i;

	if (!ifindex || slot < 0 || slot >= TL_MAX_SLOTS)
		return -EINVAL;
	for (i = 0; i < TL_HOT_IFACES; i++) {
		if (hot[i].ifindex == ifindex) {
			iface_put(&hot[i], ifindex, slot, role, l2);
			return 0;
		}
		if (!hot[i].ifindex && !free_e)
			free_e = &hot[i];
	}
	for (i = 0; i < TL_IFACE_PROBES; i++) {
		struct tl_iface *e = &ifaces[(ifindex + i) & TL_IFACE_MASK];

		if (e->ifindex == ifindex) {
			free_e = e;
			break;
		}
		if (!e->ifindex && !free_e)
			free_e = e;
	}
	if (!free_e)
		return -ENOSPC; /* hot line full, and 4 at ifindex N..N+3 mod 1024 */
	iface_put(free_e, ifindex, slot, role, l2);
	return 0;
}

int probe__del_iface(struct probe *p, uint32_t ifindex)
{
	struct tl_iface *hot = p->data->hot.iface, *ifaces = p->data->ifaces;
	int i;

	for (i = 0; i < TL_HOT_IFACES; i++)
		if (hot[i].ifindex == ifindex)
			__atomic_store_n(&hot[i].ifindex, 0, __ATOMIC_RELEASE);
	for (i = 0; i < TL_IFACE_PROBES; i++) {
		struct tl_iface *e = &ifaces[(ifindex + i) & TL_IFACE_MASK];

		if (e->ifindex == ifindex)
			__atomic_store_n(&e->ifindex, 0, __ATOMIC_RELEASE);
	}
	return 0;
}

int datapath__read_counters(struct datapath *dp,
			    struct tl_counter out[TL_MAX_SLOTS][2][TL_NR_COUNTERS])
{
	struct tl_counter *sum = &out[0][0][0];
	int cpu, i;

	memset(out, 0, sizeof(struct tl_counter) * TL_NR_COUNTER_ENTRIES);
	for (cpu = 0; cpu < dp->ncpu; cpu++) {
		const struct tl_counter *c = dp->counters[cpu].c;

		for (i = 0; i < TL_NR_COUNTER_ENTRIES; i++) {
			/* each word as one load: a CPU may be adding to it */
			sum[i].packets += __atomic_load_n(&c[i].packets, __ATOMIC_RELAXED);
			sum[i].bytes += __atomic_load_n(&c[i].bytes, __ATOMIC_RELAXED);
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
			  void (*fn)(const struct tl_flow_key *, const struct tl_flow_val *, void *),
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
	int ffd = bpf_map__fd(dp->skel->maps.flows), cpu, d, k;
	struct tl_flow_key key, next;
	void *prev = NULL;

	if (slot < 0 || slot >= TL_MAX_SLOTS)
		return -EINVAL;
	/* In place: no interface maps to the slot now, so no program writes
	 * these words, while the others of each element keep counting */
	for (cpu = 0; cpu < dp->ncpu; cpu++)
		for (d = 0; d < 2; d++)
			for (k = 0; k < TL_NR_COUNTERS; k++) {
				struct tl_counter *c = &dp->counters[cpu].c[TL_COUNTER_INDEX(slot, d, k)];

				__atomic_store_n(&c->packets, 0, __ATOMIC_RELAXED);
				__atomic_store_n(&c->bytes, 0, __ATOMIC_RELAXED);
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

int datapath__drain_lost(struct datapath *dp, bool all,
			 void (*fn)(const struct tl_event *, void *), void *ctx)
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
