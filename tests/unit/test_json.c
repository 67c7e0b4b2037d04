// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/json.h"

static struct json *parse(const char *s)
{
	char err[256];
	struct json *j = json__parse(s, strlen(s), err, sizeof(err));

	if (!j)
		fail_msg("%s: %s", s, err);
	return j;
}

/* s must fail with errno `error` and exactly the message `msg`. */
static void assert_bad_len(const char *s, size_t len, int error, const char *msg)
{
	char err[256] = "untouched";
	struct json *j;

	errno = 0;
	j = json__parse(s, len, err, sizeof(err));
	if (j) {
		json__free(j);
		fail_msg("\"%s\": parsed, expected \"%s\"", s, msg);
	}
	if (errno != error)
		fail_msg("\"%s\": errno %d, expected %d", s, errno, error);
	if (strcmp(err, msg))
		fail_msg("\"%s\": error \"%s\", expected \"%s\"", s, err, msg);
}

static void assert_bad(const char *s, const char *msg)
{
	assert_bad_len(s, strlen(s), EINVAL, msg);
}

static void test_scalars(void **state)
{
	struct json *j;

	j = parse("null");
	assert_int_equal(json_type(j), JSON_NULL);
	assert_int_equal(json_len(j), 0);
	assert_null(json_str(j));
	json__free(j);

	j = parse(" \t\r\ntrue\n");
	assert_int_equal(json_type(j), JSON_BOOL);
	assert_int_equal(json_bool(j), 1);
	json__free(j);

	j = parse("false");
	assert_int_equal(json_type(j), JSON_BOOL);
	assert_int_equal(json_bool(j), 0);
	json__free(j);

	j = parse("\"hi\"");
	assert_int_equal(json_type(j), JSON_STRING);
	assert_string_equal(json_str(j), "hi");
	assert_int_equal(json_len(j), 2);
	assert_null(json_num(j));
	json__free(j);

	j = parse("-12.5e+3");
	assert_int_equal(json_type(j), JSON_NUMBER);
	assert_string_equal(json_num(j), "-12.5e+3");
	assert_null(json_str(j));
	json__free(j);

	/* the NULL node answers every accessor */
	assert_int_equal(json_type(NULL), JSON_MISSING);
	assert_null(json_get(NULL, "a"));
	assert_null(json_index(NULL, 0));
	assert_null(json_str(NULL));
	assert_null(json_num(NULL));
	assert_null(json_key(NULL));
	assert_null(json_path(NULL, "a"));
	assert_int_equal(json_len(NULL), 0);
	assert_int_equal(json_bool(NULL), 0);
	assert_string_equal(json_type_name(JSON_MISSING), "nothing");
	assert_string_equal(json_type_name(JSON_OBJECT), "object");
	assert_string_equal(json_type_name(JSON_ARRAY), "array");
	assert_string_equal(json_type_name(JSON_STRING), "string");
	json__free(NULL);
}

