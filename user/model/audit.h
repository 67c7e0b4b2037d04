/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Route audit logic for `tunleak check`, the route watch and the fix printed
 * with events: which addresses to look up, how a route and a rule read, which
 * next hops a route sends into a tunnel, and the fix of a finding — only ever
 * an added route or rule. Plain C: takes routes, rules and lookups as data,
 * so unit tests drive it.
 */
#ifndef TL_AUDIT_H
#define TL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cidr.h"
#include "model/links.h"
#include "model/route_info.h"

/* Text of a route (every next hop) or a rule; longer ones are cut with "...". */
#define ROUTE_TEXT_LEN 512
/* Text of a fix: its ip commands, joined by "; ". */
#define FIX_TEXT_LEN 384

/*
 * The addresses of c at which the route choice can change: its first
 * address, the first address of every route and of every rule's "to" inside
 * it, and the address after the end of every one that overlaps it. Looking up
 * each one visits every region of c with a distinct route, so a route that
 * takes any part of c is found. rules may be NULL. Returns how many were
 * written to out (at most max).
 */
int audit_candidates(const struct cidr *c, const struct route_info *routes, int nroutes,
		     const struct rule_info *rules, int nrules, uint8_t (*out)[16], int max);

/* As `ip -o route get fibmatch` prints it, without proto, scope and src:
 * "10.0.0.0/8 via 10.8.0.1 dev tun0", "default dev tun0 table 51820",
 * "10.0.0.0/8 nexthop via 10.128.0.1 dev eth0 weight 1 nexthop via 10.8.0.1
 * dev tun0 weight 1", "10.0.0.0/8 nhid 12 via 10.8.0.1 dev tun0", the metric
 * when not the default (0; 1024 for IPv6). Next hops not kept are counted:
 * "(and 3 more next hops)". */
const char *route_format(const struct route_info *r, char *buf, size_t len);

/* As `ip rule` prints it: "100: from all to 198.18.0.0/16 prohibit",
 * "32765: not from all fwmark 0xca6c lookup 51820". */
const char *rule_format(const struct rule_info *r, char *buf, size_t len);

/* 1 when rule r takes a lookup of dst from src (NULL: unbound) that the
 * namespace itself makes (iif lo, no mark, no oif). A selector the audit does
 * not evaluate (tos, uid range, ports, ...) makes it 0. */
int rule_matches(const struct rule_info *r, int family, const uint8_t *dst, const uint8_t *src);

/* The next hops of r from its nexthop object (r->nhid) among nhs[]: with
 * net.ipv4.nexthop_compat_mode=0 the kernel's answer carries none. r stays
 * as it came when its object is not there. */
void route_resolve_nh(struct route_info *r, const struct nh_info *nhs, int n);
/* Each next hop's dev, from its oif and the namespace's links (its own
 * link table: the process is elsewhere). */
void route_name_devs(struct route_info *r, const struct link_info *links, int n);

/* r's next hops in the order of its entry among routes (a dump): an IPv6
 * lookup of a multipath route answers with the sibling it chose first. */
void route_canonical(struct route_info *r, const struct route_info *routes, int n);

/* How many of r's next hops leave through one of names[] (by dev name). */
int route_nh_through(const struct route_info *r, const char (*names)[16], int n);

/*
 * The gateway of the first of names[] that has one in routes (each route's
 * every next hop): the default route's through it first, then the one of the
 * shortest prefix, table main before others. Its name goes to dev, the
 * gateway to gw. 0, or -1 when none of names[] has one.
 */
int audit_pick_gateway(const struct route_info *routes, int n, const char (*names)[16], int nnames,
		       uint8_t *gw, char dev[16]);

/* The configured CIDR with the longest prefix containing addr; NULL if none. */
const struct class_cidr *audit_cidr_for(const struct class_cidr *tab, int n, int family,
					const uint8_t *addr);

/* --- fixes: only ever adding ----------------------------------------------------- */

/* The table of a fix that needs a rule (0x7e1e, as tunleak's tc handle). */
#define FIX_TABLE	32286
#define FIX_MAX_CHANGES 2

enum fix_op {
	FIX_ROUTE = 1, /* ip route add DST [via GW] dev DEV [table T] */
	FIX_RULE,      /* ip rule add pref P to DST lookup T */
};

struct fix_change {
	enum fix_op op;
	struct cidr dst; /* the route's prefix; the rule's "to" */
	uint32_t table;	 /* the route's table; the table the rule looks up */
	uint32_t pref;	 /* the rule's */
	uint8_t has_gw;
	uint8_t replace; /* by hand only: "ip route replace" (fix_plan() never makes one) */
	uint8_t gw[16];
	char dev[16]; /* the route's */
};

struct route_fix {
	int n; /* changes that make the fix, in the order to apply them */
	struct fix_change ch[FIX_MAX_CHANGES];
	char refused[192]; /* "": safe to apply; else why not (ch[] then says what a person could
			      do) */
};

/* What the fix of one finding is planned from. */
struct fix_in {
	const struct cidr *cidr; /* the configured CIDR */
	bool leak; /* a leak (fix through a cluster interface), else a bypass (through a tunnel) */
	const struct route_info *bad;  /* the route that decided; NULL when none */
	const struct rule_info *block; /* or a rule that blocks (prohibit, ...); NULL */
	const char *dev;	       /* the interface to go through */
	const uint8_t *gw;	       /* its gateway; NULL when none is known */
	bool dev_is_tunnel;	       /* dev is itself a tunnel */
	bool dev_l2;		       /* dev needs a gateway to reach anything (Ethernet) */
	/* the namespace's rules, routes and configured CIDRs: a free pref, and a
	 * fix that would send another class the wrong way */
	const struct rule_info *rules;
	int nrules;
	const struct route_info *routes;
	int nroutes;
	const struct class_cidr *cidrs;
	int nr_cidrs;
	const char (*tunnels)[16]; /* the namespace's tunnels, by name */
	int nr_tunnels;
};

/*
 * The fix, where the lookup happens: a route in the table of the route that
 * decided — the CIDR when that route is broader; else the two halves of its
 * prefix, each more specific; else (a host route, or a rule that blocks) a
 * route in FIX_TABLE and a rule before the first rule that looks up that
 * table (or before the blocking rule). Never a replacement nor a deletion.
 * Refused (out->refused) when no gateway is known on an Ethernet dev (always
 * for a leak), when dev is itself a tunnel (a leak's fix), when the fix would
 * send a configured CIDR of the other kind the wrong way, or when no rule
 * preference is free.
 */
void fix_plan(const struct fix_in *in, struct route_fix *out);

/* "ip route add ... ; ip rule add ..." (ip -6 for IPv6; table when not main). */
const char *fix_format(const struct route_fix *f, char *buf, size_t len);
const char *fix_change_format(const struct fix_change *c, char *buf, size_t len);

/*
 * The fix printed with a traced flow's event, from the route that sent it
 * (no rules known: a host route's fix is refused, the command it shows is a
 * replacement to do by hand).
 */
const char *audit_fix(const struct cidr *c, const struct route_info *bad, const char *iface,
		      const uint8_t *gw, char *buf, size_t len);

#endif
