// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunleak trace: load the datapath, start a tracer per namespace, and wire
 * them to the outputs — the event stream, the counters file, the pcap file,
 * the live table — until a signal, --duration or q.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "datapath/attach.h"
#include "cmd/commands.h"
#include "out/export.h"
#include "node/discover.h"
#include "model/flows.h"
#include "lib/http.h"
#include "model/links.h"
#include "datapath/loader.h"
#include "lib/log.h"
#include "netns/netns.h"
#include "netns/nl.h"
#include "node/node.h"
#include "out/output.h"
#include "out/pcap.h"
#include "lib/signals.h"
#include "out/top.h"
#include "trace/tracer.h"
#include "lib/vec.h"

#define DRAIN_MS 20
#define RESCAN_MS 1000
#define DISCOVER_MS 1000 /* namespaces that appear or end are seen within 2 s */
/* User-space flow records: twice the kernel's table (at least 65,536), so a
 * flow the kernel still has is one we still know, and is never reported twice. */
#define USER_FLOWS_MIN 65536
#define GONE_KEPT 64 /* ended namespaces kept in the counters file */

/* epoll sources: the kind in the high bits, a tracer's id in the low ones */
#define SRC_RING (1ULL << 32)
#define SRC_KEYS (2ULL << 32)
#define SRC_TRACER (3ULL << 32)
#define SRC_HTTP (4ULL << 32)
#define SRC_STDOUT (5ULL << 32)
#define SRC_KIND(u) ((u) & ~0xffffffffULL)

struct trace {
	struct config *cfg;
	struct tracer_env env;
	struct ring_buffer *rb;
	struct tracer **tracers;
	int nr_tracers, cap_tracers;
	uint32_t next_id;
	int ep;
	struct out out;
	struct pcap_writer *pcap;
	struct top *top;
	struct http_server *http; /* --metrics-addr */
	struct snapshot snap;
	int64_t mono_to_real; /* add to CLOCK_MONOTONIC ns for realtime ns */
	uint64_t started_ns;
	uint64_t received; /* events read from the ring buffer */
	uint64_t recovered; /* flows found by a sweep whose event was lost */
	bool node_mode;
	struct node *node; /* --all, --pod: the node's namespaces */
	uint64_t scan_cpu_ns; /* CPU time of the last look at the node */
	struct probe **preloaded; /* --all at start: probes loaded in parallel */
	int nr_preloaded;
	char where[192];
	const char *gone_why; /* the traced namespace ended (single mode): why */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	top_resized();
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *kind_name(enum attach_kind kind)
{
	return kind == KIND_TCX ? "tcx" : kind == KIND_TC ? "tc" : "none";
}

static struct tracer *tracer_by_id(struct trace *tr, uint32_t id)
{
	int i;

