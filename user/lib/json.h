/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small JSON (RFC 8259) reader: the whole document parsed into one
 * read-only tree. Plain C, no libbpf. Used for --cidrs-from and for the OCI
 * runtime's config.json of each container.
 *
 * Bounds: at most JSON_MAX_SIZE bytes of input, JSON_MAX_DEPTH nested
 * arrays/objects, JSON_MAX_VALUES values. The tree is one allocation: 24
 * bytes per value (64-bit) plus the decoded strings; while parsing, about
 * twice that (measured: 59 MiB peak RSS for 2^20 values).
 *
 * Every accessor takes NULL (and returns NULL, 0 or JSON_MISSING), so
 * lookups chain: json_str(json_get(json_get(root, "spec"), "networkType")).
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_SIZE	(16u << 20)
#define JSON_MAX_DEPTH	64
#define JSON_MAX_VALUES (1u << 20)

enum json_type {
	JSON_MISSING = 0, /* a NULL node: no such member or index */
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json; /* a value; the root owns the whole tree */

/* Parse buf[0..len) (no NUL needed) as one JSON text. Returns the root, or
 * NULL with errno EINVAL (not valid JSON), E2BIG (over JSON_MAX_SIZE bytes,
 * JSON_MAX_DEPTH levels or JSON_MAX_VALUES values) or ENOMEM, and one line
 * in err: what was wrong "at byte N" (0-based offset into buf). */
struct json *json__parse(const char *buf, size_t len, char *err, size_t errlen);
/* Free the tree of a root from json__parse() (NULL is fine). */
void json__free(struct json *root);

enum json_type json_type(const struct json *n);
/* "null", "boolean", "number", "string", "array", "object", "nothing". */
const char *json_type_name(enum json_type t);

/* Object member by name (the last one if the name repeats, as Go's
 * encoding/json, which oc and kubectl use, would read it); NULL if n is not
 * an object or has no such member. */
const struct json *json_get(const struct json *n, const char *key);
/* Element i of an array, or member i of an object (in document order). */
const struct json *json_index(const struct json *n, size_t i);
/* Elements of an array, members of an object, bytes of a string, else 0. */
size_t json_len(const struct json *n);
/* The name of an object member (n from json_index() on an object), else NULL. */
const char *json_key(const struct json *n);

/* A string's value, NUL-terminated UTF-8 (json_len() bytes; it may hold
 * "\u0000", so compare with json_len() when that matters), else NULL. */
const char *json_str(const struct json *n);
/* 1 for true, 0 for false or anything else. */
int json_bool(const struct json *n);
/* A number's text exactly as written (e.g. "-1.5e3"), else NULL. */
const char *json_num(const struct json *n);
/* A number as an integer: 0, -EINVAL (not a number, or has a fraction or
 * exponent) or -ERANGE (does not fit). */
int json_u64(const struct json *n, uint64_t *out);
int json_i64(const struct json *n, int64_t *out);
/* Any number as a double: 0, -EINVAL or -ERANGE (overflows). */
int json_double(const struct json *n, double *out);

/* Follow a path of member names separated by '.', each optionally followed
 * by array indexes: "spec.clusterNetwork[0].cidr", "linux.namespaces".
 * Names holding '.' or '[' (OCI annotations such as "io.kubernetes.pod.name")
 * need json_get(). NULL when any step is missing or the path is malformed. */
const struct json *json_path(const struct json *n, const char *path);

#endif
