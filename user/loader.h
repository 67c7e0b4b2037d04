/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Loading the BPF object and reading and writing its maps. */
#ifndef TL_LOADER_H
#define TL_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"
#include "cidr.h"

struct tunleak_bpf;

struct loader_opts {
	const struct class_cidr *cidrs;
	int nr_cidrs;
	unsigned int max_flows; /* 0: the object's default */
	unsigned int ringbuf_bytes; /* 0: default; a power of two >= page size */
	unsigned int wakeup_events; /* wake the consumer every Nth event per CPU;
				     * 0: a quarter of what the ring holds */
	unsigned int pcap_packets; /* 0: no packet copies */
	unsigned int pcap_snaplen;
};

#define LOADER_RINGBUF_DEFAULT (1024 * 1024)

/* Open, parameterize, load, fill the CIDR tries. NULL and errno on error. */
struct tunleak_bpf *loader_load(const struct loader_opts *o);
void loader_free(struct tunleak_bpf *skel);

int loader_prog_fd(struct tunleak_bpf *skel, int dir);
int loader_events_fd(struct tunleak_bpf *skel);
int loader_pkts_fd(struct tunleak_bpf *skel);
int loader_set_iface(struct tunleak_bpf *skel, uint32_t ifindex, int slot, int role, int l2);
int loader_del_iface(struct tunleak_bpf *skel, uint32_t ifindex);
/* Sum the per-CPU counters: out[slot][dir][kind]. */
int loader_read_counters(struct tunleak_bpf *skel,
			 struct tl_counter out[TL_MAX_SLOTS][2][TL_NR_COUNTERS]);
int loader_read_stats(struct tunleak_bpf *skel, uint64_t out[TL_NR_STATS]);
/* Call fn for every entry of the kernel flow table. Returns entries seen. */
int loader_sweep_flows(struct tunleak_bpf *skel,
		       void (*fn)(const struct tl_flow_key *, const struct tl_flow_val *, void *),
		       void *ctx);

#endif
