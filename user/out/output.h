/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One emit path for text and JSON (after iproute2's print_*()): each field is
 * printed by one call that knows its JSON key and its text format, so the two
 * modes cannot drift apart. JSON goes through the one JSON writer (jw.h);
 * text values are stripped of control characters. Plain C.
 */
#ifndef TL_OUTPUT_H
#define TL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/jw.h"

struct finding;
struct flow_rec;

struct out {
	FILE *f;
	bool json;
	bool batch;   /* the caller flushes after a batch of records */
	int err;      /* the first write error (-errno), e.g. -EPIPE when stdout went away */
	struct jw jw; /* the record: JSON, or the text line */
};

void out_begin(struct out *o);
/* key: JSON key, or NULL for text only; fmt: text format, or NULL for JSON only.
 * A NULL val is JSON null and is left out of the text. */
void out_str(struct out *o, const char *key, const char *fmt, const char *val);
void out_u64(struct out *o, const char *key, const char *fmt, uint64_t val);
void out_bool(struct out *o, const char *key, const char *fmt, bool val);
/* Ends the record: one line, flushed (unless batch: then the caller flushes). */
void out_end(struct out *o);
/* Flush; returns 0 or the first write error (-errno). */
int out_flush(struct out *o);
void out_free(struct out *o);

/* RFC 3339 UTC with milliseconds: 2026-11-26T12:00:01.123Z (buf >= 32). */
const char *format_time(uint64_t realtime_ns, char *buf, size_t len);
/* "tcp", "udp", "icmp", "icmpv6" or the number (buf >= 8). */
const char *proto_name(int proto, char *buf, size_t len);
/* Address of family 4 or 6 (buf >= 46). */
const char *addr_format(int family, const uint8_t *addr, char *buf, size_t len);

/* Where a flow was seen: the namespace's label and, when known, its pod. */
struct flow_origin {
	const char *netns;  /* the namespace's label */
	const char *pod;    /* NULL or "": unknown */
	const char *k8s_ns; /* the pod's Kubernetes namespace; NULL or "": unknown */
	const char *source; /* where the name comes from (name_source_name()); NULL: not said */
	bool name_it;	    /* text: name the namespace even without a pod (node mode) */
};

/* One route watch event: route_leak, route_bypass (a finding appeared),
 * route_ok (it went), route_fixed, route_fix_refused (--fix). */
struct route_event {
	const char *type;
	const struct finding *f;
	uint64_t time_ns;	 /* realtime */
	int64_t after_tunnel_ms; /* appeared: since a tunnel came up; < 0: unknown */
	const char *added;	 /* route_fixed: the ip commands of what was added */
	const char *reason;	 /* route_fix_refused: why */
};

void route_event_print(struct out *o, const struct route_event *e, const struct flow_origin *from);

/* One event line (text) or object (JSON) for a new leak or bypass flow. */
void event_print(struct out *o, const struct flow_rec *r, const struct flow_origin *from);

#endif
