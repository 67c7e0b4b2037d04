// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: json__parse() on any bytes, then every accessor over the
 * tree it returns, with the invariants the API promises. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

/* Checks one value and everything under it; depth bounds the walk as the
 * parser bounds the tree. */
static void walk(const struct json *n, int depth)
{
	enum json_type t = json_type(n);
	size_t i, len = json_len(n);
	uint64_t u;
	int64_t s;
	double d;

	if (depth > JSON_MAX_DEPTH + 1)
		abort();
	switch (t) {
	case JSON_STRING:
		/* NUL-terminated at its length */
		if (!json_str(n) || json_str(n)[len] != '\0')
			abort();
		break;
	case JSON_NUMBER:
		if (!json_num(n) || strlen(json_num(n)) == 0)
			abort();
		/* getters agree with the text's shape */
		if (json_double(n, &d) == -EINVAL)
			abort();
		if (json_u64(n, &u) == 0 && json_i64(n, &s) == 0 && u <= INT64_MAX &&
		    (uint64_t)s != u)
			abort();
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		for (i = 0; i < len; i++) {
			const struct json *c = json_index(n, i);

			if (!c)
				abort();
			if ((t == JSON_OBJECT) != (json_key(c) != NULL))
				abort();
			/* a member is found by its name (the last of that name) */
			if (t == JSON_OBJECT && strlen(json_key(c)) > 0 && !json_get(n, json_key(c)))
				abort();
			walk(c, depth + 1);
		}
		if (json_index(n, len))
			abort();
		break;
	case JSON_NULL:
	case JSON_BOOL:
		if (len != 0 || json_str(n) || json_num(n))
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct json *root;

	err[0] = 'x';
	root = json__parse((const char *)data, size, err, sizeof(err));
	if (!root) {
		/* a reason, with where it is */
		if (!err[0] || (errno != EINVAL && errno != E2BIG && errno != ENOMEM))
			abort();
		return 0;
	}
	walk(root, 0);
	json_path(root, "spec.clusterNetwork[0].cidr");
	json_path(root, "[0][1].a");
	json__free(root);
	return 0;
}
