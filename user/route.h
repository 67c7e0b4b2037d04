/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Routes of the current network namespace, over rtnetlink (libmnl). */
#ifndef TL_ROUTE_H
#define TL_ROUTE_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* Send nlh on a fresh rtnetlink socket of the current namespace and give
 * each answer to cb (MNL_CB_OK to go on) until the dump ends, or after the
 * first answer when dump is 0. Returns 0 or -errno (a kernel NLMSG_ERROR
 * included). */
int nl_request(struct nlmsghdr *nlh, int dump, int (*cb)(const struct nlmsghdr *, void *),
	       void *data);

struct route_info {
	uint8_t family; /* 4 or 6 */
	uint8_t dst_len;
	uint8_t dst[16];
	uint8_t has_gw;
	uint8_t gw[16];
	uint8_t type; /* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ... */
	uint32_t table;
	int oif; /* 0: none */
	char oif_name[16];
};

/* The routing entry the kernel picks for dst (as `ip route get fibmatch`),
 * policy rules included; src (may be NULL) must be a local address.
 * Returns 0, or -errno (-ENETUNREACH when nothing matches). */
int route_get(int family, const uint8_t *dst, const uint8_t *src, struct route_info *out);
/* Every route of the family in every table. *out is malloc'ed. */
int route_dump(int family, struct route_info **out, int *n);
/* Gateway of the default route through ifname (else of any route through it
 * with a gateway). Returns 0, or -ENOENT when ifname has no gateway. */
int route_iface_gateway(int family, const char *ifname, uint8_t *gw);

/* The first interface of names[] with a gateway for family: its name, and the
 * gateway in gw with *has_gw set; else the first existing interface. */
const char *route_pick_gateway(int family, char names[][16], int n, uint8_t *gw, int *has_gw);

/*
 * Route lookups for a stream of flows without a netlink round trip each:
 * dsts whose most specific containing route (over every table) is the same
 * get the same answer, so that prefix (with the source) is the cache key.
 * Invalidate on any route or rule change (link_monitor_drain tells).
 */
struct route_cache;

struct route_cache *route_cache__new(void);
void route_cache__free(struct route_cache *c);
void route_cache__invalidate(struct route_cache *c);
int route_cache__get(struct route_cache *c, int family, const uint8_t *dst, const uint8_t *src,
		     struct route_info *out);
/* route_pick_gateway() for list `which` (0: cluster, 1: tunnel interfaces),
 * cached the same way. */
const char *route_cache__gateway(struct route_cache *c, int which, int family, char names[][16],
				 int n, uint8_t *gw, int *has_gw);
uint64_t route_cache__lookups(const struct route_cache *c); /* netlink round trips */

/* A non-blocking rtnetlink socket subscribed to link, route and rule
 * events; -errno. */
int link_monitor_open(void);
/* Read all pending messages. Returns a mask: LINK_CHANGED, ROUTES_CHANGED;
 * -errno (e.g. -ENOBUFS: events lost, treat everything as changed). */
#define LINK_CHANGED 1
#define ROUTES_CHANGED 2
int link_monitor_drain(int fd);
void link_monitor_close(int fd);

#endif
