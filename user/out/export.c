// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out/export.h"
#include "lib/jw.h"
#include "lib/escape.h"
#include "out/output.h"
#include "lib/vec.h"

struct ns_snap *snapshot_add_ns(struct snapshot *s)
{
	if (vec_room(&s->ns, &s->cap_ns, s->nr_ns, sizeof(*s->ns), 4))
		return NULL;
	memset(&s->ns[s->nr_ns], 0, sizeof(s->ns[0]));
	return &s->ns[s->nr_ns++];
}

int snapshot_add_route(struct snapshot *s, struct ns_snap *n, const struct finding *f)
{
	if (vec_room(&s->routes, &s->cap_routes, s->nr_routes, sizeof(*s->routes), 8))
		return -ENOMEM;
	if (!n->nr_routes)
		n->first_route = s->nr_routes;
	s->routes[s->nr_routes++] = *f;
	n->nr_routes++;
	return 0;
}

const struct finding *snapshot_routes(const struct snapshot *s, const struct ns_snap *n)
{
	return n->nr_routes ? &s->routes[n->first_route] : NULL;
}

void snapshot_clear(struct snapshot *s)
{
	struct ns_snap *ns = s->ns;
	struct finding *routes = s->routes;
	int cap = s->cap_ns, cap_routes = s->cap_routes;

	memset(s, 0, sizeof(*s));
	s->ns = ns;
	s->cap_ns = cap;
	s->routes = routes;
	s->cap_routes = cap_routes;
}

void snapshot_free(struct snapshot *s)
{
	free(s->ns);
	s->ns = NULL;
	s->nr_ns = s->cap_ns = 0;
	free(s->routes);
	s->routes = NULL;
	s->nr_routes = s->cap_routes = 0;
}

void ns_totals(const struct ns_snap *n, struct totals *t)
{
	int i, c;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n->nr_ifaces; i++) {
		const struct iface_snap *is = &n->ifaces[i];

		if (is->role == TL_ROLE_TUNNEL) {
			for (c = TL_CLASS_POD; c <= TL_CLASS_NODE; c++) {
				t->leak_packets += is->c[TL_DIR_EGRESS][c].packets;
				t->leak_bytes += is->c[TL_DIR_EGRESS][c].bytes;
			}
		} else {
			t->bypass_packets += is->c[TL_DIR_EGRESS][TL_CLASS_REMOTE].packets;
			t->bypass_bytes += is->c[TL_DIR_EGRESS][TL_CLASS_REMOTE].bytes;
		}
	}
	t->leak_flows = n->leak_flows;
	t->bypass_flows = n->bypass_flows;
}

void totals_add(struct totals *t, const struct totals *n)
{
	t->leak_packets += n->leak_packets;
	t->leak_bytes += n->leak_bytes;
	t->leak_flows += n->leak_flows;
	t->bypass_packets += n->bypass_packets;
	t->bypass_bytes += n->bypass_bytes;
	t->bypass_flows += n->bypass_flows;
}

void snapshot_totals(const struct snapshot *s, struct totals *t)
{
	int i;

	/* the namespaces folded away first: a total never decreases */
	*t = s->folded;
	for (i = 0; i < s->nr_ns; i++) {
		struct totals n;

		ns_totals(&s->ns[i], &n);
		totals_add(t, &n);
	}
}

const struct ns_snap *snapshot_ns(const struct snapshot *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->nr_ns; i++)
		if (s->ns[i].id == id)
			return &s->ns[i];
	return NULL;
}

/* --- JSON --------------------------------------------------------------------- */

static void json_counter(struct jw *w, const char *name, const struct tl_counter *c)
{
	jw_obj_open_flat(w, name);
	jw_u64(w, "packets", c->packets);
	jw_u64(w, "bytes", c->bytes);
	jw_obj_close(w);
}

static void json_totals(struct jw *w, const char *name, uint64_t packets, uint64_t bytes,
			uint64_t flows)
{
	jw_obj_open_flat(w, name);
	jw_u64(w, "packets", packets);
	jw_u64(w, "bytes", bytes);
	jw_u64(w, "flows", flows);
	jw_obj_close(w);
}

