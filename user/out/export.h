/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The output model: a snapshot of the counters with one section per traced
 * namespace, rendered as the counters file (JSON, version 2, or Prometheus
 * text) and read by the live table. Written atomically. Plain C.
 */
#ifndef TL_EXPORT_H
#define TL_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/abi.h"
#include "config/cli.h"
#include "model/findings.h"
#include "model/flows.h"
#include "model/names.h"

#define SNAP_MAX_IFACES 32
/* The counters file lists at most this many flows: half the largest, half
 * the most recent; its totals count every flow. */
#define EXPORT_MAX_FLOWS 1000

struct iface_snap {
	char name[16];
	enum tl_role role;
	enum iface_state state;
	uint32_t ifindex; /* 0 when not attached */
	bool l2;
	struct tl_counter c[2][TL_NR_COUNTERS]; /* [direction][class or kind] */
};

/* One namespace. */
struct ns_snap {
	uint32_t id; /* as flow records carry it */
	char label[64];
	char pod[64];	 /* "": unknown */
	char k8s_ns[64]; /* "": unknown */
	char netns[128]; /* the nsfs path it was found at */
	uint64_t inode;
	enum ns_state state;
	enum name_source source; /* where label and pod come from */
	int untraced_errno;	 /* NS_UNTRACED: the errno that keeps it so */
	char untraced[200];	 /* NS_UNTRACED: why, as said on stderr */
	int nr_ifaces;
	struct iface_snap ifaces[SNAP_MAX_IFACES];
	uint64_t leak_flows, bypass_flows; /* distinct flows seen in it */
	/* the route watch: its current findings (snapshot_routes()) and fixes */
	int first_route, nr_routes;
	uint64_t route_fixes, route_fixes_refused;
	uint64_t route_audits, route_audit_errors, route_audit_cpu_ns; /* the last one's CPU */
};

struct totals {
	uint64_t leak_packets, leak_bytes, leak_flows;
	uint64_t bypass_packets, bypass_bytes, bypass_flows;
};

struct snapshot {
	uint64_t started_ns; /* realtime */
	uint64_t updated_ns;
	const char *attach_mode; /* "tcx" or "tc" */
	uint64_t stats[TL_NR_STATS];
	uint64_t received;  /* events read by user space */
	uint64_t recovered; /* flows whose event did not fit the ring, taken from the lost table */
	const char *pcap_path;		     /* NULL: no --pcap */
	uint64_t pcap_packets, pcap_dropped; /* written; lost to the size limit */
	uint64_t pcap_unwritten;	     /* not written: the file failed (pcap_errno) */
	int pcap_errno;			     /* the write error that stopped the file; 0: none */
	struct flows *flows;		     /* may be NULL */
	bool node_mode;			     /* --all: namespaces are discovered */
	uint64_t ns_seen, ns_unreadable;   /* node mode: namespaces found; processes not readable */
	uint64_t ns_processes;		   /* processes looked at */
	uint64_t scan_cpu_ns;		   /* CPU time of the last look at the node */
	uint64_t meta_files, meta_skipped; /* the runtime's config.json files; not indexed */
	uint64_t states[NS_NR_STATES];	   /* namespaces by state, watched ones included */
	/* Ended namespaces beyond those kept in the list (folded away): their
	 * counts stay in the totals, which never decrease. */
	uint64_t folded_ns, gone_kept;
	struct totals folded;
	/* interface slots (0: not known): there are, taken; interfaces that
	 * are there but have none (a limit reached: not counted) */
	uint64_t slots, slots_used, not_counted;
	int nr_ns, cap_ns;
	struct ns_snap *ns; /* owned: snapshot_free() */
	int nr_routes, cap_routes;
	struct finding *routes; /* every namespace's route findings; owned */
};

/* A new, zeroed namespace section (NULL when out of memory). */
struct ns_snap *snapshot_add_ns(struct snapshot *s);
/* A copy of f among n's route findings (n: the last namespace added), in
 * the audit's order: a CIDR's findings come together (the Prometheus text
 * makes one series of each run). 0 or -ENOMEM. */
int snapshot_add_route(struct snapshot *s, struct ns_snap *n, const struct finding *f);
/* n's route findings (n->nr_routes of them). */
const struct finding *snapshot_routes(const struct snapshot *s, const struct ns_snap *n);
/* Empty s, keeping its memory. */
void snapshot_clear(struct snapshot *s);
void snapshot_free(struct snapshot *s);
/* The run's totals: every namespace listed, and those folded away. */
void snapshot_totals(const struct snapshot *s, struct totals *t);
void totals_add(struct totals *t, const struct totals *n);
void ns_totals(const struct ns_snap *n, struct totals *t);
const struct ns_snap *snapshot_ns(const struct snapshot *s, uint32_t id);

int export_render_json(FILE *f, const struct snapshot *s);
int export_render_prom(FILE *f, const struct snapshot *s);
/* Render to a temporary file beside path, flush, fsync, rename over path.
 * Returns 0 or -errno. */
int export_write(const char *path, enum export_fmt fmt, const struct snapshot *s);
/* 0 when path may be written: absent, or a regular file (never a device,
 * FIFO, symlink or directory, which the rename would replace); else -errno
 * (-EINVAL for "not a regular file"). */
int export_check_target(const char *path);

#endif
