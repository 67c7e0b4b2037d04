// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/resource.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "model/audit.h"
#include "model/flows.h"
#include "config/cli.h"
#include "netns/netns.h"
#include "netns/nl.h"
#include "netns/route.h"
#include "node/discover.h"
#include "datapath/loader.h"
#include "out/export.h"
#include "out/output.h"
#include "trace/routewatch.h"
#include "trace/fleet.h"
#include "trace/tracer.h"

struct tracer_iface {
	char name[16];
	enum tl_role role;
	bool named;	  /* given by --iface or --tunnel; else found by its link kind */
	int slot;	  /* -1: none (all slots taken) */
	uint32_t ifindex; /* 0: not attached */
	bool l2;
	bool pending; /* its attach is queued in the batch */
	enum iface_state state;
	uint32_t said; /* hash of the last attach failure said; 0: none */
	struct attachment att;
	/* counters kept when the tracer has ended and given back its slots */
	struct tl_counter last[2][TL_NR_COUNTERS];
};

struct tracer {
	uint32_t id; /* stable for the run; flow records carry it */
	struct tracer_env *env;
	struct netns *ns;	 /* NULL once gone */
	uint64_t ns_dev, ns_ino; /* its identity, kept after it is gone */
	char path[128];		 /* the nsfs path it was found at */
	char label[64];		 /* the pod's name, else the /run/netns name, else pid:N */
	char pod[64];		 /* "" when unknown */
	char k8s_ns[64];	 /* the pod's Kubernetes namespace, "" when unknown */
	char where[192];	 /* for messages */
	bool single; /* the one namespace of this run: its cluster interfaces must exist */
	enum ns_state state;
	enum name_source source;
	/* untraced: why (said once per reason), and when to try again */
	char why[200];
	int why_errno;
	uint64_t retry_at_ms, backoff_ms;
	struct probe *probe; /* loaded when it is first traced */
	struct nl *nl;
	struct nl_monitor *mon;
	struct route_cache *rc;
	struct route_watch *rw; /* its routes audited as they change */
	bool links_seen;	/* its interfaces looked at once: a tunnel after that is new */
	int nr_ifaces;
	struct tracer_iface ifaces[TRACER_MAX_IFACES];
	const struct class_cidr *fixed[TRACER_MAX_FIXED]; /* CIDRs whose fix was shown */
	int nr_fixed;
	uint64_t leak_flows, bypass_flows; /* first seen here */
	int extra_slots;		   /* slots held by tunnels beyond the first (node mode) */
	bool warned_slots;		   /* an interface found no slot: said once */
	bool warned_extra;		   /* more than TRACER_EXTRA_TUNNELS: said once */
	bool warned_ifaces;		   /* more tunnels than TRACER_MAX_IFACES: said once */
	bool swept;			   /* a killed run's filters looked for (node mode, once) */
};

/* --- slots ------------------------------------------------------------------ */

int slot_table_take(struct slot_table *st, struct tracer *owner, int iface, bool extra, int keep,
		    bool *reused)
{
	int nr = st->nr < TL_MAX_SLOTS ? st->nr : TL_MAX_SLOTS, i, best = -1;

	*reused = false;
	if (st->used >= nr || (extra && nr - st->used - 1 < keep))
		return -ENOSPC;
	for (i = 0; i < nr; i++) {
		if (st->owner[i])
			continue;
		if (!st->freed_at[i]) {
			best = i;
			break;
		}
		if (best < 0 || st->freed_at[i] < st->freed_at[best])
			best = i;
	}
	if (best < 0)
		return -ENOSPC;
	*reused = st->freed_at[best] != 0;
	st->owner[best] = owner;
	st->iface[best] = iface;
	st->used++;
	return best;
}

void slot_table_give(struct slot_table *st, int slot)
{
	if (slot < 0 || slot >= TL_MAX_SLOTS || !st->owner[slot])
		return;
	st->owner[slot] = NULL;
	st->freed_at[slot] = ++st->clock;
	st->used--;
}

/* --- the tracer --------------------------------------------------------------- */

/* Whether e would be one of t's extra tunnels: node mode, a tunnel, and
 * another tunnel of t has a slot (the first tunnel is never an extra). */
static bool is_extra(const struct tracer *t, const struct tracer_iface *e)
{
	int i;

	if (t->single || e->role != TL_ROLE_TUNNEL)
		return false;
	for (i = 0; i < t->nr_ifaces; i++)
		if (&t->ifaces[i] != e && t->ifaces[i].role == TL_ROLE_TUNNEL &&
		    t->ifaces[i].slot >= 0)
			return true;
	return false;
}

/*
 * A slot for interface i (e). A namespace's cluster interfaces and its
 * first tunnel take any free slot; its further tunnels at most
 * TRACER_EXTRA_TUNNELS, and never the last SLOTS_KEPT_FOR_PODS free ones,
 * so that one pod's tunnels cannot starve another pod. -ENOSPC, said once
 * per namespace, when it gets none: the interface is "not counted".
 */
