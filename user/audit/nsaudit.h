/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The route audit of one network namespace, over its rtnetlink socket: every
 * region of each configured CIDR looked up as the pod's traffic is — through
 * its policy rules, unbound and from each of its own addresses (when a rule
 * or an IPv6 route selects by source: else the answer is the same) — with every
 * next hop of the route that decides. A cluster-bound CIDR that any next hop
 * sends into a tunnel is a leak; a remote CIDR that does not go into a
 * tunnel by all of them is a bypass. Each finding comes with its fix (an
 * added route or rule, or why none is safe), and ns_fix_apply() adds it.
 * Used by `tunleak check` and by the tracer's route watch.
 */
#ifndef TL_NSAUDIT_H
#define TL_NSAUDIT_H

#include <stddef.h>

#include "model/cidr.h"
#include "model/findings.h"

struct nl;

/* What to audit: the configuration's classes and interfaces. */
struct ns_audit_cfg {
	const struct class_cidr *cidrs;
	int nr_cidrs;
	const char (*ifaces)[16]; /* the cluster interfaces */
	int nr_ifaces;
	const char (*tunnels)[16]; /* tunnels by name (--tunnel); 0: every VPN link kind */
	int nr_tunnels;
};

struct config;

/* What the command line asks to audit. */
struct ns_audit_cfg ns_audit_cfg_of(const struct config *cfg);

/* Own addresses looked up from, per family (more are counted, not used). */
#define NS_AUDIT_MAX_SOURCES 32
/* Tunnels reported per audit (more are counted in nr_tunnels). */
#define NS_AUDIT_MAX_TUNNELS 64

struct ns_audit_stats {
	int nr_tunnels; /* tunnel interfaces of the namespace */
	char tunnels[NS_AUDIT_MAX_TUNNELS][16];
	int regions; /* addresses looked up, over every CIDR */
	int lookups; /* netlink lookups (each region unbound, and from each source if they matter)
		      */
	int sources; /* the namespace's own addresses looked up from */
	int sources_cut; /* addresses over NS_AUDIT_MAX_SOURCES per family, not looked up from */
	int routes_cut;	 /* routes with more than ROUTE_MAX_NH next hops (the rest not judged) */
	int dropped;	 /* findings over FINDINGS_MAX */
};

/*
 * Audit the namespace of nl: its findings into out (emptied first), in the
 * order of the configured CIDRs and their regions. 0, or -errno with one
 * line in err (what could not be read).
 */
int ns_audit(struct nl *nl, const struct ns_audit_cfg *cfg, struct findings *out,
	     struct ns_audit_stats *st, char *err, size_t errlen);

/*
 * Apply f's fix in the namespace of nl: each change added in order
 * (NLM_F_CREATE | NLM_F_EXCL: never replacing nor deleting), each one done
 * written to done as its ip command ("; "-joined). Refused without a change
 * when the fix is not safe (f->fix.refused: the reason into why). Returns 0
 * when every change was added, -EPERM when refused, or the kernel's -errno
 * (why says which change, and what was added before it, also in done).
 */
int ns_fix_apply(struct nl *nl, const struct finding *f, char *done, size_t donelen, char *why,
		 size_t whylen);

#endif
