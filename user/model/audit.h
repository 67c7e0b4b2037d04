/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Route audit logic for `tunleak check` and for the fix printed with events.
 * Plain C: takes routes and lookups as data, so unit tests drive it.
 */
#ifndef TL_AUDIT_H
#define TL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "model/cidr.h"
#include "model/route_info.h"

/*
 * The addresses of c at which the route choice can change: its first
 * address, the first address of every route inside it, and the address after
 * the end of every route that overlaps it. Looking up each one visits every
 * region of c with a distinct route, so a route that takes any part of c is
 * found. Returns how many were written to out (at most max).
 */
int audit_candidates(const struct cidr *c, const struct route_info *routes, int nroutes,
		     uint8_t (*out)[16], int max);

/* `ip route get fibmatch` style: "10.0.0.0/8 via 10.8.0.1 dev tun0". */
const char *route_format(const struct route_info *r, char *buf, size_t len);

/* "ip route VERB C via GW dev IFACE" (ip -6 for IPv6; no via without gw). */
const char *fix_command(const char *verb, const struct cidr *c, const char *iface,
			const uint8_t *gw, char *buf, size_t len);

/*
 * The fix for c when `bad` (a route of the wrong interface) takes part of it:
 * "ip route add C via GW dev IFACE" when bad is broader than c; when bad is
 * as specific or more, "ip route replace" of bad's own prefix (adding c
 * would not win against it).
 */
const char *audit_fix(const struct cidr *c, const struct route_info *bad, const char *iface,
		      const uint8_t *gw, char *buf, size_t len);

/* The configured CIDR of class cls_wanted (or any cluster-bound class when
 * cls_wanted < 0) with the longest prefix containing addr; NULL if none. */
const struct class_cidr *audit_cidr_for(const struct class_cidr *tab, int n, int family,
					const uint8_t *addr);

#endif