static int take_slot(struct tracer *t, struct tracer_iface *e, int i)
{
	struct slot_table *st = &t->env->slots;
	bool extra = is_extra(t, e), reused;

	if (extra && t->extra_slots >= TRACER_EXTRA_TUNNELS) {
		if (!t->warned_extra)
			warn("%s: %s: not counted: more than %d tunnels besides the first in one "
			     "namespace\n",
			     t->where, e->name, TRACER_EXTRA_TUNNELS);
		t->warned_extra = true;
		return -ENOSPC;
	}
	e->slot = slot_table_take(st, t, i, extra, SLOTS_KEPT_FOR_PODS, &reused);
	if (e->slot >= 0) {
		if (reused) {
			/* counts and flows of the namespace that had it end here */
			datapath__reset_slot(t->env->dp, e->slot);
			flows__purge_slot(t->env->flows, e->slot);
		}
		t->extra_slots += extra;
		return 0;
	}
	if (!t->warned_slots) {
		if (extra)
			warn("%s: %s: not counted: its tunnels beyond the first may not take the "
			     "last %d of the %d interface slots\n",
			     t->where, e->name, SLOTS_KEPT_FOR_PODS, st->nr);
		else
			warn("%s: %s: not counted: all %d interface slots are taken\n", t->where,
			     e->name, st->nr);
		t->warned_slots = true;
	}
	return -ENOSPC;
}

static int add_iface(struct tracer *t, const char *name, enum tl_role role, bool named)
{
	struct tracer_iface *e;
	int i = t->nr_ifaces;

	if (i >= TRACER_MAX_IFACES)
		return -ENOSPC;
	e = &t->ifaces[i];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->role = role;
	e->named = named;
	e->state = IFACE_WAITING;
	e->slot = -1;
	/* The one namespace of a run counts its named interfaces from the
	 * start. On a node, a slot is taken when an interface is attached:
	 * the namespaces without a tunnel (most of a node's) take none, or
	 * 256 of them would leave the VPN pods without a slot. */
	if (t->single)
		take_slot(t, e, i);
	t->nr_ifaces++;
	return i;
}

struct tracer *tracer__new(struct tracer_env *env, struct netns *ns, const char *path, uint32_t id,
			   bool single)
{
	const struct config *cfg = env->cfg;
	struct tracer *t;
	int i;

	t = calloc(1, sizeof(*t));
	if (!t) {
		netns__free(ns);
		return NULL;
	}
	t->id = id;
	t->env = env;
	t->ns = ns;
	t->ns_dev = netns__dev(ns);
	t->ns_ino = netns__ino(ns);
	t->single = single;
	t->state = NS_WATCHING;
	snprintf(t->path, sizeof(t->path), "%s", path ? path : "");
	snprintf(t->label, sizeof(t->label), "%s", path ? path : "");
	snprintf(t->where, sizeof(t->where), "%s", path ? path : "");
	t->nl = nl__open(ns);
	if (!t->nl)
		goto fail;
	t->rc = route_cache__new(t->nl);
	if (!t->rc)
		goto fail;
	t->rw = route_watch__new(cfg, env->events, env->mono_to_real);
	if (!t->rw)
		goto fail;
	/* Named interfaces have their slots (and counters) from the start */
	for (i = 0; i < cfg->nr_ifaces; i++)
		add_iface(t, cfg->ifaces[i], TL_ROLE_CLUSTER, true);
	for (i = 0; i < cfg->nr_tunnels; i++)
		add_iface(t, cfg->tunnels[i], TL_ROLE_TUNNEL, true);
	nl__release(t->nl); /* made again when it is used */
	return t;
fail:
	tracer__free(t);
	return NULL;
}

static void release(struct tracer *t)
{
	/* the monitor's socket may be what holds the namespace */
	if (t->ns && t->mon)
		netns__unhold(t->ns);
	nl_monitor__free(t->mon);
	t->mon = NULL;
	route_cache__free(t->rc);
	t->rc = NULL;
	nl__free(t->nl);
	t->nl = NULL;
	probe__free(t->probe);
	t->probe = NULL;
	netns__free(t->ns);
	t->ns = NULL;
}

/* Untraced, backing off, with every fd given back: why, said when it is new. */
static void set_untraced(struct tracer *t, int err, const char *what)
{
	char why[sizeof(t->why)], limit[64] = "";
	struct rlimit rl;

	/* the limit, where it is the reason: the operator's knob */
	if ((err == EMFILE || err == ENFILE) && !getrlimit(RLIMIT_NOFILE, &rl))
		snprintf(limit, sizeof(limit), " (open files limit %llu)",
			 (unsigned long long)rl.rlim_cur);
	snprintf(why, sizeof(why), "%s: %s%s", what, strerror(err), limit);
	if (strcmp(why, t->why))
		warn("%s: not traced: %s\n", t->where, why);
	memcpy(t->why, why, sizeof(why));
	t->why_errno = err;
	t->state = NS_UNTRACED;
	release(t);
}

struct tracer *tracer__new_untraced(struct tracer_env *env, uint64_t dev, uint64_t ino,
				    const char *path, uint32_t id, const struct tracer_name *name,
				    int err, const char *what)
{
	struct tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = id;
	t->env = env;
	t->ns_dev = dev;
	t->ns_ino = ino;
	snprintf(t->path, sizeof(t->path), "%s", path ? path : "");
	tracer__set_name(t, name);
	t->backoff_ms = TRACER_RETRY_MIN_MS;
	set_untraced(t, err, what);
	return t;
}