	for (i = 0; i < tr->nr_tracers; i++)
		if (tr->tracers[i]->id == id)
			return tr->tracers[i];
	return NULL;
}

static int add_tracer(struct trace *tr, struct tracer *t)
{
	if (vec_room(&tr->tracers, &tr->cap_tracers, tr->nr_tracers, sizeof(*tr->tracers), 8))
		return -ENOMEM;
	tr->tracers[tr->nr_tracers++] = t;
	return 0;
}

/* Watch the tracer's link monitor. */
static void watch_tracer(struct trace *tr, struct tracer *t)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = SRC_TRACER | t->id };
	int fd = tracer__monitor_fd(t);

	if (fd >= 0 && tr->ep >= 0)
		epoll_ctl(tr->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void on_tracer_monitor(struct tracer *t, void *ctx)
{
	watch_tracer(ctx, t);
}

/* Drop a tracer from the list (its monitor leaves the poll set as its fd closes). */
static void remove_tracer(struct trace *tr, int i)
{
	tracer__free(tr->tracers[i]);
	memmove(&tr->tracers[i], &tr->tracers[i + 1], (tr->nr_tracers - i - 1) * sizeof(tr->tracers[0]));
	tr->nr_tracers--;
}

/* --- flows: events and sweeps --------------------------------------------- */

static void fill_rec(struct trace *tr, struct flow_rec *r, int type, int cls, uint64_t first_mono,
		     int reply, int reply_slot)
{
	const struct slot_table *st = &tr->env.slots;
	struct tracer *t = st->owner[r->key.slot];

	r->type = type;
	r->cls = cls;
	r->reply = reply;
	r->ns_id = t ? t->id : 0;
	r->iface = flows__intern(tr->env.flows, t ? t->ifaces[st->iface[r->key.slot]].name : "?");
	if (reply) {
		struct tracer *rt = st->owner[reply_slot & 0xff];

		r->reply_to = flows__intern(tr->env.flows,
					    rt ? rt->ifaces[st->iface[reply_slot & 0xff]].name : "?");
	}
	r->first_ns = first_mono + tr->mono_to_real;
	r->last_ns = r->first_ns;
	if (t && type == TL_TYPE_LEAK)
		t->leak_flows++;
	else if (t)
		t->bypass_flows++;
}

static void report(struct trace *tr, struct flow_rec *r)
{
	struct tracer *t = tracer_by_id(tr, r->ns_id);
	struct flow_origin from = { 0 };

	if (r->reported)
		return;
	r->reported = 1;
	if (t) {
		tracer__diagnose(t, r);
		from.netns = t->label;
		from.pod = t->pod;
		from.k8s_ns = t->k8s_ns;
		from.name_it = tr->node_mode;
	}
	if (!tr->cfg->top)
		event_print(&tr->out, r, &from);
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct tl_event *e = data;
	struct trace *tr = ctx;
	struct flow_rec *r;
	int is_new;

	if (len < sizeof(*e))
		return 0;
	tr->received++;
	r = flows__upsert(tr->env.flows, &e->key, &is_new);
	if (!r)
		return 0;
	if (is_new) {
		fill_rec(tr, r, e->type, e->cls, e->ts_ns, e->reply, e->reply_slot);
		flows__set_kernel_counts(tr->env.flows, r, e->packets, e->bytes,
					 e->ts_ns + tr->mono_to_real);
	}
	report(tr, r);
	return 0;
}

static int on_pkt(void *ctx, void *data, size_t len)
{
	const struct tl_pkt *p = data;
	struct trace *tr = ctx;

	if (len < sizeof(*p) || !tr->pcap)
		return 0;
	pcap__write(tr->pcap, p->ts_ns + tr->mono_to_real, p->data, p->caplen, p->origlen);
	return 0;
}

/* A flow whose event did not fit the ring, taken from the lost table. */
static void on_lost(const struct tl_event *e, void *ctx)
{
	struct trace *tr = ctx;
	struct flow_rec *r;
	int is_new;

	tr->recovered++;
	r = flows__upsert(tr->env.flows, &e->key, &is_new);
	if (!r)
		return;
	if (is_new) {
		fill_rec(tr, r, e->type, e->cls, e->ts_ns, e->reply, e->reply_slot);
		flows__set_kernel_counts(tr->env.flows, r, e->packets, e->bytes,
					 e->ts_ns + tr->mono_to_real);
	}
	report(tr, r);
}

/* The kernel's counts of the flows we know. A flow we do not know yet is
 * reported by its event or its lost-table entry, never by a sweep: that is
 * what makes each flow reported once. */
static void on_swept(const struct tl_flow_key *k, const struct tl_flow_val *v, void *ctx)
{
	struct trace *tr = ctx;
	struct flow_rec *r = flows__lookup(tr->env.flows, k);

	if (r)
		flows__set_kernel_counts(tr->env.flows, r, v->packets, v->bytes,
					 v->last_ns + tr->mono_to_real);
}

/* New flows: from the ring, and those that did not fit it. */
static void drain(struct trace *tr, bool all)
{
	ring_buffer__consume(tr->rb);
	datapath__drain_lost(tr->env.dp, all, on_lost, tr);
}

static void sweep(struct trace *tr)
{
	drain(tr, false);
	datapath__sweep_flows(tr->env.dp, on_swept, tr);
	out_flush(&tr->out);
}

/* --- snapshot and export ----------------------------------------------------- */

static void build_snapshot(struct trace *tr, struct snapshot *s)
{
	struct tl_counter(*all)[2][TL_NR_COUNTERS] = calloc(TL_MAX_SLOTS, sizeof(*all));
	int i, j;

	snapshot_clear(s);
	s->started_ns = tr->started_ns;
	s->updated_ns = now_ns(CLOCK_REALTIME);
	s->attach_mode = kind_name(tr->env.kind);
	s->flows = tr->env.flows;
	s->received = tr->received;
	s->recovered = tr->recovered;
	s->pcap_path = tr->cfg->pcap_path;
	s->pcap_packets = pcap__packets(tr->pcap);
	s->pcap_dropped = pcap__dropped(tr->pcap);
	s->node_mode = tr->node_mode;
	if (tr->node) {
		s->ns_seen = node__count(tr->node);
		s->ns_unreadable = node__unreadable(tr->node);
		s->ns_processes = node__processes(tr->node);
		s->scan_cpu_ns = tr->scan_cpu_ns;
	}
	if (all && datapath__read_counters(tr->env.dp, all)) {
		free(all);
		all = NULL;
	}
	datapath__read_stats(tr->env.dp, s->stats);
	for (i = 0; i < tr->nr_tracers; i++) {
		const struct tracer *t = tr->tracers[i];
		struct ns_snap *n;

		/* a namespace that never had a tunnel has nothing to show */
		if (t->state == NS_WATCHING)
			continue;
		n = snapshot_add_ns(s);
		if (!n)
			break;
		n->id = t->id;
		snprintf(n->label, sizeof(n->label), "%s", t->label);
		snprintf(n->pod, sizeof(n->pod), "%s", t->pod);
		snprintf(n->k8s_ns, sizeof(n->k8s_ns), "%s", t->k8s_ns);
		snprintf(n->netns, sizeof(n->netns), "%s", t->path);
		n->inode = t->ns_ino;
		n->state = t->state;
		n->leak_flows = t->leak_flows;
		n->bypass_flows = t->bypass_flows;
		for (j = 0; j < t->nr_ifaces && j < SNAP_MAX_IFACES; j++) {
			struct iface_snap *is = &n->ifaces[n->nr_ifaces++];

			snprintf(is->name, sizeof(is->name), "%s", t->ifaces[j].name);
			is->role = t->ifaces[j].role;
			is->state = t->ifaces[j].state;
			is->ifindex = t->ifaces[j].ifindex;
			is->l2 = t->ifaces[j].l2;
			tracer__iface_counters(t, j, (const void *)all, is->c);
		}
	}
	free(all);
}

/* The counters file from the snapshot in tr->snap. */
static int export_snapshot(struct trace *tr)
{
	int err;

	if (!tr->cfg->export_path)
		return 0;
	err = export_write(tr->cfg->export_path, tr->cfg->export_fmt, &tr->snap);
	if (err)
		warn("write %s: %s\n", tr->cfg->export_path, strerror(-err));
	return err;
}

/* What GET /metrics answers from now on: the Prometheus text of tr->snap. */
static void serve_snapshot(struct trace *tr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!tr->http)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	if (export_render_prom(f, &tr->snap) == 0 && fflush(f) == 0)
		http_server__set_metrics(tr->http, buf, len);
	fclose(f);
	free(buf);
}

