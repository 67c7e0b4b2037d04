/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by bpf/tunleak.bpf.c and user space.
 * No includes: only __u8 … __u64 and __be16; explicit padding; user space
 * _Static_asserts every size (user/abi.h).
 */
#ifndef TUNLEAK_H
#define TUNLEAK_H

/* Interface slots: counters are kept by slot, a slot is an interface name
 * in one namespace, so a tunnel recreated with a new ifindex keeps counting
 * in its slot. Slots are global: every traced namespace shares the one
 * program pair, the counters, the flow table and the ring buffer. A slot is
 * a __u16 in flow keys and events; the loader sizes the counters for the
 * slots a run uses (nr_slots <= TL_MAX_SLOTS). */
#define TL_MAX_SLOTS 2048

/* Counter kinds per (slot, direction): the five address classes, then
 * frames that are not IP and IP frames too short to classify. */
enum tl_class {
	TL_CLASS_POD = 0,
	TL_CLASS_SERVICE = 1,
	TL_CLASS_NODE = 2,
	TL_CLASS_REMOTE = 3,
	TL_CLASS_OTHER = 4,
	TL_NR_CLASSES = 5,
	TL_CNT_NONIP = 5,
	TL_CNT_MALFORMED = 6,
	TL_NR_COUNTERS = 7,
};

enum tl_dir {
	TL_DIR_INGRESS = 0,
	TL_DIR_EGRESS = 1,
};

enum tl_role {
	TL_ROLE_CLUSTER = 1,
	TL_ROLE_TUNNEL = 2,
};

enum tl_type {
	TL_TYPE_LEAK = 1,
	TL_TYPE_BYPASS = 2,
};

/* The first event after TL_QUIET_NS without one wakes the consumer at once;
 * later ones wake it every so many events, and the consumer drains on a
 * short tick for 2 * TL_QUIET_NS after it last found something (then it
 * sleeps until woken: an idle run costs no wakeups). */
#define TL_QUIET_NS 100000000ULL

/* Global per-CPU statistics (stats map index). */
enum tl_stat {
	TL_STAT_EVENTS_EMITTED = 0,
	TL_STAT_EVENTS_DROPPED = 1,   /* ring buffer reserve failed */
	TL_STAT_FLOW_INSERT_FAIL = 2, /* flow table update failed */
	TL_STAT_LEAK_FLOWS = 3,	      /* new leak flows inserted */
	TL_STAT_BYPASS_FLOWS = 4,     /* new bypass flows inserted */
	TL_STAT_UNKNOWN_IFACE = 5,    /* program ran on an ifindex not in ifaces */
	TL_STAT_PCAP_DROPPED = 6,     /* packet copies lost to a full pcap ring */
	TL_STAT_UNREPORTED = 7,	      /* event dropped and the lost table full: never reported */
	TL_NR_STATS = 8,
};

/* Interfaces, keyed by their namespace and ifindex (ifindexes repeat
 * across namespaces): the namespace is its cookie, the one the kernel gives
 * it at creation and never reuses (SO_NETNS_COOKIE). Written by user space
 * before an interface is attached. */
struct tl_iface_key {
	__u64 netns; /* the namespace's cookie */
	__u32 ifindex;
	__u32 pad;
};

struct tl_iface {
	__u16 slot;
	__u8 role; /* enum tl_role */
	__u8 l2;   /* 1: frames start with an Ethernet header */
};

/*
 * The fast path does not hash the cookie for every packet: each CPU keeps a
 * small cache of the interfaces it saw, keyed by the address of the
 * device's namespace (struct net) and the ifindex, both read from the
 * packet's device, and the table's generation (hot.gen) when the entry was
 * filled. User space bumps the generation after every change of the ifaces
 * table, so an entry filled before a change (a namespace ended and its
 * struct net reused, an interface gone) is never used after it. Two
 * entries per cache line, TL_IFCACHE_BUCKETS lines per CPU.
 */
#define TL_IFCACHE_BUCKETS 256

struct tl_ifcache_entry {
	__u64 net; /* the struct net's address; 0: empty */
	__u32 ifindex;
	__u32 gen;
	__u32 info; /* slot | role << 16 | l2 << 24 */
	__u32 pad[3];
};

struct tl_ifcache_bucket {
	struct tl_ifcache_entry e[2];
};

