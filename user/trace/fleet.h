/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracers of one run: the one namespace of a single trace, or with --all
 * every pod namespace of the node, reconciled with what the node has now —
 * new namespaces traced (or watched until they have a tunnel), renamed ones
 * renamed, ended ones detached and kept with their counts (at most
 * FLEET_GONE_KEPT). The link monitors of all tracers are behind one fd.
 */
#ifndef TL_FLEET_H
#define TL_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/names.h"

struct fleet;
struct netns;
struct node;
struct tracer;
struct tracer_env;
struct tracer_name;
struct totals;

#define FLEET_GONE_KEPT 64 /* ended namespaces kept in the counters file */
/* File descriptors never taken by namespaces: the counters file, /metrics
 * clients, the pcap file keep working when the node has more pods than fds. */
#define FLEET_FD_RESERVE 16

/* With node (owned from here on; NULL for a single namespace). NULL, errno. */
struct fleet *fleet__new(struct tracer_env *env, struct node *node);
void fleet__free(struct fleet *f);

/* Single mode: trace ns (owned from here on, also on error) under name.
 * 0 or -errno with one line in err; nothing stays attached on error. */
int fleet__start_single(struct fleet *f, struct netns *ns, const char *path,
			const struct tracer_name *name, char *err, size_t errlen);
/* Node mode: the first reconcile (the programs are loaded once, shared by
 * every namespace). *with_tunnel: how many namespaces have a tunnel. 0 or
 * -errno with one line in err; -ENOENT when namespaces have a tunnel and
 * none of them could be traced (each said why). */
int fleet__start_node(struct fleet *f, int *with_tunnel, char *err, size_t errlen);
/* Node mode: look at the node again and follow what changed. */
void fleet__reconcile(struct fleet *f);
/* Follow the interfaces of the traced namespaces that have no link events
 * (on a timer). */
void fleet__rescan(struct fleet *f);
/* The route watch of every traced namespace whose audit is due by now
 * (CLOCK_MONOTONIC ns). */
void fleet__watch_routes(struct fleet *f, uint64_t now);
/* Single mode: the traced namespace has ended. */
/* The earliest route audit due (CLOCK_MONOTONIC ns; 0: none): the loop
 * wakes for it, as it sleeps until an event otherwise. */
uint64_t fleet__routes_due(const struct fleet *f);
bool fleet__single_ended(struct fleet *f);

/* One fd for the poll set: readable when a link monitor is; then call
 * fleet__dispatch(). -1 if none could be made. */
int fleet__fd(const struct fleet *f);
void fleet__dispatch(struct fleet *f);

/* Every attachment detached at once (tcx links close concurrently), then
 * each tracer stopped. */
void fleet__detach_all(struct fleet *f);

int fleet__count(const struct fleet *f);
struct tracer *fleet__get(const struct fleet *f, int i);
struct tracer *fleet__by_id(const struct fleet *f, uint32_t id);
/* Namespaces being traced, and interfaces attached in them. */
void fleet__counts(const struct fleet *f, int *traced, int *ifaces);

/* Node mode: what the last look at the node saw. */
struct fleet_node_stats {
	uint64_t seen, unreadable, processes, scan_cpu_ns;
	uint64_t meta_files, meta_skipped; /* the runtime's config.json files; not indexed */
};
bool fleet__node_stats(const struct fleet *f, struct fleet_node_stats *out);
/* Namespaces by state (out[NS_NR_STATES]), watched ones included. */
void fleet__states(const struct fleet *f, uint64_t *out);
/* Ended namespaces dropped from the list (beyond FLEET_GONE_KEPT), and
 * their counts, which the totals keep. */
uint64_t fleet__folded(const struct fleet *f, struct totals *t);

/* --- the decisions of fleet__reconcile(), as data (unit tested) ------------ */

/* A namespace the fleet knows. */
struct fleet_known {
	uint64_t dev, ino;
	enum ns_state state;
	const char *pod, *k8s_ns; /* "" when unknown */
	enum name_source source;
};

enum fleet_step_kind {
	FLEET_NEW,    /* found[found]: a namespace not known yet */
	FLEET_RENAME, /* known[known] is found[found], now with a (longer) name */
	FLEET_RESCAN, /* known[known] is watched: look for a tunnel again */
	FLEET_END,    /* known[known] was traced and is no more: detach, keep its counts */
	FLEET_DROP,   /* known[known]: forget it (watched or untraced and gone, or too
		       * many ended: its counts are folded into the totals) */
	FLEET_RETRY,  /* known[known] is found[found] and untraced: try again */
};

struct fleet_step {
	enum fleet_step_kind kind;
	int known, found; /* indexes, -1 when not used */
};

/* The steps that take the fleet from known[] to what the node has now
 * (found[]), keeping at most gone_kept ended namespaces (the oldest are
 * dropped first). Steps come in an order that can be carried out as they
 * are: NEW, RENAME and RESCAN first, then END, then DROP by descending
 * index. out must hold nf + 3 * nk steps; returns how many, or -ENOMEM. */
struct node_ns;
int fleet_plan(const struct fleet_known *known, int nk, const struct node_ns *found, int nf,
	       int gone_kept, struct fleet_step *out);

#endif
