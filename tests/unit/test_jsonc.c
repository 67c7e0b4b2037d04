// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lib/jsonc: json-c over one bounded buffer. What we add (the end of the
 * input, trailing bytes, the bounds, one error line) and what json-c does
 * that its header documents (its leniencies, a NUL in names). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "lib/jsonc.h"

static struct json_object *parse_len(const char *s, size_t len)
{
	struct json_object *j = (void *)1;
	char err[256] = "untouched";
	int ret;

	ret = jsonc_parse(s, len, &j, err, sizeof(err));
	if (ret)
		fail_msg("\"%.60s\": %d %s", s, ret, err);
	if (err[0])
		fail_msg("\"%.60s\": parsed, but err says \"%s\"", s, err);
	return j;
}

static struct json_object *parse(const char *s)
{
	return parse_len(s, strlen(s));
}

/* buf[0..len) must fail with want_ret and exactly the message msg. */
static void assert_bad_len(const char *s, size_t len, int want_ret, const char *msg)
{
	struct json_object *j = (void *)1;
	char err[256] = "untouched";
	int ret;

	ret = jsonc_parse(s, len, &j, err, sizeof(err));
	if (ret != want_ret)
		fail_msg("\"%.60s\": returned %d, expected %d (%s)", s, ret, want_ret, err);
	if (strcmp(err, msg))
		fail_msg("\"%.60s\": error \"%s\", expected \"%s\"", s, err, msg);
	assert_null(j);
}

static void assert_bad(const char *s, const char *msg)
{
	assert_bad_len(s, strlen(s), -EINVAL, msg);
}

static void test_values(void **state)
{
	struct json_object *j, *v;

	j = parse(" {\"a\": [1, 2.5, \"x\", true, null]}\n\t\r ");
	assert_true(json_object_is_type(j, json_type_object));
	assert_int_equal(jsonc_member(j, "a", &v), 1);
	assert_int_equal(json_object_array_length(v), 5);
	assert_string_equal(jsonc_a_type(j), "an object");
	assert_string_equal(jsonc_a_type(v), "an array");
	assert_string_equal(jsonc_a_type(json_object_array_get_idx(v, 0)), "a number");
	assert_string_equal(jsonc_a_type(json_object_array_get_idx(v, 1)), "a number");
	assert_string_equal(jsonc_a_type(json_object_array_get_idx(v, 2)), "a string");
	assert_string_equal(jsonc_a_type(json_object_array_get_idx(v, 3)), "a boolean");
	assert_null(json_object_array_get_idx(v, 4));
	assert_string_equal(jsonc_a_type(json_object_array_get_idx(v, 4)), "null");
	json_object_put(j);

	/* a number at the very end has no byte that ends it: the end of the
	 * input does */
	j = parse("1");
	assert_int_equal(json_object_get_int(j), 1);
	json_object_put(j);
	j = parse("-12.5e+3");
	assert_true(json_object_get_double(j) == -12500.0);
	json_object_put(j);
	j = parse_len("12345", 3);
	assert_int_equal(json_object_get_int(j), 123);
	json_object_put(j);

	/* a JSON null is a NULL root, and no error */
	assert_null(parse("null"));
	assert_null(parse(" null "));
	j = parse("\"\"");
	assert_string_equal(jsonc_text(j), "");
	json_object_put(j);
}

static void test_errors(void **state)
{
	assert_bad("", "unexpected end of data at byte 0");
	assert_bad(" \n ", "unexpected end of data at byte 3");
	assert_bad("[", "unexpected end of data at byte 1");
	assert_bad("{\"a\":", "unexpected end of data at byte 5");
	assert_bad("[1,]", "unexpected character ']' at byte 3");
	assert_bad("{\"a\":1,}", "unexpected character '}' at byte 7");
	assert_bad("[1 2]", "array value separator ',' expected, found '2' at byte 3");
	assert_bad("{\"a\" 1}", "object property name separator ':' expected, found '1' at byte 5");
	assert_bad("{a:1}", "quoted object property name expected, found 'a' at byte 1");
	assert_bad("tru", "unexpected end of data at byte 3");
	assert_bad("not json", "null expected, found 'o' at byte 1");
	assert_bad("apiVersion: v1", "unexpected character 'a' at byte 0");
	assert_bad("\"\\x\"", "invalid string sequence, found 'x' at byte 2");
	/* what strict mode refuses */
	assert_bad("'a'", "unexpected character \\x27 at byte 0");
	assert_bad("/* c */ {}", "unexpected character '/' at byte 0");
	assert_bad("[-inf]", "unexpected character 'i' at byte 2");
	/* UTF-8 is checked, and a byte order mark is not JSON */
	assert_bad("\"\xff\"", "invalid utf-8 string, found \\xff at byte 1");
	assert_bad("\xef\xbb\xbf{}", "invalid utf-8 string, found \\xef at byte 0");
	/* a NUL byte ends json-c's input, not ours: said as what it is */
	assert_bad_len("[\0]", 3, -EINVAL, "unexpected character \\x00 at byte 1");
	assert_bad_len("\"a\0b\"", 5, -EINVAL, "unexpected character \\x00 at byte 2");
	/* no room for the text: the error still comes */
	assert_int_equal(jsonc_parse("[", 1, &(struct json_object *){NULL}, NULL, 0), -EINVAL);
}