/*
 * What the fast path reads for every packet: the first line holds the
 * interface table's generation, the range counts and the classes of the
 * small tables;
 * the second, the IPv4 range starts; the third and fourth, the IPv6 range
 * boundaries. A few CIDRs (the usual case) fit: up to TL_HOT_RANGES4 IPv4
 * ranges and TL_HOT_BOUNDS6 + 1 IPv6 ranges; more are searched in
 * ranges4[] / ranges6[]. Real traffic finds these lines cold: every line a
 * packet touches beyond its own costs tens of ns there, so an IPv4 packet
 * reads two of them and an IPv6 packet three.
 *
 * start4[] is sorted and padded to the end with the highest start, so a
 * fixed 4-step search needs no count. IPv6 keeps the boundaries between
 * ranges (range 0 starts at ::), high and low 64 bits apart, padded with
 * all-ones; the class of range i is in bits 4i..4i+3 of cls6.
 */
#define TL_HOT_RANGES4 16
#define TL_HOT_BOUNDS6 8

struct tl_hot {
	__u32 gen; /* of the ifaces table: bumped by user space on every change */
	__u32 pad0[7];
	__u16 nr_ranges4; /* > TL_HOT_RANGES4: search ranges4[] */
	__u16 top_step4;  /* highest power of two <= nr_ranges4 */
	__u16 nr_ranges6; /* > TL_HOT_BOUNDS6 + 1: search ranges6[] */
	__u16 top_step6;
	__u8 cls4[TL_HOT_RANGES4];
	__u64 cls6;
	__u32 start4[TL_HOT_RANGES4];
	__u64 bound6_hi[TL_HOT_BOUNDS6];
	__u64 bound6_lo[TL_HOT_BOUNDS6];
};

/* Address classes as sorted disjoint ranges (in .bss), found by binary
 * search: ranges[i] covers [start_i, start_{i+1}). Host byte order. */
#define TL_MAX_RANGES 16384
#define TL_RANGE_MASK (TL_MAX_RANGES - 1)

struct tl_range4 {
	__u32 start;
	__u32 cls;
};

struct tl_range6 {
	__u64 hi;
	__u64 lo;
	__u32 cls;
	__u32 pad;
};

struct tl_counter {
	__u64 packets;
	__u64 bytes;
};

/* One slot's counters. The counters map is a plain array of nr_slots of
 * these per possible CPU, element cpu * nr_slots + slot: the fast path
 * reaches its counter with one load, where a per-CPU array first loads the
 * element's per-CPU pointer from the map (a line more per packet, cold on
 * real traffic). Each CPU writes only its own elements; nr_slots is even, so
 * two CPUs never share a cache line. */
struct tl_slot_counters {
	struct tl_counter c[2][TL_NR_COUNTERS]; /* [dir][kind] */
};

/* A flow as seen on one interface in one direction. IPv4 addresses use the
 * first 4 bytes of src/dst, the rest is zero. Ports in network order. */
struct tl_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__u16 slot;
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u8 dir;
	__u8 pad[3];
};

struct tl_flow_val {
	__u64 first_ns; /* CLOCK_MONOTONIC */
	__u64 last_ns;
	__u64 packets;
	__u64 bytes;
	__u8 type; /* enum tl_type */
	__u8 cls;
	__u8 reply; /* 1: the reverse flow came in on a cluster interface */
	__u8 pad;
	__u16 reply_slot; /* ... on this one */
	__u8 pad2[2];
};

/* Recent connections that came in on a cluster interface (.bss, direct
 * mapped by a hash of the reply's 5-tuple): a leak that answers one of them
 * is a reply leak. Written on ingress for connection-opening packets only. */
#define TL_RECENT 8192

struct tl_recent {
	__u64 tag; /* 0: empty */
	__u16 slot;
	__u8 pad[6];
};

/* pcap ring record: the first bytes of a leak/bypass flow's first packets,
 * from the IP header on. */
#define TL_SNAP_MAX 1024

struct tl_pkt {
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u32 caplen;
	__u32 origlen; /* L3 length */
	__u16 slot;
	__u8 type;
	__u8 pad[5];
	__u8 data[TL_SNAP_MAX];
};

/* A new flow whose event found the ring buffer full waits in the lost table
 * until user space takes it (reads and deletes it): every new flow is
 * reported exactly once, by its event or by its entry there. seq (the first
 * packet's time) keeps keys apart when a flow comes again after an eviction. */
struct tl_lost_key {
	struct tl_flow_key key;
	__u32 pad;
	__u64 seq;
};

/* Ring buffer record: one per new leak or bypass flow. */
struct tl_event {
	struct tl_flow_key key;
	__u32 pad;
	__u64 ts_ns;
	__u64 packets; /* of the first packet: its GSO segments */
	__u64 bytes;
	__u32 ifindex;
	__u8 type;
	__u8 cls;
	__u8 reply;
	__u8 pad2;
	__u16 reply_slot;
	__u8 pad3[6];
};

#endif /* TUNLEAK_H */
