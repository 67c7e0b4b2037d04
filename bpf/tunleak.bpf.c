// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunleak: classify every packet on the cluster and tunnel interfaces of a
 * network namespace by address, count it exactly, and record cluster-bound
 * packets that leave through a tunnel (leaks) and remote-bound packets that
 * leave through the cluster interface (bypass).
 *
 * The object is loaded once, and its two programs are attached to every
 * traced interface of every traced namespace: what differs between
 * namespaces is in maps (the ifaces table, keyed by the namespace's cookie
 * and the ifindex), not in copies of the program.
 *
 * The programs are observers: they never modify, drop or redirect a packet
 * and always return TC_ACT_UNSPEC, which is also TCX_NEXT, so the next
 * program on the hook (a CNI's, say) runs as if tunleak were not there.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tunleak.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader between open and load. */
/* Slots of the counters map per CPU (even, at most TL_MAX_SLOTS). */
const volatile __u32 nr_slots = 2;
/* 1: interfaces of many namespaces (node mode), told apart by namespace;
 * 0: of the one namespace of the run (keys carry namespace 0). */
const volatile __u32 by_netns = 0;
/* Wake the consumer on every Nth event of a CPU (1: on every event). A
 * wakeup costs microseconds (irq_work + IPI), and asking the ring how much is
 * pending reads a cache line the consumer keeps writing, so neither is done
 * per event; user space also drains on a short timer. */
const volatile __u32 wakeup_events = 1;
/* pcap: copy the first pcap_packets packets of each leak/bypass flow,
 * pcap_snaplen bytes of each (0: off). */
const volatile __u32 pcap_packets = 0;
const volatile __u32 pcap_snaplen = 256;

/* Filled by the loader through mmap'ed maps before anything is attached;
 * read with plain loads on the fast path (no helper calls): the hot lines
 * (struct tl_hot, page-aligned in a map of their own), the ranges. */
struct tl_hot hot SEC(".data.hot") __attribute__((aligned(64)));
struct tl_range4 ranges4[TL_MAX_RANGES]; /* when more than TL_HOT_RANGES4 */
struct tl_range6 ranges6[TL_MAX_RANGES];
struct tl_recent recent[TL_RECENT];
/* When the last event was emitted, on any CPU (a line of its own: written
 * per event, never per packet). */
__u64 last_event_ns __attribute__((aligned(64)));

/* nr_slots struct tl_slot_counters per possible CPU (the loader sets the
 * count): element cpu * nr_slots + slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE); /* user space reads and resets in place */
	__type(key, __u32);
	__type(value, struct tl_slot_counters);
} counters SEC(".maps");

/* The traced interfaces of every namespace (the loader sets the size: one
 * entry per slot). Not preallocated: an entry costs memory only while its
 * interface is traced. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TL_MAX_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tl_iface_key);
	__type(value, struct tl_iface);
} ifaces SEC(".maps");

/* Each CPU's cache of the ifaces table: TL_IFCACHE_BUCKETS buckets per
 * possible CPU, element cpu * TL_IFCACHE_BUCKETS + bucket (mmapable only to
 * have the elements page-aligned: a bucket is one cache line). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TL_IFCACHE_BUCKETS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct tl_ifcache_bucket);
} ifcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TL_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Leak and bypass flows only: the non-leak path never touches it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tl_flow_key);
	__type(value, struct tl_flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* New flows whose event did not fit the ring (the loader sizes it like the
 * flow table). Not preallocated: it costs memory only while a storm lasts. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tl_lost_key);
	__type(value, struct tl_event);
} lost SEC(".maps");

/* Packet copies for --pcap (one page unless enabled). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} pkts SEC(".maps");

/*
 * The kernel's own view of the packet, for the namespace of its device:
 * only the fields read here, relocated by libbpf against the running
 * kernel's BTF (CO-RE). bpf_cast_to_kern_ctx() (Linux >= 6.2) turns the
 * program's context into the struct sk_buff it stands for.
 */
struct net___tl {
	__u64 net_cookie;
} __attribute__((preserve_access_index));

