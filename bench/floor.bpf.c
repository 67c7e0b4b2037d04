// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor: the least a per-packet, per-destination accounting program can
 * do on an Ethernet hook. It reads the destination address (IPv4, or the
 * last word of an IPv6 one) and adds skb->len to a per-CPU array slot chosen
 * from it, nothing else. tunleak's real-traffic cost is compared with this.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} floor_bytes SEC(".maps");

SEC("tc")
int floor_prog(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 daddr, key;
	__u64 *v;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_UNSPEC;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return TC_ACT_UNSPEC;
		daddr = ip->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return TC_ACT_UNSPEC;
		daddr = ip6->daddr.in6_u.u6_addr32[3];
	} else {
		return TC_ACT_UNSPEC;
	}
	key = bpf_ntohl(daddr) & 0xff;
	v = bpf_map_lookup_elem(&floor_bytes, &key);
	if (v)
		*v += skb->len;
	return TC_ACT_UNSPEC;
}