/* Every --interval, and at the end: one snapshot (the counters read once)
 * for the counters file, /metrics and the live table, which takes it over. */
static int publish(struct trace *tr)
{
	int err;

	if (!tr->cfg->export_path && !tr->http && !tr->top)
		return 0;
	build_snapshot(tr, &tr->snap);
	err = export_snapshot(tr);
	serve_snapshot(tr);
	if (tr->top)
		top__refresh(tr->top, &tr->snap, tr->env.flows);
	return err;
}

/* --- start and stop -------------------------------------------------------------- */

static enum attach_kind choose_kind(struct trace *tr, const struct netns *ns, char *err,
				     size_t errlen)
{
	const struct config *cfg = tr->cfg;
	int has_tcx = tcx_supported(ns, 1); /* lo: every namespace has it */

	if (cfg->attach == ATTACH_TCX && !has_tcx) {
		snprintf(err, errlen,
			 "--attach \"tcx\": this kernel has no tcx links (Linux >= 6.6); use --attach tc");
		return 0;
	}
	return cfg->attach == ATTACH_TC	 ? KIND_TC :
	       cfg->attach == ATTACH_TCX ? KIND_TCX :
	       has_tcx			 ? KIND_TCX :
					   KIND_TC;
}

/* Everything detached at once (tcx links close concurrently), then each
 * tracer stopped. */
static void detach_all(struct trace *tr)
{
	struct attachment **list;
	int i, n = 0, max = tr->nr_tracers * TRACER_MAX_IFACES;

	list = calloc(max ? max : 1, sizeof(*list));
	if (list) {
		for (i = 0; i < tr->nr_tracers; i++)
			n += tracer__attachments(tr->tracers[i], list + n, max - n);
		detach_many(list, n, false);
		free(list);
	}
	for (i = 0; i < tr->nr_tracers; i++)
		tracer__stop(tr->tracers[i], false);
}

static void summary(struct trace *tr)
{
	struct totals t;

	build_snapshot(tr, &tr->snap);
	snapshot_totals(&tr->snap, &t);
	warn("detached; %" PRIu64 " leak packet%s in %" PRIu64 " flow%s, %" PRIu64
	     " bypass packet%s in %" PRIu64 " flow%s, %" PRIu64 " event%s dropped\n",
	     t.leak_packets, t.leak_packets == 1 ? "" : "s", t.leak_flows,
	     t.leak_flows == 1 ? "" : "s", t.bypass_packets, t.bypass_packets == 1 ? "" : "s",
	     t.bypass_flows, t.bypass_flows == 1 ? "" : "s", tr->snap.stats[TL_STAT_EVENTS_DROPPED],
	     tr->snap.stats[TL_STAT_EVENTS_DROPPED] == 1 ? "" : "s");
}

/* Every signal that would end the process stops it as SIGTERM does: a tc
 * filter would outlive it (signals.h). */
static void install_signals(void)
{
	stop_signals_install(on_signal);
}

