// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Looking at the node again reads only what changed (ns_scan with memory),
 * on a made-up /proc: regular files stand for the processes' ns/net links,
 * their inodes for the namespaces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "node/discover.h"

static char root[64], proc[96], netns[96];

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* A process PID whose namespace is a file of its own (a new inode). */
static uint64_t spawn(int pid)
{
	char path[160];
	struct stat st;

	/* made before the old one goes: a new inode, as the kernel's are */
	sh("mkdir -p %s/%d/ns && touch %s/%d/ns/net.new && mv %s/%d/ns/net.new %s/%d/ns/net", proc,
	   pid, proc, pid, proc, pid, proc, pid);
	snprintf(path, sizeof(path), "%s/%d/ns/net", proc, pid);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/tunleak-discover.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(netns, sizeof(netns), "%s/netns", root);
	sh("mkdir -p %s %s", proc, netns);
	return 0;
}

static int teardown(void **state)
{
	sh("rm -rf %s", root);
	return 0;
}

static bool has(const struct ns_scan *s, uint64_t ino)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->list[i].ino == ino)
			return true;
	return false;
}

static void test_scan_reads_what_changed(void **state)
{
	struct ns_scan s = {0}, once = {0};
	uint64_t a = spawn(100), b = spawn(200), c, d;
	int pass;

	/* the first scans read every process: they are young */
	for (pass = 1; pass <= NS_SCAN_YOUNG; pass++) {
		assert_int_equal(ns_scan(&s, proc, netns, true), 0);
		assert_int_equal(s.looked_up, 2);
	}
	assert_int_equal(s.n, 2);
	assert_true(has(&s, a) && has(&s, b));
	assert_int_equal(s.processes, 2);
	/* then nothing changed: nothing read (but their turn to be checked) */
	assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	assert_int_equal(s.looked_up, 0);
	assert_int_equal(s.n, 2);
	/* PID 100 is another process now (a new /proc entry): read */
	sh("mkdir %s/new && mv %s/100/ns %s/new/ && rm -rf %s/100 && mv %s/new %s/100", proc, proc,
	   proc, proc, proc, proc);
	c = spawn(100);
	assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	assert_int_equal(s.looked_up, 1);
	assert_true(has(&s, c) && !has(&s, a) && has(&s, b));
	/* PID 200 ended */
	sh("rm -rf %s/200", proc);
	assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.processes, 1);
	/* a young process that moves to another namespace (setns): seen */
	spawn(300);
	assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	d = spawn(300); /* the same /proc entry, another namespace */
	assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	assert_true(has(&s, d));
	/* an old one that moves is seen at its turn: within NS_SCAN_RECHECK_PID */
	for (pass = 0; pass < NS_SCAN_YOUNG; pass++)
		assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	d = spawn(300);
	for (pass = 0; pass < NS_SCAN_RECHECK_PID && !has(&s, d); pass++)
		assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	assert_true(has(&s, d));
	assert_true(pass >= 1);
	/* a scan without memory reads every process */
	assert_int_equal(ns_scan(&once, proc, netns, false), 0);
	assert_int_equal(once.looked_up, 2);
	assert_null(once.memo);
	ns_scan_free(&once);
	ns_scan_free(&s);
	sh("rm -rf %s/*", proc);
}

/* Many processes in few namespaces: one entry per namespace, with one of
 * its processes (the first in directory order). */
static void test_scan_many(void **state)
{
	struct ns_scan s = {0};
	char path[160];
	int pid, i;

	for (pid = 1000; pid < 1600; pid++) {
		/* ten namespaces: hard links of ten files */
		if (pid < 1010) {
			spawn(pid);
			continue;
		}
		sh("mkdir -p %s/%d/ns && ln %s/%d/ns/net %s/%d/ns/net", proc, pid, proc,
		   1000 + pid % 10, proc, pid);
	}
	assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	assert_int_equal(s.n, 10);
	assert_int_equal(s.processes, 600);
	for (i = 0; i < s.n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%ld/ns/net", proc, s.list[i].pid);
		assert_string_equal(s.list[i].path, path);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_ino, s.list[i].ino);
	}
	/* again, from memory: the same, nothing read but the young */
	assert_int_equal(ns_scan(&s, proc, netns, true), 0);
	assert_int_equal(s.n, 10);
	ns_scan_free(&s);
	sh("rm -rf %s/*", proc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_reads_what_changed),
	    cmocka_unit_test(test_scan_many),
	};

	return cmocka_run_group_tests_name("discover", tests, setup, teardown);
}
