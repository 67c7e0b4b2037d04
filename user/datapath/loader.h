/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side, as two objects. A datapath is the one loaded program pair
 * and the state every traced namespace shares: counters, statistics, the
 * flow table, the ring buffers, the address classes and the interfaces of
 * every namespace. A probe is one namespace's view of it: its cookie, by
 * which its interfaces are recorded (ifindexes repeat across namespaces).
 * The programs are verified once, whatever the number of namespaces.
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
	unsigned int max_flows;	    /* 0: the object's default */
	unsigned int ringbuf_bytes; /* 0: default; a power of two >= page size */
	unsigned int wakeup_events; /* wake the consumer every Nth event per CPU;
				     * 0: a quarter of what the ring holds */
	unsigned int pcap_packets;  /* 0: no packet copies */
	unsigned int pcap_snaplen;
	unsigned int nr_slots; /* interface slots; 0: TL_MAX_SLOTS; rounded up to even */
	/* interfaces of many namespaces, told apart by namespace (node mode:
	 * the programs then need CAP_PERFMON or CAP_SYS_ADMIN); else of one */
	bool by_netns;
};

#define LOADER_RINGBUF_DEFAULT (1024 * 1024)

struct datapath;
struct probe;

/* Load and verify the programs, create the maps and fill the address
 * classes. NULL and errno. */
struct datapath *datapath__new(const struct loader_opts *o);
void datapath__free(struct datapath *dp);
int datapath__events_fd(const struct datapath *dp);
int datapath__pkts_fd(const struct datapath *dp);
int datapath__flows_fd(const struct datapath *dp);
int datapath__prog_fd(const struct datapath *dp, int dir);
/* The interface slots the counters have room for. */
int datapath__nr_slots(const struct datapath *dp);
/* Sum the per-CPU counters: out[slot][dir][kind] (slots beyond
 * datapath__nr_slots() read zero). */
int datapath__read_counters(struct datapath *dp,
			    struct tl_counter out[TL_MAX_SLOTS][2][TL_NR_COUNTERS]);
int datapath__read_stats(struct datapath *dp, uint64_t out[TL_NR_STATS]);
/* Call fn for every entry of the kernel flow table. Returns entries seen. */
int datapath__sweep_flows(struct datapath *dp,
			  void (*fn)(const struct tl_flow_key *, const struct tl_flow_val *,
				     void *),
			  void *ctx);
/* Take every entry of the lost table (flows whose event did not fit the
 * ring), each exactly once: when events were dropped since the last time,
 * or always with all. Returns how many, or -errno. */
int datapath__drain_lost(struct datapath *dp, bool all, void (*fn)(const struct tl_event *, void *),
			 void *ctx);
/* Make slot as new: zero its counters, drop its flows (before reusing it). */
int datapath__reset_slot(struct datapath *dp, int slot);

/* One namespace's view of dp, by the namespace's cookie (0: the calling
 * thread's namespace; not used unless dp is by_netns). Loads nothing and
 * holds no fd. NULL and errno. */
struct probe *probe__new(struct datapath *dp, uint64_t netns_cookie);
void probe__free(struct probe *p);
/* The programs to attach to the namespace's interfaces (dp's: not owned). */
int probe__prog_fd(const struct probe *p, enum tl_dir dir);
/* Record ifindex (of the probe's namespace) as slot, before attaching, so
 * that the first packet is counted. */
int probe__set_iface(struct probe *p, uint32_t ifindex, int slot, enum tl_role role, bool l2);
int probe__del_iface(struct probe *p, uint32_t ifindex);

#endif
