/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Crafted frames for BPF_PROG_TEST_RUN, for the tests on crafted frames
 * (tests/bpf) and the classifier benchmark (bench/tlbench): one builder, so
 * that both feed the program the same bytes. Plain C, no libbpf.
 *
 * A frame is built front to back: frame_eth() (or nothing, for a frame of an
 * L3 device such as tun0), then frame_ipv4() or frame_ipv6(), which add the
 * L4 header and the payload. Addresses are text ("10.128.0.10",
 * "fd00:10:128::10"). A frame holds at most FRAME_MAX bytes: building past
 * that, or from an address that does not parse, aborts the program with one
 * line on stderr (a test's mistake, not a result).
 */
#ifndef TUNLEAK_TESTS_FRAMES_H
#define TUNLEAK_TESTS_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 256

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;   /* bytes built so far */
	size_t l2len; /* Ethernet header and tags: 0 (L3 frame), 14, 18 or 22 */
	size_t l4off; /* where the L4 header starts (after IPv6 extension headers) */
};

/* The Ethernet header's tags. */
enum frame_vlan {
	FRAME_UNTAGGED, /* ethertype only: 14 bytes */
	FRAME_8021Q,	/* one 802.1Q tag, VLAN 100: 18 bytes */
	FRAME_8021AD,	/* one 802.1ad tag, VLAN 100: 18 bytes */
	FRAME_QINQ,	/* 802.1ad service VLAN 10, then 802.1Q customer VLAN 100: 22 bytes */
};

/* Start the frame with an Ethernet header (destination 02:02:02:02:02:02,
 * source 04:04:04:04:04:04) whose last ethertype is proto (ETH_P_IP, ...). */
void frame_eth(struct frame *f, uint16_t proto, enum frame_vlan vlan);

/*
 * An IPv4 packet at f->len: a 20-byte header (TTL 64, no checksum) with
 * frag_off (host order, flags and offset as on the wire) and the total
 * length, then the L4 header and payload bytes of 0xab:
 *   IPPROTO_TCP  20 bytes: ports, data offset 5, no flags (frame_tcp_flags)
 *   IPPROTO_UDP  8 bytes: ports, length, no checksum
 *   other        8 bytes: an echo request (ICMP type 8; ICMPv6 type 128)
 */
void frame_ipv4(struct frame *f, const char *src, const char *dst, int proto, uint16_t frag_off,
		uint16_t sport, uint16_t dport, int payload);

/*
 * An IPv6 packet at f->len: a 40-byte header (hop limit 64) and its payload
 * length; then a chain of 8-byte extension headers, one per value of ext (a
 * list ending in 0; 0xff stands for hop-by-hop, whose number is 0), NULL for
 * none; then the L4 header next (as frame_ipv4) and the payload.
 */
void frame_ipv6(struct frame *f, const char *src, const char *dst, const int *ext, int next,
		uint16_t sport, uint16_t dport, int payload);

/* The TCP header's flags byte (0x10 ACK, 0x12 SYN-ACK, ...). */
void frame_tcp_flags(struct frame *f, uint8_t flags);

#endif
