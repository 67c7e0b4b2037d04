/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One traced network namespace: its handle, its netlink socket and link
 * monitor, its route cache, its program instance (probe) and the interfaces
 * it is attached to, each counted in a slot of the shared datapath. Opaque:
 * the fleet (fleet.h) holds the tracers of a run; what the outputs need is
 * read through tracer__snap() and the accessors below.
 */
#ifndef TL_TRACER_H
#define TL_TRACER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/abi.h"
#include "model/names.h"
#include "datapath/attach.h"

struct config;
struct findings;
struct out;
struct route_watch_stats;
struct datapath;
struct flow_rec;
struct flows;
struct netns;
struct ns_snap;
struct tracer;

#define TRACER_MAX_IFACES 32
#define TRACER_MAX_FIXED  64
/* An untraced namespace is tried again after 1 s, then 2, 4 ... up to 30 s. */
#define TRACER_RETRY_MIN_MS 1000
#define TRACER_RETRY_MAX_MS 30000
/* Node mode: the tunnels of one namespace beyond its first that are counted
 * (a slot each); more read "not counted". */
#define TRACER_EXTRA_TUNNELS 8
/* Node mode: such extra tunnels never take the last this many free slots,
 * which stay for the cluster interfaces and first tunnels of other pods. */
#define SLOTS_KEPT_FOR_PODS 512
/* Single mode: slots for the one namespace (each of its interfaces has one). */
#define SINGLE_SLOTS (2 * TRACER_MAX_IFACES)

/* Slots of the shared counters: who has which. */
struct slot_table {
	int nr; /* slots there are (the datapath's counters have room for) */
	int used;
	struct tracer *owner[TL_MAX_SLOTS];
	uint8_t iface[TL_MAX_SLOTS];	 /* index in the owner's interfaces */
	uint64_t freed_at[TL_MAX_SLOTS]; /* 0: never used; reuse the oldest first */
	uint64_t clock;
	uint64_t refused; /* interfaces that found no slot they could take */
};

/* A slot for interface iface of owner: a never-used one first, else the one
 * given back longest ago (its old owner's counts stay visible longest).
 * An extra (a namespace's tunnel beyond its first) is refused when it
 * would leave fewer than keep slots free. The slot's number, or -ENOSPC.
 * Pure: the caller resets a reused slot's counters (*reused set). */
int slot_table_take(struct slot_table *st, struct tracer *owner, int iface, bool extra, int keep,
		    bool *reused);
void slot_table_give(struct slot_table *st, int slot);

struct attach_batch;

/* What every tracer of one run shares (owned by the trace command). */
struct tracer_env {
	struct datapath *dp;
	struct flows *flows; /* user-space flow records: purged when a slot is reused */
	const struct config *cfg;
	enum attach_kind kind;
	struct slot_table slots;	   /* nr: set from the datapath by the trace command */
	struct attach_batch *batch;	   /* open: attaches are queued, then made at once */
	const volatile sig_atomic_t *stop; /* set by a signal: stop starting things */
	struct out *events;		   /* route watch events; NULL: none (--top) */
	bool name_ns;	      /* events name the namespace even without a pod (node mode) */
	int64_t mono_to_real; /* add to CLOCK_MONOTONIC ns for realtime ns */
};

/* Who a namespace is: its label (pod name, else /run/netns name, else
 * pid:N), its pod and Kubernetes namespace ("" when unknown), and how
 * messages name it. */
struct tracer_name {
	const char *label, *pod, *k8s_ns, *where;
	enum name_source source;
};

/* Attaching many interfaces at once (a node's pods at the start, a burst of
 * link events): between begin and end, tracers queue the kernel's part of
 * their attaches, and run makes them in up to TRACER_ATTACH_THREADS threads
 * (each tcx link waits for an RCU grace period: in parallel, they share
 * them), then finishes each in the caller's thread. A tracer with queued
 * attaches must not be stopped or freed before run. */
#define TRACER_ATTACH_THREADS 64
/* The fds one attach in flight may hold (fewer threads when they are short). */
#define TRACER_ATTACH_FDS 4
/* File descriptors free under RLIMIT_NOFILE now. */
int tracer_fds_free(void);
void tracer_env__batch_begin(struct tracer_env *env);
void tracer_env__batch_run(struct tracer_env *env);
void tracer_env__batch_end(struct tracer_env *env); /* run, then close */

/* The tracer and interface name of a slot of env; NULL when free. */
struct tracer *tracer_env__slot_owner(const struct tracer_env *env, int slot, const char **iface);

/* A tracer for ns (owned from here on: freed with the tracer, also on
 * error). NULL and errno. */