/* The one namespace of --netns, --pid, --pod, or the current one. */
static int start_single(struct trace *tr, char *err, size_t errlen)
{
	const struct config *cfg = tr->cfg;
	struct node_ns named = { 0 };
	char path[512];
	struct netns *ns;
	struct tracer *t;
	int ret;

	path[0] = '\0';
	if (cfg->pod) {
		const struct node_ns *x;

		tr->node = node__new(NULL, NULL);
		if (!tr->node || node__scan(tr->node)) {
			snprintf(err, errlen, "--pod \"%s\": cannot list the node's namespaces",
				 cfg->pod);
			return -EINVAL;
		}
		x = node__find_pod(tr->node, cfg->pod, err, errlen);
		if (!x)
			return -ENOENT;
		named = *x;
		snprintf(path, sizeof(path), "%s", x->f.path);
		ns = netns__open_found(path, x->f.dev, x->f.ino);
		if (!ns) {
			snprintf(err, errlen, "--pod \"%s\": cannot open %s: %s", cfg->pod,
				 x->f.path, strerror(errno));
			return -EINVAL;
		}
		snprintf(tr->where, sizeof(tr->where), "%s", x->where);
	} else {
		ns = netns__open_arg(cfg->netns, cfg->pid, err, errlen);
		if (!ns)
			return -EINVAL;
		if (cfg->netns || cfg->pid)
			netns_path(cfg->netns, cfg->pid, path, sizeof(path));
		netns_label(cfg->netns, cfg->pid, tr->where, sizeof(tr->where));
		/* a long path's label is cut (it only names the namespace) */
		if (snprintf(named.label, sizeof(named.label), "%s", cfg->netns ? cfg->netns : path) >=
		    (int)sizeof(named.label))
			named.label[sizeof(named.label) - 2] = '~';
		/* a pod's name, when its processes tell it */
		if (cfg->pid && !netns__is_home(ns)) {
			struct node *nd = node__new(NULL, NULL);
			struct ns_found f = { .dev = netns__dev(ns), .ino = netns__ino(ns),
					      .pid = cfg->pid };
			struct node_ns x;

			if (nd) {
				node__name(nd, &f, &x);
				snprintf(named.pod, sizeof(named.pod), "%s", x.pod);
				snprintf(named.k8s_ns, sizeof(named.k8s_ns), "%s", x.k8s_ns);
				node__free(nd);
			}
		}
	}
	t = tracer__new(&tr->env, ns, path, ++tr->next_id, true);
	if (!t) {
		snprintf(err, errlen, "cannot open netlink in %s: %s", tr->where, strerror(errno));
		return -errno;
	}
	tracer__set_name(t, named.label, named.pod, named.k8s_ns, tr->where);
	ret = add_tracer(tr, t);
	if (ret) {
		tracer__free(t);
		return ret;
	}
	tr->env.kind = choose_kind(tr, t->ns, err, errlen);
	if (!tr->env.kind)
		return -EINVAL;
	if (stop_signal)
		return 0;
	return tracer__start(t, err, errlen);
}

static struct tracer *tracer_by_ns(struct trace *tr, uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; i < tr->nr_tracers; i++)
		if (tr->tracers[i]->state != NS_GONE && tr->tracers[i]->ns_dev == dev &&
		    tr->tracers[i]->ns_ino == ino)
			return tr->tracers[i];
	return NULL;
}

/* Keep at most GONE_KEPT ended namespaces (the oldest go first). */
static void trim_gone(struct trace *tr)
{
	int i, gone = 0;

	for (i = 0; i < tr->nr_tracers; i++)
		gone += tr->tracers[i]->state == NS_GONE;
	for (i = 0; i < tr->nr_tracers && gone > GONE_KEPT;) {
		if (tr->tracers[i]->state == NS_GONE) {
			remove_tracer(tr, i);
			gone--;
			continue;
		}
		i++;
	}
}