typedef struct {
	struct net___tl *net;
} possible_net_t___tl;

struct net_device___tl {
	possible_net_t___tl nd_net;
} __attribute__((preserve_access_index));

struct sk_buff___tl {
	struct net_device___tl *dev;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

#define ETH_P_8021Q_  0x8100
#define ETH_P_8021AD_ 0x88A8
#define IP_MF_	      0x2000
#define IP_OFFSET_    0x1FFF
#define MAX_V6_EXT    6

struct vlan_hdr_ {
	__be16 tci;
	__be16 proto;
};

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q_) || proto == bpf_htons(ETH_P_8021AD_);
}

/* What the parser learnt about one packet. */
struct pkt {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__u32 l3_off;  /* offset of the IP header from skb->data */
	__u32 l4_off;  /* offset of the transport header; 0: none (fragment) */
	__u32 hdr_len; /* IP + transport header bytes, for GSO accounting */
	__u64 packets; /* wire packets: GSO segments */
	__u64 bytes;   /* L3 bytes on the wire */
	__u8 family;
	__u8 proto;
	__u8 ports_done;
};

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1; /* per-CPU: no atomics needed */
}

/* The counters of one slot on this CPU (its element of the counters map). */
static __always_inline struct tl_slot_counters *slot_counters(__u32 cpu, __u32 slot)
{
	__u32 idx = cpu * nr_slots + slot;

	/* an array lookup checks idx against the map's size */
	return bpf_map_lookup_elem(&counters, &idx);
}

static __always_inline void count(struct tl_slot_counters *sc, __u8 dir, __u32 kind, __u64 packets,
				  __u64 bytes)
{
	struct tl_counter *c;

	/* the verifier must see the bound where kind is used (not on a copy) */
	asm volatile("" : "+r"(kind));
	if (kind >= TL_NR_COUNTERS)
		return;
	/* this CPU's own element: plain adds, as in a per-CPU map */
	c = &sc->c[dir & 1][kind];
	c->packets += packets;
	c->bytes += bytes;
}

/*
 * The interface the packet is on, as scalars (slot | role << 16 | l2 << 24),
 * or -1 when it is not one of ours: from this CPU's cache when an entry of
 * the current generation has it, else from the ifaces table, then cached.
 * With by_netns (node mode), interfaces are told apart by their device's
 * namespace: the cache by the address of its struct net, the table by its
 * cookie. Reading the device's namespace walks kernel types (BTF): the
 * verifier allows that to CAP_PERFMON or CAP_SYS_ADMIN, which node mode has
 * (it enters other namespaces); one namespace (by_netns 0) needs neither,
 * and the verifier never looks at that code then. Returns a scalar, not a
 * pointer: a pointer per place it may come from kept the verifier from
 * merging the states of everything after it.
 */
static __always_inline int iface_of(struct __sk_buff *skb, __u32 cpu)
{
	__u32 ifindex = skb->ifindex, gen = hot.gen, h = 0, idx, v, w;
	struct tl_iface_key key = {};
	struct net___tl *net = NULL;
	struct tl_ifcache_bucket *b;
	struct tl_iface *e;

	if (by_netns) {
		struct sk_buff___tl *kskb = bpf_cast_to_kern_ctx(skb);

		net = kskb->dev->nd_net.net;
		/* the low 32 bits of its address, as a number to hash (a
		 * 32-bit move: the verifier lets a privileged program do it) */
		asm volatile("r1 = %[net]; w1 = w1; %[h] = r1"
			     : [h] "=r"(h)
			     : [net] "r"(net)
			     : "r1");
	}
	/* a struct net is cache-line aligned: its low 6 bits say nothing */
	idx = cpu * TL_IFCACHE_BUCKETS + ((((h >> 6) ^ ifindex) * 0x9E3779B1u) >> 24);
	b = bpf_map_lookup_elem(&ifcache, &idx);
	if (!b)
		return -1;
	if ((void *)b->e[0].net == net && b->e[0].ifindex == ifindex && b->e[0].gen == gen) {
		v = b->e[0].info;
		goto found;
	}
	if ((void *)b->e[1].net == net && b->e[1].ifindex == ifindex && b->e[1].gen == gen) {
		v = b->e[1].info;
		goto found;
	}
	/* not cached: the table, by the namespace's cookie */
	if (by_netns) {
		if (!net)
			return -1;
		key.netns = net->net_cookie;
	}
	key.ifindex = ifindex;
	e = bpf_map_lookup_elem(&ifaces, &key);
	if (!e)
		return -1;
	v = e->slot | e->role << 16 | e->l2 << 24;
	/* into the entry not used last (pad[0] of the first says which) */
	w = b->e[0].pad[0] & 1;
	b->e[0].pad[0] = !w;
	b->e[w].net = (__u64)(long)net;
	b->e[w].ifindex = ifindex;
	b->e[w].gen = gen;
	b->e[w].info = v;
found:
	asm volatile("" : "+r"(v)); /* one scalar from here on, wherever it came from */
	return v;
}