static void json_iface(struct jw *w, const struct iface_snap *is)
{
	int d, c;

	jw_obj_open(w, is->name);
	jw_str(w, "role", role_name(is->role));
	jw_str(w, "state", iface_state_name(is->state));
	jw_str(w, "link", is->l2 ? "l2" : "l3");
	for (d = 0; d < 2; d++) {
		jw_obj_open(w, dir_name(d));
		for (c = 0; c < TL_NR_CLASSES; c++)
			json_counter(w, class_name(c), &is->c[d][c]);
		jw_obj_close(w);
	}
	/* Frames that have no class: not IP, or too short to read. */
	for (c = TL_CNT_NONIP; c <= TL_CNT_MALFORMED; c++) {
		jw_obj_open(w, class_name(c));
		json_counter(w, "ingress", &is->c[TL_DIR_INGRESS][c]);
		json_counter(w, "egress", &is->c[TL_DIR_EGRESS][c]);
		jw_obj_close(w);
	}
	jw_obj_close(w);
}

/* The route watch's current findings, with when each appeared; the fixes
 * --fix added. */
static void json_routes(struct jw *w, const struct finding *r, const struct ns_snap *n)
{
	char cs[64], ex[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN], ts[32];
	int i;

	jw_arr_open(w, "findings");
	for (i = 0; i < n->nr_routes; i++) {
		const struct finding *f = &r[i];

		jw_obj_open(w, NULL);
		jw_str(w, "kind", finding_kind_name(f->kind));
		jw_str(w, "class", class_name(f->cls));
		jw_str(w, "cidr", cidr_format(&f->cidr, cs, sizeof(cs)));
		jw_str(w, "example", addr_format(f->cidr.family, f->example, ex, sizeof(ex)));
		jw_str(w, "from",
		       f->has_src ? addr_format(f->cidr.family, f->src, src, sizeof(src)) : NULL);
		jw_str(w, "iface", f->iface[0] ? f->iface : NULL);
		jw_str(w, "route", f->route[0] ? f->route : NULL);
		jw_str(w, "fix", f->fix_text);
		jw_str(w, "since", format_time(f->since, ts, sizeof(ts)));
		jw_obj_close(w);
	}
	jw_arr_close(w);
	jw_obj_open_flat(w, "route_fixes");
	jw_u64(w, "added", n->route_fixes);
	jw_u64(w, "refused", n->route_fixes_refused);
	jw_obj_close(w);
	jw_obj_open_flat(w, "route_watch");
	jw_u64(w, "audits", n->route_audits);
	jw_u64(w, "errors", n->route_audit_errors);
	jw_u64(w, "last_audit_cpu_us", n->route_audit_cpu_ns / 1000);
	jw_obj_close(w);
}

static void json_flow(struct jw *w, const struct flow_rec *r)
{
	char src[46], dst[46], pb[8], first[32], last[32];

	jw_obj_open_flat(w, NULL);
	jw_str(w, "type", type_name(r->type));
	jw_str(w, "iface", r->iface);
	jw_str(w, "direction", dir_name(r->key.dir & 1));
	jw_str(w, "family", r->key.family == 6 ? "ipv6" : "ipv4");
	jw_str(w, "src", addr_format(r->key.family, r->key.src, src, sizeof(src)));
	jw_str(w, "dst", addr_format(r->key.family, r->key.dst, dst, sizeof(dst)));
	jw_str(w, "proto", proto_name(r->key.proto, pb, sizeof(pb)));
	jw_u64(w, "sport", ntohs(r->key.sport));
	jw_u64(w, "dport", ntohs(r->key.dport));
	jw_str(w, "class", class_name(r->cls));
	jw_u64(w, "packets", r->packets);
	jw_u64(w, "bytes", r->bytes);
	jw_str(w, "first", format_time(r->first_ns, first, sizeof(first)));
	jw_str(w, "last", format_time(r->last_ns, last, sizeof(last)));
	jw_str(w, "route", r->has_route ? r->route : NULL);
	jw_bool(w, "reply", r->reply);
	jw_str(w, "reply_to", r->reply ? r->reply_to : NULL);
	jw_obj_close(w);
}