/* --all: look at the node's namespaces again; trace those with a tunnel,
 * watch the others, let go of those that ended. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void discover(struct trace *tr)
{
	uint64_t t0 = thread_cpu_ns();
	int i, n;

	if (node__scan(tr->node))
		return;
	/* what one look at the node costs (the counters file shows it) */
	tr->scan_cpu_ns = thread_cpu_ns() - t0;
	n = node__count(tr->node);
	for (i = 0; i < n && !stop_signal; i++) {
		const struct node_ns *x = node__get(tr->node, i);
		struct tracer *t = tracer_by_ns(tr, x->f.dev, x->f.ino);
		struct netns *ns;
		char err[256];

		if (t) {
			/* A name may come later than the namespace (the hostname
			 * set after unshare, the runtime's config.json written
			 * after the namespace was pinned), but a name never gets
			 * less: a pod that ends may lose its metadata a moment
			 * before its namespace goes. */
			if ((x->pod[0] && strcmp(t->pod, x->pod)) ||
			    (x->k8s_ns[0] && strcmp(t->k8s_ns, x->k8s_ns))) {
				if (t->state == NS_TRACING)
					warn("%s is %s\n", t->where, x->where);
				tracer__set_name(t, x->label, x->pod, x->k8s_ns, x->where);
			}
			if (t->state == NS_WATCHING)
				tracer__rescan(t);
			continue;
		}
		ns = netns__open_found(x->f.path, x->f.dev, x->f.ino);
		if (!ns)
			continue; /* its last process has just ended */
		t = tracer__new(&tr->env, ns, x->f.path, ++tr->next_id, false);
		if (!t)
			continue;
		tracer__set_name(t, x->label, x->pod, x->k8s_ns, x->where);
		if (add_tracer(tr, t)) {
			tracer__free(t);
			continue;
		}
		if (tracer__start(t, err, sizeof(err)))
			warn("%s\n", err);
	}
	/* namespaces no process and no /run/netns file holds any more: ended */
	for (i = 0; i < tr->nr_tracers;) {
		struct tracer *t = tr->tracers[i];

		if (t->state == NS_GONE || node__find(tr->node, t->ns_dev, t->ns_ino)) {
			i++;
			continue;
		}
		if (t->state == NS_WATCHING) {
			remove_tracer(tr, i);
			continue;
		}
		tracer__stop(t, true);
		warn("%s: its network namespace is gone (the pod ended); detached\n", t->where);
		i++;
	}
	trim_gone(tr);
}

static struct probe *take_probe(void *ctx)
{
	struct trace *tr = ctx;

	return tr->nr_preloaded ? tr->preloaded[--tr->nr_preloaded] : NULL;
}

/* Whether a namespace of the node has a tunnel now (it is then traced at once). */
static bool has_tunnel_now(const struct config *cfg, const struct node_ns *x)
{
	struct netns *ns = netns__open_found(x->f.path, x->f.dev, x->f.ino);
	struct nl *nl = ns ? nl__open(ns) : NULL;
	struct link_info *links = NULL;
	bool yes = false;
	int i, n = 0;

	if (nl && !nl__link_dump(nl, &links, &n))
		for (i = 0; i < n && !yes; i++)
			yes = link_is_tunnel(&links[i], cfg->tunnels, cfg->nr_tunnels);
	free(links);
	nl__free(nl);
	netns__free(ns);
	return yes;
}

struct preload {
	struct trace *tr;
	pthread_mutex_t lock;
	int want, next;
};

static void *preload_worker(void *arg)
{
	struct preload *pl = arg;

	for (;;) {
		struct probe *p;
		int mine;

		pthread_mutex_lock(&pl->lock);
		/* a signal at start ends the loading too */
		mine = pl->next < pl->want && !stop_signal ? pl->next++ : -1;
		pthread_mutex_unlock(&pl->lock);
		if (mine < 0)
			return NULL;
		/* the verifier's time, which is most of a namespace's start */
		p = probe__new(pl->tr->env.dp);
		pthread_mutex_lock(&pl->lock);
		if (p)
			pl->tr->preloaded[pl->tr->nr_preloaded++] = p;
		pthread_mutex_unlock(&pl->lock);
	}
}

/* Load a probe for every namespace that has a tunnel now, on every CPU. */
static void preload_probes(struct trace *tr)
{
	struct preload pl = { .tr = tr };
	pthread_t th[16];
	int i, n, nth, started = 0;

	if (node__scan(tr->node))
		return;
	n = node__count(tr->node);
	for (i = 0; i < n; i++)
		pl.want += has_tunnel_now(tr->cfg, node__get(tr->node, i));
	if (pl.want < 2)
		return;
	tr->preloaded = calloc(pl.want, sizeof(*tr->preloaded));
	if (!tr->preloaded)
		return;
	pthread_mutex_init(&pl.lock, NULL);
	nth = libbpf_num_possible_cpus();
	if (nth < 1)
		nth = 1;
	if (nth > 16)
		nth = 16;
	if (nth > pl.want)
		nth = pl.want;
	for (i = 1; i < nth; i++)
		if (!pthread_create(&th[started], NULL, preload_worker, &pl))
			started++;
	preload_worker(&pl);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pl.lock);
}

