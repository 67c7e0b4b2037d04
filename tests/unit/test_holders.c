// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Who holds a BPF program, read from a made-up /proc tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "datapath/holders.h"

static char root[] = "/tmp/tunleak-holders-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void fd_link(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* A process with fd dir and fdinfo dir; comm as given. */
static void process(const char *pid, const char *comm)
{
	char rel[64], text[64];

	dir(pid);
	snprintf(rel, sizeof(rel), "%s/comm", pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%s/fd", pid);
	dir(rel);
	snprintf(rel, sizeof(rel), "%s/fdinfo", pid);
	dir(rel);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(root));
	/* 100: a program fd of program 77 (fdinfo as the kernel writes it) */
	process("100", "sleep");
	fd_link("100/fd/0", "/dev/null");
	fd_link("100/fd/3", "anon_inode:bpf-prog");
	put("100/fdinfo/3", "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\n"
			    "prog_type:\t3\nprog_jited:\t1\nprog_tag:\t0123456789abcdef\n"
			    "memlock:\t4096\nprog_id:\t77\nrun_time_ns:\t0\nrun_cnt:\t0\n");
	/* 200: a tcx link running program 88 */
	process("200", "tunleak");
	fd_link("200/fd/4", "anon_inode:bpf_link");
	put("200/fdinfo/4", "pos:\t0\nflags:\t02000000\nmnt_id:\t15\nino:\t1057\n"
			    "link_type:\ttcx\nlink_id:\t5\nprog_tag:\tfedcba9876543210\n"
			    "prog_id:\t88\nifindex:\t2\nattach_type:\t46\n");
	/* 300: a "prog_id" in the fdinfo of an fd that is no BPF object */
	process("300", "bash");
	fd_link("300/fd/5", "pipe:[1234]");
	put("300/fdinfo/5", "pos:\t0\nprog_id:\t99\n");
	/* 400: a map fd (maps have no prog_id) and a malformed prog_id */
	process("400", "other");
	fd_link("400/fd/6", "anon_inode:bpf-map");
	put("400/fdinfo/6", "map_type:\t2\nmap_id:\t99\n");
	fd_link("400/fd/7", "anon_inode:bpf-prog");
	put("400/fdinfo/7", "prog_id:\t99x\n");
	/* not processes */
	dir("sys");
	put("self", "not a process");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) ? -1 : 0;
}

static void test_program_fd(void **state)
{
	uint32_t ids[] = {1, 77};
	struct holder h;

	(void)state;
	assert_int_equal(holders_find(root, ids, 2, &h), 1);
	assert_int_equal(h.pid, 100);
	assert_string_equal(h.comm, "sleep");
	assert_false(h.unreadable);
}

static void test_link_fd(void **state)
{
	uint32_t ids[] = {88};
	struct holder h;

	(void)state;
	assert_int_equal(holders_find(root, ids, 1, &h), 1);
	assert_int_equal(h.pid, 200);
	assert_string_equal(h.comm, "tunleak");
}

/* Only a program or link fd counts; a malformed prog_id is not 99. */
static void test_nobody(void **state)
{
	uint32_t ids[] = {99};
	struct holder h;

	(void)state;
	assert_int_equal(holders_find(root, ids, 1, &h), 0);
	assert_int_equal(h.pid, 0);
	assert_int_equal(holders_find(root, ids, 0, &h), 0);
}

/* A tunleak whose fds cannot be read may hold it: no proof of a stale
 * filter. (A file where the fd directory should be: opendir fails as it
 * would with EACCES, which root cannot be shown.) Another process that
 * cannot be read is no tunleak. */
static void test_unreadable_tunleak(void **state)
{
	uint32_t ids[] = {99};
	struct holder h;

	(void)state;
	dir("500");
	put("500/comm", "bash\n");
	put("500/fd", "");
	assert_int_equal(holders_find(root, ids, 1, &h), 0);
	dir("600");
	put("600/comm", "tunleak\n");
	put("600/fd", "");
	assert_int_equal(holders_find(root, ids, 1, &h), 1);
	assert_int_equal(h.pid, 600);
	assert_true(h.unreadable);
}

/* A proc root that cannot be read is an error, not "nobody". */
static void test_missing_root(void **state)
{
	uint32_t ids[] = {77};
	struct holder h;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/nonexistent", root);
	assert_int_equal(holders_find(path, ids, 1, &h), -ENOENT);
}

/* A proc without the initial PID namespace's inode does not show all. */
static void test_see_all(void **state)
{
	(void)state;
	assert_false(holders_see_all(root));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_program_fd),	 cmocka_unit_test(test_link_fd),
	    cmocka_unit_test(test_nobody),	 cmocka_unit_test(test_unreadable_tunleak),
	    cmocka_unit_test(test_missing_root), cmocka_unit_test(test_see_all),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
