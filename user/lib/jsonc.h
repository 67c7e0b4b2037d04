/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One JSON document from a buffer, parsed by json-c (Debian's libjson-c):
 * the one way tunleak reads JSON (--cidrs-from, the runtime's config.json).
 * Reading the file, and bounding its size, is the caller's; this bounds the
 * rest and says what was wrong in one line.
 *
 * Bounds: nesting at most JSONC_MAX_DEPTH levels; at most
 * JSONC_MAX_CONTAINERS bytes '{' and '[' in the buffer (strings included:
 * a bound on the objects and arrays json-c allocates, ~800 bytes each).
 * Measured with json-c 0.16: 1 MiB of "{},{},..." costs json-c 266 MiB, of
 * "0,0,..." 37 MiB; with these bounds 1 MiB of input costs at most ~50 MiB,
 * freed when the caller puts the root.
 *
 * json-c's strict mode (JSON_TOKENER_STRICT, with UTF-8 validated) still
 * takes, beyond RFC 8259: NaN, Infinity and -Infinity as numbers; control
 * characters unescaped inside strings; a lone surrogate escape (as U+FFFD).
 * A string keeps a "\u0000" (json_object_get_string_len() counts it;
 * jsonc_text() refuses it), but an object member's NAME is cut at it:
 * "a\u0000b" is read as the member "a". tests/unit/test_jsonc.c holds each
 * of these, so a json-c that changes them is noticed.
 */
#ifndef TL_JSONC_H
#define TL_JSONC_H

#include <stddef.h>
#include <json-c/json_object.h>

#define JSONC_MAX_DEPTH	     64
#define JSONC_MAX_CONTAINERS 16384

/* Parse buf[0..len) (no NUL needed) as one JSON text: nothing may follow the
 * value but whitespace. Returns 0 with *out the root (NULL for a JSON null;
 * the caller json_object_put()s it), or -EINVAL (not JSON), -E2BIG (over a
 * bound) or -ENOMEM with *out NULL and one line in err: what was wrong "at
 * byte N" (0-based offset into buf), e.g. "unexpected character ']' at byte
 * 55". */
int jsonc_parse(const char *buf, size_t len, struct json_object **out, char *err, size_t errlen);

/* "an object", "an array", "a string", "a number", "a boolean", "null": for
 * "expected X, got ...". */
const char *jsonc_a_type(const struct json_object *v);

/* Member key of object o (NULL if o is no object or has none). Unlike
 * json_object_object_get(), says whether the member exists: 1 and *v (NULL
 * for a JSON null), or 0. */
int jsonc_member(const struct json_object *o, const char *key, struct json_object **v);

/* A string that can be a name or a path: v's value when v is a string
 * without "\u0000" (which C would cut short), else NULL. */
const char *jsonc_text(struct json_object *v);

#endif
