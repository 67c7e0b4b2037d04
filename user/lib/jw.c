// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "lib/jw.h"
#include "lib/utf8.h"

void jw_init(struct jw *w, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->pretty = pretty;
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->oom = false;
	w->any[0] = false;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w, w->pretty);
}

static bool room(struct jw *w, size_t n)
{
	if (w->len + n + 1 <= w->cap)
		return true;
	if (!w->oom) {
		size_t cap = w->cap ? w->cap : 256;
		char *b;

		while (cap < w->len + n + 1)
			cap *= 2;
		b = realloc(w->buf, cap);
		if (b) {
			w->buf = b;
			w->cap = cap;
			return true;
		}
	}
	w->oom = true;
	return false;
}

void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (!room(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void put(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* The escaped body of s, copied by runs of what needs no escaping. */
static void put_escaped(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	while (*s) {
		const char *run = s;
		unsigned char c;
		char e[7];

		while (*s && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20 &&
		       (unsigned char)*s < 0x7f)
			s++;
		jw_raw(w, run, s - run);
		if (!*s)
			break;
		if ((unsigned char)*s >= 0x80) {
			/* JSON is UTF-8: a C1 or bidi control as \uXXXX, a byte
			 * that is no UTF-8 as U+FFFD, the rest as it is */
			uint32_t cp;
			int n = utf8_seq(s, &cp);

			if (n && cp >= 0xa0 && !utf8_is_bidi(cp)) {
				jw_raw(w, s, n);
				s += n;
				continue;
			}
			s += n ? n : 1;
			if (!n) {
				jw_raw(w, "\\ufffd", 6);
				continue;
			}
			if (cp > 0xff) { /* a bidi control: as \u20XX, never raw */
				memcpy(e, "\\u", 2);
				e[2] = hex[(cp >> 12) & 15];
				e[3] = hex[(cp >> 8) & 15];
				e[4] = hex[(cp >> 4) & 15];
				e[5] = hex[cp & 15];
				jw_raw(w, e, 6);
				continue;
			}
			c = (unsigned char)cp;
		} else {
			c = (unsigned char)*s++;
		}
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			jw_raw(w, e, 2);
		} else if (c == '\n') {
			jw_raw(w, "\\n", 2);
		} else if (c == '\t') {
			jw_raw(w, "\\t", 2);
		} else {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			jw_raw(w, e, 6);
		}
	}
}

static void indent(struct jw *w)
{
	int i;

	if (!w->pretty)
		return;
	if (w->flat && w->depth >= w->flat) {
		put(w, " ");
		return;
	}
	put(w, "\n");
	for (i = 0; i < w->depth; i++)
		put(w, "  ");
}

/* Comma, line, and the key: what every member starts with. */
static void member(struct jw *w, const char *key)
{
	if (w->depth > 0) {
		if (w->any[w->depth])
			put(w, ",");
		w->any[w->depth] = true;
		indent(w);
	}
	if (key) {
		put(w, "\"");
		put_escaped(w, key);
		put(w, w->pretty ? "\": " : "\":");
	}
}

static void open_(struct jw *w, const char *key, const char *bracket)
{
	member(w, key);
	put(w, bracket);
	if (w->depth < JW_MAX_DEPTH - 1)
		w->depth++;
	w->any[w->depth] = false;
}

static void close_(struct jw *w, const char *bracket)
{
	bool had = w->any[w->depth];
	int was = w->depth;

	if (w->depth > 0)
		w->depth--;
	if (had && !(w->flat && was >= w->flat))
		indent(w);
	else if (had && w->pretty)
		put(w, " ");
	put(w, bracket);
	if (w->flat && was == w->flat)
		w->flat = 0;
}

void jw_obj_open(struct jw *w, const char *key)
{
	open_(w, key, "{");
}

void jw_obj_open_flat(struct jw *w, const char *key)
{
	open_(w, key, "{");
	if (!w->flat)
		w->flat = w->depth;
}

void jw_obj_close(struct jw *w)
{
	close_(w, "}");
}

void jw_arr_open(struct jw *w, const char *key)
{
	open_(w, key, "[");
}

void jw_arr_close(struct jw *w)
{
	close_(w, "]");
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	member(w, key);
	if (!val) {
		put(w, "null");
		return;
	}
	put(w, "\"");
	put_escaped(w, val);
	put(w, "\"");
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	char d[24];
	int n = sizeof(d);

	member(w, key);
	do {
		d[--n] = (char)('0' + val % 10);
		val /= 10;
	} while (val);
	jw_raw(w, d + n, sizeof(d) - n);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	member(w, key);
	put(w, val ? "true" : "false");
}

void jw_null(struct jw *w, const char *key)
{
	member(w, key);
	put(w, "null");
}
