// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "model/links.h"
#include "config/cli.h"
#include "netns/netns.h"
#include "netns/nl.h"
#include "node/node.h"
#include "out/export.h"
#include "trace/fleet.h"
#include "trace/tracer.h"

struct fleet {
	struct tracer_env *env;
	struct node *node; /* NULL: a single namespace */
	struct tracer **tracers;
	int *watched; /* the monitor fd in the poll set, per tracer; -1: none */
	int nr, cap;
	uint32_t next_id;
	int ep;		      /* the link monitors */
	uint64_t scan_cpu_ns; /* CPU time of the last look at the node */
	/* ended namespaces dropped from the list: their counts, folded */
	struct totals folded;
	uint64_t nr_folded;
	/* said so far: processes not readable, metadata files not indexed */
	int said_unreadable, said_meta_skipped;
	int fds_per_ns; /* what tracing one namespace took, as measured */
};

/* fds a traced namespace takes until one is measured */
#define FDS_PER_NS_GUESS 12

static bool stopping(const struct fleet *f)
{
	return f->env->stop && *f->env->stop;
}

struct fleet *fleet__new(struct tracer_env *env, struct node *node)
{
	struct fleet *f = calloc(1, sizeof(*f));

	if (!f) {
		node__free(node);
		return NULL;
	}
	f->env = env;
	f->node = node;
	f->fds_per_ns = FDS_PER_NS_GUESS;
	f->ep = epoll_create1(EPOLL_CLOEXEC);
	if (f->ep < 0) {
		fleet__free(f);
		return NULL;
	}
	return f;
}

void fleet__free(struct fleet *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < f->nr; i++)
		tracer__free(f->tracers[i]);
	free(f->tracers);
	free(f->watched);
	node__free(f->node);
	if (f->ep >= 0)
		close(f->ep);
	free(f);
}

/* A tracer whose link monitor is open is in the poll set (once). */
static void watch(struct fleet *f, int i)
{
	int fd = tracer__monitor_fd(f->tracers[i]);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tracer__id(f->tracers[i])};

	/* untraced, its monitor closed (and out of the set): a new one, even
	 * under the same fd number, is added again */
	if (fd < 0)
		f->watched[i] = -1;
	if (fd < 0 || fd == f->watched[i])
		return;
	if (!epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev))
		f->watched[i] = fd;
}

static int add(struct fleet *f, struct tracer *t)
{
	int cap = f->cap;

	if (vec_room(&f->tracers, &f->cap, f->nr, sizeof(*f->tracers), 8) ||
	    vec_room(&f->watched, &cap, f->nr, sizeof(*f->watched), 8))
		return -ENOMEM;
	f->tracers[f->nr] = t;
	f->watched[f->nr] = -1;
	return f->nr++;
}

/* Drop a tracer from the list (its monitor leaves the poll set as its fd closes). */
static void drop(struct fleet *f, int i)
{
	tracer__free(f->tracers[i]);
	memmove(&f->tracers[i], &f->tracers[i + 1], (f->nr - i - 1) * sizeof(f->tracers[0]));
	memmove(&f->watched[i], &f->watched[i + 1], (f->nr - i - 1) * sizeof(f->watched[0]));
	f->nr--;
}

int fleet__count(const struct fleet *f)
{
	return f->nr;
}

struct tracer *fleet__get(const struct fleet *f, int i)
{
	return i >= 0 && i < f->nr ? f->tracers[i] : NULL;
}

struct tracer *fleet__by_id(const struct fleet *f, uint32_t id)
{
	int i;

	for (i = 0; i < f->nr; i++)
		if (tracer__id(f->tracers[i]) == id)
			return f->tracers[i];
	return NULL;
}

void fleet__counts(const struct fleet *f, int *traced, int *ifaces)
{
	int i;

	*traced = *ifaces = 0;
	for (i = 0; i < f->nr; i++) {
		if (tracer__state(f->tracers[i]) != NS_TRACING)
			continue;
		(*traced)++;
		*ifaces += tracer__nr_attached(f->tracers[i]);
	}
}

int fleet__start_single(struct fleet *f, struct netns *ns, const char *path,
			const struct tracer_name *name, char *err, size_t errlen)
{
	struct tracer *t = tracer__new(f->env, ns, path, ++f->next_id, true);
	int i, ret;

	if (!t) {
		snprintf(err, errlen, "cannot open netlink in %s: %s", name->where,
			 strerror(errno));
		return -errno;
	}
	tracer__set_name(t, name);
	i = add(f, t);
	if (i < 0) {
		tracer__free(t);
		return i;
	}
	if (stopping(f))
		return 0;
	ret = tracer__start(t, err, errlen);
	watch(f, i);
	return ret;
}

