// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "lib/log.h"
#include "model/audit.h"
#include "model/flows.h"
#include "config/cli.h"
#include "netns/netns.h"
#include "netns/nl.h"
#include "netns/route.h"
#include "node/discover.h"
#include "datapath/loader.h"
#include "datapath/pool.h"
#include "out/export.h"
#include "out/output.h"
#include "trace/routewatch.h"
#include "trace/tracer.h"

struct tracer_iface {
	char name[16];
	enum tl_role role;
	bool named; /* given by --iface or --tunnel; else found by its link kind */
	int slot; /* -1: none (all slots taken) */
	uint32_t ifindex; /* 0: not attached */
	bool l2;
	enum iface_state state;
	uint32_t said; /* hash of the last attach failure said; 0: none */
	struct attachment att;
	/* counters kept when the tracer has ended and given back its slots */
	struct tl_counter last[2][TL_NR_COUNTERS];
};

struct tracer {
	uint32_t id; /* stable for the run; flow records carry it */
	struct tracer_env *env;
	struct netns *ns; /* NULL once gone */
	uint64_t ns_dev, ns_ino; /* its identity, kept after it is gone */
	char path[128]; /* the nsfs path it was found at */
	char label[64]; /* the pod's name, else the /run/netns name, else pid:N */
	char pod[64]; /* "" when unknown */
	char k8s_ns[64]; /* the pod's Kubernetes namespace, "" when unknown */
	char where[192]; /* for messages */
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
	bool links_seen; /* its interfaces looked at once: a tunnel after that is new */
	int nr_ifaces;
	struct tracer_iface ifaces[TRACER_MAX_IFACES];
	const struct class_cidr *fixed[TRACER_MAX_FIXED]; /* CIDRs whose fix was shown */
	int nr_fixed;
	uint64_t leak_flows, bypass_flows; /* first seen here */
	bool warned_slots;
	bool warned_ifaces; /* more tunnels than TRACER_MAX_IFACES: said once */
};

/* --- slots ------------------------------------------------------------------ */

/* A never-used slot first, else the one given back longest ago: its old
 * owner's flows and counts stay visible as long as possible. */