static void test_tree(void **state)
{
	const char *doc = "{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\", "
			  "\"hostPrefix\": 23}, {\"cidr\": \"fd01::/48\", \"hostPrefix\": 64}],"
			  " \"serviceNetwork\": [\"172.30.0.0/16\"], \"empty\": {}, \"none\": []},"
			  " \"a.b\": 1, \"n\": null}";
	const struct json *spec, *cn, *e;
	struct json *j = parse(doc);
	uint64_t u;

	assert_int_equal(json_type(j), JSON_OBJECT);
	assert_int_equal(json_len(j), 3);
	assert_string_equal(json_key(json_index(j, 0)), "spec");
	assert_string_equal(json_key(json_index(j, 1)), "a.b");
	assert_string_equal(json_key(json_index(j, 2)), "n");
	assert_null(json_index(j, 3));
	assert_null(json_key(j)); /* the root is no member */

	spec = json_get(j, "spec");
	assert_int_equal(json_type(spec), JSON_OBJECT);
	assert_int_equal(json_len(spec), 4);
	cn = json_get(spec, "clusterNetwork");
	assert_int_equal(json_type(cn), JSON_ARRAY);
	assert_int_equal(json_len(cn), 2);
	assert_string_equal(json_str(json_get(json_index(cn, 0), "cidr")), "10.128.0.0/14");
	assert_string_equal(json_str(json_get(json_index(cn, 1), "cidr")), "fd01::/48");
	assert_int_equal(json_u64(json_get(json_index(cn, 1), "hostPrefix"), &u), 0);
	assert_int_equal(u, 64);
	assert_null(json_index(cn, 2));
	assert_null(json_key(json_index(cn, 0))); /* array elements have no name */

	e = json_get(spec, "empty");
	assert_int_equal(json_type(e), JSON_OBJECT);
	assert_int_equal(json_len(e), 0);
	assert_null(json_index(e, 0));
	assert_int_equal(json_type(json_get(spec, "none")), JSON_ARRAY);
	assert_int_equal(json_len(json_get(spec, "none")), 0);

	/* missing members, wrong kinds */
	assert_null(json_get(spec, "status"));
	assert_null(json_get(cn, "cidr")); /* an array has no members */
	assert_null(json_index(json_get(j, "n"), 0));
	assert_int_equal(json_type(json_get(j, "n")), JSON_NULL);
	/* a name with a dot is reachable by json_get() */
	assert_int_equal(json_u64(json_get(j, "a.b"), &u), 0);
	assert_int_equal(u, 1);

	/* paths */
	assert_ptr_equal(json_path(j, "spec.clusterNetwork"), cn);
	assert_string_equal(json_str(json_path(j, "spec.clusterNetwork[1].cidr")), "fd01::/48");
	assert_string_equal(json_str(json_path(j, "spec.serviceNetwork[0]")), "172.30.0.0/16");
	assert_ptr_equal(json_path(j, "spec"), spec);
	assert_null(json_path(j, "spec.clusterNetwork[2].cidr"));
	assert_null(json_path(j, "spec.status.x"));
	assert_null(json_path(j, "a.b")); /* "a" then "b": not the member "a.b" */
	assert_null(json_path(j, "spec."));
	assert_null(json_path(j, ".spec"));
	assert_null(json_path(j, "spec..clusterNetwork"));
	assert_null(json_path(j, "spec.clusterNetwork[]"));
	assert_null(json_path(j, "spec.clusterNetwork[-1]"));
	assert_null(json_path(j, "spec.clusterNetwork[+1]"));
	assert_null(json_path(j, "spec.clusterNetwork[1"));
	assert_null(json_path(j, "spec.clusterNetwork[0x1]"));
	assert_null(json_path(j, "spec.clusterNetwork[99999999999999999999999]"));
	assert_null(json_path(j, "spec[0]")); /* indexes go into arrays only */
	assert_null(json_path(j, "spec.clusterNetwork[0]x"));
	json__free(j);

	j = parse("[[1, 2], [3]]");
	assert_string_equal(json_num(json_path(j, "[0][1]")), "2");
	assert_string_equal(json_num(json_path(j, "[1][0]")), "3");
	assert_null(json_path(j, "[1][1]"));
	assert_null(json_path(j, "x[0]"));
	json__free(j);
}

static void test_duplicate_keys(void **state)
{
	struct json *j = parse("{\"a\": 1, \"b\": 2, \"a\": 3}");

	/* the last one, as Go's encoding/json reads it */
	assert_string_equal(json_num(json_get(j, "a")), "3");
	assert_int_equal(json_len(j), 3);
	json__free(j);
}

