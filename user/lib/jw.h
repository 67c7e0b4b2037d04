/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one JSON writer: events (one object per line) and the counters file
 * (a whole document) are both written with it, so a field's name and its
 * escaping are written once. Output grows in a buffer the caller writes out.
 * Plain C.
 */
#ifndef TL_JW_H
#define TL_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

struct jw {
	char *buf;
	size_t len, cap;
	bool pretty; /* a member per line, indented (the counters file) */
	bool oom;    /* an allocation failed: the output is incomplete */
	int depth;
	bool any[JW_MAX_DEPTH]; /* the container at this depth has a member */
	int flat;		/* depth from which members stay on one line (0: none) */
};

void jw_init(struct jw *w, bool pretty);
void jw_reset(struct jw *w); /* empty, keep the buffer */
void jw_free(struct jw *w);

/* key: the member's name inside an object; NULL inside an array or at the top. */
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
/* An object whose members stay on one line, even in pretty output (a
 * counter, a flow): the file reads as a table. */
void jw_obj_open_flat(struct jw *w, const char *key);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val); /* NULL: null */
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);
/* Raw text (for the text half of a record written by the same caller). */
void jw_raw(struct jw *w, const char *s, size_t n);

#endif