void tracer__set_name(struct tracer *t, const struct tracer_name *name)
{
	snprintf(t->label, sizeof(t->label), "%s", name->label ? name->label : "");
	snprintf(t->pod, sizeof(t->pod), "%s", name->pod ? name->pod : "");
	snprintf(t->k8s_ns, sizeof(t->k8s_ns), "%s", name->k8s_ns ? name->k8s_ns : "");
	snprintf(t->where, sizeof(t->where), "%s", name->where ? name->where : t->label);
	t->source = name->source;
}

void tracer__name(const struct tracer *t, struct tracer_name *out)
{
	out->label = t->label;
	out->pod = t->pod;
	out->k8s_ns = t->k8s_ns;
	out->where = t->where;
	out->source = t->source;
}

uint32_t tracer__id(const struct tracer *t)
{
	return t->id;
}

enum ns_state tracer__state(const struct tracer *t)
{
	return t->state;
}

bool tracer__is_ns(const struct tracer *t, uint64_t dev, uint64_t ino)
{
	return t->ns_dev == dev && t->ns_ino == ino;
}

void tracer__ns_id(const struct tracer *t, uint64_t *dev, uint64_t *ino)
{
	*dev = t->ns_dev;
	*ino = t->ns_ino;
}

int tracer__nr_attached(const struct tracer *t)
{
	int i, n = 0;

	for (i = 0; i < t->nr_ifaces; i++)
		n += t->ifaces[i].ifindex != 0;
	return n;
}

int tracer__nr_not_counted(const struct tracer *t)
{
	int i, n = 0;

	for (i = 0; i < t->nr_ifaces; i++)
		n += t->ifaces[i].state == IFACE_NOT_COUNTED;
	return n;
}

struct tracer *tracer_env__slot_owner(const struct tracer_env *env, int slot, const char **iface)
{
	struct tracer *t = slot >= 0 && slot < TL_MAX_SLOTS ? env->slots.owner[slot] : NULL;

	if (iface)
		*iface = t ? t->ifaces[env->slots.iface[slot]].name : "?";
	return t;
}

void tracer__count_flow(struct tracer *t, enum tl_type type)
{
	if (type == TL_TYPE_LEAK)
		t->leak_flows++;
	else
		t->bypass_flows++;
}

void tracer__free(struct tracer *t)
{
	int i;

	if (!t)
		return;
	route_watch__free(t->rw);
	for (i = 0; i < t->nr_ifaces; i++)
		if (t->ifaces[i].ifindex)
			detach_iface(&t->ifaces[i].att, false);
	for (i = 0; i < t->nr_ifaces; i++)
		if (t->ifaces[i].slot >= 0 && t->env->slots.owner[t->ifaces[i].slot] == t)
			slot_table_give(&t->env->slots, t->ifaces[i].slot);
	release(t);
	free(t);
}

static int find_iface(const struct tracer *t, const char *name)
{
	int i;

	for (i = 0; i < t->nr_ifaces; i++)
		if (!strcmp(t->ifaces[i].name, name))
			return i;
	return -1;
}

/* --- attaching, one or many at once ------------------------------------------------ */

/* The kernel's part of attaching interface iface of t: what a worker thread
 * may do (each call enters the namespace in its own thread). */
struct attach_job {
	struct tracer *t;
	int iface; /* -1: a sweep of interface l for a killed run's filters */
	struct link_info l;
	int ret;
	char err[256];
	struct stale_report r; /* a sweep's */
	bool came;	       /* the interface came while tunleak looked (links seen before) */
};

struct attach_batch {
	struct attach_job *jobs;
	int n, cap;
	int next; /* the next job a worker takes */
};

/* Our side first: a slot, and the map entry, so that the first attached
 * packet is counted. 0, -ENOSPC (no slot: not counted), or -errno with one
 * line in err. */
static int attach_begin(struct tracer *t, struct tracer_iface *e, const struct link_info *l,
			char *err, size_t errlen)
{
	int ret;

	if (e->slot < 0 && take_slot(t, e, (int)(e - t->ifaces))) {
		snprintf(err, errlen, "%s: %s: no interface slot left", t->where, e->name);
		e->state = IFACE_NOT_COUNTED;
		return -ENOSPC;
	}
	ret = probe__set_iface(t->probe, l->ifindex, e->slot, e->role, l->l2);
	if (ret)
		snprintf(err, errlen, "%s: cannot record interface: %s", e->name, strerror(-ret));
	return ret;
}

