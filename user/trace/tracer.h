/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One traced network namespace: its handle, its netlink socket and link
 * monitor, its route cache, its program instance (probe) and the interfaces
 * it is attached to, each counted in a slot of the shared datapath. The trace
 * command owns the tracers and wires them to the outputs.
 */
#ifndef TL_TRACER_H
#define TL_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/abi.h"
#include "datapath/attach.h"
#include "model/cidr.h"
#include "model/names.h"

struct config;
struct datapath;
struct flow_rec;
struct flows;
struct netns;
struct tracer;

#define TRACER_MAX_IFACES 32
#define TRACER_MAX_FIXED 64

/* Slots of the shared counters: who has which. */
struct slot_table {
	struct tracer *owner[TL_MAX_SLOTS];
	uint8_t iface[TL_MAX_SLOTS]; /* index in the owner's ifaces[] */
	uint64_t freed_at[TL_MAX_SLOTS]; /* 0: never used; reuse the oldest first */
	uint64_t clock;
};

/* What every tracer of one run shares (owned by the trace command). */
struct tracer_env {
	struct datapath *dp;
	struct flows *flows; /* user-space flow records: purged when a slot is reused */
	const struct config *cfg;
	enum attach_kind kind;
	struct slot_table slots;
	/* a tracer opened its link monitor: add its fd to the poll set */
	void (*on_monitor)(struct tracer *t, void *ctx);
	/* a probe loaded ahead of time, or NULL (then the tracer loads one) */
	struct probe *(*take_probe)(void *ctx);
	void *ctx;
};

struct tracer_iface {
	char name[16];
	enum tl_role role;
	bool named; /* given by --iface or --tunnel; else found by its link kind */
	int slot; /* -1: none (all slots taken) */
	uint32_t ifindex; /* 0: not attached */
	bool l2;
	enum iface_state state;
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
	struct probe *probe; /* loaded when it is first traced */
	struct nl *nl;
	struct nl_monitor *mon;
	struct route_cache *rc;
	int nr_ifaces;
	struct tracer_iface ifaces[TRACER_MAX_IFACES];
	const struct class_cidr *fixed[TRACER_MAX_FIXED]; /* CIDRs whose fix was shown */
	int nr_fixed;
	/* leak and bypass flows first seen here: counted as they come, since a
	 * reused slot purges the flow records of the namespace that had it */
	uint64_t leak_flows, bypass_flows;
	bool warned_slots;
	bool warned_ifaces; /* more tunnels than TRACER_MAX_IFACES: said once */
};

/* A tracer for ns (owned from here on: freed with the tracer, also on
 * error). NULL and errno. */
struct tracer *tracer__new(struct tracer_env *env, struct netns *ns, const char *path,
			   uint32_t id, bool single);
void tracer__free(struct tracer *t);
void tracer__set_name(struct tracer *t, const char *label, const char *pod, const char *k8s_ns,
		      const char *where);

/* Start: a single-namespace tracer loads its programs and attaches its
 * cluster interfaces now (each must exist: -ENODEV with one line in err) and
 * waits for its tunnels; a node-mode tracer watches until a tunnel appears.
 * Returns 0 or -errno, and nothing stays attached on error. */
int tracer__start(struct tracer *t, char *err, size_t errlen);
/* The link monitor's fd, for the caller's poll set; -1 if none. */
int tracer__monitor_fd(const struct tracer *t);
/* Links or routes changed (the monitor is readable): re-read them. */
void tracer__on_monitor(struct tracer *t);
/* Follow interfaces as they come and go (also called on a timer). */
void tracer__rescan(struct tracer *t);
/* The attachments that are live, for a concurrent detach at the end. */
int tracer__attachments(struct tracer *t, struct attachment **out, int max);
/* Detach everything (after detach_many() where the caller used it). With
 * gone, the namespace has ended: read the last counts, give back the slots,
 * close its handle and sockets so it can be freed. */
void tracer__stop(struct tracer *t, bool gone);

/* The route that sent flow r out and the command that fixes it (shown once
 * per CIDR in this namespace: r->show_fix). */
void tracer__diagnose(struct tracer *t, struct flow_rec *r);

/* Interface i's counters: live ones from all (indexed by slot), or the last
 * ones once the tracer has ended. */
void tracer__iface_counters(const struct tracer *t, int i,
			    const struct tl_counter all[TL_MAX_SLOTS][2][TL_NR_COUNTERS],
			    struct tl_counter out[2][TL_NR_COUNTERS]);

#endif