/* 1 when x < y, without a branch (the borrow of x - y; Hacker's Delight 2-12). */
static __always_inline __u64 lt_u64(__u64 x, __u64 y)
{
	return ((~x & y) | ((~x | y) & (x - y))) >> 63;
}

/*
 * Binary search for the last range starting at or below an address. IPv4:
 * a fixed number of steps from the highest power of two <= n, each pure
 * arithmetic, so the verifier sees straight-line code and the CPU no
 * unpredictable branch. Entries from n up to 2 * top_step repeat the last
 * range's class with the highest start (the loader pads them), so a probe
 * past n is harmless.
 */
static __always_inline __u32 classify4(const __u8 *addr)
{
	__u64 a = bpf_ntohl(*(const __u32 *)addr);
	__u32 step, pos = 0, i;

	if (hot.nr_ranges4 <= TL_HOT_RANGES4) {
		/* the usual few CIDRs: 4 steps over hot.start4, padded to 16 */
		step = TL_HOT_RANGES4 / 2;
#pragma clang loop unroll(full)
		for (i = 0; i < 4; i++) {
			__u64 start = hot.start4[(pos + step) & (TL_HOT_RANGES4 - 1)];

			pos += step & (__u32)(lt_u64(a, start) - 1); /* start <= a: take it */
			step >>= 1;
		}
		return hot.cls4[pos & (TL_HOT_RANGES4 - 1)];
	}
	/* 14 fixed steps, no branch: smaller tables probe the padding */
	step = hot.top_step4;
#pragma clang loop unroll(full)
	for (i = 0; i < 14; i++) {
		__u64 start = ranges4[(pos + step) & TL_RANGE_MASK].start;

		pos += step & (__u32)(lt_u64(a, start) - 1);
		step >>= 1;
	}
	return ranges4[pos & TL_RANGE_MASK].cls;
}

/* 1 when the boundary (bh, bl) is at or below the address (ah, al). */
static __always_inline __u32 le128(__u64 bh, __u64 bl, __u64 ah, __u64 al)
{
	return bh < ah || (bh == ah && bl <= al);
}

/* IPv6: a few CIDRs from the hot lines, 4 probes of the 8 boundaries; more
 * by a bounded loop over ranges6[] (128-bit compares cost more without
 * branches than with them there: measured 29 against 14 ns, 4 prefixes). */