static void attach_kernel(struct attach_job *j)
{
	struct tracer *t = j->t;
	struct tracer_iface *e;
	int prog_fd[2];

	if (j->iface < 0) {
		j->ret = cleanup_stale(t->ns, j->l.ifindex, &j->r);
		return;
	}
	e = &t->ifaces[j->iface];
	prog_fd[0] = probe__prog_fd(t->probe, TL_DIR_INGRESS);
	prog_fd[1] = probe__prog_fd(t->probe, TL_DIR_EGRESS);

	/* Legacy filters of a killed run hold our handle: take it back (a
	 * live run's are not taken) */
	j->ret = attach_prepare(t->ns, j->l.ifindex, e->name, t->env->kind == KIND_TC, j->err,
				sizeof(j->err));
	if (!j->ret)
		j->ret = attach_iface(&e->att, t->ns, j->l.ifindex, e->name, t->env->kind, prog_fd,
				      j->err, sizeof(j->err));
}

/* Back in the caller's thread: the interface is attached, or its entry goes. */
static int attach_end(struct attach_job *j)
{
	struct tracer_iface *e = &j->t->ifaces[j->iface];

	e->pending = false;
	if (j->ret) {
		probe__del_iface(j->t->probe, j->l.ifindex);
		return j->ret;
	}
	e->ifindex = j->l.ifindex;
	e->l2 = j->l.l2;
	e->state = IFACE_ATTACHED;
	/* a VPN's routes come with its tunnel: the watch says how long after
	 * (not known for a tunnel that was there before tunleak looked) */
	if (e->role == TL_ROLE_TUNNEL && j->came)
		route_watch__tunnel_up(j->t->rw, clock_ns(CLOCK_MONOTONIC));
	return 0;
}

static int attach_one(struct tracer *t, struct tracer_iface *e, const struct link_info *l,
		      char *err, size_t errlen)
{
	struct attach_job j = {
	    .t = t, .iface = (int)(e - t->ifaces), .l = *l, .came = t->links_seen};
	int ret = attach_begin(t, e, l, err, errlen);

	if (ret)
		return ret;
	attach_kernel(&j);
	ret = attach_end(&j);
	if (ret)
		snprintf(err, errlen, "%s", j.err);
	return ret;
}

/* What a sweep removed, said. */
static void sweep_end(const struct attach_job *j)
{
	if (j->ret)
		return; /* gone meanwhile, or not to be looked at: attaching says it */
	if (j->r.removed)
		warn("removed %d stale tunleak filter%s from %s in %s (a killed run)\n",
		     j->r.removed, j->r.removed == 1 ? "" : "s", j->l.name, j->t->where);
	if (j->r.qdisc_removed)
		warn("removed the clsact qdisc a killed run created on %s in %s\n", j->l.name,
		     j->t->where);
}

/*
 * Node mode, once per namespace: tc filters that a killed run (SIGKILL)
 * left on its interfaces that are not attached now (a pod's tunnel may have
 * gone since; those attached are looked at as they are) are removed: those
 * whose program no live process holds. In the batch when one is open.
 */
static void sweep(struct tracer *t, const struct link_info *links, int n)
{
	struct attach_batch *b = t->env->batch;
	int i, k;

	t->swept = true;
	for (i = 0; i < n; i++) {
		struct attach_job j = {.t = t, .iface = -1, .l = links[i]};

		k = find_iface(t, links[i].name);
		if (k >= 0 && (t->ifaces[k].pending || t->ifaces[k].ifindex))
			continue;
		if (b && !vec_room(&b->jobs, &b->cap, b->n, sizeof(*b->jobs), 64)) {
			b->jobs[b->n++] = j;
			continue;
		}
		attach_kernel(&j);
		sweep_end(&j);
	}
}

static void detach_one(struct tracer *t, struct tracer_iface *e, bool dev_gone)
{
	if (!e->ifindex)
		return;
	detach_iface(&e->att, dev_gone);
	if (t->probe)
		probe__del_iface(t->probe, e->ifindex);
	e->ifindex = 0;
}

/* An attach that failed: said once per interface and reason (it is tried
 * again every second, and says so again only when the reason changes). */
static void say_failed(struct tracer *t, struct tracer_iface *e, const char *err)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = err; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h |= 1;
	e->state = IFACE_FAILED;
	if (h == e->said)
		return;
	e->said = h;
	if (t->single)
		warn("%s\n", err);
	else
		warn("%s: %s\n", t->where, err);
}

static void say_attached(const struct tracer *t, const struct tracer_iface *e)
{
	warn("%s attached (ifindex %u, %s, %s)%s%s\n", e->name, e->ifindex, e->l2 ? "l2" : "l3",
	     attach_kind_name(t->env->kind), t->single ? "" : " in ", t->single ? "" : t->where);
}

/*
 * Node mode, out of fds: a namespace half attached would count its cluster
 * traffic and miss its leaks. All or nothing: its fds go back, and it is
 * tried again later.
 */
static bool short_of_fds(const struct tracer *t, int ret)
{
	return (ret == -EMFILE || ret == -ENFILE) && !t->single;
}

static void untrace_for_fds(struct tracer *t, int ret)
{
	int i;

	for (i = 0; i < t->nr_ifaces; i++)
		if (t->ifaces[i].ifindex) {
			detach_one(t, &t->ifaces[i], false);
			t->ifaces[i].state = IFACE_WAITING;
		}
	set_untraced(t, -ret, "too few file descriptors left to trace it");
}