/* One value and nothing after it but whitespace. */
static void test_trailing(void **state)
{
	assert_bad("{} x", "unexpected character 'x' at byte 3");
	assert_bad("{}{}", "unexpected character '{' at byte 2");
	assert_bad("[1]]", "unexpected character ']' at byte 3");
	assert_bad("1 2", "unexpected character '2' at byte 2");
	assert_bad("null x", "unexpected character 'x' at byte 5");
	/* json-c stops at a NUL byte; we do not */
	assert_bad_len("{}\0", 3, -EINVAL, "unexpected character \\x00 at byte 2");
	assert_bad_len("{} \0 ", 5, -EINVAL, "unexpected character \\x00 at byte 3");
	assert_bad_len("1\0", 2, -EINVAL, "unexpected character \\x00 at byte 1");
}

/* JSONC_MAX_DEPTH levels parse, one more does not. */
static void test_depth(void **state)
{
	char buf[2 * (JSONC_MAX_DEPTH + 1) + 1], msg[64];
	struct json_object *j;
	int i;

	for (i = 0; i < JSONC_MAX_DEPTH; i++) {
		buf[i] = '[';
		buf[2 * JSONC_MAX_DEPTH - 1 - i] = ']';
	}
	j = parse_len(buf, 2 * JSONC_MAX_DEPTH);
	assert_int_equal(json_object_array_length(j), 1);
	json_object_put(j);

	for (i = 0; i < JSONC_MAX_DEPTH + 1; i++) {
		buf[i] = '[';
		buf[2 * (JSONC_MAX_DEPTH + 1) - 1 - i] = ']';
	}
	snprintf(msg, sizeof(msg), "nested deeper than %d levels at byte %d", JSONC_MAX_DEPTH,
		 JSONC_MAX_DEPTH);
	assert_bad_len(buf, 2 * (JSONC_MAX_DEPTH + 1), -E2BIG, msg);

	/* objects count as levels too */
	{
		char *o = malloc(8 * (JSONC_MAX_DEPTH + 1) + 1);
		size_t n = 0;

		for (i = 0; i < JSONC_MAX_DEPTH + 1; i++)
			n += sprintf(o + n, "{\"a\":");
		n += sprintf(o + n, "1");
		for (i = 0; i < JSONC_MAX_DEPTH + 1; i++)
			o[n++] = '}';
		snprintf(msg, sizeof(msg), "nested deeper than %d levels at byte %d",
			 JSONC_MAX_DEPTH, 5 * JSONC_MAX_DEPTH);
		assert_bad_len(o, n, -E2BIG, msg);
		free(o);
	}
}

/* "[[],[],...]" of n arrays in all. */
static char *arrays(int n, size_t *len)
{
	char *b = malloc(3 * (size_t)n + 2);
	size_t o = 0;
	int i;

	b[o++] = '[';
	for (i = 1; i < n; i++) {
		memcpy(b + o, "[],", 3);
		o += 3;
	}
	if (n > 1)
		o--; /* the last ',' */
	b[o++] = ']';
	*len = o;
	return b;
}

static void test_containers(void **state)
{
	struct json_object *j;
	char msg[96], *b;
	size_t len;

	snprintf(msg, sizeof(msg), "more than %d objects and arrays ('{' and '[')",
		 JSONC_MAX_CONTAINERS);
	b = arrays(JSONC_MAX_CONTAINERS, &len);
	j = parse_len(b, len);
	assert_int_equal(json_object_array_length(j), JSONC_MAX_CONTAINERS - 1);
	json_object_put(j);
	free(b);
	b = arrays(JSONC_MAX_CONTAINERS + 1, &len);
	assert_bad_len(b, len, -E2BIG, msg);
	free(b);

	/* counted in strings too: a bound, not a count */
	b = malloc(JSONC_MAX_CONTAINERS + 3);
	b[0] = '"';
	memset(b + 1, '{', JSONC_MAX_CONTAINERS);
	b[JSONC_MAX_CONTAINERS + 1] = '"';
	j = parse_len(b, JSONC_MAX_CONTAINERS + 2);
	assert_int_equal(json_object_get_string_len(j), JSONC_MAX_CONTAINERS);
	json_object_put(j);
	b[JSONC_MAX_CONTAINERS + 1] = '[';
	b[JSONC_MAX_CONTAINERS + 2] = '"';
	assert_bad_len(b, JSONC_MAX_CONTAINERS + 3, -E2BIG, msg);
	free(b);
}

/* The peak memory of the worst 1 MiB within the bounds, in a child of its
 * own: as the header says, at most ~50 MiB. Not in the AddressSanitizer
 * build, where it would measure ASan's allocator, not json-c. */
