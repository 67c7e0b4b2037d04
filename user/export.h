/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Counters file: JSON or Prometheus text, written atomically. Plain C. */
#ifndef TL_EXPORT_H
#define TL_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "abi.h"
#include "cli.h"
#include "flows.h"

struct iface_snap {
	char name[16];
	int role; /* enum tl_role */
	const char *state; /* "attached", "waiting", "gone" */
	uint32_t ifindex; /* 0 when not attached */
	int l2;
	struct tl_counter c[2][TL_NR_COUNTERS]; /* [direction][class or kind] */
};

struct snapshot {
	uint64_t started_ns; /* realtime */
	uint64_t updated_ns;
	const char *netns; /* NULL: the current one */
	const char *attach_mode; /* "tcx" or "tc" */
	int nr_ifaces;
	struct iface_snap ifaces[TL_MAX_SLOTS];
	uint64_t stats[TL_NR_STATS];
	uint64_t received; /* events read by user space */
	uint64_t recovered; /* flows found by a sweep after their event was lost */
	const char *pcap_path; /* NULL: no --pcap */
	uint64_t pcap_packets, pcap_dropped; /* written; lost to the size limit */
	struct flows *flows; /* may be NULL */
};

struct totals {
	uint64_t leak_packets, leak_bytes, leak_flows;
	uint64_t bypass_packets, bypass_bytes, bypass_flows;
};

void snapshot_totals(const struct snapshot *s, struct totals *t);
int export_render_json(FILE *f, const struct snapshot *s);
int export_render_prom(FILE *f, const struct snapshot *s);
/* Render to a temporary file beside path, flush, fsync, rename over path.
 * Returns 0 or -errno. */
int export_write(const char *path, enum export_fmt fmt, const struct snapshot *s);

#endif
