// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lib/log: the one way to stderr. Warnings and errors as one escaped line
 * each; while a sink owns the terminal (--top), both go to it, and errors are
 * written to stderr when it lets go. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/log.h"

static FILE *captured;
static int saved_fd = -1;

/* stderr into a file until read_stderr() */
static void capture_stderr(void)
{
	fflush(stderr);
	captured = tmpfile();
	assert_non_null(captured);
	saved_fd = dup(STDERR_FILENO);
	assert_true(saved_fd >= 0);
	assert_true(dup2(fileno(captured), STDERR_FILENO) >= 0);
}

/* What went to stderr since capture_stderr(); the caller frees it */
static char *read_stderr(void)
{
	char *text;
	long n;

	fflush(stderr);
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	n = ftell(captured);
	text = calloc(1, n + 1);
	rewind(captured);
	if (n && fread(text, 1, n, captured) != (size_t)n)
		n = 0;
	fclose(captured);
	return text;
}

struct status {
	char line[256];
	int calls;
};

static void to_status(const char *line, void *ctx)
{
	struct status *st = ctx;

	snprintf(st->line, sizeof(st->line), "%s", line);
	st->calls++;
}

static void test_stderr(void **state)
{
	char *out;

	capture_stderr();
	warn("%s: removed %d filters\n", "tun0", 2);
	log_error("--iface \"%s\": no such interface", "eth9");
	warn("pod \"%s\" named", "a\nb\033[2J"); /* a pod's text cannot forge a line */
	out = read_stderr();
	assert_string_equal(out, "tunleak: tun0: removed 2 filters\n"
				 "tunleak: --iface \"eth9\": no such interface\n"
				 "tunleak: pod \"a\\x0ab\\x1b[2J\" named\n");
	free(out);
}

static void test_sink_holds_errors(void **state)
{
	struct status st = {0};
	char *out;

	capture_stderr();
	log_set_sink(to_status, &st);
	warn("tun0 gone");
	log_error("cannot open the ring buffer: %s", "No memory");
	warn("tun0 attached");
	out = read_stderr();
	/* nothing on stderr while the table is shown; each line in its status */
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(st.calls, 3);
	assert_string_equal(st.line, "tun0 attached");

	capture_stderr();
	log_set_sink(NULL, NULL);
	warn("detached");
	out = read_stderr();
	/* the error, not the warnings, once the terminal is back; then as usual */
	assert_string_equal(out, "tunleak: cannot open the ring buffer: No memory\n"
				 "tunleak: detached\n");
	free(out);

	capture_stderr();
	log_set_sink(to_status, &st);
	log_set_sink(NULL, NULL);
	out = read_stderr();
	assert_string_equal(out, ""); /* said once */
	free(out);
}

/* At most LOG_HELD_BYTES of error lines are held; the rest are counted */
static void test_sink_limit(void **state)
{
	struct status st = {0};
	char line[101], *out, *last;
	int i, n = LOG_HELD_BYTES / 110 + 5, kept;

	memset(line, 'e', 100);
	line[100] = '\0';
	log_set_sink(to_status, &st);
	for (i = 0; i < n; i++)
		log_error("%s", line);
	capture_stderr();
	log_set_sink(NULL, NULL);
	out = read_stderr();
	kept = (LOG_HELD_BYTES - 1) / (100 + sizeof("tunleak: \n") - 1);
	assert_int_equal(st.calls, n);
	last = strrchr(out, '\n');
	assert_non_null(last);
	*last = '\0';
	last = strrchr(out, '\n');
	assert_non_null(last);
	assert_int_equal(last + 1 - out, kept * 110);
	assert_string_equal(last + 1,
			    "tunleak: 5 more error lines not kept (8192 bytes held at most)");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stderr),
	    cmocka_unit_test(test_sink_holds_errors),
	    cmocka_unit_test(test_sink_limit),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
