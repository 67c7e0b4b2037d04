// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runtime's pod metadata (node/discover.c), without root: config.json
 * files in the runtimes' layouts under a temporary directory, their network
 * namespace paths pointing at plain files (a stat gives a dev and inode like
 * a pin's). A name holds only while its path still leads to the namespace;
 * every file is indexed up to POD_INDEX_MAX, and those beyond are counted.
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

static char dir[64];
static char crio[256], containerd[256];

static int setup(void **state)
{
	char cmd[600];

	snprintf(dir, sizeof(dir), "/tmp/tunleak-podindex-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(crio, sizeof(crio), "%s/crio", dir);
	snprintf(containerd, sizeof(containerd), "%s/containerd", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s %s/k8s.io %s/pins", crio, containerd, dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* The pin file NAME (made if absent); its stat in st. */
static void pin(const char *name, struct stat *st)
{
	char p[320];
	FILE *f;

	snprintf(p, sizeof(p), "%s/pins/%s", dir, name);
	f = fopen(p, "a");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(stat(p, st), 0);
}

/* CRI-O's config.json of sandbox ID, naming POD in default, its namespace at pin PIN. */
static void sandbox(const char *id, const char *pod, const char *pinname)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", crio, id);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/userdata", crio, id);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/userdata/config.json", crio, id);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f,
		"{\"annotations\":{\"io.kubernetes.pod.name\":\"%s\",\"io.kubernetes.pod."
		"namespace\":\"default\"},"
		"\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"%s/pins/%s\"}]}}",
		pod, dir, pinname);
	fclose(f);
}

static const char *const *roots(void)
{
	static const char *r[3];

	r[0] = crio;
	r[1] = containerd;
	return r;
}

/* A sandbox stops: its pin goes, its config.json stays until it is removed.
 * The name no longer names anything, whatever comes under that inode. */
static void test_stale_pin_names_nothing(void **state)
{
	struct pod_index *x = pod_index__new();
	const struct pod_meta *m;
	struct stat a, b;
	char p[320];

	pin("alpha", &a);
	sandbox("s1", "alpha", "alpha");
	pod_index__refresh(x, roots());
	m = pod_index__find(x, a.st_dev, a.st_ino);
	assert_non_null(m);
	assert_string_equal(m->name, "alpha");
	assert_string_equal(m->k8s_ns, "default");

	snprintf(p, sizeof(p), "%s/pins/alpha", dir);
	assert_int_equal(unlink(p), 0);
	pod_index__refresh(x, roots());
	assert_null(pod_index__find(x, a.st_dev, a.st_ino));
	/* a new namespace, perhaps under the same inode: not alpha */
	pin("beta1", &b);
	assert_null(pod_index__find(x, b.st_dev, b.st_ino));
	assert_null(pod_index__find(x, a.st_dev, a.st_ino));
	pod_index__free(x);
}

/* A pin that comes after the file: the name follows without the file changing. */
static void test_pin_after_file(void **state)
{
	struct pod_index *x = pod_index__new();
	const struct pod_meta *m;
	struct stat g;

	sandbox("s2", "gamma", "gamma");
	pod_index__refresh(x, roots());
	pin("gamma", &g);
	pod_index__refresh(x, roots());
	m = pod_index__find(x, g.st_dev, g.st_ino);
	assert_non_null(m);
	assert_string_equal(m->name, "gamma");
	pod_index__free(x);
}

/* More files than 4,096 (the old fixed cap): every pod keeps its name, and
 * beyond POD_INDEX_MAX the rest are counted, not lost silently. */
static void test_many_files(void **state)
{
	int n = POD_INDEX_MAX + 10, i, found = 0, skipped = -1;
	struct pod_index *x = pod_index__new();
	struct stat first, last;
	char id[32], pod[32];

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%05d", i);
		snprintf(pod, sizeof(pod), "p%05d", i);
		sandbox(id, pod, pod);
	}
	pin("p00000", &first);
	pin("p05000", &last);
	pod_index__refresh(x, roots());
	assert_int_equal(pod_index__files(x, &skipped), n);
	assert_int_equal(skipped, 10);
	assert_int_equal(pod_index__count(x), POD_INDEX_MAX);
	/* the 5,001st file has its name (the 4,096 cap dropped it) */
	found += pod_index__find(x, last.st_dev, last.st_ino) != NULL;
	found += pod_index__find(x, first.st_dev, first.st_ino) != NULL;
	assert_int_equal(found, 2);
	/* unchanged files are not read again, and none is counted twice */
	pod_index__refresh(x, roots());
	assert_int_equal(pod_index__files(x, &skipped), n);
	assert_int_equal(skipped, 10);
	pod_index__free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_stale_pin_names_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pin_after_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