static bool tracer_pending(const struct tracer *t)
{
	int i;

	for (i = 0; i < t->nr_ifaces; i++)
		if (t->ifaces[i].pending)
			return true;
	return false;
}

/* An attach's outcome, said: attached, out of slots (said once already),
 * failed (said once per reason). */
static void attach_said(struct tracer *t, struct tracer_iface *e, int ret, const char *err)
{
	if (!ret) {
		e->said = 0;
		say_attached(t, e);
	} else if (ret != -ENOSPC) {
		say_failed(t, e, err);
	}
}

/* Attach now, or queue the kernel's part when a batch is open. */
static void attach_or_queue(struct tracer *t, struct tracer_iface *e, const struct link_info *l)
{
	struct attach_batch *b = t->env->batch;
	char err[256];
	int ret;

	if (t->state != NS_TRACING)
		return; /* untraced by an earlier interface's attach */
	if (!b || vec_room(&b->jobs, &b->cap, b->n, sizeof(*b->jobs), 64)) {
		ret = attach_one(t, e, l, err, sizeof(err));
		if (short_of_fds(t, ret) && !tracer_pending(t))
			untrace_for_fds(t, ret);
		else
			attach_said(t, e, ret, err);
		return;
	}
	ret = attach_begin(t, e, l, err, sizeof(err));
	if (ret) {
		attach_said(t, e, ret, err);
		return;
	}
	b->jobs[b->n++] = (struct attach_job){
	    .t = t, .iface = (int)(e - t->ifaces), .l = *l, .came = t->links_seen};
	e->pending = true;
}

int tracer_fds_free(void)
{
	struct rlimit rl;
	struct dirent *e;
	int used = 0;
	DIR *d;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 1 << 30;
	d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	while ((e = readdir(d)))
		used += e->d_name[0] != '.';
	closedir(d);
	used--; /* the directory's own */
	return (long)rl.rlim_cur - used > (1 << 30) ? 1 << 30 : (int)(rl.rlim_cur - used);
}

void tracer_env__batch_begin(struct tracer_env *env)
{
	if (!env->batch)
		env->batch = calloc(1, sizeof(*env->batch));
}

static void *attach_worker(void *arg)
{
	struct attach_batch *b = arg;
	int i;

	while ((i = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED)) < b->n)
		attach_kernel(&b->jobs[i]);
	return NULL;
}

void tracer_env__batch_run(struct tracer_env *env)
{
	struct attach_batch *b = env->batch;
	pthread_t th[TRACER_ATTACH_THREADS];
	int i, nth = 0, max;

	if (!b)
		return;
	/* Each tcx link waits for an RCU grace period in the kernel (~20 ms
	 * here): made at once, they share them */
	/* each attach in flight holds a few fds (the namespace, a netlink
	 * socket, the record file): no more threads than the fds left allow,
	 * FLEET_FD_RESERVE kept for the outputs */
	max = (tracer_fds_free() - FLEET_FD_RESERVE) / TRACER_ATTACH_FDS - 1;
	if (max > TRACER_ATTACH_THREADS)
		max = TRACER_ATTACH_THREADS;
	b->next = 0;
	while (nth < max && nth < b->n - 1 && !pthread_create(&th[nth], NULL, attach_worker, b))
		nth++;
	attach_worker(b);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	/* every outcome taken first (a failed one's entry goes) ... */
	for (i = 0; i < b->n; i++) {
		struct attach_job *j = &b->jobs[i];

		if (j->iface < 0)
			sweep_end(j);
		else
			j->ret = attach_end(j);
	}
	/* ... then a namespace short of fds is untraced as a whole ... */
	for (i = 0; i < b->n; i++) {
		struct attach_job *j = &b->jobs[i];

		if (j->iface >= 0 && j->t->state == NS_TRACING && short_of_fds(j->t, j->ret))
			untrace_for_fds(j->t, j->ret);
	}
	/* ... and the others' interfaces said */
	for (i = 0; i < b->n; i++) {
		struct attach_job *j = &b->jobs[i];

		if (j->iface >= 0 && j->t->state == NS_TRACING)
			attach_said(j->t, &j->t->ifaces[j->iface], j->ret, j->err);
	}
	b->n = 0;
}

void tracer_env__batch_end(struct tracer_env *env)
{
	tracer_env__batch_run(env);
	if (env->batch)
		free(env->batch->jobs);
	free(env->batch);
	env->batch = NULL;
}

static const struct link_info *find_link(const struct link_info *links, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(links[i].name, name))
			return &links[i];
	return NULL;
}

/* Tunnels by link kind, when none was named: new ones get an entry. */
static void add_vpn_links(struct tracer *t, const struct link_info *links, int n)
{
	int i;

	if (t->env->cfg->nr_tunnels)
		return;
	for (i = 0; i < n; i++) {
		if (!link_is_vpn(&links[i]) || find_iface(t, links[i].name) >= 0)
			continue;
		if (add_iface(t, links[i].name, TL_ROLE_TUNNEL, false) < 0 && !t->warned_ifaces) {
			warn("%s: more than %d interfaces; %s and later ones are not traced\n",
			     t->where, TRACER_MAX_IFACES, links[i].name);
			t->warned_ifaces = true;
		}
	}
}

