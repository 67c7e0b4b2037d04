// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json_tokener.h>

#include "lib/jsonc.h"

/* "'x'" for a printable byte, "\xNN" for another: what stands at byte at. */
static const char *byte_at(const char *buf, size_t at, char *out, size_t len)
{
	unsigned char c = (unsigned char)buf[at];

	if (c > 0x20 && c < 0x7f && c != '\'')
		snprintf(out, len, "'%c'", c);
	else
		snprintf(out, len, "\\x%02x", c);
	return out;
}

static int fail(char *err, size_t errlen, int ret, enum json_tokener_error jerr, const char *buf,
		size_t len, size_t at)
{
	char c[8];

	if (!errlen)
		return ret;
	if (jerr == json_tokener_error_depth)
		snprintf(err, errlen, "nested deeper than %d levels at byte %zu", JSONC_MAX_DEPTH,
			 at);
	else if (at >= len)
		snprintf(err, errlen, "unexpected end of data at byte %zu", len);
	else if (jerr == json_tokener_error_parse_unexpected)
		snprintf(err, errlen, "unexpected character %s at byte %zu",
			 byte_at(buf, at, c, sizeof(c)), at);
	else
		snprintf(err, errlen, "%s, found %s at byte %zu", json_tokener_error_desc(jerr),
			 byte_at(buf, at, c, sizeof(c)), at);
	return ret;
}

int jsonc_parse(const char *buf, size_t len, struct json_object **out, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	struct json_object *root;
	size_t i, containers = 0, end;
	const char *nul;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (len > INT_MAX) { /* json-c's length is an int */
		snprintf(err, errlen, "more than %d bytes", INT_MAX);
		return -E2BIG;
	}
	/* Counted in strings too: an upper bound, checked before json-c
	 * allocates anything. */
	for (i = 0; i < len; i++)
		containers += buf[i] == '{' || buf[i] == '[';
	if (containers > JSONC_MAX_CONTAINERS) {
		snprintf(err, errlen, "more than %d objects and arrays ('{' and '[')",
			 JSONC_MAX_CONTAINERS);
		return -E2BIG;
	}
	tok = json_tokener_new_ex(JSONC_MAX_DEPTH);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* The end of the input, as json-c wants to be told: a NUL. A
		 * number, true, false or null at the very end needs it. */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	nul = len ? memchr(buf, '\0', len) : NULL;
	if (jerr == json_tokener_error_parse_eof && end < len && nul) {
		/* json-c's input ends at the first NUL byte, ours does not */
		jerr = json_tokener_error_parse_unexpected;
		end = nul - buf;
	}
	if (jerr != json_tokener_success) {
		json_object_put(root);
		return fail(err, errlen, jerr == json_tokener_error_depth ? -E2BIG : -EINVAL, jerr,
			    buf, len, end);
	}
	/* json-c stops at a NUL byte, and at nothing else in strict mode; what
	 * follows the value must be whitespace. */
	while (end < len &&
	       (buf[end] == ' ' || buf[end] == '\t' || buf[end] == '\n' || buf[end] == '\r'))
		end++;
	if (end < len) {
		json_object_put(root);
		return fail(err, errlen, -EINVAL, json_tokener_error_parse_unexpected, buf, len,
			    end);
	}
	*out = root;
	return 0;
}

const char *jsonc_a_type(const struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	case json_type_int:
	case json_type_double:
		return "a number";
	case json_type_boolean:
		return "a boolean";
	default:
		return "null";
	}
}

int jsonc_member(const struct json_object *o, const char *key, struct json_object **v)
{
	*v = NULL;
	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, v);
}

const char *jsonc_text(struct json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}
