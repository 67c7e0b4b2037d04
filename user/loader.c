// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "tunleak.skel.h"

struct tunleak_bpf *loader_load(const struct loader_opts *o)
{
	struct tunleak_bpf *skel;
	int i, err, v4 = 0, v6 = 0;

	skel = tunleak_bpf__open();
	if (!skel)
		return NULL;

	/* Parameterize BPF code: skip the trie of a family with no CIDR. */
	for (i = 0; i < o->nr_cidrs; i++) {
		v4 |= o->cidrs[i].cidr.family == 4;
		v6 |= o->cidrs[i].cidr.family == 6;
	}
	skel->rodata->have_v4 = v4;
	skel->rodata->have_v6 = v6;
	if (o->max_flows)
		bpf_map__set_max_entries(skel->maps.flows, o->max_flows);
	if (o->ringbuf_bytes)
		bpf_map__set_max_entries(skel->maps.events, o->ringbuf_bytes);

	/* Load and verify BPF programs */
	err = tunleak_bpf__load(skel);
	if (err)
		goto fail;

	/* Fill the class tries */
	for (i = 0; i < o->nr_cidrs; i++) {
		const struct cidr *c = &o->cidrs[i].cidr;
		struct tl_cidr_val v = { .cls = o->cidrs[i].cls };

		if (c->family == 4) {
			struct tl_lpm4 k = { .prefixlen = c->prefixlen };

			memcpy(k.addr, c->addr, 4);
			err = bpf_map_update_elem(bpf_map__fd(skel->maps.cidr4), &k, &v, BPF_ANY);
		} else {
			struct tl_lpm6 k = { .prefixlen = c->prefixlen };

			memcpy(k.addr, c->addr, 16);
			err = bpf_map_update_elem(bpf_map__fd(skel->maps.cidr6), &k, &v, BPF_ANY);
		}
		if (err) {
			err = -errno;
			goto fail;
		}
	}
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

int loader_set_iface(struct tunleak_bpf *skel, uint32_t ifindex, int slot, int role, int l2)
{
	struct tl_iface v = { .slot = slot, .role = role, .l2 = !!l2 };

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ifaces), &ifindex, &v, BPF_ANY))
		return -errno;
	return 0;
}

int loader_del_iface(struct tunleak_bpf *skel, uint32_t ifindex)
{
	if (bpf_map_delete_elem(bpf_map__fd(skel->maps.ifaces), &ifindex) && errno != ENOENT)
		return -errno;
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

static uint64_t map_memlock(int fd)
{
	char path[64], line[128];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lu", &v) == 1)
			break;
	fclose(f);
	return v;
}

uint64_t loader_map_memory(struct tunleak_bpf *skel)
{
	struct bpf_map *m;
	uint64_t total = 0;

	bpf_object__for_each_map(m, skel->obj)
		total += map_memlock(bpf_map__fd(m));
	return total;
}
