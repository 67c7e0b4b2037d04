// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A test's own tc program, standing for a CNI's program that shares the
 * hooks with tunleak. Counts every packet, and separately the IPv4 ICMP echo
 * requests to match_daddr (set before load), then passes the packet on.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 match_daddr = 0; /* network order */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2); /* [0] all packets, [1] matched echo requests */
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline void bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&seen, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tc")
int count_pkts(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u8 *icmp;

	bump(0);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	icmp = (void *)ip + ip->ihl * 4;
	if ((void *)(icmp + 1) > data_end)
		return TC_ACT_UNSPEC;
	if (ip->protocol == IPPROTO_ICMP && *icmp == 8 && ip->daddr == match_daddr)
		bump(1);
	return TC_ACT_UNSPEC;
}