static bool has_tunnel(const struct tracer *t, const struct link_info *links, int n)
{
	int i;

	for (i = 0; i < t->nr_ifaces; i++)
		if (t->ifaces[i].role == TL_ROLE_TUNNEL && find_link(links, n, t->ifaces[i].name))
			return true;
	return false;
}

/* Link (and route) events of the namespace; its socket then holds the
 * namespace too, so that watching or tracing a namespace costs one fd
 * (and one more per tcx link). Without it, interfaces are polled. */
static void open_monitor(struct tracer *t)
{
	if (t->mon)
		return;
	t->mon = nl_monitor__open(t->ns);
	if (!t->mon) {
		warn("%s: link events unavailable (%s); polling interfaces\n", t->where,
		     strerror(errno));
		return;
	}
	netns__hold_by(t->ns, nl_monitor__fd(t->mon));
}

static int begin_tracing(struct tracer *t, char *err, size_t errlen)
{
	/* The programs are the datapath's: a namespace is its cookie */
	uint64_t cookie = netns__cookie(t->ns);

	t->probe = cookie ? probe__new(t->env->dp, cookie) : NULL;
	if (!t->probe) {
		snprintf(err, errlen, "%s: cannot read its namespace cookie: %s", t->where,
			 strerror(errno ? errno : EINVAL));
		return errno ? -errno : -EINVAL;
	}
	t->state = NS_TRACING;
	/* the routes as they are at the start */
	route_watch__due_now(t->rw);
	open_monitor(t);
	return 0;
}

/* Attach what is there, detach what went; messages for each change. */
static void follow(struct tracer *t, const struct link_info *links, int n)
{
	int i;

	for (i = 0; i < t->nr_ifaces; i++) {
		struct tracer_iface *e = &t->ifaces[i];
		const struct link_info *l = find_link(links, n, e->name);

		if ((l && l->ifindex == e->ifindex) || e->pending)
			continue;
		if (!l && e->state == IFACE_FAILED) {
			e->state = IFACE_WAITING; /* it went before it could be attached */
			e->said = 0;
		}
		if (e->ifindex) {
			detach_one(t, e, true);
			e->state = IFACE_GONE;
			warn("%s gone%s%s\n", e->name, t->single ? "" : " in ",
			     t->single ? "" : t->where);
		}
		if (!l) {
			if (e->state == IFACE_NOT_COUNTED)
				e->state = e->named ? IFACE_WAITING : IFACE_GONE;
			continue;
		}
		attach_or_queue(t, e, l);
	}
}

void tracer__rescan(struct tracer *t)
{
	struct link_info *links = NULL;
	char err[256];
	int n = 0;

	if (t->state == NS_GONE || !t->nl)
		return;
	/* without link events the routes are looked at on this clock too */
	if (!t->mon && t->state == NS_TRACING)
		route_watch__changed(t->rw, clock_ns(CLOCK_MONOTONIC));
	if (nl__link_dump(t->nl, &links, &n)) {
		nl__release(t->nl);
		return;
	}
	add_vpn_links(t, links, n);
	if (t->state == NS_WATCHING && has_tunnel(t, links, n)) {
		int ret = begin_tracing(t, err, sizeof(err));

		if (ret) {
			free(links);
			nl__release(t->nl);
			/* node mode: not traced, said once, tried again later */
			if (!t->single)
				set_untraced(t, -ret, "cannot begin tracing it");
			else
				warn("%s\n", err);
			return;
		}
	}
	if (t->state == NS_TRACING)
		follow(t, links, n);
	if (!t->single && !t->swept)
		sweep(t, links, n);
	t->links_seen = true;
	free(links);
	nl__release(t->nl); /* an fd only while it is used */
}

bool tracer__polled(const struct tracer *t)
{
	return !t->mon;
}

int tracer__retry(struct tracer *t, const char *path, uint64_t now_ms)
{
	struct netns *ns;
	const char *what;
	int err;

	if (t->state != NS_UNTRACED)
		return 0;
	if (now_ms < t->retry_at_ms)
		return -EAGAIN;
	if (path && path[0])
		snprintf(t->path, sizeof(t->path), "%s", path);
	ns = netns__open_found(t->path, t->ns_dev, t->ns_ino);
	if (!ns) {
		err = errno;
		if (err == ENOENT || err == ESTALE)
			return -err; /* ended: the next look at the node drops it */
		what = "cannot open its network namespace";
		goto fail;
	}
	t->ns = ns;
	t->nl = nl__open(ns);
	what = "cannot open netlink in it";
	if (!t->nl)
		goto fail_errno;
	t->rc = route_cache__new(t->nl);
	if (!t->rc)
		goto fail_errno;
	if (!t->rw)
		t->rw = route_watch__new(t->env->cfg, t->env->events, t->env->mono_to_real);
	if (!t->rw)
		goto fail_errno;
	t->state = NS_WATCHING;
	open_monitor(t); /* a tunnel that appears is an event, as at the start */
	tracer__rescan(t);
	if (t->state == NS_UNTRACED) {
		err = t->why_errno;
		goto backoff;
	}
	warn("%s: %s now\n", t->where,
	     t->state == NS_TRACING ? "traced" : "looked into (no tunnel yet: watched)");
	t->why[0] = '\0';
	t->why_errno = 0;
	t->backoff_ms = TRACER_RETRY_MIN_MS;
	return 0;
fail_errno:
	err = errno ? errno : EIO;
fail:
	set_untraced(t, err, what);
backoff:
	t->retry_at_ms = now_ms + t->backoff_ms;
	t->backoff_ms =
	    t->backoff_ms * 2 > TRACER_RETRY_MAX_MS ? TRACER_RETRY_MAX_MS : t->backoff_ms * 2;
	return -err;
}

