// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "ranges.h"
#include "tunleak.skel.h"

struct tunleak_bpf *loader_load(const struct loader_opts *o)
{
	unsigned int ring = o->ringbuf_bytes ? o->ringbuf_bytes : LOADER_RINGBUF_DEFAULT;
	struct tunleak_bpf *skel;
	int n4, n6, err;

	skel = tunleak_bpf__open();
	if (!skel)
		return NULL;

	/* Parameterize BPF code: sizes, and when to wake the consumer */
	if (o->max_flows)
		bpf_map__set_max_entries(skel->maps.flows, o->max_flows);
	bpf_map__set_max_entries(skel->maps.events, ring);
	/* A record is the event and the ring's 8-byte header */
	skel->rodata->wakeup_events =
		o->wakeup_events ? o->wakeup_events : ring / (sizeof(struct tl_event) + 8) / 4;

	if (o->pcap_packets) {
		skel->rodata->pcap_packets = o->pcap_packets;
		skel->rodata->pcap_snaplen = o->pcap_snaplen ? o->pcap_snaplen : 256;
		bpf_map__set_max_entries(skel->maps.pkts, 4 * 1024 * 1024);
	}

	/* Load and verify BPF programs */
	err = tunleak_bpf__load(skel);
	if (err)
		goto fail;

	/* Classes as address ranges, written through the mmap'ed .bss */
	n4 = ranges_build4(o->cidrs, o->nr_cidrs, skel->bss->ranges4, TL_MAX_RANGES);
	n6 = ranges_build6(o->cidrs, o->nr_cidrs, skel->bss->ranges6, TL_MAX_RANGES);
	if (n4 < 0 || n6 < 0) {
		err = n4 < 0 ? n4 : n6;
		goto fail;
	}
	skel->bss->nr_ranges4 = n4;
	skel->bss->top_step4 = ranges_top_step(n4);
	skel->bss->nr_ranges6 = n6;
	skel->bss->top_step6 = ranges_top_step(n6);
	/* The search probes up to 2 * top_step - 1: pad with the last range,
	 * starting at the highest address, so such a probe changes nothing */
	ranges_pad4(skel->bss->ranges4, n4, TL_MAX_RANGES);
	ranges_pad6(skel->bss->ranges6, n6, TL_MAX_RANGES);
	return skel;
fail:
	tunleak_bpf__destroy(skel);
	errno = -err;
	return NULL;
}

void loader_free(struct tunleak_bpf *skel)
{
	tunleak_bpf__destroy(skel);
}

int loader_prog_fd(struct tunleak_bpf *skel, int dir)
{
	return bpf_program__fd(dir == TL_DIR_EGRESS ? skel->progs.tunleak_egress :
						      skel->progs.tunleak_ingress);
}

int loader_events_fd(struct tunleak_bpf *skel)
{
	return bpf_map__fd(skel->maps.events);
}

int loader_pkts_fd(struct tunleak_bpf *skel)
{
	return bpf_map__fd(skel->maps.pkts);
}

int loader_set_iface(struct tunleak_bpf *skel, uint32_t ifindex, int slot, int role, int l2)
{
	struct tl_iface *free_e = NULL;
	int i;

	if (!ifindex)
		return -EINVAL;
	for (i = 0; i < TL_IFACE_PROBES; i++) {
		struct tl_iface *e = &skel->bss->ifaces[(ifindex + i) & TL_IFACE_MASK];

		if (e->ifindex == ifindex) {
			free_e = e;
			break;
		}
		if (!e->ifindex && !free_e)
			free_e = e;
	}
	if (!free_e)
		return -ENOSPC; /* 4 interfaces at ifindex N..N+3 mod 1024 already */
	/* The fields first, the ifindex last: a packet never sees half an entry */
	free_e->slot = slot;
	free_e->role = role;
	free_e->l2 = !!l2;
	free_e->pad = 0;
	__atomic_store_n(&free_e->ifindex, ifindex, __ATOMIC_RELEASE);
	return 0;
}

int loader_del_iface(struct tunleak_bpf *skel, uint32_t ifindex)
{
	int i;

	for (i = 0; i < TL_IFACE_PROBES; i++) {
		struct tl_iface *e = &skel->bss->ifaces[(ifindex + i) & TL_IFACE_MASK];

		if (e->ifindex == ifindex)
			__atomic_store_n(&e->ifindex, 0, __ATOMIC_RELEASE);
	}
	return 0;
}

int loader_read_counters(struct tunleak_bpf *skel,
			 struct tl_counter out[TL_MAX_SLOTS][2][TL_NR_COUNTERS])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(skel->maps.counters);
	struct tl_counter *vals;
	__u32 idx;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(struct tl_counter) * TL_NR_COUNTER_ENTRIES);
	for (idx = 0; idx < TL_NR_COUNTER_ENTRIES; idx++) {
		struct tl_counter *dst = &out[0][0][0] + idx;
		int cpu;

		if (bpf_map_lookup_elem(fd, &idx, vals)) {
			int err = -errno;

			free(vals);
			return err;
		}
		for (cpu = 0; cpu < ncpu; cpu++) {
			dst->packets += vals[cpu].packets;
			dst->bytes += vals[cpu].bytes;
		}
	}
	free(vals);
	return 0;
}

int loader_read_stats(struct tunleak_bpf *skel, uint64_t out[TL_NR_STATS])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(skel->maps.stats);
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

int loader_sweep_flows(struct tunleak_bpf *skel,
		       void (*fn)(const struct tl_flow_key *, const struct tl_flow_val *, void *),
		       void *ctx)
{
	int fd = bpf_map__fd(skel->maps.flows), n = 0;
	struct tl_flow_key key, next;
	struct tl_flow_val val;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &val) == 0) {
			fn(&next, &val, ctx);
			n++;
		}
		key = next;
		prev = &key;
	}
	return n;
}