static __always_inline __u32 classify6(const __u8 *addr)
{
	__u64 hi = bpf_be64_to_cpu(*(const __u64 *)addr);
	__u64 lo = bpf_be64_to_cpu(*(const __u64 *)(addr + 8));
	__u32 n = hot.nr_ranges6, step, pos = 0, i;

	if (n <= TL_HOT_BOUNDS6 + 1) {
#pragma clang loop unroll(full)
		for (step = TL_HOT_BOUNDS6 / 2; step; step >>= 1) {
			i = (pos + step - 1) & (TL_HOT_BOUNDS6 - 1);
			if (le128(hot.bound6_hi[i], hot.bound6_lo[i], hi, lo))
				pos += step;
		}
		i = pos & (TL_HOT_BOUNDS6 - 1);
		pos += le128(hot.bound6_hi[i], hot.bound6_lo[i], hi, lo);
		return (hot.cls6 >> (4 * pos)) & 0xf;
	}
	step = hot.top_step6;

	for (i = 0; i < 15; i++) {
		__u32 p = pos + step;

		if (!step)
			break;
		if (p < n) {
			struct tl_range6 *r = &ranges6[p & TL_RANGE_MASK];

			if (r->hi < hi || (r->hi == hi && r->lo <= lo))
				pos = p;
		}
		step >>= 1;
	}
	return n ? ranges6[pos & TL_RANGE_MASK].cls : TL_CLASS_OTHER;
}

/*
 * Ports and transport header length at @off. A transport header that is not
 * in the packet leaves ports 0 (the packet is still classified by address,
 * which is all a leak needs). Read in place when it is in the linear data,
 * as an aggregate's headers are (copying them out with bpf_skb_load_bytes()
 * measured ~25-55 ns more per TCP aggregate on real traffic), else copied.
 */
static __always_inline void parse_l4(struct __sk_buff *skb, struct pkt *p, __u32 off)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *th = data + (off & 0xff), buf[16];

	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) {
		if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
			p->hdr_len += 8;
		return;
	}
	if (off > 0xff || (void *)(th + 14) > data_end) {
		if (bpf_skb_load_bytes(skb, off, buf, p->proto == IPPROTO_TCP ? 14 : 4))
			return;
		th = buf;
	}
	p->sport = *(__be16 *)&th[0];
	p->dport = *(__be16 *)&th[2];
	p->hdr_len += p->proto == IPPROTO_TCP ? (th[12] >> 4) * 4 : 8;
}

/*
 * Returns 0 when the IPv4 header was read, -1 when the packet is not a sound
 * IPv4 packet by the kernel's own receive checks (ip_rcv_core()): version 4,
 * IHL at least 5 and within the packet, total length at least the header and
 * not beyond the packet's @l3len bytes (shorter is padding). A total length
 * of 0 is "the rest of the packet" on a GSO aggregate (BIG TCP, over 64 KiB)
 * and a header error on anything else. A TSO aggregate's total length is its
 * whole length (the stack sets it before segmentation), so real traffic
 * passes.
 */
static __always_inline int parse_ipv4(struct __sk_buff *skb, struct pkt *p, __u32 l3len)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + p->l3_off;
	__u32 vihl, ihl, tot;

	if (p->l3_off > 64 || (void *)(ip + 1) > data_end)
		return -1;
	vihl = *(__u8 *)ip;
	ihl = (vihl & 0xf) * 4;
	if ((vihl >> 4) != 4 || ihl < sizeof(*ip) || ihl > l3len)
		return -1;
	tot = bpf_ntohs(ip->tot_len);
	if (tot == 0 && skb->gso_size)
		tot = l3len;
	if (tot < ihl || tot > l3len)
		return -1;
	p->family = 4;
	p->proto = ip->protocol;
	/* IPv4 in the first 4 bytes, the rest zero (flow keys, reply tags) */
	__builtin_memset(p->src, 0, sizeof(p->src));
	__builtin_memset(p->dst, 0, sizeof(p->dst));
	__builtin_memcpy(p->src, &ip->saddr, 4);
	__builtin_memcpy(p->dst, &ip->daddr, 4);
	p->hdr_len = ihl;
	/* A non-first fragment carries no transport header: ports stay 0. */
	if (!(ip->frag_off & bpf_htons(IP_OFFSET_)))
		p->l4_off = p->l3_off + ihl;
	return 0;
}

/* Addresses only: all the non-leak path needs. Version 6, and a payload
 * length not beyond the packet (ipv6_rcv()); 0 is a jumbogram's or a BIG TCP
 * aggregate's and is left alone. */
