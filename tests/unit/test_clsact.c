// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records of the clsact qdiscs tunleak created, in a directory of the test's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "datapath/clsact.h"

static char base[] = "/tmp/tunleak-clsact-XXXXXX";
static char dir[128];

/* The one record in dir: its name and text. 0, or -1 if not exactly one. */
static int only_record(char *name, size_t nlen, char *text, size_t tlen)
{
	struct dirent *e;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[512];
		FILE *f;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		n++;
		if (snprintf(name, nlen, "%s", e->d_name) >= (int)nlen)
			break;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			break;
		f = fopen(path, "r");
		if (!f)
			break;
		len = fread(text, 1, tlen - 1, f);
		text[len] = '\0';
		fclose(f);
	}
	closedir(d);
	return n == 1 ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(base))
		return -1;
	/* not there yet: the first record makes it */
	snprintf(dir, sizeof(dir), "%s/run", base);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd) ? -1 : 0;
}

static void test_record_and_forget(void **state)
{
	char name[128], text[512], want[64];
	struct stat st;

	assert_int_equal(clsact_recorded(dir, 7), 0);
	assert_int_equal(clsact_record(dir, 7, "eth0"), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(only_record(name, sizeof(name), text, sizeof(text)), 0);
	assert_int_equal(strncmp(name, "clsact-", 7), 0);
	snprintf(want, sizeof(want), "-%u", 7);
	assert_string_equal(name + strlen(name) - strlen(want), want);
	assert_non_null(strstr(text, "\nifindex=7\n"));
	assert_non_null(strstr(text, "\nifname=eth0\n"));
	assert_int_equal(strncmp(text, "boot_id=", 8), 0);
	assert_int_equal(clsact_recorded(dir, 7), 1);
	assert_int_equal(clsact_recorded(dir, 8), 0);
	assert_int_equal(clsact_forget(dir, 7), 0);
	assert_int_equal(clsact_recorded(dir, 7), 0);
	assert_int_equal(clsact_forget(dir, 7), 0); /* gone already: fine */
}

/* A name from a pod is kept escaped in the file. */
static void test_name_escaped(void **state)
{
	char name[128], text[512];

	assert_int_equal(clsact_record(dir, 9, "t\033[31m"), 0);
	assert_int_equal(only_record(name, sizeof(name), text, sizeof(text)), 0);
	assert_non_null(strstr(text, "\nifname=t\\x1b[31m\n"));
	assert_null(strchr(text, '\033'));
	assert_int_equal(clsact_forget(dir, 9), 0);
}

/* A record of another boot matches nothing, and is removed. */
static void test_other_boot(void **state)
{
	char name[128], text[512], path[512];
	FILE *f;

	assert_int_equal(clsact_record(dir, 11, "tun0"), 0);
	assert_int_equal(only_record(name, sizeof(name), text, sizeof(text)), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("boot_id=00000000-0000-0000-0000-000000000000\nifindex=11\n", f);
	fclose(f);
	assert_int_equal(clsact_recorded(dir, 11), 0);
	assert_int_equal(access(path, F_OK), -1);
}

/* Never through a symlink where the directory should be (O_NOFOLLOW with
 * O_DIRECTORY: ENOTDIR). */
static void test_dir_symlink(void **state)
{
	char link[160];

	snprintf(link, sizeof(link), "%s/link", base);
	assert_int_equal(symlink(dir, link), 0);
	assert_int_equal(clsact_record(link, 3, "eth0"), -ENOTDIR);
	assert_int_equal(clsact_recorded(link, 3), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record_and_forget),
	    cmocka_unit_test(test_name_escaped),
	    cmocka_unit_test(test_other_boot),
	    cmocka_unit_test(test_dir_symlink),
	};

	return cmocka_run_group_tests_name("clsact", tests, setup, teardown);
}
