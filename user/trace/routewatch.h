/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The route watch of one traced namespace: its routing audited as `check`
 * audits it (audit/nsaudit.h), at the start and again within
 * ROUTE_WATCH_DELAY_MS of a change of its routes, rules, nexthops,
 * addresses or links (changes that come together are one audit), and the
 * difference to the last audit reported: route_leak or route_bypass when a
 * finding appears, route_ok when it goes — once per change, never again
 * while nothing changes. With --fix a leak's fix is added at once
 * (route_fixed, or route_fix_refused with the reason).
 */
#ifndef TL_ROUTEWATCH_H
#define TL_ROUTEWATCH_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct findings;
struct flow_origin;
struct nl;
struct out;
struct route_watch;

#define ROUTE_WATCH_DELAY_MS 50 /* after the first change, before the audit */

struct route_watch_stats {
	uint64_t audits;	/* audits run */
	uint64_t audit_cpu_ns;	/* CPU time of the last one */
	uint64_t events;	/* route_leak, route_bypass, route_ok */
	uint64_t fixes;		/* fixes added (--fix) */
	uint64_t fixes_refused; /* --fix found a fix unsafe, or the kernel refused it */
	uint64_t errors;	/* audits that could not read the routes */
};

/* events: where route events go (NULL: nowhere, under --top). NULL, errno.
 * Every call below takes a NULL watch (a namespace not traced) as one with
 * nothing to do. */
struct route_watch *route_watch__new(const struct config *cfg, struct out *events,
				     int64_t mono_to_real);
void route_watch__free(struct route_watch *w);
/* Something changed at now (CLOCK_MONOTONIC ns): audit soon. */
void route_watch__changed(struct route_watch *w, uint64_t now);
/* Audit at the next run, whatever the delay (the start). */
void route_watch__due_now(struct route_watch *w);
/* A tunnel came up at now (CLOCK_MONOTONIC ns): events say how long after. */
void route_watch__tunnel_up(struct route_watch *w, uint64_t now);
/* When the next audit is due (0: none). */
uint64_t route_watch__due(const struct route_watch *w);
/* Audit now if due: report the difference, named by from; with --fix add
 * the fixes of new leaks through nl. Errors are said once until an audit
 * works again. */
void route_watch__run(struct route_watch *w, struct nl *nl, const struct flow_origin *from,
		      uint64_t now);
/* The findings of the last audit (each with its since, realtime ns). */
const struct findings *route_watch__findings(const struct route_watch *w);
void route_watch__stats(const struct route_watch *w, struct route_watch_stats *out);
/* The namespace has ended: its findings no longer hold. */
void route_watch__clear(struct route_watch *w);

#endif