static int slot_alloc(struct tracer_env *env, struct tracer *t, int iface)
{
	struct slot_table *st = &env->slots;
	int i, best = -1;

	for (i = 0; i < TL_MAX_SLOTS; i++) {
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
	if (st->freed_at[best]) {
		/* counts and flows of the namespace that had it end here */
		datapath__reset_slot(env->dp, best);
		flows__purge_slot(env->flows, best);
	}
	st->owner[best] = t;
	st->iface[best] = iface;
	return best;
}

static void slot_free(struct tracer_env *env, int slot)
{
	struct slot_table *st = &env->slots;

	if (slot < 0 || slot >= TL_MAX_SLOTS)
		return;
	st->owner[slot] = NULL;
	st->freed_at[slot] = ++st->clock;
}

/* --- the tracer --------------------------------------------------------------- */

/* A slot for interface i (e): -ENOSPC, said once per namespace, when none is left. */
static int take_slot(struct tracer *t, struct tracer_iface *e, int i)
{
	e->slot = slot_alloc(t->env, t, i);
	if (e->slot >= 0)
		return 0;
	if (!t->warned_slots) {
		warn("%s: %s: all %d interface slots are taken; not counted\n", t->where, e->name,
		     TL_MAX_SLOTS);
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

struct tracer *tracer__new(struct tracer_env *env, struct netns *ns, const char *path,
			   uint32_t id, bool single)
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
	return t;
fail:
	tracer__free(t);
	return NULL;
}

static void release(struct tracer *t)
{
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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
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
		if (t->env->slots.owner[t->ifaces[i].slot >= 0 ? t->ifaces[i].slot : 0] == t)
			slot_free(t->env, t->ifaces[i].slot);
	release(t);
	free(t);
}

static int attach_one(struct tracer *t, struct tracer_iface *e, const struct link_info *l,
		      char *err, size_t errlen)
{
	int prog_fd[2] = { probe__prog_fd(t->probe, TL_DIR_INGRESS),
			   probe__prog_fd(t->probe, TL_DIR_EGRESS) };
	int ret;

	if (e->slot < 0 && take_slot(t, e, (int)(e - t->ifaces))) {
		snprintf(err, errlen, "%s: %s: no interface slot left", t->where, e->name);
		return -ENOSPC;
	}
	/* Legacy filters of a killed run hold our handle: take it back (a live
	 * run's are not taken) */
	ret = attach_prepare(t->ns, l->ifindex, e->name, t->env->kind == KIND_TC, err, errlen);
	if (ret)
		return ret;
	/* The map entry first, so the first attached packet is counted. */
	ret = probe__set_iface(t->probe, l->ifindex, e->slot, e->role, l->l2);
	if (ret) {
		snprintf(err, errlen, "%s: cannot record interface: %s", e->name, strerror(-ret));
		return ret;
	}
	ret = attach_iface(&e->att, t->ns, l->ifindex, e->name, t->env->kind, prog_fd, err,
			   errlen);
	if (ret) {
		probe__del_iface(t->probe, l->ifindex);
		return ret;
	}
	e->ifindex = l->ifindex;
	e->l2 = l->l2;
	e->state = IFACE_ATTACHED;
	/* a VPN's routes come with its tunnel: the watch says how long after
	 * (not known for a tunnel that was there before tunleak looked) */
	if (e->role == TL_ROLE_TUNNEL && t->links_seen)
		route_watch__tunnel_up(t->rw, mono_ns());
	return 0;
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

static const struct link_info *find_link(const struct link_info *links, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(links[i].name, name))
			return &links[i];
	return NULL;
}

static int find_iface(const struct tracer *t, const char *name)
{
	int i;

	for (i = 0; i < t->nr_ifaces; i++)
		if (!strcmp(t->ifaces[i].name, name))
			return i;
	return -1;
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

static int begin_tracing(struct tracer *t, char *err, size_t errlen)
{
	/* loaded ahead, in parallel, when many namespaces start at once */
	t->probe = probe_pool__take(t->env->pool);
	if (!t->probe)
		t->probe = probe__new(t->env->dp);
	if (!t->probe) {
		snprintf(err, errlen, "%s: cannot load the BPF programs: %s", t->where,
			 strerror(errno));
		return errno ? -errno : -EINVAL;
	}
	t->state = NS_TRACING;
	/* the routes as they are at the start */
	route_watch__due_now(t->rw);
	/* From now on interfaces are followed as they change; a namespace that
	 * is only watched is looked at on the discovery clock instead (one
	 * socket fewer per pod without a tunnel). */
	if (!t->mon) {
		t->mon = nl_monitor__open(t->ns);
		if (!t->mon)
			warn("%s: link events unavailable (%s); polling interfaces\n", t->where,
			     strerror(errno));
	}
	return 0;
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

/* Attach what is there, detach what went; messages for each change. */
static void follow(struct tracer *t, const struct link_info *links, int n)
{
	char err[256];
	int i, ret;

	for (i = 0; i < t->nr_ifaces; i++) {
		struct tracer_iface *e = &t->ifaces[i];
		const struct link_info *l = find_link(links, n, e->name);

		if (l && l->ifindex == e->ifindex)
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
		if (!l)
			continue;
		ret = attach_one(t, e, l, err, sizeof(err));
		/* Node mode, out of fds: a namespace half attached would count
		 * its cluster traffic and miss its leaks. All or nothing: its
		 * fds go back, and it is tried again later. */
		if ((ret == -EMFILE || ret == -ENFILE) && !t->single) {
			for (i = 0; i < t->nr_ifaces; i++)
				if (t->ifaces[i].ifindex) {
					detach_one(t, &t->ifaces[i], false);
					t->ifaces[i].state = IFACE_WAITING;
				}
			set_untraced(t, -ret, "cannot attach its interfaces");
			return;
		}
		if (ret) {
			/* out of slots: said once already, not every second */
			if (ret != -ENOSPC)
				say_failed(t, e, err);
			continue;
		}
		e->said = 0;
		warn("%s attached (ifindex %u, %s, %s)%s%s\n", e->name, l->ifindex,
		     l->l2 ? "l2" : "l3", t->env->kind == KIND_TCX ? "tcx" : "tc",
		     t->single ? "" : " in ", t->single ? "" : t->where);
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
		route_watch__changed(t->rw, mono_ns());
	if (nl__link_dump(t->nl, &links, &n))
		return;
	add_vpn_links(t, links, n);
	if (t->state == NS_WATCHING && has_tunnel(t, links, n)) {
		int ret = begin_tracing(t, err, sizeof(err));

		if (ret) {
			free(links);
			/* node mode: not traced, said once, tried again later */
			if (!t->single)
				set_untraced(t, -ret, "cannot load the BPF programs");
			else
				warn("%s\n", err);
			return;
		}
	}
	if (t->state == NS_TRACING)
		follow(t, links, n);
	t->links_seen = true;
	free(links);
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
	t->backoff_ms = t->backoff_ms * 2 > TRACER_RETRY_MAX_MS ? TRACER_RETRY_MAX_MS :
								   t->backoff_ms * 2;
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
				return -ENODEV;
			}
		}
		ret = begin_tracing(t, err, errlen);
		if (ret)
			return ret;
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
				return ret;
			}
		}
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
		route_watch__changed(t->rw, mono_ns());
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
	struct tl_counter (*all)[2][TL_NR_COUNTERS] = NULL;
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
		slot_free(t->env, e->slot);
		e->slot = -1;
	}
	t->state = NS_GONE;
	route_watch__clear(t->rw);
	release(t);
}

void tracer__watch_routes(struct tracer *t, uint64_t now)
{
	struct flow_origin from = { .netns = t->label, .pod = t->pod, .k8s_ns = t->k8s_ns,
				    .source = name_source_name(t->source),
				    .name_it = t->env->name_ns };

	if (t->state != NS_TRACING)
		return;
	route_watch__run(t->rw, t->nl, &from, now);
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
		warn("waiting for a tunnel interface (tun, tap, wireguard, ovpn, ipip, gre, sit, ip6tnl, vti, xfrm)\n");
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

	if (!t->rc || route_cache__get(t->rc, r->key.family, r->key.dst, r->key.src, &ri))
		return;
	r->route = flows__intern(t->env->flows, route_format(&ri, buf, sizeof(buf)));
	r->has_route = 1;
	cc = audit_cidr_for(cfg->cidrs, cfg->nr_cidrs, r->key.family, r->key.dst);
	if (!cc)
		return;
	/* a leak is fixed through a cluster interface, a bypass through a tunnel */
	n = names_of(t, leak ? TL_ROLE_CLUSTER : TL_ROLE_TUNNEL, names);
	via = route_cache__gateway(t->rc, !leak, r->key.family, names, n, gw, &has_gw);
	r->fix = flows__intern(t->env->flows,
			       audit_fix(&cc->cidr, &ri, via, has_gw ? gw : NULL, buf, sizeof(buf)));
	for (i = 0; i < t->nr_fixed; i++)
		if (t->fixed[i] == cc)
			return;
	if (t->nr_fixed < TRACER_MAX_FIXED)
		t->fixed[t->nr_fixed++] = cc;
	r->show_fix = 1;
}
