/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side, as two objects. A datapath is the state every traced
 * namespace shares: counters, statistics, the flow table, the ring buffers
 * and the address classes. A probe is one namespace's pair of programs and its
 * interface table (ifindexes repeat across namespaces); every probe uses the
 * datapath's maps.
 */
#ifndef TL_LOADER_H
#define TL_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "model/abi.h"
#include "model/cidr.h"

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

struct datapath;
struct probe;

/* Create the shared maps and fill the address classes. NULL and errno. */
struct datapath *datapath__new(const struct loader_opts *o);
void datapath__free(struct datapath *dp);
int datapath__events_fd(const struct datapath *dp);
int datapath__pkts_fd(const struct datapath *dp);
int datapath__flows_fd(const struct datapath *dp);
/* Sum the per-CPU counters: out[slot][dir][kind]. */
int datapath__read_counters(struct datapath *dp,
			    struct tl_counter out[TL_MAX_SLOTS][2][TL_NR_COUNTERS]);
int datapath__read_stats(struct datapath *dp, uint64_t out[TL_NR_STATS]);
/* Call fn for every entry of the kernel flow table. Returns entries seen. */
int datapath__sweep_flows(struct datapath *dp,
			  void (*fn)(const struct tl_flow_key *, const struct tl_flow_val *, void *),
			  void *ctx);
/* Take every entry of the lost table (flows whose event did not fit the
 * ring), each exactly once: when events were dropped since the last time,
 * or always with all. Returns how many, or -errno. */
int datapath__drain_lost(struct datapath *dp, bool all,
			 void (*fn)(const struct tl_event *, void *), void *ctx);
/* Make slot as new: zero its counters, drop its flows (before reusing it). */
int datapath__reset_slot(struct datapath *dp, int slot);

/* Load one namespace's programs (verified here) on dp's maps. NULL and errno. */
struct probe *probe__new(struct datapath *dp);
void probe__free(struct probe *p);
int probe__prog_fd(const struct probe *p, enum tl_dir dir);
/* Record ifindex (of the probe's namespace) as slot, before attaching, so
 * that the first packet is counted. */
int probe__set_iface(struct probe *p, uint32_t ifindex, int slot, enum tl_role role, bool l2);
int probe__del_iface(struct probe *p, uint32_t ifindex);

#endif
