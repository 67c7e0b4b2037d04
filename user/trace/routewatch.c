// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "model/findings.h"
#include "config/cli.h"
#include "audit/nsaudit.h"
#include "out/output.h"
#include "trace/routewatch.h"

struct route_watch {
	const struct config *cfg;
	struct out *events;
	int64_t mono_to_real;
	struct findings *now, *next; /* the last audit's findings; the next one's */
	uint64_t due;		     /* CLOCK_MONOTONIC ns; 0: nothing to do */
	uint64_t tunnel_up;	     /* CLOCK_MONOTONIC ns; 0: unknown */
	bool failing;		     /* the last audit failed (said once) */
	struct route_watch_stats st;
	/* while reporting a difference */
	const struct flow_origin *from;
	struct nl *nl;
	uint64_t at; /* CLOCK_MONOTONIC ns of the audit */
};

struct route_watch *route_watch__new(const struct config *cfg, struct out *events,
				     int64_t mono_to_real)
{
	struct route_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->cfg = cfg;
	w->events = events;
	w->mono_to_real = mono_to_real;
	w->now = findings__new();
	w->next = findings__new();
	if (!w->now || !w->next) {
		route_watch__free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

void route_watch__free(struct route_watch *w)
{
	if (!w)
		return;
	findings__free(w->now);
	findings__free(w->next);
	free(w);
}

void route_watch__changed(struct route_watch *w, uint64_t now)
{
	if (!w)
		return;
	/* the first change sets the time; those that follow it join it */
	if (!w->due)
		w->due = now + ROUTE_WATCH_DELAY_MS * 1000000ULL;
}

void route_watch__due_now(struct route_watch *w)
{
	if (!w)
		return;
	w->due = 1;
}

void route_watch__tunnel_up(struct route_watch *w, uint64_t now)
{
	if (!w)
		return;
	w->tunnel_up = now;
	route_watch__changed(w, now);
}

uint64_t route_watch__due(const struct route_watch *w)
{
	return w ? w->due : 0;
}

const struct findings *route_watch__findings(const struct route_watch *w)
{
	return w ? w->now : NULL;
}

void route_watch__stats(const struct route_watch *w, struct route_watch_stats *out)
{
	if (w)
		*out = w->st;
	else
		memset(out, 0, sizeof(*out));
}

void route_watch__clear(struct route_watch *w)
{
	if (!w)
		return;
	findings__clear(w->now);
	w->due = 0;
}

static void emit(struct route_watch *w, const struct route_event *e)
{
	if (w->events)
		route_event_print(w->events, e, w->from);
}

/* --fix: a new leak's fix, added at once. */
static void fix(struct route_watch *w, const struct finding *f, uint64_t real)
{
	char done[FIX_TEXT_LEN * 2], why[256];
	struct route_event e = {.f = f, .time_ns = real, .after_tunnel_ms = -1};
	int ret = ns_fix_apply(w->nl, f, done, sizeof(done), why, sizeof(why));

	if (!ret) {
		w->st.fixes++;
		e.type = "route_fixed";
		e.added = done;
	} else {
		w->st.fixes_refused++;
		e.type = "route_fix_refused";
		e.reason = why;
	}
	emit(w, &e);
	/* what was added is audited again (the monitor sees it too) */
	route_watch__changed(w, w->at);
}

static void on_diff(const struct finding *f, bool appeared, void *ctx)
{
	struct route_watch *w = ctx;
	uint64_t real = w->at + w->mono_to_real;
	struct route_event e = {.f = f, .time_ns = real, .after_tunnel_ms = -1};

	if (!appeared)
		e.type = "route_ok";
	else
		e.type = f->kind == FINDING_LEAK ? "route_leak" : "route_bypass";
	if (appeared && w->tunnel_up && w->at >= w->tunnel_up)
		e.after_tunnel_ms = (int64_t)((w->at - w->tunnel_up) / 1000000);
	w->st.events++;
	emit(w, &e);
	if (appeared && f->kind == FINDING_LEAK && w->cfg->fix)
		fix(w, f, real);
}

void route_watch__run(struct route_watch *w, struct nl *nl, const struct flow_origin *from,
		      uint64_t now)
{
	struct ns_audit_cfg ac = ns_audit_cfg_of(w->cfg);
	struct ns_audit_stats st;
	uint64_t t0;
	char err[256];

	if (!w || !w->due || now < w->due || !nl)
		return;
	w->due = 0;
	t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (ns_audit(nl, &ac, w->next, &st, err, sizeof(err))) {
		w->st.errors++;
		if (!w->failing)
			warn("%s: route watch: %s\n", from && from->netns ? from->netns : "?", err);
		w->failing = true;
		return;
	}
	w->failing = false;
	w->st.audits++;
	/* No tunnel (yet, or between a VPN's reconnects): nothing can route
	 * into one, and a remote CIDR outside one is the VPN being down, not
	 * a route to mend. */
	if (!st.nr_tunnels)
		findings__clear(w->next);
	w->from = from;
	w->nl = nl;
	w->at = now;
	findings__diff(w->now, w->next, now + w->mono_to_real, on_diff, w);
	findings__move(w->now, w->next);
	w->st.audit_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	w->from = NULL;
	w->nl = NULL;
}