/* The flows the file lists: the largest half, then the most recent of the
 * rest, at most EXPORT_MAX_FLOWS together. *out is malloc'ed. */
static size_t pick_flows(struct flows *f, const struct flow_rec ***out)
{
	const struct flow_rec **l;
	size_t n, m, i, j;

	*out = NULL;
	if (!f || !flows__count(f))
		return 0;
	l = calloc(2 * EXPORT_MAX_FLOWS, sizeof(*l));
	if (!l)
		return 0;
	n = flows__top(f, l, EXPORT_MAX_FLOWS / 2, FLOW_SORT_PACKETS, 0);
	m = flows__top(f, l + n, EXPORT_MAX_FLOWS, FLOW_SORT_LAST, 0);
	for (i = n, j = n; i < n + m && j < EXPORT_MAX_FLOWS; i++) {
		size_t k;

		for (k = 0; k < n && l[k] != l[i]; k++)
			;
		if (k == n)
			l[j++] = l[i];
	}
	*out = l;
	return j;
}

/* What the tunleak_namespaces gauge says: traced, untraced, watching, gone. */
static const char *state_key(int st)
{
	return st == NS_TRACING ? "traced" : ns_state_name(st);
}

/* How many namespaces are in each state, and how many ended ones were
 * folded away (their counts kept in the totals, beyond gone_kept listed). */
static void json_states(struct jw *w, const struct snapshot *s)
{
	int st;

	jw_obj_open_flat(w, "namespace_states");
	for (st = 0; st < NS_NR_STATES; st++)
		jw_u64(w, state_key(st), s->states[st]);
	jw_u64(w, "gone_folded", s->folded_ns);
	jw_u64(w, "gone_kept_limit", s->gone_kept);
	jw_obj_close(w);
}