static void test_strings(void **state)
{
	struct json *j;

	j = parse("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"");
	assert_string_equal(json_str(j), "a\"b\\c/d\be\ff\ng\rh\ti");
	json__free(j);

	/* \u escapes to UTF-8: 1, 2 and 3 bytes, and a surrogate pair to 4 */
	j = parse("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"");
	assert_string_equal(json_str(j), "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_int_equal(json_len(j), 10);
	json__free(j);

	/* the highest code point, U+10FFFF */
	j = parse("\"\\udbff\\udfff\"");
	assert_string_equal(json_str(j), "\xf4\x8f\xbf\xbf");
	json__free(j);

	/* raw UTF-8 passes through */
	j = parse("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
	assert_string_equal(json_str(j), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	json__free(j);

	/* \u0000 is kept: the length says where the string ends */
	j = parse("[\"a\\u0000b\", \"\"]");
	assert_int_equal(json_len(json_index(j, 0)), 3);
	assert_memory_equal(json_str(json_index(j, 0)), "a\0b", 4);
	assert_string_equal(json_str(json_index(j, 1)), "");
	assert_int_equal(json_len(json_index(j, 1)), 0);
	json__free(j);

	/* DEL and every byte from 0x20 need no escape */
	j = parse("\" ~\x7f\"");
	assert_string_equal(json_str(j), " ~\x7f");
	json__free(j);
}

static void test_bad_strings(void **state)
{
	assert_bad("\"abc", "unterminated string at byte 0");
	assert_bad("[\"abc\\", "unterminated escape at byte 5");
	assert_bad("\"a\\x\"", "invalid escape \"\\x\" at byte 2");
	assert_bad("\"a\\'\"", "invalid escape \"\\'\" at byte 2");
	assert_bad("\"\\u12\"", "\"\\u\" needs four hex digits at byte 1");
	assert_bad("\"\\u12g4\"", "\"\\u\" needs four hex digits at byte 1");
	assert_bad("\"\\ud83d\"", "unpaired high surrogate \\ud83d at byte 1");
	assert_bad("\"\\ud83dx\\ude00\"", "unpaired high surrogate \\ud83d at byte 1");
	assert_bad("\"\\ud83d\\u0041\"", "unpaired high surrogate \\ud83d at byte 1");
	assert_bad("\"\\ud83d\\ud83d\"", "unpaired high surrogate \\ud83d at byte 1");
	assert_bad("\"ab\\ude00\"", "unpaired low surrogate \\ude00 at byte 3");
	assert_bad("\"a\tb\"", "control character 0x09 in a string (must be escaped) at byte 2");
	assert_bad("\"a\nb\"", "control character 0x0a in a string (must be escaped) at byte 2");
	assert_bad_len("\"a\0b\"", 5, EINVAL,
		       "control character 0x00 in a string (must be escaped) at byte 2");
	/* invalid UTF-8: a lone continuation byte, overlong forms, an encoded
	 * surrogate, above U+10FFFF, bytes never used, a cut sequence */
	assert_bad("\"a\x80\"", "invalid UTF-8 in a string at byte 2");
	assert_bad("\"\xc0\x80\"", "invalid UTF-8 in a string at byte 1");
	assert_bad("\"\xc1\xbf\"", "invalid UTF-8 in a string at byte 1");
	assert_bad("\"\xe0\x80\xaf\"", "invalid UTF-8 in a string at byte 1");
	assert_bad("\"\xf0\x80\x80\xaf\"", "invalid UTF-8 in a string at byte 1");
	assert_bad("\"\xed\xa0\x80\"", "invalid UTF-8 in a string at byte 1");
	assert_bad("\"\xf4\x90\x80\x80\"", "invalid UTF-8 in a string at byte 1");
	assert_bad("\"\xf5\x80\x80\x80\"", "invalid UTF-8 in a string at byte 1");
	assert_bad("\"\xff\"", "invalid UTF-8 in a string at byte 1");
	assert_bad("\"\xe2\x82\"", "invalid UTF-8 in a string at byte 1");
	assert_bad_len("\"\xe2\x82", 3, EINVAL, "invalid UTF-8 in a string at byte 1");
	assert_bad("'a'", "expected a value, found ''' at byte 0");
}

static void test_numbers(void **state)
{
	static const char *const good[] = {
		"0", "-0", "1", "-1", "10", "1.5", "-0.0", "1e5", "1E+5", "1e-5", "0.1e1",
		"123456789012345678901234567890", "1.7976931348623157e309", NULL,
	};
	char err[256];
	int i;

	for (i = 0; good[i]; i++) {
		struct json *j = json__parse(good[i], strlen(good[i]), err, sizeof(err));

		if (!j)
			fail_msg("\"%s\": %s", good[i], err);
		assert_string_equal(json_num(j), good[i]);
		json__free(j);
	}
	assert_bad("01", "number with a leading zero at byte 0");
	assert_bad("[-01]", "number with a leading zero at byte 1");
	assert_bad("1.", "expected a digit after '.' at byte 2");
	assert_bad("1.e5", "expected a digit after '.' at byte 2");
	assert_bad(".5", "expected a value, found '.' at byte 0");
	assert_bad("-", "expected a digit after '-' at byte 1");
	assert_bad("-a", "expected a digit after '-' at byte 1");
	assert_bad("+1", "expected a value, found '+' at byte 0");
	assert_bad("1e", "expected a digit in the exponent at byte 2");
	assert_bad("1e+", "expected a digit in the exponent at byte 3");
	assert_bad("0x10", "unexpected 'x' after the JSON value at byte 1");
	assert_bad("NaN", "expected a value, found 'N' at byte 0");
	assert_bad("Infinity", "expected a value, found 'I' at byte 0");
	assert_bad("-Infinity", "expected a digit after '-' at byte 1");
	assert_bad("1 2", "unexpected '2' after the JSON value at byte 2");
}

static void test_number_getters(void **state)
{
	struct json *j = parse("[18446744073709551615, 18446744073709551616, -1, -0, 1.0, 1e2,"
			       " 9223372036854775807, -9223372036854775808, -9223372036854775809,"
			       " 2.5e-3, 1e400, 1e-400, \"7\"]");
	uint64_t u = 42;
	int64_t i = 42;
	double d = 42;

	assert_int_equal(json_u64(json_index(j, 0), &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(json_u64(json_index(j, 1), &u), -ERANGE);
	assert_int_equal(json_u64(json_index(j, 2), &u), -ERANGE);
	assert_int_equal(json_u64(json_index(j, 3), &u), 0);
	assert_true(u == 0);
	assert_int_equal(json_u64(json_index(j, 4), &u), -EINVAL); /* has a fraction */
	assert_int_equal(json_u64(json_index(j, 5), &u), -EINVAL); /* has an exponent */
	assert_int_equal(json_i64(json_index(j, 6), &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(json_i64(json_index(j, 7), &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(json_i64(json_index(j, 8), &i), -ERANGE);
	assert_int_equal(json_i64(json_index(j, 2), &i), 0);
	assert_true(i == -1);
	assert_int_equal(json_i64(json_index(j, 4), &i), -EINVAL);
	assert_int_equal(json_double(json_index(j, 9), &d), 0);
	assert_true(d == 2.5e-3);
	assert_int_equal(json_double(json_index(j, 5), &d), 0);
	assert_true(d == 100.0);
	assert_int_equal(json_double(json_index(j, 10), &d), -ERANGE);
	assert_int_equal(json_double(json_index(j, 11), &d), 0); /* underflow: ~0 is fine */
	assert_true(d >= 0 && d < 1e-300);
	/* a string holding digits is no number */
	assert_int_equal(json_u64(json_index(j, 12), &u), -EINVAL);
	assert_int_equal(json_i64(json_index(j, 12), &i), -EINVAL);
	assert_int_equal(json_double(json_index(j, 12), &d), -EINVAL);
	assert_int_equal(json_u64(NULL, &u), -EINVAL);
	json__free(j);
}

static void test_syntax_errors(void **state)
{
	assert_bad("", "expected a value, found the end of the input at byte 0");
	assert_bad(" \n ", "expected a value, found the end of the input at byte 3");
	assert_bad("[", "expected a value, found the end of the input at byte 1");
	assert_bad("[1", "expected ',' or ']' in an array, found the end of the input at byte 2");
	assert_bad("[1,]", "expected a value, found ']' at byte 3");
	assert_bad("[1 2]", "expected ',' or ']' in an array, found '2' at byte 3");
	assert_bad("{", "expected a member name in quotes, found the end of the input at byte 1");
	assert_bad("{a:1}", "expected a member name in quotes, found 'a' at byte 1");
	assert_bad("{\"a\" 1}", "expected ':' after a member name, found '1' at byte 5");
	assert_bad("{\"a\":}", "expected a value, found '}' at byte 5");
	assert_bad("{\"a\":1,}", "expected a member name in quotes, found '}' at byte 7");
	assert_bad("{\"a\":1 \"b\":2}",
		   "expected ',' or '}' in an object, found '\"' at byte 7");
	assert_bad("{\"a\":1]", "expected ',' or '}' in an object, found ']' at byte 6");
	assert_bad("[1}", "expected ',' or ']' in an array, found '}' at byte 2");
	assert_bad("tru", "expected a value at byte 0");
	assert_bad("nul", "expected a value at byte 0");
	assert_bad("[truex]", "expected ',' or ']' in an array, found 'x' at byte 5");
	assert_bad("{} {}", "unexpected '{' after the JSON value at byte 3");
	assert_bad("\xef\xbb\xbf{}", "expected a value, found byte 0xef at byte 0");
	assert_bad("[1,\x0c 2]", "expected a value, found byte 0x0c at byte 3");
	assert_bad_len("{}\0", 3, EINVAL, "unexpected byte 0x00 after the JSON value at byte 2");
	/* errno EINVAL and no text when err has no room */
	errno = 0;
	assert_null(json__parse("[", 1, NULL, 0));
	assert_int_equal(errno, EINVAL);
}

static void test_depth(void **state)
{
	char buf[2 * (JSON_MAX_DEPTH + 1) + 1], msg[64];
	struct json *j;
	int i;

	/* JSON_MAX_DEPTH levels parse */
	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		buf[i] = '[';
		buf[2 * JSON_MAX_DEPTH - 1 - i] = ']';
	}
	j = json__parse(buf, 2 * JSON_MAX_DEPTH, msg, sizeof(msg));
	assert_non_null(j);
	assert_int_equal(json_len(j), 1);
	json__free(j);

	/* one more does not: the error points at the bracket too many */
	for (i = 0; i < JSON_MAX_DEPTH + 1; i++) {
		buf[i] = '[';
		buf[2 * (JSON_MAX_DEPTH + 1) - 1 - i] = ']';
	}
	snprintf(msg, sizeof(msg), "nested deeper than %d levels at byte %d", JSON_MAX_DEPTH,
		 JSON_MAX_DEPTH);
	assert_bad_len(buf, 2 * (JSON_MAX_DEPTH + 1), E2BIG, msg);

	/* objects count as levels too */
	j = parse("{\"a\":[{\"b\":[]}]}");
	assert_int_equal(json_type(json_path(j, "a[0].b")), JSON_ARRAY);
	json__free(j);
}

static void test_size_limits(void **state)
{
	size_t n = (size_t)JSON_MAX_VALUES; /* elements: one value more with the array */
	char msg[96];
	char *buf;
	size_t i;

	buf = malloc(JSON_MAX_SIZE + 1);
	assert_non_null(buf);
	/* over the size limit: refused before a byte is read */
	snprintf(msg, sizeof(msg), "%u bytes is more than the %u a JSON text may have",
		 JSON_MAX_SIZE + 1, JSON_MAX_SIZE);
	memset(buf, ' ', JSON_MAX_SIZE + 1);
	assert_bad_len(buf, JSON_MAX_SIZE + 1, E2BIG, msg);

	/* a full-size text of whitespace and one value parses */
	buf[JSON_MAX_SIZE - 1] = '0';
	{
		char err[128];
		struct json *j = json__parse(buf, JSON_MAX_SIZE, err, sizeof(err));

		assert_non_null(j);
		assert_string_equal(json_num(j), "0");
		json__free(j);
	}

	/* JSON_MAX_VALUES values parse, one more does not */
	buf[0] = '[';
	for (i = 0; i < n - 1; i++) {
		buf[1 + 2 * i] = '0';
		buf[2 + 2 * i] = ',';
	}
	buf[2 * (n - 1)] = ']';
	{
		char err[128];
		struct json *j = json__parse(buf, 2 * (n - 1) + 1, err, sizeof(err));

		if (!j)
			fail_msg("%s", err);
		assert_int_equal(json_len(j), n - 1);
		assert_string_equal(json_num(json_index(j, n - 2)), "0");
		json__free(j);
	}
	buf[2 * (n - 1)] = ',';
	buf[2 * (n - 1) + 1] = '0';
	buf[2 * (n - 1) + 2] = ']';
	snprintf(msg, sizeof(msg), "more than %u values at byte %zu", JSON_MAX_VALUES,
		 2 * (n - 1) + 1);
	assert_bad_len(buf, 2 * (n - 1) + 3, E2BIG, msg);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),	      cmocka_unit_test(test_tree),
		cmocka_unit_test(test_duplicate_keys), cmocka_unit_test(test_strings),
		cmocka_unit_test(test_bad_strings),   cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_number_getters), cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_depth),	      cmocka_unit_test(test_size_limits),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
