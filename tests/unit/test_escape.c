// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Text from pods, escaped for the operator's terminal (escape_ctl) and for
 * JSON (jw): control characters C0, DEL and C1, and bytes that are no UTF-8. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/jw.h"
#include "lib/escape.h"
#include "out/output.h"

static const char *esc(const char *s)
{
	static char buf[256];

	return escape_ctl(s, buf, sizeof(buf));
}

static void test_ascii_and_c0(void **state)
{
	assert_string_equal(esc("tun0"), "tun0");
	assert_string_equal(esc("t\033[31m"), "t\\x1b[31m");
	assert_string_equal(esc("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
	assert_string_equal(esc("del\x7f"), "del\\x7f");
	assert_string_equal(esc(""), "");
}

/* Printable UTF-8 passes; C1 controls (U+009B is CSI to some terminals)
 * and whatever is no UTF-8 are escaped byte by byte. */
static void test_utf8(void **state)
{
	assert_string_equal(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(esc("\xc2\xa0nbsp"), "\xc2\xa0nbsp"); /* U+00A0: not C1 */
	assert_string_equal(esc("t\xc2\x9b"
				"31m"),
			    "t\\xc2\\x9b31m");		    /* U+009B CSI */
	assert_string_equal(esc("\xc2\x85"), "\\xc2\\x85"); /* U+0085 NEL */
	assert_string_equal(esc("t\x9b"
				"31m"),
			    "t\\x9b31m"); /* 8-bit CSI */
	assert_string_equal(esc("\xff\xfe"), "\\xff\\xfe");
	assert_string_equal(esc("\xe2\x82"), "\\xe2\\x82");		      /* cut short */
	assert_string_equal(esc("\xc0\xaf"), "\\xc0\\xaf");		      /* overlong '/' */
	assert_string_equal(esc("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");	      /* overlong */
	assert_string_equal(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");	      /* surrogate */
	assert_string_equal(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
}

/* Cut to fit: never inside an escape or a character, always terminated. */
static void test_cut(void **state)
{
	char buf[8];

	assert_string_equal(escape_ctl("abcdefghij", buf, sizeof(buf)), "abcdefg");
	assert_string_equal(escape_ctl("abcde\033x", buf, sizeof(buf)), "abcde");
	assert_string_equal(escape_ctl("abcd\xe2\x82\xacx", buf, sizeof(buf)), "abcd\xe2\x82\xac");
	assert_string_equal(escape_ctl("abcde\xe2\x82\xac", buf, sizeof(buf)), "abcde");
	assert_string_equal(escape_ctl("\033\033", buf, 5), "\\x1b");
	assert_string_equal(escape_ctl("\033", buf, 4), "");
}

/* Bidi embeddings, overrides and isolates reorder a line: a name with
 * U+202E can show as another pod's. Escaped like controls; other marks pass. */
static void test_bidi(void **state)
{
	assert_string_equal(esc("ab\xe2\x80\xae"
				"cd"),
			    "ab\\xe2\\x80\\xaecd");		     /* U+202E RLO */
	assert_string_equal(esc("\xe2\x80\xaa"), "\\xe2\\x80\\xaa"); /* U+202A LRE */
	assert_string_equal(esc("\xe2\x81\xa6x\xe2\x81\xa9"),
			    "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9");	  /* LRI, PDI */
	assert_string_equal(esc("\xe2\x80\xa9"), "\xe2\x80\xa9"); /* U+2029: not bidi */
	assert_string_equal(esc("\xe2\x80\xaf"), "\xe2\x80\xaf"); /* U+202F */
	assert_string_equal(esc("\xe2\x81\xaa"), "\xe2\x81\xaa"); /* U+206A */
}

static const char *json(const char *s)
{
	static char out[256];
	struct jw w;

	jw_init(&w, false);
	jw_str(&w, NULL, s);
	snprintf(out, sizeof(out), "%.*s", (int)w.len, w.buf);
	jw_free(&w);
	return out;
}

static void test_json(void **state)
{
	assert_string_equal(json("t\033[31m"), "\"t\\u001b[31m\"");
	assert_string_equal(json("a\"b\\c\nd\x7f"), "\"a\\\"b\\\\c\\nd\\u007f\"");
	assert_string_equal(json("caf\xc3\xa9 \xf0\x9f\x98\x80"),
			    "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	assert_string_equal(json("t\xc2\x9b"
				 "31m"),
			    "\"t\\u009b31m\"");
	assert_string_equal(json("t\x9b"
				 "31m"),
			    "\"t\\ufffd31m\"");
	assert_string_equal(json("\xff\xe2\x82"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(json("a\xe2\x80\xae"
				 "b\xe2\x81\xa7"),
			    "\"a\\u202eb\\u2067\"");
	assert_string_equal(json("\xe2\x80\xa9"), "\"\xe2\x80\xa9\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ascii_and_c0), cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_cut),		 cmocka_unit_test(test_bidi),
	    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
