/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Routing of one network namespace, over its rtnetlink socket (nl.h): route
 * lookups and dumps with every next hop named (nexthop objects resolved), its
 * rules, nexthops and addresses, and adding one route or rule (never
 * replacing nor deleting one).
 */
#ifndef TL_ROUTE_H
#define TL_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "model/audit.h"

struct nl;

/* The routing entry the kernel picks for dst (as `ip route get fibmatch`),
 * policy rules included, from src (NULL: unbound; else a local address).
 * Returns 0, or -errno as the kernel says it: -ENETUNREACH when nothing
 * matches (or an unreachable rule), -EHOSTUNREACH an unreachable route,
 * -EACCES prohibit, -EINVAL blackhole (or src not local). */
int route_lookup(struct nl *nl, int family, const uint8_t *dst, const uint8_t *src,
		 struct route_info *out);
/* route_lookup() as the kernel answers: next hops not named, a nexthop
 * object not resolved (for callers that hold the links and nexthops). */
int route_lookup_bare(struct nl *nl, int family, const uint8_t *dst, const uint8_t *src,
		      struct route_info *out);
/* route_lookup(), but a src that is not local (forwarded traffic) is looked
 * up unbound. */
int route_get(struct nl *nl, int family, const uint8_t *dst, const uint8_t *src,
	      struct route_info *out);
/* Every route of the family in every table. *out is malloc'ed. */
int route_dump(struct nl *nl, int family, struct route_info **out, int *n);
/* Every rule of the family, in the kernel's order (by pref). *out is malloc'ed. */
int rule_dump(struct nl *nl, int family, struct rule_info **out, int *n);
/* Every nexthop object. *out is malloc'ed. */
int nexthop_dump(struct nl *nl, struct nh_info **out, int *n);
/* Every address of the family. *out is malloc'ed. */
int addr_dump(struct nl *nl, int family, struct addr_info **out, int *n);

/* Add the route or rule c (NLM_F_CREATE | NLM_F_EXCL: -EEXIST when it is
 * there; never a replacement). A change marked replace is refused (-EPERM).
 * 0 or -errno. */
int route_change_add(struct nl *nl, const struct fix_change *c);

/* The first interface of names[] with a gateway for family (the default
 * route's through it, else any route's through it with a gateway): its name,
 * and the gateway in gw with *has_gw set; else the first existing interface. */
const char *route_pick_gateway(struct nl *nl, int family, char names[][16], int n, uint8_t *gw,
			       int *has_gw);

/*
 * Route lookups for a stream of flows without a netlink round trip each:
 * dsts whose most specific containing prefix (of a route in any table, or
 * of a rule's "to") is the same get the same answer, so that prefix (with
 * the source) is the cache key. Invalidate on any change of routes, rules,
 * nexthops or addresses (nl_monitor__drain tells).
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
