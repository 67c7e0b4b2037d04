/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Routes of one network namespace, over its rtnetlink socket (nl.h). */
#ifndef TL_ROUTE_H
#define TL_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "model/audit.h"

struct nl;

/* The routing entry the kernel picks for dst (as `ip route get fibmatch`),
 * policy rules included; src (may be NULL) must be a local address.
 * Returns 0, or -errno (-ENETUNREACH when nothing matches). */
int route_get(struct nl *nl, int family, const uint8_t *dst, const uint8_t *src,
	      struct route_info *out);
/* Every route of the family in every table. *out is malloc'ed. */
int route_dump(struct nl *nl, int family, struct route_info **out, int *n);

/* The first interface of names[] with a gateway for family (the default
 * route's through it, else any route's through it with a gateway): its name,
 * and the gateway in gw with *has_gw set; else the first existing interface. */
const char *route_pick_gateway(struct nl *nl, int family, char names[][16], int n, uint8_t *gw,
			       int *has_gw);

/*
 * Route lookups for a stream of flows without a netlink round trip each:
 * dsts whose most specific containing route (over every table) is the same
 * get the same answer, so that prefix (with the source) is the cache key.
 * Invalidate on any route or rule change (nl_monitor__drain tells).
 */
struct route_cache;

struct route_cache *route_cache__new(struct nl *nl);
void route_cache__free(struct route_cache *c);
void route_cache__invalidate(struct route_cache *c);
int route_cache__get(struct route_cache *c, int family, const uint8_t *dst, const uint8_t *src,
		     struct route_info *out);
/* route_pick_gateway() for list `which` (0: cluster, 1: tunnel interfaces),
 * cached the same way. */
const char *route_cache__gateway(struct route_cache *c, int which, int family, char names[][16],
				 int n, uint8_t *gw, int *has_gw);
uint64_t route_cache__lookups(const struct route_cache *c); /* netlink round trips */

#endif
