/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* CIDR parsing and longest-prefix class selection. Plain C, no libbpf. */
#ifndef TL_CIDR_H
#define TL_CIDR_H

#include <stddef.h>
#include <stdint.h>

#include "model/abi.h"

struct cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefixlen;
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* A configured CIDR and the class it gives its addresses. */
struct class_cidr {
	struct cidr cidr;
	enum tl_class cls;
};

enum cidr_err {
	CIDR_OK = 0,
	CIDR_ESYNTAX = 1,   /* not an address, or garbage (also after the slash) */
	CIDR_EPREFIX = 2,   /* prefix length missing, or a number out of range */
	CIDR_EHOSTBITS = 3, /* bits set after the prefix */
};

/* Parse "ADDR/LEN" (or a bare address, taken as a host prefix).
 * Returns 0 or -enum cidr_err; quiet. */
int cidr_parse(const char *s, struct cidr *out);
/* What was expected, for an error from cidr_parse(). */
const char *cidr_strerror(int err);
/* Format as ADDR/LEN into buf (at least 64 bytes). */
const char *cidr_format(const struct cidr *c, char *buf, size_t len);
/* The same CIDR with host bits cleared (the likely intended value). */
void cidr_mask(struct cidr *c);
/* 1 when addr (family 4 or 6) lies in c. */
int cidr_contains(const struct cidr *c, int family, const uint8_t *addr);
/* Longest matching prefix over tab; returns its class or `fallback`. */
int cidr_classify(const struct class_cidr *tab, int n, int family, const uint8_t *addr,
		  int fallback);
/* 1 when a and b overlap (one contains the other). */
int cidr_overlaps(const struct cidr *a, const struct cidr *b);

#endif
