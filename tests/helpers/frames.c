// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Crafted frames for BPF_PROG_TEST_RUN (frames.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "frames.h"

/* n more bytes at f->len, zeroed; abort if they do not fit. */
static uint8_t *room(struct frame *f, size_t n)
{
	uint8_t *p;

	if (f->len > FRAME_MAX || n > FRAME_MAX - f->len) {
		fprintf(stderr, "frames: %zu more bytes after %zu do not fit in FRAME_MAX (%d)\n",
			n, f->len, FRAME_MAX);
		abort();
	}
	p = f->b + f->len;
	memset(p, 0, n);
	f->len += n;
	return p;
}

/* a 16-bit field in network order, wherever it falls */
static void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

static void addr(int family, const char *text, uint8_t *to)
{
	if (inet_pton(family, text, to) != 1) {
		fprintf(stderr, "frames: \"%s\" is not an IPv%d address\n", text,
			family == AF_INET ? 4 : 6);
		abort();
	}
}

void frame_eth(struct frame *f, uint16_t proto, enum frame_vlan vlan)
{
	uint8_t *e;

	f->len = 0;
	e = room(f, vlan == FRAME_QINQ ? 22 : vlan == FRAME_UNTAGGED ? 14 : 18);
	memset(e, 0x02, 6);
	memset(e + 6, 0x04, 6);
	switch (vlan) {
	case FRAME_QINQ:
		put16(e + 12, 0x88A8);
		put16(e + 14, 10); /* service VLAN 10 */
		put16(e + 16, 0x8100);
		put16(e + 18, 100); /* customer VLAN 100 */
		put16(e + 20, proto);
		break;
	case FRAME_8021Q:
	case FRAME_8021AD:
		put16(e + 12, vlan == FRAME_8021AD ? 0x88A8 : 0x8100);
		put16(e + 14, 100); /* VLAN 100 */
		put16(e + 16, proto);
		break;
	default:
		put16(e + 12, proto);
	}
	f->l2len = f->len;
}

static void l4(struct frame *f, int proto, uint16_t sport, uint16_t dport, int payload)
{
	uint8_t *p;

	f->l4off = f->len;
	if (proto == IPPROTO_TCP) {
		p = room(f, 20);
		put16(p, sport);
		put16(p + 2, dport);
		p[12] = 5 << 4;
	} else if (proto == IPPROTO_UDP) {
		p = room(f, 8);
		put16(p, sport);
		put16(p + 2, dport);
		put16(p + 4, 8 + payload);
	} else {
		p = room(f, 8);
		p[0] = proto == IPPROTO_ICMP ? 8 : 128; /* echo request */
	}
	memset(room(f, payload), 0xab, payload);
}

void frame_ipv4(struct frame *f, const char *src, const char *dst, int proto, uint16_t frag_off,
		uint16_t sport, uint16_t dport, int payload)
{
	size_t at = f->len;
	uint8_t *ip = room(f, 20);

	ip[0] = 0x45;
	put16(ip + 6, frag_off);
	ip[8] = 64;
	ip[9] = proto;
	addr(AF_INET, src, ip + 12);
	addr(AF_INET, dst, ip + 16);
	l4(f, proto, sport, dport, payload);
	put16(f->b + at + 2, f->len - at);
}

void frame_ipv6(struct frame *f, const char *src, const char *dst, const int *ext, int next,
		uint16_t sport, uint16_t dport, int payload)
{
	size_t at = f->len, nh;
	uint8_t *ip = room(f, 40);
	int i;

	ip[0] = 0x60;
	ip[7] = 64;
	addr(AF_INET6, src, ip + 8);
	addr(AF_INET6, dst, ip + 24);
	nh = at + 6; /* where the next header's number goes */
	for (i = 0; ext && ext[i]; i++) {
		f->b[nh] = ext[i] == 0xff ? 0 : ext[i];
		nh = f->len;
		room(f, 8);
	}
	f->b[nh] = next;
	l4(f, next, sport, dport, payload);
	put16(f->b + at + 4, f->len - at - 40);
}

void frame_tcp_flags(struct frame *f, uint8_t flags)
{
	if (f->l4off + 20 > f->len) {
		fprintf(stderr, "frames: no TCP header to set flags in\n");
		abort();
	}
	f->b[f->l4off + 13] = flags;
}
