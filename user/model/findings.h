/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Findings of a route audit, as a set: one finding per (kind, CIDR, route),
 * and the difference between two audits of a namespace — what appeared, what
 * is gone, and since when each one that stayed has been there. Plain C.
 */
#ifndef TL_FINDINGS_H
#define TL_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/audit.h"
#include "model/cidr.h"

/* Findings kept per set (per namespace); more are counted, not kept. */
#define FINDINGS_MAX 4096

enum finding_kind {
	FINDING_LEAK = 0, /* a cluster-bound CIDR routes into a tunnel */
	FINDING_BYPASS,	  /* a remote CIDR does not route into one */
};

struct finding {
	enum finding_kind kind;
	int cls; /* the CIDR's class (enum tl_class) */
	struct cidr cidr;
	uint8_t example[16]; /* the address looked up (the probe) */
	bool has_src;
	uint8_t src[16]; /* looked up from this address of the namespace; else unbound */
	char iface[16];	 /* leak: the tunnel; bypass: where it goes instead ("": nowhere) */
	char route[ROUTE_TEXT_LEN]; /* the route (or rule) that decides; "": no route */
	uint32_t table;		    /* the route's table (0: none) */
	struct route_fix fix;
	char fix_text[FIX_TEXT_LEN];
	uint64_t since; /* set by findings__diff(): when it first appeared */
};

/* "leak", "bypass" */
const char *finding_kind_name(enum finding_kind k);
/* kind|cidr|route: what makes a finding the same one in two audits */
const char *finding_key(const struct finding *f, char *buf, size_t len);

struct findings;

struct findings *findings__new(void);
void findings__free(struct findings *s);
void findings__clear(struct findings *s);
/* Add a copy of f unless one with its key is there. 1 added, 0 already
 * there, -ENOSPC over FINDINGS_MAX (counted: findings__dropped()), -ENOMEM. */
int findings__add(struct findings *s, const struct finding *f);
int findings__count(const struct findings *s);
const struct finding *findings__get(const struct findings *s, int i);
/* Index of the finding with f's key, or -1. */
int findings__find(const struct findings *s, const struct finding *f);
/* Findings refused for the limit since the last clear. */
int findings__dropped(const struct findings *s);

struct findings_diff {
	int appeared, gone, kept;
};

/*
 * now against prev, the last audit of the same namespace: on(f, true) for
 * each finding of now that prev lacks (its since set to now_ns), on(f, false)
 * for each of prev that now lacks; one that stayed keeps prev's since. on may
 * be NULL. Returns the counts.
 */
struct findings_diff findings__diff(const struct findings *prev, struct findings *now,
				    uint64_t now_ns,
				    void (*on)(const struct finding *f, bool appeared, void *ctx),
				    void *ctx);

/* Make dst what src is, and empty src (for the next audit). */
void findings__move(struct findings *dst, struct findings *src);

#endif
