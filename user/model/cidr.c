// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cidr.h"

int cidr_parse(const char *s, struct cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	unsigned long len;
	size_t alen;
	int max, i;
	char *end;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return -CIDR_ESYNTAX;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -CIDR_ESYNTAX;
	memcpy(buf, s, alen);
	buf[alen] = '\0';

	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		max = 128;
	} else {
		return -CIDR_ESYNTAX;
	}

	if (!slash) {
		out->prefixlen = max;
		return 0;
	}
	/* After the slash a decimal number, or this is no CIDR at all ("/8 ",
	 * "/+8", "/0x8"); a number that is no prefix length of the family
	 * (or none) is a prefix error. */
	if (slash[1] == '\0')
		return -CIDR_EPREFIX;
	if (strspn(slash + 1, "0123456789") != strlen(slash + 1))
		return -CIDR_ESYNTAX;
	if (strlen(slash + 1) > 3)
		return -CIDR_EPREFIX;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || *end != '\0' || len > (unsigned long)max)
		return -CIDR_EPREFIX;
	out->prefixlen = len;

	for (i = 0; i < max / 8; i++) {
		int bit = i * 8;
		uint8_t keep;

		if (bit >= out->prefixlen)
			keep = 0;
		else if (bit + 8 <= out->prefixlen)
			keep = 0xff;
		else
			keep = (uint8_t)(0xff << (8 - (out->prefixlen - bit)));
		if (out->addr[i] & ~keep)
			return -CIDR_EHOSTBITS;
	}
	return 0;
}

const char *cidr_strerror(int err)
{
	switch (-err) {
	case CIDR_ESYNTAX:
		return "not a CIDR (expected an IPv4 or IPv6 prefix such as 10.128.0.0/14 or "
		       "fd00:10:128::/48)";
	case CIDR_EPREFIX:
		return "prefix length must be 0-32 for IPv4, 0-128 for IPv6";
	case CIDR_EHOSTBITS:
		return "host bits are set after the prefix length";
	default:
		return "invalid prefix";
	}
}

const char *cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->prefixlen);
	return buf;
}

void cidr_mask(struct cidr *c)
{
	int max = c->family == 4 ? 32 : 128;
	int i;

	for (i = 0; i < max / 8; i++) {
		int bit = i * 8;

		if (bit >= c->prefixlen)
			c->addr[i] = 0;
		else if (bit + 8 > c->prefixlen)
			c->addr[i] &= (uint8_t)(0xff << (8 - (c->prefixlen - bit)));
	}
}

static int prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return 0;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		if ((a[full] & m) != (b[full] & m))
			return 0;
	}
	return 1;
}

int cidr_contains(const struct cidr *c, int family, const uint8_t *addr)
{
	return c->family == family && prefix_match(c->addr, addr, c->prefixlen);
}

int cidr_classify(const struct class_cidr *tab, int n, int family, const uint8_t *addr,
		  int fallback)
{
	int best = -1, cls = fallback, i;

	for (i = 0; i < n; i++) {
		if (cidr_contains(&tab[i].cidr, family, addr) && tab[i].cidr.prefixlen > best) {
			best = tab[i].cidr.prefixlen;
			cls = tab[i].cls;
		}
	}
	return cls;
}

int cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	int bits = a->prefixlen < b->prefixlen ? a->prefixlen : b->prefixlen;

	return a->family == b->family && prefix_match(a->addr, b->addr, bits);
}
