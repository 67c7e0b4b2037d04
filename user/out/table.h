/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The --top view, rendered into a buffer of a given size. Plain C. */
#ifndef TL_TABLE_H
#define TL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out/export.h"
#include "model/flows.h"

struct table_view {
	const struct snapshot *now;
	const struct snapshot *prev; /* NULL: no rates yet */
	double dt;		     /* seconds from prev to now */
	const char *where;	     /* "network namespace pod1", "all pods on node-1" */
	bool node_mode;		     /* namespaces are discovered: group by pod */
	const char *attach;	     /* "tcx" or "tc" */
	uint64_t uptime_s;
	enum flow_sort sort;
	const struct flow_rec *const *flows; /* best first, already aged */
	int nflows;
	uint64_t now_ns;     /* realtime, for "ago" */
	const char *message; /* last diagnostic, or NULL */
	bool color;
};

/* Lines separated by '\n', none longer than width, at most height lines.
 * Returns the number of lines. */
int table_render(char *buf, size_t len, int width, int height, const struct table_view *v);
/* 1234 -> "1.2K", 5300000 -> "5.3M" (buf >= 8) */
const char *human(double v, char *buf, size_t len);

#endif