static int start_node(struct trace *tr, char *err, size_t errlen)
{
	struct netns *home;
	int i, traced = 0, ifaces = 0;

	tr->node_mode = true;
	tr->node = node__new(NULL, NULL);
	if (!tr->node) {
		snprintf(err, errlen, "--all: %s", strerror(errno));
		return -errno;
	}
	/* tcx or tc: asked of the home namespace's loopback */
	home = netns__open_home();
	if (!home) {
		snprintf(err, errlen, "--all: cannot open its own namespace: %s", strerror(errno));
		return -errno;
	}
	tr->env.kind = choose_kind(tr, home, err, errlen);
	netns__free(home);
	if (!tr->env.kind)
		return -EINVAL;
	snprintf(tr->where, sizeof(tr->where), "every pod namespace of this node");
	preload_probes(tr);
	discover(tr);
	/* a namespace that lost its tunnel in between leaves one over */
	while (tr->nr_preloaded)
		probe__free(tr->preloaded[--tr->nr_preloaded]);
	free(tr->preloaded);
	tr->preloaded = NULL;
	for (i = 0; i < tr->nr_tracers; i++) {
		const struct tracer *t = tr->tracers[i];
		int j;

		if (t->state != NS_TRACING)
			continue;
		traced++;
		for (j = 0; j < t->nr_ifaces; j++)
			ifaces += t->ifaces[j].ifindex != 0;
	}
	warn("found %d network namespace%s besides the host's (%d process%s%s), %d with a tunnel\n",
	     node__count(tr->node), node__count(tr->node) == 1 ? "" : "s",
	     node__processes(tr->node), node__processes(tr->node) == 1 ? "" : "es",
	     tr->cfg->verbose && node__unreadable(tr->node) ? ", some unreadable" : "", traced);
	if (tr->cfg->verbose)
		warn("%d process%s whose namespace could not be read (skipped)\n",
		     node__unreadable(tr->node), node__unreadable(tr->node) == 1 ? "" : "es");
	warn("tracing %d interface%s in %d namespace%s (%s); watching for more; Ctrl-C to stop\n",
	     ifaces, ifaces == 1 ? "" : "s", traced, traced == 1 ? "" : "s",
	     kind_name(tr->env.kind));
	return 0;
}