void fleet__watch_routes(struct fleet *f, uint64_t now)
{
	int i;

	for (i = 0; i < f->nr; i++)
		tracer__watch_routes(f->tracers[i], now);
}

uint64_t fleet__routes_due(const struct fleet *f)
{
	uint64_t due = 0, d;
	int i;

	for (i = 0; i < f->nr; i++) {
		d = tracer__routes_due(f->tracers[i]);
		if (d && (!due || d < due))
			due = d;
	}
	return due;
}

bool fleet__single_ended(struct fleet *f)
{
	return f->nr && tracer__ns_ended(f->tracers[0]);
}

int fleet__fd(const struct fleet *f)
{
	return f->ep;
}

void fleet__dispatch(struct fleet *f)
{
	struct epoll_event evs[32];
	bool began = false;
	int n, k;

	n = epoll_wait(f->ep, evs, 32, 0);
	tracer_env__batch_begin(f->env);
	for (k = 0; k < n; k++) {
		struct tracer *t = fleet__by_id(f, evs[k].data.u32);
		enum ns_state was = t ? tracer__state(t) : NS_GONE;
		int i;

		if (!t)
			continue;
		tracer__on_monitor(t);
		/* an untraced one tried again has a new monitor to watch */
		for (i = 0; i < f->nr; i++)
			if (f->tracers[i] == t)
				watch(f, i);
		/* a pod's tunnel came: its runtime metadata is there by now,
		 * and its events should name it so, not by its hostname */
		began |= was == NS_WATCHING && tracer__state(t) == NS_TRACING;
	}
	tracer_env__batch_end(f->env);
	if (began && f->node)
		fleet__reconcile(f);
}

void fleet__rescan(struct fleet *f)
{
	int i;

	/* only those without link events: the others hear of every change
	 * (a lost event too: the monitor then reports everything changed) */
	tracer_env__batch_begin(f->env);
	for (i = 0; i < f->nr; i++) {
		if (tracer__state(f->tracers[i]) != NS_TRACING || !tracer__polled(f->tracers[i]))
			continue;
		tracer__rescan(f->tracers[i]);
		watch(f, i);
	}
	tracer_env__batch_end(f->env);
}

/* Every attachment of the tracers for which want(t) holds detached at once
 * (each tcx link's close waits for an RCU grace period: in parallel they
 * share them). */
static void detach_where(struct fleet *f, bool (*want)(const struct tracer *t, void *arg),
			 void *arg)
{
	struct attachment **list;
	int i, n = 0, max = f->nr * TRACER_MAX_IFACES;

	list = calloc(max ? max : 1, sizeof(*list));
	if (!list)
		return;
	for (i = 0; i < f->nr; i++)
		if (want(f->tracers[i], arg))
			n += tracer__attachments(f->tracers[i], list + n, max - n);
	detach_many(list, n, false);
	free(list);
}

static bool every(const struct tracer *t, void *arg)
{
	(void)t;
	(void)arg;
	return true;
}

void fleet__detach_all(struct fleet *f)
{
	int i;

	detach_where(f, every, NULL);
	for (i = 0; i < f->nr; i++)
		tracer__stop(f->tracers[i], false);
}

/* --- node mode ------------------------------------------------------------------ */

/* A name may come later than the namespace (the hostname set after unshare,
 * the runtime's config.json written after the namespace was pinned), but a
 * name never gets less: a pod that ends may lose its metadata a moment
 * before its namespace goes. */
static bool renamed(const struct fleet_known *k, const struct node_ns *x)
{
	/* untraced: nothing holds it, so its inode may be another's now: the
	 * name as it is found */
	if (k->state == NS_UNTRACED)
		return strcmp(k->pod, x->pod) || strcmp(k->k8s_ns, x->k8s_ns) ||
		       k->source != x->source;
	return (x->pod[0] && strcmp(k->pod, x->pod)) ||
	       (x->k8s_ns[0] && strcmp(k->k8s_ns, x->k8s_ns)) ||
	       (x->pod[0] && x->source > k->source);
}

static int find_known(const struct fleet_known *known, int nk, const struct node_ns *x)
{
	int i;

	for (i = 0; i < nk; i++)
		if (known[i].state != NS_GONE && known[i].dev == x->f.dev &&
		    known[i].ino == x->f.ino)
			return i;
	return -1;
}