static __always_inline int parse_ipv6(struct __sk_buff *skb, struct pkt *p, __u32 l3len)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + p->l3_off;

	if (p->l3_off > 64 || (void *)(ip6 + 1) > data_end)
		return -1;
	if ((*(__u8 *)ip6 >> 4) != 6 || bpf_ntohs(ip6->payload_len) + sizeof(*ip6) > l3len)
		return -1;
	p->family = 6;
	p->proto = ip6->nexthdr;
	__builtin_memcpy(p->src, &ip6->saddr, 16);
	__builtin_memcpy(p->dst, &ip6->daddr, 16);
	p->l4_off = p->l3_off + sizeof(*ip6);
	p->hdr_len = sizeof(*ip6);
	return 0;
}

/*
 * Walk a bounded chain of IPv6 extension headers to the transport header
 * (leak path and GSO only). A non-first fragment or a truncated chain leaves
 * no transport header (l4_off 0).
 */
static __always_inline void walk_ipv6_ext(struct __sk_buff *skb, struct pkt *p)
{
	__u32 off = p->l4_off;
	__u8 nh = p->proto;
	int i;

	for (i = 0; i < MAX_V6_EXT; i++) {
		__u8 eh[8];

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT && nh != IPPROTO_AH)
			break;
		if (bpf_skb_load_bytes(skb, off, eh, sizeof(eh))) {
			p->proto = IPPROTO_NONE;
			p->l4_off = 0;
			return;
		}
		if (nh == IPPROTO_FRAGMENT) {
			nh = eh[0];
			off += 8;
			if ((*(__be16 *)&eh[2]) & bpf_htons(0xFFF8)) {
				p->proto = nh;
				p->l4_off = 0;
				p->hdr_len = off - p->l3_off;
				return;
			}
		} else if (nh == IPPROTO_AH) {
			nh = eh[0];
			off += (eh[1] + 2) * 4;
		} else {
			nh = eh[0];
			off += (eh[1] + 1) * 8;
		}
	}
	p->proto = nh;
	p->l4_off = off;
	p->hdr_len = off - p->l3_off;
}

/* Ports (and the transport header length) once they are needed. */
static __always_inline void parse_transport(struct __sk_buff *skb, struct pkt *p)
{
	if (p->family == 6)
		walk_ipv6_ext(skb, p);
	if (p->l4_off)
		parse_l4(skb, p, p->l4_off);
	p->ports_done = 1;
}

/* A 64-bit tag of a 5-tuple (never 0). */
static __always_inline __u64 tuple_tag(const __u8 *src, const __u8 *dst, __be16 sport, __be16 dport,
				       __u8 proto)
{
	__u64 h = *(const __u64 *)src * 0x9E3779B97F4A7C15ULL;

	h ^= *(const __u64 *)(src + 8) * 0xC2B2AE3D27D4EB4FULL;
	h ^= *(const __u64 *)dst * 0x165667B19E3779F9ULL;
	h ^= *(const __u64 *)(dst + 8) * 0xD6E8FEB86659FD93ULL;
	h ^= ((__u64)sport << 32 | (__u64)dport << 16 | proto) * 0xFF51AFD7ED558CCDULL;
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 32;
	return h | 1;
}

/*
 * Ingress on a cluster interface from a cluster address: remember packets
 * that open a connection (TCP SYN without ACK, UDP, ICMP echo request) by
 * the tag of their reply, so a leak that answers one is known as a reply.
 * One hash and one store; other packets pay a flag test.
 */
/* Inline prefilter for note_incoming(): most cluster ingress is TCP that
 * opens nothing (ACKs, data); those should not pay for a call. */
static __always_inline int may_open(struct __sk_buff *skb, const struct pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *flags = data + (p->l4_off & 0xff) + 13;

	if (p->proto != IPPROTO_TCP)
		return p->proto == IPPROTO_UDP || p->proto == IPPROTO_ICMP ||
		       p->proto == IPPROTO_ICMPV6;
	if ((void *)(flags + 1) > data_end || !p->l4_off)
		return 0;
	return (*flags & 0x12) == 0x02; /* SYN, not ACK */
}