struct tracer *tracer__new(struct tracer_env *env, struct netns *ns, const char *path, uint32_t id,
			   bool single);
void tracer__free(struct tracer *t);
/* Node mode: a namespace found that cannot be looked into or traced (err:
 * an errno; what: the step that failed). Said once, holds no fd, and is
 * tried again with tracer__retry(). NULL when out of memory. */
struct tracer *tracer__new_untraced(struct tracer_env *env, uint64_t dev, uint64_t ino,
				    const char *path, uint32_t id, const struct tracer_name *name,
				    int err, const char *what);
/* Untraced: open it again (at path, where it is found now) and follow it,
 * unless it was tried less than its back-off ago (-EAGAIN). 0 when it is
 * watched or traced now, else -errno (a new reason is said once). */
int tracer__retry(struct tracer *t, const char *path, uint64_t now_ms);
/* Untraced: try again at the next tracer__retry() (something freed fds). */
void tracer__retry_soon(struct tracer *t);
/* The errno that keeps it untraced (0: it is not), and why, as text. */
int tracer__untraced(const struct tracer *t, const char **why);
void tracer__set_name(struct tracer *t, const struct tracer_name *name);

uint32_t tracer__id(const struct tracer *t);
enum ns_state tracer__state(const struct tracer *t);
/* The namespace's identity (kept after it is gone). */
bool tracer__is_ns(const struct tracer *t, uint64_t dev, uint64_t ino);
void tracer__ns_id(const struct tracer *t, uint64_t *dev, uint64_t *ino);
void tracer__name(const struct tracer *t, struct tracer_name *out);
/* Interfaces attached now. */
int tracer__nr_attached(const struct tracer *t);
/* Interfaces there that have no slot: not counted (a limit reached). */
int tracer__nr_not_counted(const struct tracer *t);

/* Start: a single-namespace tracer loads its programs and attaches its
 * cluster interfaces now (each must exist: -ENODEV with one line in err) and
 * waits for its tunnels; a node-mode tracer watches until a tunnel appears.
 * Returns 0 or -errno, and nothing stays attached on error. */
int tracer__start(struct tracer *t, char *err, size_t errlen);
/* Single mode, after the start: say which interfaces it waits for. */
void tracer__say_waiting(const struct tracer *t);
/* The link monitor's fd, for the caller's poll set; -1 if none. */
int tracer__monitor_fd(const struct tracer *t);
/* Links or routes changed (the monitor is readable): re-read them. */
void tracer__on_monitor(struct tracer *t);
/* Follow interfaces as they come and go (on a link event, or a timer). */
void tracer__rescan(struct tracer *t);
/* Without link events (no monitor): its interfaces must be polled. */
bool tracer__polled(const struct tracer *t);
/* Single mode: has the namespace ended (no process and no /run/netns file
 * holds it)? Said once. */
bool tracer__ns_ended(const struct tracer *t);
/* The attachments that are live, for a concurrent detach at the end. */
int tracer__attachments(struct tracer *t, struct attachment **out, int max);
/* Detach everything (after detach_many() where the caller used it). With
 * gone, the namespace has ended: read the last counts, give back the slots,
 * close its handle and sockets so it can be freed. */
void tracer__stop(struct tracer *t, bool gone);

/* The route watch: audit the namespace's routing if a change (or the
 * start) made that due by now (CLOCK_MONOTONIC ns), and report what
 * changed. */
void tracer__watch_routes(struct tracer *t, uint64_t now);
/* The findings of its last route audit, and what the watch did. */
/* When its route watch's next audit is due (CLOCK_MONOTONIC ns; 0: none). */
uint64_t tracer__routes_due(const struct tracer *t);
const struct findings *tracer__route_findings(const struct tracer *t);
void tracer__route_stats(const struct tracer *t, struct route_watch_stats *out);

/* A leak or bypass flow first seen here (counted as it comes: a reused slot
 * purges the flow records of the namespace that had it). */
void tracer__count_flow(struct tracer *t, enum tl_type type);
/* The route that sent flow r out and the command that fixes it (shown once
 * per CIDR in this namespace: r->show_fix). */
void tracer__diagnose(struct tracer *t, struct flow_rec *r);

/* The namespace's section of a snapshot: names, state, interfaces with
 * their counters — live ones from all (indexed by slot; NULL: none read),
 * or the last ones once the tracer has ended. */
void tracer__snap(const struct tracer *t,
		  const struct tl_counter all[TL_MAX_SLOTS][2][TL_NR_COUNTERS], struct ns_snap *n);

#endif