static bool found_in(const struct node_ns *found, int nf, const struct fleet_known *k)
{
	int i;

	for (i = 0; i < nf; i++)
		if (found[i].f.dev == k->dev && found[i].f.ino == k->ino)
			return true;
	return false;
}

int fleet_plan(const struct fleet_known *known, int nk, const struct node_ns *found, int nf,
	       int gone_kept, struct fleet_step *out)
{
	bool *drop = calloc(nk ? nk : 1, sizeof(*drop)), *gone = calloc(nk ? nk : 1, sizeof(*gone));
	int i, k, n = 0, nr_gone = 0;

	if (!drop || !gone) {
		free(drop);
		free(gone);
		return -ENOMEM;
	}
	for (i = 0; i < nf; i++) {
		k = find_known(known, nk, &found[i]);
		if (k < 0) {
			out[n++] = (struct fleet_step){FLEET_NEW, -1, i};
			continue;
		}
		if (renamed(&known[k], &found[i]))
			out[n++] = (struct fleet_step){FLEET_RENAME, k, i};
		if (known[k].state == NS_WATCHING)
			out[n++] = (struct fleet_step){FLEET_RESCAN, k, i};
		else if (known[k].state == NS_UNTRACED)
			out[n++] = (struct fleet_step){FLEET_RETRY, k, i};
	}
	/* namespaces no process and no /run/netns file holds any more: a
	 * traced one ends (its counts are kept), a watched one is forgotten */
	for (k = 0; k < nk; k++) {
		gone[k] = known[k].state == NS_GONE;
		if (gone[k] || found_in(found, nf, &known[k]))
			continue;
		if (known[k].state == NS_TRACING) {
			out[n++] = (struct fleet_step){FLEET_END, k, -1};
			gone[k] = true;
		} else {
			drop[k] = true;
		}
	}
	/* too many ended ones: the oldest (first in the list) go */
	for (k = 0; k < nk; k++)
		nr_gone += gone[k];
	for (k = 0; k < nk && nr_gone > gone_kept; k++) {
		if (gone[k]) {
			drop[k] = true;
			nr_gone--;
		}
	}
	/* highest index first, so that each index still holds */
	for (k = nk - 1; k >= 0; k--)
		if (drop[k])
			out[n++] = (struct fleet_step){FLEET_DROP, k, -1};
	free(drop);
	free(gone);
	return n;
}

static void name_of(const struct node_ns *x, struct tracer_name *name)
{
	name->label = x->label;
	name->pod = x->pod;
	name->k8s_ns = x->k8s_ns;
	name->where = x->where;
	name->source = x->source;
}

/* A namespace found that cannot be looked into: untraced, said, counted,
 * tried again later. */
static struct tracer *untraced(struct fleet *f, const struct node_ns *x, int err, const char *what)
{
	struct tracer_name name;

	name_of(x, &name);
	return tracer__new_untraced(f->env, x->f.dev, x->f.ino, x->f.path, ++f->next_id, &name, err,
				    what);
}

/* Room for one more namespace, FLEET_FD_RESERVE kept for the outputs. */
static bool room_for_one(const struct fleet *f)
{
	return tracer_fds_free() >= f->fds_per_ns + FLEET_FD_RESERVE;
}

static void follow_new(struct fleet *f, const struct node_ns *x)
{
	struct tracer_name name;
	struct netns *ns = NULL;
	struct tracer *t;
	char err[256];
	int i, used, before = tracer_fds_free();

	/* Out of fds, the counters file, /metrics and the pcap file would
	 * fail with the namespaces: a namespace too many is not traced */
	if (before < f->fds_per_ns + FLEET_FD_RESERVE) {
		t = untraced(f, x, EMFILE, "too few file descriptors left to trace it");
		if (t && add(f, t) < 0)
			tracer__free(t);
		return;
	}
	ns = netns__open_found(x->f.path, x->f.dev, x->f.ino);
	if (!ns && (errno == ENOENT || errno == ESTALE))
		return; /* its last process has just ended */
	if (!ns)
		t = untraced(f, x, errno, "cannot open its network namespace");
	else if (!(t = tracer__new(f->env, ns, x->f.path, ++f->next_id, false)))
		t = untraced(f, x, errno ? errno : ENOMEM, "cannot open netlink in it");
	if (!t)
		return;
	name_of(x, &name);
	tracer__set_name(t, &name);
	i = add(f, t);
	if (i < 0) {
		tracer__free(t);
		return;
	}
	if (tracer__start(t, err, sizeof(err)))
		warn("%s\n", err);
	watch(f, i);
	/* what it took: the measure for the next ones */
	used = before - tracer_fds_free();
	if (tracer__state(t) == NS_TRACING && used > 0)
		f->fds_per_ns = f->fds_per_ns == FDS_PER_NS_GUESS || used > f->fds_per_ns
				    ? used
				    : f->fds_per_ns;
}