/* A global function: the verifier checks it once, on its own, instead of on
 * every path of the classifier that leads here (measured: 38 -> 12 ms). */
__attribute__((noinline)) int note_incoming(struct __sk_buff *skb, struct pkt *p, __u32 slot)
{
	void *data, *data_end;
	struct tl_recent *r;
	__u64 tag;
	__u8 *l4;

	if (!skb || !p)
		return 0;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	l4 = data + (p->l4_off & 0xff);
	if (!p->l4_off || p->l4_off > 128 || (void *)(l4 + 14) > data_end)
		return 0;
	if (p->proto == IPPROTO_TCP) {
		if ((l4[13] & 0x12) != 0x02) /* SYN, not ACK */
			return 0;
	} else if (p->proto == IPPROTO_ICMP) {
		if (l4[0] != 8) /* echo request */
			return 0;
	} else if (p->proto == IPPROTO_ICMPV6) {
		if (l4[0] != 128)
			return 0;
	} else if (p->proto != IPPROTO_UDP) {
		return 0;
	}
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
		p->sport = *(__be16 *)&l4[0];
		p->dport = *(__be16 *)&l4[2];
	}
	/* the reply's tuple: our address is its source */
	tag = tuple_tag(p->dst, p->src, p->dport, p->sport, p->proto);
	r = &recent[(tag >> 40) & (TL_RECENT - 1)];
	r->tag = tag;
	r->slot = slot;
	return 1;
}

/* Was the flow p belongs to opened from a cluster interface? */
static __always_inline int is_reply(const struct pkt *p, __u16 *slot)
{
	__u64 tag = tuple_tag(p->src, p->dst, p->sport, p->dport, p->proto);
	struct tl_recent *r = &recent[(tag >> 40) & (TL_RECENT - 1)];

	if (r->tag != tag)
		return 0;
	*slot = r->slot;
	return 1;
}

/* --pcap: the first bytes of one packet, from the IP header on. */
static __always_inline void capture(struct __sk_buff *skb, const struct pkt *p, __u16 slot,
				    __u8 type, __u64 now)
{
	__u32 origlen = skb->len > p->l3_off ? skb->len - p->l3_off : 0;
	__u32 len = origlen < pcap_snaplen ? origlen : pcap_snaplen;
	struct tl_pkt *e;

	if (len == 0)
		return;
	/* 1..TL_SNAP_MAX, in a form the verifier can follow (the compiler may
	 * test a copy of len for zero, which it does not connect to this one) */
	len = ((len - 1) & (TL_SNAP_MAX - 1)) + 1;
	e = bpf_ringbuf_reserve(&pkts, sizeof(*e), 0);
	if (!e) {
		stat_inc(TL_STAT_PCAP_DROPPED);
		return;
	}
	if (bpf_skb_load_bytes(skb, p->l3_off, e->data, len)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	e->ts_ns = now;
	e->caplen = len;
	e->origlen = origlen;
	e->slot = slot;
	e->type = type;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP); /* drained on the timer */
}

static __always_inline void fill_event(struct tl_event *e, struct __sk_buff *skb,
				       const struct tl_flow_key *key, const struct tl_flow_val *val)
{
	__builtin_memcpy(&e->key, key, sizeof(*key));
	e->ts_ns = val->first_ns;
	e->packets = val->packets;
	e->bytes = val->bytes;
	e->ifindex = skb->ifindex;
	e->type = val->type;
	e->cls = val->cls;
	e->reply = val->reply;
	e->reply_slot = val->reply_slot;
}

/* First packet of a leak or bypass flow: one ring-buffer record, or, when
 * the ring is full, one entry in the lost table. */