static int open_outputs(struct trace *tr)
{
	const struct config *cfg = tr->cfg;

	/* An unwritable export file is a usage error, found before attaching */
	if (cfg->export_path) {
		int err;

		build_snapshot(tr, &tr->snap);
		err = export_write(cfg->export_path, cfg->export_fmt, &tr->snap);
		if (err) {
			fprintf(stderr, "tunleak: --export \"%s\": cannot write the counters file: %s\n",
				cfg->export_path,
				err == -EINVAL ? "not a regular file" : strerror(-err));
			return -1;
		}
	}
	/* An unwritable pcap file too */
	if (cfg->pcap_path) {
		tr->pcap = pcap__open(cfg->pcap_path, cfg->snaplen,
				      (uint64_t)cfg->pcap_max_mb * 1024 * 1024);
		if (!tr->pcap) {
			fprintf(stderr, "tunleak: --pcap \"%s\": cannot create: %s\n",
				cfg->pcap_path,
				errno == EINVAL ? "not a regular file" : strerror(errno));
			return -1;
		}
	}
	tr->rb = ring_buffer__new(datapath__events_fd(tr->env.dp), on_event, tr, NULL);
	if (tr->rb && cfg->pcap_path &&
	    ring_buffer__add(tr->rb, datapath__pkts_fd(tr->env.dp), on_pkt, tr)) {
		ring_buffer__free(tr->rb);
		tr->rb = NULL;
	}
	if (!tr->rb) {
		fprintf(stderr, "tunleak: cannot open the ring buffer: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static bool stdout_is_pipe(void)
{
	struct stat st;

	return !fstat(STDOUT_FILENO, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* --- the loop --------------------------------------------------------------------- */

/* Single mode: has the traced namespace ended (ip netns del, the pod's last
 * process gone)? Then it is let go, and the run ends. */
static bool single_gone(struct trace *tr)
{
	struct tracer *t = tr->nr_tracers ? tr->tracers[0] : NULL;

	if (!t || t->state == NS_GONE || !t->ns || netns__is_home(t->ns))
		return false;
	if (ns_alive(t->ns_dev, t->ns_ino, t->path, "/proc", "/run/netns"))
		return false;
	warn("%s is gone (no process and no /run/netns file holds it any more); detaching\n",
	     t->where);
	tr->gone_why = "gone";
	return true;
}

static void loop(struct trace *tr)
{
	const struct config *cfg = tr->cfg;
	uint64_t now = now_ns(CLOCK_MONOTONIC), deadline = 0;
	uint64_t next_export = now + (uint64_t)(cfg->interval * 1e9);
	uint64_t next_rescan = now + RESCAN_MS * 1000000ULL;
	uint64_t next_discover = now + DISCOVER_MS * 1000000ULL;
	uint64_t next_sweep = 0;
	int i;

	if (cfg->duration > 0)
		deadline = now + (uint64_t)(cfg->duration * 1e9);
	while (!stop_signal) {
		struct epoll_event evs[16];
		uint64_t next = next_export < next_rescan ? next_export : next_rescan;
		int n, k, timeout;

		if (deadline && deadline < next)
			next = deadline;
		now = now_ns(CLOCK_MONOTONIC);
		timeout = next > now ? (int)((next - now + 999999) / 1000000) : 0;
		/* The programs wake us only every so many events (a wakeup per
		 * event would cost the datapath microseconds): drain on a tick. */
		if (timeout > DRAIN_MS)
			timeout = DRAIN_MS;
		n = epoll_wait(tr->ep, evs, 16, timeout);
		if (n < 0 && errno != EINTR) {
			warn("epoll: %s\n", strerror(errno));
			break;
		}
		for (k = 0; k < n; k++) {
			uint64_t src = evs[k].data.u64;

			if (SRC_KIND(src) == SRC_KEYS && top__keys(tr->top, tr->env.flows))
				stop_signal = SIGTERM; /* q: as on SIGTERM */
			if (SRC_KIND(src) == SRC_HTTP)
				http_server__run(tr->http, now_ns(CLOCK_MONOTONIC) / 1000000);
			if (SRC_KIND(src) == SRC_STDOUT)
				tr->out.err = -EPIPE; /* its reader closed: no write will do */
			if (SRC_KIND(src) == SRC_TRACER) {
				struct tracer *t = tracer_by_id(tr, (uint32_t)src);

				if (t)
					tracer__on_monitor(t);
			}
		}
		drain(tr, false);
		/* deadlines of slow clients, answers that wait for room */
		if (tr->http)
			http_server__run(tr->http, now_ns(CLOCK_MONOTONIC) / 1000000);
		if (out_flush(&tr->out) == -EPIPE) {
			warn("stdout's reader is gone; detaching\n");
			break;
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline)
			break;
		if (now >= next_rescan) {
			/* link events may be lost (or unavailable): look anyway */
			for (i = 0; i < tr->nr_tracers; i++)
				if (tr->tracers[i]->state == NS_TRACING)
					tracer__rescan(tr->tracers[i]);
			next_rescan = now + RESCAN_MS * 1000000ULL;
		}
		if (now >= next_discover) {
			if (tr->node_mode)
				discover(tr);
			else if (single_gone(tr))
				break;
			next_discover = now + DISCOVER_MS * 1000000ULL;
		}
		if (now >= next_export) {
			/* Per-flow counts cost a walk of the kernel's whole flow
			 * table: at most 5% of the time on it (totals are exact
			 * without it, from the counters) */
			if (now >= next_sweep) {
				sweep(tr);
				next_sweep = now + 20 * (now_ns(CLOCK_MONOTONIC) - now);
			} else {
				drain(tr, false);
			}
			publish(tr);
			next_export = now + (uint64_t)(cfg->interval * 1e9);
		} else if (tr->top && top_resize_pending()) {
			top__redraw(tr->top, tr->env.flows);
		}
	}
}

int cmd_trace(struct config *cfg)
{
	struct trace *tr = calloc(1, sizeof(*tr));
	struct loader_opts lo = { 0 };
	char err[512];
	int i, ret = EXIT_USAGE, nready = 0, started = 0;

	if (!tr)
		return EXIT_USAGE;
	tr->cfg = cfg;
	tr->ep = -1;
	tr->env.cfg = cfg;
	if (cfg->top && !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tunleak: --top needs a terminal on stdout (use the event stream or --json)\n");
		goto out;
	}
	if (caps_check(NEED_NET_ADMIN | NEED_BPF | (cfg->netns || cfg->pid ? NEED_SETNS : 0), err,
		       sizeof(err))) {
		fprintf(stderr, "tunleak: %s\n", err);
		goto out;
	}
	/* libbpf's own messages (verifier log, netlink errors) only with -v */
	libbpf_set_print(cfg->verbose ? libbpf_print : NULL);
	/* A traced namespace holds a dozen fds (programs, links, sockets, its
	 * handle): take what the hard limit allows */
	{
		struct rlimit rl;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}

	tr->env.flows = flows__new(2UL * cfg->max_flows > USER_FLOWS_MIN ? 2UL * cfg->max_flows :
									    USER_FLOWS_MIN);
	if (!tr->env.flows)
		goto out;
	tr->started_ns = now_ns(CLOCK_REALTIME);
	tr->mono_to_real = (int64_t)tr->started_ns - (int64_t)now_ns(CLOCK_MONOTONIC);
	tr->out.f = stdout;
	tr->out.json = cfg->json;
	tr->out.batch = true; /* flushed after each batch read from the ring */
	jw_init(&tr->out.jw, false);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);

	/* Create the shared maps and fill the address classes */
	lo.cidrs = cfg->cidrs;
	lo.nr_cidrs = cfg->nr_cidrs;
	lo.max_flows = cfg->max_flows;
	if (cfg->pcap_path) {
		lo.pcap_packets = cfg->pcap_packets;
		lo.pcap_snaplen = cfg->snaplen;
	}
	tr->env.dp = datapath__new(&lo);
	if (!tr->env.dp) {
		fprintf(stderr, "tunleak: cannot load the BPF maps: %s%s\n", strerror(errno),
			cfg->verbose ? "" : " (run with -v for libbpf's log)");
		goto out;
	}
	if (open_outputs(tr))
		goto out;
	/* A bad or busy --metrics-addr is found before anything is attached */
	if (cfg->metrics_addr) {
		tr->http = http_server__new(cfg->metrics_addr, err, sizeof(err));
		if (!tr->http) {
			fprintf(stderr, "tunleak: --metrics-addr %s\n", err);
			goto out;
		}
	}

	/* Signal handlers before the first attach: a Ctrl-C from here on still
	 * goes through the detach below. */
	install_signals();
	tr->ep = epoll_create1(EPOLL_CLOEXEC);
	if (tr->ep < 0) {
		fprintf(stderr, "tunleak: epoll: %s\n", strerror(errno));
		goto out;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = SRC_RING };

		epoll_ctl(tr->ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(tr->rb), &ev);
		if (tr->http) {
			ev.data.u64 = SRC_HTTP;
			epoll_ctl(tr->ep, EPOLL_CTL_ADD, http_server__fd(tr->http), &ev);
		}
		/* A pipe's reader that goes away (| head -1) is seen at once
		 * (EPOLLERR), not at the next event, which may never come. */
		if (stdout_is_pipe()) {
			ev.events = 0;
			ev.data.u64 = SRC_STDOUT;
			epoll_ctl(tr->ep, EPOLL_CTL_ADD, STDOUT_FILENO, &ev);
		}
	}

	started = 1;
	tr->env.on_monitor = on_tracer_monitor;
	tr->env.take_probe = take_probe;
	tr->env.ctx = tr;
	if (cfg->all ? start_node(tr, err, sizeof(err)) : start_single(tr, err, sizeof(err))) {
		fprintf(stderr, "tunleak: %s\n", err);
		goto out;
	}
	for (i = 0; i < tr->nr_tracers && !tr->node_mode; i++) {
		const struct tracer *t = tr->tracers[i];
		int j;

		for (j = 0; j < t->nr_ifaces; j++) {
			if (t->ifaces[j].ifindex)
				nready++;
			else if (t->ifaces[j].named)
				warn("waiting for %s\n", t->ifaces[j].name);
		}
		if (!cfg->nr_tunnels && !t->nr_ifaces)
			continue;
		if (!cfg->nr_tunnels) {
			bool tun = false;

			for (j = 0; j < t->nr_ifaces; j++)
				tun |= t->ifaces[j].role == TL_ROLE_TUNNEL;
			if (!tun)
				warn("waiting for a tunnel interface (tun, tap, wireguard, ovpn, ipip, gre, sit, ip6tnl, vti, xfrm)\n");
		}
	}
	if (!tr->node_mode)
		warn("tracing %d interface%s in %s (%s); Ctrl-C to stop\n", nready,
		     nready == 1 ? "" : "s", tr->where, kind_name(tr->env.kind));
	if (tr->http) {
		build_snapshot(tr, &tr->snap);
		serve_snapshot(tr);
		warn("serving GET /metrics on %s\n", http_server__addr(tr->http));
	}
	if (cfg->top) {
		struct sigaction wa = { .sa_handler = on_winch };

		sigaction(SIGWINCH, &wa, NULL);
		tr->top = top__new(tr->where, kind_name(tr->env.kind), tr->node_mode);
		if (tr->top && top__key_fd(tr->top) >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = SRC_KEYS };

			epoll_ctl(tr->ep, EPOLL_CTL_ADD, top__key_fd(tr->top), &ev);
		}
		if (tr->top)
			publish(tr);
	}
	loop(tr);
	ret = 0;

out:
	top__free(tr->top);
	tr->top = NULL;
	/* Detach everything first, so the final counts are final */
	detach_all(tr);
	if (tr->env.dp && tr->rb) {
		drain(tr, true);
		sweep(tr);
		if (publish(tr) && !ret)
			ret = EXIT_USAGE;
		if (started && (nready || ret == 0))
			summary(tr);
	}
	for (i = 0; i < tr->nr_tracers; i++)
		tracer__free(tr->tracers[i]);
	free(tr->tracers);
	node__free(tr->node);
	if (tr->ep >= 0)
		close(tr->ep);
	ring_buffer__free(tr->rb);
	datapath__free(tr->env.dp);
	flows__free(tr->env.flows);
	pcap__close(tr->pcap);
	http_server__free(tr->http);
	snapshot_free(&tr->snap);
	out_free(&tr->out);
	free(tr);
	return ret;
}