static void retry_all_soon(struct fleet *f)
{
	int i;

	for (i = 0; i < f->nr; i++)
		if (tracer__state(f->tracers[i]) == NS_UNTRACED)
			tracer__retry_soon(f->tracers[i]);
}

/* An ended namespace leaves the list: its counts stay in the run's totals. */
static void fold(struct fleet *f, const struct tracer *t)
{
	struct ns_snap *n = calloc(1, sizeof(*n));
	struct totals tt;

	if (!n)
		return;
	tracer__snap(t, NULL, n);
	ns_totals(n, &tt);
	totals_add(&f->folded, &tt);
	f->nr_folded++;
	free(n);
}

static void take_step(struct fleet *f, const struct fleet_step *s, const struct node_ns *found)
{
	struct tracer *t = s->known >= 0 ? f->tracers[s->known] : NULL;
	struct tracer_name name;

	switch (s->kind) {
	case FLEET_NEW:
		follow_new(f, &found[s->found]);
		break;
	case FLEET_RENAME:
		tracer__name(t, &name);
		if (tracer__state(t) == NS_TRACING)
			warn("%s is %s\n", name.where, found[s->found].where);
		name_of(&found[s->found], &name);
		tracer__set_name(t, &name);
		break;
	case FLEET_RESCAN:
		/* a watched namespace with link events says when a tunnel comes */
		if (tracer__polled(t)) {
			tracer__rescan(t);
			watch(f, s->known);
		}
		break;
	case FLEET_RETRY:
		/* still short of fds: not even tried (nothing new to say) */
		if (tracer__untraced(t, NULL) == EMFILE && !room_for_one(f))
			break;
		if (tracer__retry(t, found[s->found].f.path, clock_ns(CLOCK_MONOTONIC) / 1000000) ==
		    0)
			watch(f, s->known);
		break;
	case FLEET_END:
		tracer__stop(t, true);
		tracer__name(t, &name);
		warn("%s: its network namespace is gone (the pod ended); detached\n", name.where);
		retry_all_soon(f); /* its fds are free: those that lacked them may go now */
		break;
	case FLEET_DROP:
		if (tracer__state(t) == NS_GONE)
			fold(f, t);
		drop(f, s->known);
		break;
	}
}

/* What the look at the node could not see: processes whose namespace
 * cannot be read (their pods are not seen), metadata files not indexed.
 * Said when first seen and when more than said before. */
static void say_unseen(struct fleet *f)
{
	int unreadable = node__unreadable(f->node), skipped = 0,
	    files = node__meta_files(f->node, &skipped);
	char err[256];

	if (unreadable > f->said_unreadable) {
		if (caps_check(NEED_PTRACE, err, sizeof(err)))
			warn("%d of %d processes: their network namespace cannot be read (%s); "
			     "pods of theirs are not seen\n",
			     unreadable, node__processes(f->node), err);
		else
			warn("%d of %d processes: their network namespace cannot be read, even "
			     "with CAP_SYS_PTRACE (another user namespace, or a security module); "
			     "pods of theirs are not seen\n",
			     unreadable, node__processes(f->node));
		f->said_unreadable = unreadable;
	}
	if (skipped > f->said_meta_skipped) {
		warn("runtime metadata: %d of %d config.json files not indexed (at most %d): pods "
		     "of theirs are named by hostname\n",
		     skipped, files, POD_INDEX_MAX);
		f->said_meta_skipped = skipped;
	}
}

struct ending {
	const struct fleet *f;
	const struct fleet_step *steps;
	int n;
};

/* Whether t is the tracer of one of the END steps. */
static bool ending(const struct tracer *t, void *arg)
{
	const struct ending *e = arg;
	int i;

	for (i = 0; i < e->n; i++)
		if (e->steps[i].kind == FLEET_END && e->f->tracers[e->steps[i].known] == t)
			return true;
	return false;
}