static __always_inline void emit_event(struct __sk_buff *skb, const struct tl_flow_key *key,
				       const struct tl_flow_val *val)
{
	struct tl_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u32 idx = TL_STAT_EVENTS_EMITTED;
	__u64 *emitted, flags = BPF_RB_NO_WAKEUP;

	if (!e) {
		struct tl_lost_key lk = {.seq = val->first_ns};
		struct tl_event le;

		__builtin_memcpy(&lk.key, key, sizeof(*key));
		fill_event(&le, skb, key, val);
		if (bpf_map_update_elem(&lost, &lk, &le, BPF_NOEXIST))
			stat_inc(TL_STAT_UNREPORTED);
		/* counted after the entry is in: user space drains the lost
		 * table when this count moves, and finds it there */
		stat_inc(TL_STAT_EVENTS_DROPPED);
		return;
	}
	fill_event(e, skb, key, val);
	emitted = bpf_map_lookup_elem(&stats, &idx);
	if (emitted) {
		*emitted += 1;
		if (*emitted % wakeup_events == 0)
			flags = BPF_RB_FORCE_WAKEUP;
	}
	/* after a quiet spell the consumer may be asleep: wake it */
	if (val->first_ns - last_event_ns > TL_QUIET_NS)
		flags = BPF_RB_FORCE_WAKEUP;
	last_event_ns = val->first_ns;
	bpf_ringbuf_submit(e, flags);
}

/* Kept out of line: only leak and bypass packets pay for it. A global
 * function, so the verifier checks it once rather than at each call site. */
__attribute__((noinline)) int record_flow(struct __sk_buff *skb, struct pkt *p, __u32 slot,
					  __u32 type, __u32 cls)
{
	__u64 packets, bytes;
	struct tl_flow_key key = {};
	struct tl_flow_val *v, nv = {};
	__u64 now;

	if (!skb || !p)
		return 0;
	packets = p->packets;
	bytes = p->bytes;
	now = bpf_ktime_get_ns();
	if (!p->ports_done)
		parse_transport(skb, p);
	__builtin_memcpy(key.src, p->src, 16);
	__builtin_memcpy(key.dst, p->dst, 16);
	key.sport = p->sport;
	key.dport = p->dport;
	key.family = p->family;
	key.proto = p->proto;
	key.slot = slot;
	key.dir = TL_DIR_EGRESS;

	v = bpf_map_lookup_elem(&flows, &key);
	if (v) {
		__u64 seen = __sync_fetch_and_add(&v->packets, packets);

		__sync_fetch_and_add(&v->bytes, bytes);
		v->last_ns = now;
		if (pcap_packets && seen < pcap_packets)
			capture(skb, p, slot, type, now);
		return 0;
	}
	nv.first_ns = now;
	nv.last_ns = now;
	nv.packets = packets;
	nv.bytes = bytes;
	nv.type = type;
	nv.cls = cls;
	if (type == TL_TYPE_LEAK)
		nv.reply = is_reply(p, &nv.reply_slot);
	if (bpf_map_update_elem(&flows, &key, &nv, BPF_NOEXIST)) {
		/* Another CPU inserted it first: add to that entry. */
		v = bpf_map_lookup_elem(&flows, &key);
		if (v) {
			__sync_fetch_and_add(&v->packets, packets);
			__sync_fetch_and_add(&v->bytes, bytes);
			v->last_ns = now;
		} else {
			stat_inc(TL_STAT_FLOW_INSERT_FAIL);
		}
		return 0;
	}
	if (pcap_packets)
		capture(skb, p, slot, type, now);
	stat_inc(type == TL_TYPE_LEAK ? TL_STAT_LEAK_FLOWS : TL_STAT_BYPASS_FLOWS);
	emit_event(skb, &key, &nv);
	return 1;
}