void tracer__retry_soon(struct tracer *t)
{
	t->retry_at_ms = 0;
	t->backoff_ms = TRACER_RETRY_MIN_MS;
}

int tracer__untraced(const struct tracer *t, const char **why)
{
	if (why)
		*why = t->why;
	return t->state == NS_UNTRACED ? t->why_errno : 0;
}

int tracer__start(struct tracer *t, char *err, size_t errlen)
{
	const struct config *cfg = t->env->cfg;
	struct link_info l;
	int i, ret;

	err[0] = '\0';
	if (t->single) {
		/* A cluster interface must be there; a tunnel may come later. */
		for (i = 0; i < cfg->nr_ifaces; i++) {
			if (nl__link_get(t->nl, cfg->ifaces[i], &l)) {
				snprintf(err, errlen, "--iface \"%s\": no such interface in %s",
					 cfg->ifaces[i], t->where);
				nl__release(t->nl);
				return -ENODEV;
			}
		}
		ret = begin_tracing(t, err, errlen);
		if (ret) {
			nl__release(t->nl);
			return ret;
		}
		/* Every cluster interface, or none: an error undoes them all */
		for (i = 0; i < t->nr_ifaces; i++) {
			struct tracer_iface *e = &t->ifaces[i];

			if (e->role != TL_ROLE_CLUSTER)
				continue;
			if (nl__link_get(t->nl, e->name, &l)) {
				snprintf(err, errlen, "--iface \"%s\": no such interface in %s",
					 e->name, t->where);
				ret = -ENODEV;
			} else {
				ret = attach_one(t, e, &l, err, errlen);
			}
			if (ret) {
				tracer__stop(t, false);
				nl__release(t->nl);
				return ret;
			}
		}
	} else {
		/* node mode: a tunnel that appears is an event, not a poll */
		open_monitor(t);
	}
	tracer__rescan(t);
	return 0;
}

int tracer__monitor_fd(const struct tracer *t)
{
	return t->mon ? nl_monitor__fd(t->mon) : -1;
}

void tracer__on_monitor(struct tracer *t)
{
	int m;

	if (!t->mon)
		return;
	m = nl_monitor__drain(t->mon);
	if ((m & ROUTES_CHANGED) && t->rc)
		route_cache__invalidate(t->rc);
	if (m & (ROUTES_CHANGED | LINK_CHANGED))
		route_watch__changed(t->rw, clock_ns(CLOCK_MONOTONIC));
	if (m & LINK_CHANGED)
		tracer__rescan(t);
}

int tracer__attachments(struct tracer *t, struct attachment **out, int max)
{
	int i, n = 0;

	for (i = 0; i < t->nr_ifaces && n < max; i++)
		if (t->ifaces[i].ifindex)
			out[n++] = &t->ifaces[i].att;
	return n;
}

void tracer__stop(struct tracer *t, bool gone)
{
	struct tl_counter(*all)[2][TL_NR_COUNTERS] = NULL;
	int i;

	for (i = 0; i < t->nr_ifaces; i++)
		detach_one(t, &t->ifaces[i], gone);
	if (!gone)
		return;
	/* The namespace has ended: keep its counts, give back what it held */
	all = calloc(TL_MAX_SLOTS, sizeof(*all));
	if (all && datapath__read_counters(t->env->dp, all) == 0) {
		for (i = 0; i < t->nr_ifaces; i++)
			if (t->ifaces[i].slot >= 0)
				memcpy(t->ifaces[i].last, all[t->ifaces[i].slot],
				       sizeof(t->ifaces[i].last));
	}
	free(all);
	for (i = 0; i < t->nr_ifaces; i++) {
		struct tracer_iface *e = &t->ifaces[i];

		if (e->state == IFACE_ATTACHED)
			e->state = IFACE_GONE;
		slot_table_give(&t->env->slots, e->slot);
		e->slot = -1;
	}
	t->state = NS_GONE;
	route_watch__clear(t->rw);
	release(t);
}

void tracer__watch_routes(struct tracer *t, uint64_t now)
{
	struct flow_origin from = {.netns = t->label,
				   .pod = t->pod,
				   .k8s_ns = t->k8s_ns,
				   .source = name_source_name(t->source),
				   .name_it = t->env->name_ns};

	if (t->state != NS_TRACING)
		return;
	route_watch__run(t->rw, t->nl, &from, now);
	/* the audit's and the route cache's socket: an fd only while it is
	 * used (a pod costs one, its link events') */
	nl__release(t->nl);
}