#if !defined(__SANITIZE_ADDRESS__)
static void test_memory(void **state)
{
	const size_t size = 1 << 20;
	int p[2], st;
	long kib = -1;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *b = malloc(size);
		struct rusage before, after;
		struct json_object *j;
		size_t o = 0;
		int i;
		long d;

		/* every object the bound allows, then the cheapest values */
		b[o++] = '[';
		for (i = 0; i < JSONC_MAX_CONTAINERS - 1; i++, o += 3)
			memcpy(b + o, "{},", 3);
		while (o + 2 < size) {
			memcpy(b + o, "0,", 2);
			o += 2;
		}
		b[o++] = '0';
		b[o++] = ']';
		getrusage(RUSAGE_SELF, &before);
		if (jsonc_parse(b, o, &j, NULL, 0))
			_exit(1);
		getrusage(RUSAGE_SELF, &after);
		d = after.ru_maxrss - before.ru_maxrss;
		json_object_put(j);
		free(b);
		_exit(write(p[1], &d, sizeof(d)) == sizeof(d) ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &kib, sizeof(kib)), sizeof(kib));
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	print_message("1 MiB at the bounds: %ld KiB more peak RSS\n", kib);
	if (kib > 64 << 10)
		fail_msg("1 MiB within the bounds took %ld KiB, expected at most 64 MiB", kib);
}
#endif

static void test_strings(void **state)
{
	struct json_object *j, *v;

	/* a NUL stays in the string, and is no text */
	j = parse("[\"a\\u0000b\", \"ok\", 1, \"\\u00e9\"]");
	v = json_object_array_get_idx(j, 0);
	assert_int_equal(json_object_get_string_len(v), 3);
	assert_memory_equal(json_object_get_string(v), "a\0b", 4);
	assert_null(jsonc_text(v));
	assert_string_equal(jsonc_text(json_object_array_get_idx(j, 1)), "ok");
	assert_null(jsonc_text(json_object_array_get_idx(j, 2))); /* not "1" */
	assert_string_equal(jsonc_text(json_object_array_get_idx(j, 3)), "\xc3\xa9");
	assert_null(jsonc_text(NULL));
	json_object_put(j);
}

static void test_members(void **state)
{
	struct json_object *j, *arr, *v = (void *)1;

	j = parse("{\"a\": 1, \"n\": null, \"a.b\": 2}");
	assert_int_equal(jsonc_member(j, "a", &v), 1);
	assert_int_equal(json_object_get_int(v), 1);
	/* present but null, and missing: told apart */
	assert_int_equal(jsonc_member(j, "n", &v), 1);
	assert_null(v);
	v = (void *)1;
	assert_int_equal(jsonc_member(j, "x", &v), 0);
	assert_null(v);
	assert_int_equal(jsonc_member(j, "a.b", &v), 1);
	/* not an object, or nothing */
	arr = parse("[{\"a\": 1}]");
	v = (void *)1;
	assert_int_equal(jsonc_member(arr, "a", &v), 0);
	assert_null(v);
	json_object_put(arr);
	v = (void *)1;
	assert_int_equal(jsonc_member(NULL, "a", &v), 0);
	assert_null(v);
	json_object_put(j);
}

/* What json-c does beyond RFC 8259 even when strict, as lib/jsonc.h says:
 * if one of these changes with a json-c update, the header must too. */
static void test_json_c_behaviour(void **state)
{
	struct json_object *j, *v;

	/* the last of a repeated member wins (as Go's encoding/json reads it) */
	j = parse("{\"a\": 1, \"a\": 2}");
	assert_int_equal(json_object_object_length(j), 1);
	jsonc_member(j, "a", &v);
	assert_int_equal(json_object_get_int(v), 2);
	json_object_put(j);

	/* a member's name is cut at a NUL: "a\u0000b" is "a" */
	j = parse("{\"a\\u0000b\": 1}");
	assert_int_equal(jsonc_member(j, "a", &v), 1);
	assert_int_equal(json_object_get_int(v), 1);
	json_object_put(j);

	/* NaN and the infinities are numbers */
	j = parse("[NaN, Infinity, -Infinity]");
	assert_string_equal(jsonc_a_type(json_object_array_get_idx(j, 0)), "a number");
	assert_true(json_object_get_double(json_object_array_get_idx(j, 2)) < -1e308);
	json_object_put(j);

	/* control characters unescaped in a string */
	j = parse("\"a\x01\tb\"");
	assert_string_equal(jsonc_text(j), "a\x01\tb");
	json_object_put(j);

	/* a lone surrogate escape becomes U+FFFD */
	j = parse("\"\\ud800\"");
	assert_string_equal(jsonc_text(j), "\xef\xbf\xbd");
	json_object_put(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_containers),
#if !defined(__SANITIZE_ADDRESS__)
		cmocka_unit_test(test_memory),
#endif
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_json_c_behaviour),
	};

	return cmocka_run_group_tests_name("jsonc", tests, NULL, NULL);
}