static __always_inline int handle(struct __sk_buff *skb, __u8 dir)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 cpu = bpf_get_smp_processor_id();
	struct tl_slot_counters *sc;
	int info;
	struct pkt p;
	__u64 packets, bytes;
	__u32 cls, l2len = 0;
	__be16 proto;
	__u16 slot;
	__u8 role;
	int err;

	info = iface_of(skb, cpu);
	if (info < 0) {
		stat_inc(TL_STAT_UNKNOWN_IFACE);
		return TC_ACT_UNSPEC;
	}
	slot = info & 0xffff;
	role = (info >> 16) & 0xff;
	sc = slot_counters(cpu, slot);
	if (!sc)
		return TC_ACT_UNSPEC; /* a slot beyond nr_slots: never written */

	if (info >> 24) {
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > data_end) {
			count(sc, dir, TL_CNT_MALFORMED, 1, skb->len);
			return TC_ACT_UNSPEC;
		}
		proto = eth->h_proto;
		l2len = sizeof(*eth);
		/* Up to two 802.1Q or 802.1ad tags (QinQ: 802.1ad outside,
		 * 802.1Q inside). */
		if (is_vlan(proto)) {
			struct vlan_hdr_ *vh = data + l2len;

			if ((void *)(vh + 1) > data_end) {
				count(sc, dir, TL_CNT_MALFORMED, 1, skb->len);
				return TC_ACT_UNSPEC;
			}
			proto = vh->proto;
			l2len += sizeof(*vh);
			if (is_vlan(proto)) {
				if ((void *)(vh + 2) > data_end) {
					count(sc, dir, TL_CNT_MALFORMED, 1, skb->len);
					return TC_ACT_UNSPEC;
				}
				proto = vh[1].proto;
				l2len += sizeof(*vh);
			}
		}
	} else {
		/* L3 device: the version nibble says what follows (tun without
		 * packet info sets skb->protocol the same way). */
		__u8 *v = data;

		if ((void *)(v + 1) > data_end) {
			count(sc, dir, TL_CNT_MALFORMED, 1, skb->len);
			return TC_ACT_UNSPEC;
		}
		proto = (*v >> 4) == 4	 ? bpf_htons(ETH_P_IP)
			: (*v >> 4) == 6 ? bpf_htons(ETH_P_IPV6)
					 : 0;
	}

	bytes = skb->len > l2len ? skb->len - l2len : 0;
	/* what the parsers may leave unset; the addresses they fill */
	p.l3_off = l2len;
	p.l4_off = 0;
	p.sport = 0;
	p.dport = 0;
	p.ports_done = 0;
	if (proto == bpf_htons(ETH_P_IP)) {
		err = parse_ipv4(skb, &p, bytes);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		err = parse_ipv6(skb, &p, bytes);
	} else {
		count(sc, dir, TL_CNT_NONIP, 1, bytes);
		return TC_ACT_UNSPEC;
	}
	if (err) {
		count(sc, dir, TL_CNT_MALFORMED, 1, bytes);
		return TC_ACT_UNSPEC;
	}

	/* Egress: where the packet goes. Ingress: where it came from. */
	if (p.family == 4)
		cls = classify4(dir == TL_DIR_EGRESS ? p.dst : p.src);
	else
		cls = classify6(dir == TL_DIR_EGRESS ? p.dst : p.src);
	if (cls >= TL_NR_CLASSES)
		cls = TL_CLASS_OTHER;

	/* A GSO/GRO aggregate counts as the segments it stands for on the
	 * wire, each with its own IP and transport headers. */
	packets = skb->gso_segs > 1 ? skb->gso_segs : 1;
	if (packets > 1) {
		parse_transport(skb, &p);
		bytes += (packets - 1) * p.hdr_len;
	}
	p.packets = packets;
	p.bytes = bytes;

	count(sc, dir, cls, packets, bytes);

	if (dir != TL_DIR_EGRESS) {
		if (role == TL_ROLE_CLUSTER && cls <= TL_CLASS_NODE && may_open(skb, &p))
			note_incoming(skb, &p, slot);
		return TC_ACT_UNSPEC;
	}
	if (role == TL_ROLE_TUNNEL && cls <= TL_CLASS_NODE)
		record_flow(skb, &p, slot, TL_TYPE_LEAK, cls);
	else if (role == TL_ROLE_CLUSTER && cls == TL_CLASS_REMOTE)
		record_flow(skb, &p, slot, TL_TYPE_BYPASS, cls);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tunleak_ingress(struct __sk_buff *skb)
{
	return handle(skb, TL_DIR_INGRESS);
}

SEC("tc")
int tunleak_egress(struct __sk_buff *skb)
{
	return handle(skb, TL_DIR_EGRESS);
}