int export_render_json(FILE *f, const struct snapshot *s)
{
	const struct flow_rec **list;
	size_t nlist = pick_flows(s->flows, &list), listed = 0, i;
	uint64_t all_flows = s->flows ? flows__count(s->flows) : 0;
	struct totals t;
	struct jw w;
	char ts[32];
	int k, j;

	jw_init(&w, true);
	snapshot_totals(s, &t);
	jw_obj_open(&w, NULL);
	jw_u64(&w, "version", 2);
	jw_str(&w, "started", format_time(s->started_ns, ts, sizeof(ts)));
	jw_str(&w, "updated", format_time(s->updated_ns, ts, sizeof(ts)));
	jw_str(&w, "attach", s->attach_mode ? s->attach_mode : "none");
	json_totals(&w, "leaks", t.leak_packets, t.leak_bytes, t.leak_flows);
	json_totals(&w, "bypass", t.bypass_packets, t.bypass_bytes, t.bypass_flows);
	jw_u64(&w, "route_findings", (uint64_t)s->nr_routes);
	jw_obj_open_flat(&w, "events");
	jw_u64(&w, "flows", s->stats[TL_STAT_LEAK_FLOWS] + s->stats[TL_STAT_BYPASS_FLOWS]);
	jw_u64(&w, "emitted", s->stats[TL_STAT_EVENTS_EMITTED]);
	jw_u64(&w, "dropped", s->stats[TL_STAT_EVENTS_DROPPED]);
	jw_u64(&w, "received", s->received);
	jw_u64(&w, "recovered", s->recovered);
	jw_u64(&w, "unreported", s->stats[TL_STAT_UNREPORTED]);
	jw_obj_close(&w);
	jw_obj_open_flat(&w, "errors");
	jw_u64(&w, "flow_insert_failed", s->stats[TL_STAT_FLOW_INSERT_FAIL]);
	jw_u64(&w, "unknown_iface", s->stats[TL_STAT_UNKNOWN_IFACE]);
	jw_u64(&w, "flows_evicted", s->flows ? flows__evicted(s->flows) : 0);
	jw_obj_close(&w);
	if (s->pcap_path) {
		jw_obj_open_flat(&w, "pcap");
		jw_str(&w, "file", s->pcap_path);
		jw_u64(&w, "packets", s->pcap_packets);
		jw_u64(&w, "dropped_size_limit", s->pcap_dropped);
		jw_u64(&w, "dropped_ring_full", s->stats[TL_STAT_PCAP_DROPPED]);
		jw_u64(&w, "dropped_write_error", s->pcap_unwritten);
		jw_str(&w, "error", s->pcap_errno ? strerror(s->pcap_errno) : NULL);
		jw_obj_close(&w);
	}
	json_states(&w, s);
	if (s->node_mode) {
		jw_obj_open_flat(&w, "discovery");
		jw_u64(&w, "namespaces", s->ns_seen);
		jw_u64(&w, "processes", s->ns_processes);
		jw_u64(&w, "unreadable", s->ns_unreadable);
		jw_u64(&w, "pass_cpu_us", s->scan_cpu_ns / 1000);
		jw_u64(&w, "metadata_files", s->meta_files);
		jw_u64(&w, "metadata_not_indexed", s->meta_skipped);
		jw_obj_close(&w);
	}
	if (s->slots) {
		jw_obj_open_flat(&w, "interface_slots");
		jw_u64(&w, "limit", s->slots);
		jw_u64(&w, "used", s->slots_used);
		jw_u64(&w, "not_counted", s->not_counted);
		jw_obj_close(&w);
	}
	jw_obj_open_flat(&w, "flow_list");
	jw_u64(&w, "limit", EXPORT_MAX_FLOWS);
	jw_u64(&w, "listed", nlist);
	jw_u64(&w, "omitted", all_flows - nlist);
	jw_str(&w, "chosen", "the flows with the most packets, then the most recently seen");
	jw_obj_close(&w);
	jw_arr_open(&w, "namespaces");
	for (k = 0; k < s->nr_ns; k++) {
		const struct ns_snap *n = &s->ns[k];
		struct totals nt;

		ns_totals(n, &nt);
		jw_obj_open(&w, NULL);
		jw_str(&w, "label", n->label);
		jw_str(&w, "pod", n->pod[0] ? n->pod : NULL);
		jw_str(&w, "k8s_namespace", n->k8s_ns[0] ? n->k8s_ns : NULL);
		jw_str(&w, "netns", n->netns[0] ? n->netns : NULL);
		jw_u64(&w, "inode", n->inode);
		jw_str(&w, "state", ns_state_name(n->state));
		jw_str(&w, "name_source", name_source_name(n->source));
		jw_str(&w, "untraced", n->state == NS_UNTRACED ? n->untraced : NULL);
		jw_obj_open(&w, "interfaces");
		for (j = 0; j < n->nr_ifaces; j++)
			json_iface(&w, &n->ifaces[j]);
		jw_obj_close(&w);
		json_totals(&w, "leaks", nt.leak_packets, nt.leak_bytes, nt.leak_flows);
		json_totals(&w, "bypass", nt.bypass_packets, nt.bypass_bytes, nt.bypass_flows);
		json_routes(&w, snapshot_routes(s, n), n);
		jw_arr_open(&w, "flows");
		for (i = 0; i < nlist; i++)
			if (list[i]->ns_id == n->id) {
				json_flow(&w, list[i]);
				listed++;
			}
		jw_arr_close(&w);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_raw(&w, "\n", 1);
	free(list);
	if (!w.oom)
		fwrite(w.buf, 1, w.len, f);
	k = w.oom ? -ENOMEM : ferror(f) ? -EIO : 0;
	jw_free(&w);
	(void)listed;
	return k;
}

/* --- Prometheus text ------------------------------------------------------------ */

/* A label value: no control character from a pod reaches the file raw (shown
 * as \xNN text), and \, " and newline escaped as the format wants. */
static void prom_value(FILE *f, const char *v)
{
	char safe[256];
	const char *p;

	escape_ctl(v ? v : "", safe, sizeof(safe));
	for (p = safe; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		fputc(*p, f);
	}
}

/* {netns="…",k8s_pod="…",k8s_namespace="…" and what follows */
static bool same_labels(const struct ns_snap *a, const struct ns_snap *b)
{
	return !strcmp(a->label, b->label) && !strcmp(a->pod, b->pod) &&
	       !strcmp(a->k8s_ns, b->k8s_ns);
}

/*
 * A series names one namespace by its labels, and no two may share them (a
 * scraper rejects the whole text). A pod that comes back under its name
 * (a StatefulSet's, a re-created sandbox) has a gone namespace with the same
 * labels: the live one stands for both (its counters start again, as a
 * restarted pod's do), and of several gone ones the latest. Two live ones
 * with the same labels (two pods without metadata, one borrowing the
 * other's hostname) are told apart by the namespace's inode.
 * Returns 0: leave out; 1: as it is; 2: its label with "@inode".
 */
static int prom_view(const struct snapshot *s, int k)
{
	const struct ns_snap *n = &s->ns[k];
	bool live_twin = false, later_gone = false;
	int j;

	for (j = 0; j < s->nr_ns; j++) {
		const struct ns_snap *o = &s->ns[j];

		if (j == k || !same_labels(n, o))
			continue;
		if (o->state != NS_GONE)
			live_twin = true;
		else if (j > k)
			later_gone = true;
	}
	if (n->state == NS_GONE)
		return live_twin || later_gone ? 0 : 1;
	return live_twin ? 2 : 1;
}

/*
 * The traced pod is k8s_pod and k8s_namespace, never pod or namespace: a
 * scraper adds its target's labels (pod, namespace, node, instance, job), and
 * one that does not honour ours (OpenShift's user-workload monitoring forces
 * honor_labels: false) would rename a colliding pod to exported_pod and name
 * tunleak's own pod instead.
 */
static void prom_ns_labels(FILE *f, const struct ns_snap *n, int view)
{
	fputs("{netns=\"", f);
	prom_value(f, n->label);
	if (view == 2)
		fprintf(f, "@%llu", (unsigned long long)n->inode);
	fputs("\",k8s_pod=\"", f);
	prom_value(f, n->pod);
	fputs("\",k8s_namespace=\"", f);
	prom_value(f, n->k8s_ns);
	fputc('"', f);
}

static void prom_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_counters(FILE *f, const struct snapshot *s, const int *view, const char *name,
			  bool bytes)
{
	int k, i, d, c;

	for (k = 0; k < s->nr_ns; k++)
		for (i = 0; i < s->ns[k].nr_ifaces && view[k]; i++)
			for (d = 0; d < 2; d++)
				for (c = 0; c < TL_NR_COUNTERS; c++) {
					const struct tl_counter *n = &s->ns[k].ifaces[i].c[d][c];

					fputs(name, f);
					prom_ns_labels(f, &s->ns[k], view[k]);
					fputs(",iface=\"", f);
					prom_value(f, s->ns[k].ifaces[i].name);
					fprintf(
					    f, "\",direction=\"%s\",class=\"%s\"} %llu\n",
					    dir_name(d), class_name(c),
					    (unsigned long long)(bytes ? n->bytes : n->packets));
				}
}

/* One series per namespace of a per-namespace total. */
static void prom_per_ns(FILE *f, const struct snapshot *s, const int *view, const char *name,
			int which)
{
	int k;

	for (k = 0; k < s->nr_ns; k++) {
		struct totals t;
		uint64_t v;

		if (!view[k])
			continue;
		ns_totals(&s->ns[k], &t);
		v = which == 0	 ? t.leak_packets
		    : which == 1 ? t.leak_bytes
		    : which == 2 ? t.leak_flows
		    : which == 3 ? t.bypass_packets
				 : t.bypass_flows;
		fputs(name, f);
		prom_ns_labels(f, &s->ns[k], view[k]);
		fprintf(f, "} %" PRIu64 "\n", v);
	}
}

/* The route watch: a series per namespace, kind and CIDR with a finding now
 * (its value: how many routes make it), and the fixes --fix added. */
static void prom_routes(FILE *f, const struct snapshot *s, const int *view)
{
	char cs[64];
	int k;

	prom_head(
	    f, "tunleak_route_findings", "gauge",
	    "Route findings of the last audit: a cluster CIDR that routes into a tunnel (kind "
	    "leak) or a remote CIDR that does not (kind bypass), per namespace and CIDR.");
	for (k = 0; k < s->nr_ns; k++) {
		const struct finding *r = snapshot_routes(s, &s->ns[k]);
		int n = s->ns[k].nr_routes, i, j;

		if (!view[k])
			continue;
		/* one series per (kind, CIDR); an audit lists a CIDR's findings
		 * together, so each series is one run of them */
		for (i = 0; i < n; i = j) {
			for (j = i + 1; j < n && r[j].kind == r[i].kind &&
					!memcmp(&r[j].cidr, &r[i].cidr, sizeof(r[i].cidr));
			     j++)
				;
			fputs("tunleak_route_findings", f);
			prom_ns_labels(f, &s->ns[k], view[k]);
			fprintf(f, ",kind=\"%s\",class=\"%s\",cidr=\"%s\"} %d\n",
				finding_kind_name(r[i].kind), class_name(r[i].cls),
				cidr_format(&r[i].cidr, cs, sizeof(cs)), j - i);
		}
	}
	prom_head(f, "tunleak_route_fixes_total", "counter",
		  "Fixes that trace --fix added (a route or rule) when a leak route appeared.");
	for (k = 0; k < s->nr_ns; k++) {
		if (!view[k])
			continue;
		fputs("tunleak_route_fixes_total", f);
		prom_ns_labels(f, &s->ns[k], view[k]);
		fprintf(f, "} %" PRIu64 "\n", s->ns[k].route_fixes);
	}
}

/* Why a namespace is not traced, as a label value. */
static const char *untraced_reason(int err)
{
	switch (err) {
	case EMFILE:
	case ENFILE:
		return "file_descriptors";
	case EPERM:
	case EACCES:
		return "permission";
	case ENOMEM:
	case E2BIG:
		return "memory";
	default:
		return "error";
	}
}

/* Namespaces by state; those not traced, and why; where names come from;
 * what was folded away or could not be looked at. view: every namespace's
 * (prom_view), untraced ones included. */
static void prom_states(FILE *f, const struct snapshot *s, const int *view)
{
	int k, st;

	prom_head(f, "tunleak_namespaces", "gauge",
		  "Namespaces by state: traced; untraced (found, but they cannot be looked into or "
		  "traced); watching (no tunnel yet); gone (ended, still listed).");
	for (st = 0; st < NS_NR_STATES; st++)
		fprintf(f, "tunleak_namespaces{state=\"%s\"} %" PRIu64 "\n", state_key(st),
			s->states[st]);
	prom_head(f, "tunleak_namespace_untraced", "gauge",
		  "1 for each namespace found but not traced; reason: file_descriptors, "
		  "permission, memory or error.");
	for (k = 0; k < s->nr_ns; k++) {
		if (s->ns[k].state != NS_UNTRACED || !view[k])
			continue;
		fputs("tunleak_namespace_untraced", f);
		prom_ns_labels(f, &s->ns[k], view[k]);
		fprintf(f, ",reason=\"%s\"} 1\n", untraced_reason(s->ns[k].untraced_errno));
	}
	prom_head(f, "tunleak_namespace_name_source", "gauge",
		  "Where each namespace's name comes from: runtime (the container runtime's "
		  "metadata), hostname (the pod's own claim), netns or pid.");
	for (k = 0; k < s->nr_ns; k++) {
		if (!view[k])
			continue;
		fputs("tunleak_namespace_name_source", f);
		prom_ns_labels(f, &s->ns[k], view[k]);
		fprintf(f, ",source=\"%s\"} 1\n", name_source_name(s->ns[k].source));
	}
	prom_head(f, "tunleak_namespaces_folded_total", "counter",
		  "Ended namespaces folded away beyond those kept in the list: their counts stay "
		  "in the totals.");
	fprintf(f, "tunleak_namespaces_folded_total %" PRIu64 "\n", s->folded_ns);
	if (s->node_mode) {
		prom_head(f, "tunleak_processes_unreadable", "gauge",
			  "Processes whose network namespace could not be read at the last look "
			  "(their pods are not seen).");
		fprintf(f, "tunleak_processes_unreadable %" PRIu64 "\n", s->ns_unreadable);
		prom_head(f, "tunleak_metadata_files_not_indexed", "gauge",
			  "The runtime's config.json files beyond the index's limit (their pods "
			  "are named by hostname).");
		fprintf(f, "tunleak_metadata_files_not_indexed %" PRIu64 "\n", s->meta_skipped);
	}
	if (s->pcap_path) {
		prom_head(f, "tunleak_pcap_packets_not_written_total", "counter",
			  "Packets not written to the pcap file: size_limit (--pcap-max-mb), "
			  "ring_full, write_error.");
		fprintf(f,
			"tunleak_pcap_packets_not_written_total{reason=\"size_limit\"} %" PRIu64
			"\n",
			s->pcap_dropped);
		fprintf(
		    f, "tunleak_pcap_packets_not_written_total{reason=\"ring_full\"} %" PRIu64 "\n",
		    s->stats[TL_STAT_PCAP_DROPPED]);
		fprintf(f,
			"tunleak_pcap_packets_not_written_total{reason=\"write_error\"} %" PRIu64
			"\n",
			s->pcap_unwritten);
	}
}

int export_render_prom(FILE *f, const struct snapshot *s)
{
	int k, i, *view = calloc(s->nr_ns ? s->nr_ns : 1, sizeof(*view));
	int *all = calloc(s->nr_ns ? s->nr_ns : 1, sizeof(*all));

	if (!view || !all) {
		free(view);
		free(all);
		return -ENOMEM;
	}
	/* an untraced namespace has no counts: no counter series (0 would
	 * read as "no leak"), only tunleak_namespace_untraced */
	for (k = 0; k < s->nr_ns; k++) {
		all[k] = prom_view(s, k);
		view[k] = s->ns[k].state == NS_UNTRACED ? 0 : all[k];
	}

	prom_head(f, "tunleak_packets_total", "counter",
		  "Packets seen per namespace, interface, direction and address class (GSO "
		  "segments counted).");
	prom_counters(f, s, view, "tunleak_packets_total", false);
	prom_head(f, "tunleak_bytes_total", "counter",
		  "L3 bytes seen per namespace, interface, direction and address class.");
	prom_counters(f, s, view, "tunleak_bytes_total", true);
	prom_head(f, "tunleak_leak_packets_total", "counter",
		  "Cluster-bound packets that left through a tunnel interface.");
	prom_per_ns(f, s, view, "tunleak_leak_packets_total", 0);
	prom_head(f, "tunleak_leak_bytes_total", "counter",
		  "L3 bytes of cluster-bound packets that left through a tunnel interface.");
	prom_per_ns(f, s, view, "tunleak_leak_bytes_total", 1);
	prom_head(f, "tunleak_leak_flows", "gauge", "Distinct leak flows seen since start.");
	prom_per_ns(f, s, view, "tunleak_leak_flows", 2);
	prom_head(f, "tunleak_bypass_packets_total", "counter",
		  "Remote-bound packets that left through a cluster interface.");
	prom_per_ns(f, s, view, "tunleak_bypass_packets_total", 3);
	prom_head(f, "tunleak_bypass_flows", "gauge", "Distinct bypass flows seen since start.");
	prom_per_ns(f, s, view, "tunleak_bypass_flows", 4);
	prom_head(f, "tunleak_events_emitted_total", "counter",
		  "Leak and bypass flow events written to the ring buffer.");
	fprintf(f, "tunleak_events_emitted_total %" PRIu64 "\n", s->stats[TL_STAT_EVENTS_EMITTED]);
	prom_head(f, "tunleak_events_dropped_total", "counter",
		  "Flow events lost to a full ring buffer (the flows are still reported).");
	fprintf(f, "tunleak_events_dropped_total %" PRIu64 "\n", s->stats[TL_STAT_EVENTS_DROPPED]);
	prom_head(f, "tunleak_events_unreported_total", "counter",
		  "New flows never reported: their event found the ring and the lost table full.");
	fprintf(f, "tunleak_events_unreported_total %" PRIu64 "\n", s->stats[TL_STAT_UNREPORTED]);
	prom_head(f, "tunleak_interface_up", "gauge",
		  "1 while tunleak is attached to the interface.");
	for (k = 0; k < s->nr_ns; k++)
		for (i = 0; i < s->ns[k].nr_ifaces && view[k]; i++) {
			fputs("tunleak_interface_up", f);
			prom_ns_labels(f, &s->ns[k], view[k]);
			fputs(",iface=\"", f);
			prom_value(f, s->ns[k].ifaces[i].name);
			fprintf(f, "\",role=\"%s\"} %d\n", role_name(s->ns[k].ifaces[i].role),
				s->ns[k].ifaces[i].state == IFACE_ATTACHED);
		}
	prom_routes(f, s, view);
	prom_head(f, "tunleak_interfaces_not_counted", "gauge",
		  "Interfaces of traced namespaces that got no counter slot (a limit reached): "
		  "their packets are not counted.");
	fprintf(f, "tunleak_interfaces_not_counted %" PRIu64 "\n", s->not_counted);
	prom_head(f, "tunleak_namespace_traced", "gauge",
		  "1 while tunleak traces the namespace, 0 once it has ended.");
	for (k = 0; k < s->nr_ns; k++) {
		if (!view[k])
			continue;
		fputs("tunleak_namespace_traced", f);
		prom_ns_labels(f, &s->ns[k], view[k]);
		fprintf(f, "} %d\n", s->ns[k].state == NS_TRACING);
	}
	prom_states(f, s, all);
	free(view);
	free(all);
	return ferror(f) ? -EIO : 0;
}

int export_check_target(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	return S_ISREG(st.st_mode) ? 0 : -EINVAL;
}

/* Render s into memory (*buf, *len; malloc'ed). 0 or -errno. */
static int render(enum export_fmt fmt, const struct snapshot *s, char **buf, size_t *len)
{
	FILE *m = open_memstream(buf, len);
	int err;

	*buf = NULL;
	*len = 0;
	if (!m)
		return -errno;
	err = fmt == EXPORT_PROM ? export_render_prom(m, s) : export_render_json(m, s);
	if (fclose(m) && !err)
		err = -ENOMEM;
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

int export_write(const char *path, enum export_fmt fmt, const struct snapshot *s)
{
	size_t n = strlen(path), len;
	char *tmp = malloc(n + 16), *buf = NULL;
	int fd, err;

	if (!tmp)
		return -ENOMEM;
	/* What the rename would replace must be a regular file, or nothing */
	err = export_check_target(path);
	if (err) {
		free(tmp);
		return err;
	}
	/* Same directory as the target, so the rename is atomic. */
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	/* Rendered in memory, then written with write(2): a full file system
	 * is said as ENOSPC (stdio would have it as a bare error flag) */
	err = render(fmt, s, &buf, &len);
	if (!err)
		err = write_all(fd, buf, len);
	free(buf);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && chmod(tmp, 0644))
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err) {
		free(tmp);
		return 0;
	}
	unlink(tmp);
	free(tmp);
	return err;
}
