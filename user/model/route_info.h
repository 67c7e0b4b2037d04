/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Routing as data: routes with every next hop, policy rules, nexthop objects
 * and a namespace's own addresses — what netlink parsing produces (netns/)
 * and the audit reads (model/audit.h). Plain C.
 */
#ifndef TL_ROUTE_INFO_H
#define TL_ROUTE_INFO_H

#include <stdint.h>

/* Next hops kept per route (and members per nexthop group): a route with
 * more keeps the first ROUTE_MAX_NH and says how many it has (nh_total). */
#define ROUTE_MAX_NH 16

/* One next hop of a route. */
struct route_nh {
	uint8_t gw[16];
	uint8_t has_gw;
	uint8_t gw_family; /* 4 or 6 (an IPv4 route may have an IPv6 gateway); 0: none */
	int oif;	   /* 0: none */
	uint32_t
	    weight; /* in a multipath route (1-256) or group (1-65536); 0 for a route's only one */
	char dev[16]; /* oif's name, from the namespace's link table ("" until named) */
};

/* A routing entry, as the kernel reports it (netns/route.h reads them). */
struct route_info {
	uint8_t family; /* 4 or 6 */
	uint8_t dst_len;
	uint8_t dst[16];
	uint8_t src_len; /* an IPv6 route of a source prefix ("from" src/src_len); 0 for all */
	uint8_t src[16];
	uint8_t type;	      /* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ... */
	uint8_t multipath;    /* next hops printed as "nexthop ..." (RTA_MULTIPATH, a group) */
	uint8_t nh_blackhole; /* its nexthop object is a blackhole */
	uint8_t nr_nh;	      /* next hops in nh[]: 0 (none: blackhole, ...) to ROUTE_MAX_NH */
	uint16_t nh_total;    /* next hops the route has; more than nr_nh: the rest not kept */
	uint32_t table;
	uint32_t metric; /* RTA_PRIORITY */
	uint32_t nhid;	 /* RTA_NH_ID: its next hops are nexthop object nhid (0: none) */
	struct route_nh nh[ROUTE_MAX_NH];
};

/* A policy routing rule (`ip rule`), of family 4 or 6. */
struct rule_info {
	uint8_t family;
	uint8_t action; /* FR_ACT_TO_TBL, FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_BLACKHOLE, ... */
	uint8_t src_len, dst_len; /* from, to: 0 for all */
	uint8_t src[16], dst[16];
	uint8_t invert;	  /* "not" */
	uint8_t has_mark; /* fwmark given */
	uint8_t other; /* a selector the audit does not evaluate (tos, uid, ports, l3mdev, ...) */
	uint32_t pref;
	uint32_t table; /* FR_ACT_TO_TBL */
	uint32_t fwmark, fwmask;
	int32_t suppress_prefixlen; /* -1: none */
	char iif[16], oif[16];	    /* "" when not given */
};

/* A nexthop object (`ip nexthop`): one next hop, a group of others, or a
 * blackhole. */
struct nh_info {
	uint32_t id;
	uint8_t blackhole;
	uint8_t group; /* a group: members in grp[] */
	uint8_t has_gw;
	uint8_t gw_family; /* 4 or 6 */
	uint8_t gw[16];
	int oif;
	uint16_t nr_grp;    /* members kept in grp[] (at most ROUTE_MAX_NH) */
	uint16_t grp_total; /* members the group has */
	struct {
		uint32_t id;
		uint32_t weight; /* 1-65536 */
	} grp[ROUTE_MAX_NH];
};

/* One address of the namespace's interfaces. */
struct addr_info {
	uint8_t family; /* 4 or 6 */
	uint8_t prefixlen;
	uint8_t scope;	/* RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST, ... */
	uint8_t usable; /* not tentative nor failed duplicate detection: a source it can use */
	uint8_t addr[16];
	int ifindex;
};

#endif