uint64_t tracer__routes_due(const struct tracer *t)
{
	return t->state == NS_TRACING ? route_watch__due(t->rw) : 0;
}

const struct findings *tracer__route_findings(const struct tracer *t)
{
	return route_watch__findings(t->rw);
}

void tracer__route_stats(const struct tracer *t, struct route_watch_stats *out)
{
	route_watch__stats(t->rw, out);
}

void tracer__snap(const struct tracer *t,
		  const struct tl_counter all[TL_MAX_SLOTS][2][TL_NR_COUNTERS], struct ns_snap *n)
{
	int j;

	n->id = t->id;
	snprintf(n->label, sizeof(n->label), "%s", t->label);
	snprintf(n->pod, sizeof(n->pod), "%s", t->pod);
	snprintf(n->k8s_ns, sizeof(n->k8s_ns), "%s", t->k8s_ns);
	snprintf(n->netns, sizeof(n->netns), "%s", t->path);
	n->inode = t->ns_ino;
	n->state = t->state;
	n->source = t->source;
	n->untraced_errno = t->state == NS_UNTRACED ? t->why_errno : 0;
	snprintf(n->untraced, sizeof(n->untraced), "%s", t->state == NS_UNTRACED ? t->why : "");
	n->leak_flows = t->leak_flows;
	n->bypass_flows = t->bypass_flows;
	n->nr_ifaces = 0;
	for (j = 0; j < t->nr_ifaces && j < SNAP_MAX_IFACES; j++) {
		const struct tracer_iface *e = &t->ifaces[j];
		struct iface_snap *is = &n->ifaces[n->nr_ifaces++];

		snprintf(is->name, sizeof(is->name), "%s", e->name);
		is->role = e->role;
		is->state = e->state;
		is->ifindex = e->ifindex;
		is->l2 = e->l2;
		if (e->slot >= 0 && all)
			memcpy(is->c, all[e->slot], sizeof(is->c));
		else
			memcpy(is->c, e->last, sizeof(is->c));
	}
}

void tracer__say_waiting(const struct tracer *t)
{
	const struct config *cfg = t->env->cfg;
	bool tun = false;
	int j;

	for (j = 0; j < t->nr_ifaces; j++) {
		if (!t->ifaces[j].ifindex && t->ifaces[j].named)
			warn("waiting for %s\n", t->ifaces[j].name);
		tun |= t->ifaces[j].role == TL_ROLE_TUNNEL;
	}
	if (!cfg->nr_tunnels && t->nr_ifaces && !tun)
		warn("waiting for a tunnel interface (tun, tap, wireguard, ovpn, ipip, gre, sit, "
		     "ip6tnl, vti, xfrm)\n");
}

bool tracer__ns_ended(const struct tracer *t)
{
	if (t->state == NS_GONE || !t->ns || netns__is_home(t->ns))
		return false;
	if (ns_alive(t->ns_dev, t->ns_ino, t->path, "/proc", "/run/netns"))
		return false;
	warn("%s is gone (no process and no /run/netns file holds it any more); detaching\n",
	     t->where);
	return true;
}

/* The names of this tracer's interfaces of one role, for gateway lookups. */
static int names_of(const struct tracer *t, enum tl_role role, char names[][16])
{
	int i, n = 0;

	for (i = 0; i < t->nr_ifaces; i++)
		if (t->ifaces[i].role == role)
			memcpy(names[n++], t->ifaces[i].name, 16);
	return n;
}

void tracer__diagnose(struct tracer *t, struct flow_rec *r)
{
	const struct config *cfg = t->env->cfg;
	char names[TRACER_MAX_IFACES][16], buf[FLOW_ROUTE_LEN];
	const struct class_cidr *cc;
	struct route_info ri;
	const char *via;
	uint8_t gw[16];
	int has_gw, i, n, leak = r->type == TL_TYPE_LEAK;

	if (!t->rc || route_cache__get(t->rc, r->key.family, r->key.dst, r->key.src, &ri)) {
		nl__release(t->nl);
		return;
	}
	r->route = flows__intern(t->env->flows, route_format(&ri, buf, sizeof(buf)));
	r->has_route = 1;
	cc = audit_cidr_for(cfg->cidrs, cfg->nr_cidrs, r->key.family, r->key.dst);
	if (!cc) {
		nl__release(t->nl);
		return;
	}
	/* a leak is fixed through a cluster interface, a bypass through a tunnel */
	n = names_of(t, leak ? TL_ROLE_CLUSTER : TL_ROLE_TUNNEL, names);
	via = route_cache__gateway(t->rc, !leak, r->key.family, names, n, gw, &has_gw);
	r->fix = flows__intern(
	    t->env->flows, audit_fix(&cc->cidr, &ri, via, has_gw ? gw : NULL, buf, sizeof(buf)));
	nl__release(t->nl);
	for (i = 0; i < t->nr_fixed; i++)
		if (t->fixed[i] == cc)
			return;
	if (t->nr_fixed < TRACER_MAX_FIXED)
		t->fixed[t->nr_fixed++] = cc;
	r->show_fix = 1;
}