void fleet__reconcile(struct fleet *f)
{
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	struct fleet_known *known;
	struct node_ns *found;
	struct fleet_step *steps;
	int i, nk = f->nr, nf, n, ended = 0;

	if (!f->node || node__scan(f->node))
		return;
	/* what one look at the node costs (the counters file shows it) */
	f->scan_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	say_unseen(f);
	nf = node__count(f->node);
	known = calloc(nk ? nk : 1, sizeof(*known));
	found = calloc(nf ? nf : 1, sizeof(*found));
	steps = calloc(nf + 3 * nk + 1, sizeof(*steps));
	if (!known || !found || !steps)
		goto out;
	for (i = 0; i < nk; i++) {
		struct tracer_name name;

		tracer__ns_id(f->tracers[i], &known[i].dev, &known[i].ino);
		known[i].state = tracer__state(f->tracers[i]);
		tracer__name(f->tracers[i], &name);
		known[i].pod = name.pod;
		known[i].k8s_ns = name.k8s_ns;
		known[i].source = name.source;
	}
	for (i = 0; i < nf; i++)
		found[i] = *node__get(f->node, i);
	n = fleet_plan(known, nk, found, nf, FLEET_GONE_KEPT, steps);
	/* NEW, RENAME and RESCAN come first: their attaches are made at once */
	tracer_env__batch_begin(f->env);
	for (i = 0; i < n && steps[i].kind != FLEET_END && steps[i].kind != FLEET_DROP; i++)
		if (!(stopping(f) && steps[i].kind == FLEET_NEW))
			take_step(f, &steps[i], found);
	tracer_env__batch_end(f->env);
	/* the ended namespaces' links closed at once too */
	detach_where(f, ending, &(struct ending){f, steps + i, n - i});
	for (; i < n; i++) {
		take_step(f, &steps[i], found);
		ended += steps[i].kind == FLEET_END;
	}
	/* slots given back: interfaces that found none may have one now */
	for (i = 0; ended && i < f->nr; i++)
		if (tracer__nr_not_counted(f->tracers[i]))
			tracer__rescan(f->tracers[i]);
out:
	free(known);
	free(found);
	free(steps);
}

/* Whether a namespace of the node has a tunnel now. */
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

/* The namespaces with a tunnel after the first reconcile: the traced ones,
 * and the untraced ones that show one (looked at alone: they are few). */
static int with_tunnel_now(const struct fleet *f)
{
	int i, j, n = 0, nf = node__count(f->node);
	uint64_t dev, ino;

	for (i = 0; i < f->nr; i++) {
		if (tracer__state(f->tracers[i]) == NS_TRACING) {
			n++;
			continue;
		}
		if (tracer__state(f->tracers[i]) != NS_UNTRACED)
			continue;
		tracer__ns_id(f->tracers[i], &dev, &ino);
		for (j = 0; j < nf; j++) {
			const struct node_ns *x = node__get(f->node, j);

			if (x->f.dev == dev && x->f.ino == ino) {
				n += has_tunnel_now(f->env->cfg, x);
				break;
			}
		}
	}
	return n;
}

int fleet__start_node(struct fleet *f, int *with_tunnel, char *err, size_t errlen)
{
	uint64_t states[NS_NR_STATES];
	int want;

	if (!f->node) {
		snprintf(err, errlen, "--all: no node to look at");
		return -EINVAL;
	}
	/* The programs are loaded once (the datapath's): a namespace costs
	 * its attachments only */
	fleet__reconcile(f);
	*with_tunnel = want = with_tunnel_now(f);
	fleet__states(f, states);
	if (want && !states[NS_TRACING] && states[NS_UNTRACED]) {
		snprintf(err, errlen,
			 "--all: %d network namespace%s with a tunnel, and none could be traced "
			 "(each said why above)",
			 want, want == 1 ? "" : "s");
		return -ENOENT;
	}
	return 0;
}

void fleet__states(const struct fleet *f, uint64_t *out)
{
	int i;

	memset(out, 0, NS_NR_STATES * sizeof(*out));
	for (i = 0; i < f->nr; i++)
		out[tracer__state(f->tracers[i])]++;
}

uint64_t fleet__folded(const struct fleet *f, struct totals *t)
{
	*t = f->folded;
	return f->nr_folded;
}

bool fleet__node_stats(const struct fleet *f, struct fleet_node_stats *out)
{
	int skipped = 0;

	if (!f->node)
		return false;
	out->seen = node__count(f->node);
	out->unreadable = node__unreadable(f->node);
	out->processes = node__processes(f->node);
	out->scan_cpu_ns = f->scan_cpu_ns;
	out->meta_files = node__meta_files(f->node, &skipped);
	out->meta_skipped = skipped;
	return true;
}
