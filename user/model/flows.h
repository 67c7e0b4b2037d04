/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * User-space table of leak and bypass flows: fed by ring-buffer events and by
 * sweeps of the kernel's flow table (so a flow whose event was dropped still
 * shows), bounded, least recently seen evicted first and counted. Plain C.
 */
#ifndef TL_FLOWS_H
#define TL_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "model/abi.h"

#define FLOW_ROUTE_LEN 512 /* longest route or fix text kept (every next hop: audit.h) */

/* A leak or bypass flow. Strings are interned in the table (flows__intern):
 * shared by every flow with the same route, never NULL ("" when unknown). */
struct flow_rec {
	struct tl_flow_key key;
	uint32_t ns_id; /* the namespace's tracer */
	uint8_t type;	/* enum tl_type */
	uint8_t cls;
	uint8_t reported; /* its event was printed */
	uint8_t has_route;
	uint8_t show_fix; /* text: the first event of its CIDR shows the fix */
	uint8_t reply;	  /* it answers a connection that came in on reply_to */
	const char *iface;
	const char *route; /* the routing entry that sent it out */
	const char *fix;   /* the command that fixes it, or "" */
	const char *reply_to;
	uint64_t packets;
	uint64_t bytes;
	uint64_t first_ns; /* realtime */
	uint64_t last_ns;
	double pps;	       /* over the last refresh of the live table */
	uint64_t view_packets; /* packets at that refresh */
	/* private: kernel counts at the last sweep, and counts carried over
	 * from before the kernel evicted and re-created the entry */
	uint64_t k_packets, k_bytes, base_packets, base_bytes;
	struct flow_rec *hnext, *lprev, *lnext;
};

enum flow_sort {
	FLOW_SORT_PACKETS = 0,
	FLOW_SORT_BYTES,
	FLOW_SORT_LAST,
};

struct flows;

struct flows *flows__new(size_t max_flows);
void flows__free(struct flows *f);
struct flow_rec *flows__lookup(struct flows *f, const struct tl_flow_key *key);
/* Find or insert; *is_new tells which. NULL only when out of memory. */
struct flow_rec *flows__upsert(struct flows *f, const struct tl_flow_key *key, int *is_new);
/* Set the kernel's cumulative counts for a flow (from a sweep or an event). */
void flows__set_kernel_counts(struct flows *f, struct flow_rec *r, uint64_t packets, uint64_t bytes,
			      uint64_t last_ns);
/* A copy of s (at most FLOW_ROUTE_LEN - 1 bytes) that lives as long as the
 * table: one per distinct string. "" when out of memory. */
const char *flows__intern(struct flows *f, const char *s);
/* Forget the flows of slot (before it is given to another interface). */
void flows__purge_slot(struct flows *f, int slot);
size_t flows__count(const struct flows *f);
uint64_t flows__evicted(const struct flows *f);
/* Up to n flows last seen at or after since_ns, best first. Returns how many. */
size_t flows__top(struct flows *f, const struct flow_rec **out, size_t n, enum flow_sort sort,
		  uint64_t since_ns);
/* Iterate, most recently seen first: start with NULL. */
const struct flow_rec *flows__next(const struct flows *f, const struct flow_rec *prev);

#endif
