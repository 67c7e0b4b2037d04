// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/http.h"
#include "lib/log.h"
#include "model/findings.h"
#include "datapath/loader.h"
#include "out/export.h"
#include "out/pcap.h"
#include "out/top.h"
#include "trace/collector.h"
#include "trace/fleet.h"
#include "trace/publisher.h"
#include "trace/routewatch.h"
#include "trace/tracer.h"

struct publisher {
	struct publisher_opts o;
	struct http_server *http;
	struct top *top;
	struct snapshot snap;
	int said_err; /* the counters file's write error said last; 0: none */
};

struct publisher *publisher__new(const struct publisher_opts *o)
{
	struct publisher *p = calloc(1, sizeof(*p));

	if (p)
		p->o = *o;
	return p;
}

void publisher__free(struct publisher *p)
{
	if (!p)
		return;
	snapshot_free(&p->snap);
	free(p);
}

void publisher__set_http(struct publisher *p, struct http_server *http)
{
	p->http = http;
}

void publisher__set_top(struct publisher *p, struct top *top)
{
	p->top = top;
}

/* The route watch's findings and fixes of t, into its section n. */
static void snap_routes(struct snapshot *s, const struct tracer *t, struct ns_snap *n)
{
	const struct findings *fs = tracer__route_findings(t);
	struct route_watch_stats st;
	int i;

	tracer__route_stats(t, &st);
	n->route_fixes = st.fixes;
	n->route_fixes_refused = st.fixes_refused;
	n->route_audits = st.audits;
	n->route_audit_errors = st.errors;
	n->route_audit_cpu_ns = st.audit_cpu_ns;
	for (i = 0; fs && i < findings__count(fs); i++)
		if (snapshot_add_route(s, n, findings__get(fs, i)))
			break;
}

const struct snapshot *publisher__build(struct publisher *p)
{
	struct tl_counter(*all)[2][TL_NR_COUNTERS] = calloc(TL_MAX_SLOTS, sizeof(*all));
	const struct tracer_env *env = p->o.env;
	struct snapshot *s = &p->snap;
	struct fleet_node_stats ns;
	int i;

	snapshot_clear(s);
	s->started_ns = p->o.started_ns;
	s->updated_ns = clock_ns(CLOCK_REALTIME);
	s->attach_mode = attach_kind_name(env->kind);
	s->flows = env->flows;
	s->received = p->o.collector ? collector__received(p->o.collector) : 0;
	s->recovered = p->o.collector ? collector__recovered(p->o.collector) : 0;
	s->pcap_path = p->o.pcap_path;
	s->pcap_packets = pcap__packets(p->o.pcap);
	s->pcap_dropped = pcap__dropped(p->o.pcap);
	s->pcap_errno = pcap__error(p->o.pcap, &s->pcap_unwritten);
	s->node_mode = p->o.node_mode;
	if (p->o.fleet && fleet__node_stats(p->o.fleet, &ns)) {
		s->ns_seen = ns.seen;
		s->ns_unreadable = ns.unreadable;
		s->ns_processes = ns.processes;
		s->scan_cpu_ns = ns.scan_cpu_ns;
		s->meta_files = ns.meta_files;
		s->meta_skipped = ns.meta_skipped;
	}
	if (p->o.fleet) {
		fleet__states(p->o.fleet, s->states);
		s->folded_ns = fleet__folded(p->o.fleet, &s->folded);
		s->gone_kept = FLEET_GONE_KEPT;
	}
	if (all && (!env->dp || datapath__read_counters(env->dp, all))) {
		free(all);
		all = NULL;
	}
	if (env->dp)
		datapath__read_stats(env->dp, s->stats);
	for (i = 0; p->o.fleet && i < fleet__count(p->o.fleet); i++) {
		const struct tracer *t = fleet__get(p->o.fleet, i);
		struct ns_snap *n;

		/* a namespace that never had a tunnel has nothing to show */
		if (tracer__state(t) == NS_WATCHING)
			continue;
		s->not_counted += tracer__nr_not_counted(t);
		n = snapshot_add_ns(s);
		if (!n)
			break;
		tracer__snap(t, (const void *)all, n);
		snap_routes(s, t, n);
	}
	s->slots = env->slots.nr;
	s->slots_used = env->slots.used;
	free(all);
	return s;
}

void publisher__serve(struct publisher *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!p->http)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	if (export_render_prom(f, &p->snap) == 0 && fflush(f) == 0)
		http_server__set_metrics(p->http, buf, len);
	fclose(f);
	free(buf);
}

int publisher__publish(struct publisher *p)
{
	int err = 0;

	if (!p->o.export_path && !p->http && !p->top)
		return 0;
	publisher__build(p);
	if (p->o.export_path) {
		err = export_write(p->o.export_path, p->o.export_fmt, &p->snap);
		/* said once per error, and when it is written again */
		if (err && err != p->said_err)
			warn("write %s: %s (tried again every interval)\n", p->o.export_path,
			     strerror(-err));
		else if (!err && p->said_err)
			warn("write %s: written again\n", p->o.export_path);
		p->said_err = err;
	}
	publisher__serve(p);
	if (p->top)
		top__refresh(p->top, &p->snap, p->o.env->flows);
	return err;
}
