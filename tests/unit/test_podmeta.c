// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Pod names from the runtime's config.json (node/discover.c): one file
 * parsed (pod_meta_parse), and the index over runtime directories that hold
 * what a hostile or broken node may put there (pod_index__refresh). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/jsonc.h"
#include "node/discover.h"

#define NET(path) "\"linux\": {\"namespaces\": [{\"type\": \"network\", \"path\": \"" path "\"}]}"

struct meta {
	int ret;
	struct pod_meta m;
	char path[96];
};

static struct meta parse_len(const char *doc, size_t len)
{
	struct meta r;

	memset(&r, 0, sizeof(r));
	r.ret = pod_meta_parse(doc, len, &r.m, r.path, sizeof(r.path));
	return r;
}

static struct meta parse(const char *doc)
{
	return parse_len(doc, strlen(doc));
}

/* doc names pod k8s_ns/name in the namespace at path. */
static void assert_pod(const char *doc, const char *k8s_ns, const char *name, const char *path)
{
	struct meta r = parse(doc);

	if (r.ret)
		fail_msg("%s: returned %d, expected a pod", doc, r.ret);
	assert_string_equal(r.m.name, name);
	assert_string_equal(r.m.k8s_ns, k8s_ns);
	assert_string_equal(r.path, path);
}

static void assert_ret(const char *doc, int want)
{
	struct meta r = parse(doc);

	if (r.ret != want)
		fail_msg("%s: returned %d, expected %d", doc, r.ret, want);
}

static void test_runtimes(void **state)
{
	/* CRI-O: the kubelet's keys */
	assert_pod("{\"ociVersion\": \"1.0.2\", \"annotations\": {\"io.kubernetes.pod.name\": "
		   "\"web-0\", \"io.kubernetes.pod.namespace\": \"apps\", "
		   "\"io.kubernetes.cri-o.KubeName\": \"other\"}, \"linux\": {\"namespaces\": "
		   "[{\"type\": \"pid\"}, {\"type\": \"network\", "
		   "\"path\": \"/var/run/netns/5c3e\"}]}}",
		   "apps", "web-0", "/var/run/netns/5c3e");
	/* containerd: its own keys */
	assert_pod("{\"annotations\": {\"io.kubernetes.cri.sandbox-name\": \"db-1\", "
		   "\"io.kubernetes.cri.sandbox-namespace\": \"data\"}, " NET(
		       "/var/run/netns/cni-4b1c") "}",
		   "data", "db-1", "/var/run/netns/cni-4b1c");
	/* CRI-O's own keys alone; no namespace at all */
	assert_pod("{\"annotations\": {\"io.kubernetes.cri-o.KubeName\": \"api\", "
		   "\"io.kubernetes.cri-o.Namespace\": \"prod\"}, " NET("/n") "}",
		   "prod", "api", "/n");
	assert_pod("{\"annotations\": {\"io.kubernetes.pod.name\": \"solo\"}, " NET("/n") "}", "",
		   "solo", "/n");
	/* an empty name is none: the next key */
	assert_pod("{\"annotations\": {\"io.kubernetes.pod.name\": \"\", "
		   "\"io.kubernetes.cri.sandbox-name\": \"b\"}, " NET("/n") "}",
		   "", "b", "/n");
}

static void test_not_a_pod(void **state)
{
	/* no name, no network namespace (host network), or no path */
	assert_ret("{\"annotations\": {}, " NET("/n") "}", -ENOENT);
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}}", -ENOENT);
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, \"linux\": "
		   "{\"namespaces\": [{\"type\": \"network\"}]}}",
		   -ENOENT);
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, " NET("") "}", -ENOENT);
	/* wrong types are as absent */
	assert_ret("{\"annotations\": [\"io.kubernetes.pod.name\"], " NET("/n") "}", -ENOENT);
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": 7}, " NET("/n") "}", -ENOENT);
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, \"linux\": "
		   "{\"namespaces\": {\"type\": \"network\", \"path\": \"/n\"}}}",
		   -ENOENT);
	assert_ret("[]", -ENOENT);
	assert_ret("null", -ENOENT);
	/* a path longer than the caller's room is none */
	{
		char doc[512], path[200];

		memset(path, 'p', sizeof(path) - 1);
		path[sizeof(path) - 1] = '\0';
		snprintf(doc, sizeof(doc),
			 "{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, \"linux\": "
			 "{\"namespaces\": [{\"type\": \"network\", \"path\": \"/%s\"}]}}",
			 path);
		assert_ret(doc, -ENOENT);
	}
}

/* Not JSON, or past lib/jsonc's bounds: -EINVAL, nothing named. */
static void test_not_json(void **state)
{
	static const char good[] =
	    "{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, " NET("/n") "}";
	char *doc;
	size_t o;
	int i;

	assert_ret("", -EINVAL);
	assert_ret("{\"annotations\": ", -EINVAL);
	/* nothing after the document: another one, or a NUL */
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, " NET(
		       "/n") "} "
			     "{\"annotations\": {\"io.kubernetes.pod.name\": \"b\"}}",
		   -EINVAL);
	assert_int_equal(parse_len(good, sizeof(good)).ret, -EINVAL);
	assert_int_equal(parse_len(good, sizeof(good) - 1).ret, 0);
	/* deeper than JSONC_MAX_DEPTH levels */
	doc = malloc(1024);
	o = sprintf(doc, "{\"x\": ");
	for (i = 0; i < JSONC_MAX_DEPTH; i++)
		doc[o++] = '[';
	for (i = 0; i < JSONC_MAX_DEPTH; i++)
		doc[o++] = ']';
	sprintf(doc + o, ", \"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, " NET("/n") "}");
	assert_ret(doc, -EINVAL);
	free(doc);
}

/* A "\u0000" would cut a name short of what the file says: such a value is
 * no name (the next key is), and such a path no path. */
static void test_nul(void **state)
{
	assert_pod("{\"annotations\": {\"io.kubernetes.pod.name\": \"web\\u0000evil\", "
		   "\"io.kubernetes.cri.sandbox-name\": \"web-1\", "
		   "\"io.kubernetes.pod.namespace\": \"a\\u0000\", "
		   "\"io.kubernetes.cri.sandbox-namespace\": \"apps\"}, " NET("/n") "}",
		   "apps", "web-1", "/n");
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": \"web\\u0000\"}, " NET("/n") "}",
		   -ENOENT);
	assert_pod("{\"annotations\": {\"io.kubernetes.pod.name\": \"web\", "
		   "\"io.kubernetes.pod.namespace\": \"\\u0000apps\"}, " NET("/n") "}",
		   "", "web", "/n");
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, " NET("/n\\u0000/x") "}",
		   -ENOENT);
	assert_ret("{\"annotations\": {\"io.kubernetes.pod.name\": \"a\"}, \"linux\": "
		   "{\"namespaces\": [{\"type\": \"network\\u0000\", \"path\": \"/n\"}]}}",
		   -ENOENT);
}

static void test_long_name(void **state)
{
	char doc[512], name[254], want[DISCOVER_NAMELEN];

	/* Kubernetes allows 253 characters; the label keeps 63 */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(doc, sizeof(doc),
		 "{\"annotations\": {\"io.kubernetes.pod.name\": \"%s\"}, " NET("/n") "}", name);
	memset(want, 'n', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	assert_pod(doc, "", want, "/n");
}

/* --- the index over runtime directories ----------------------------------------- */

struct lab {
	char dir[64];
	char crio[96], ctrd[96];
	const char *roots[3];
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* text, then spaces up to size bytes */
static void put_padded(const char *path, const char *text, size_t size)
{
	size_t len = strlen(text), chunk = 1 << 20;
	char *spaces = malloc(chunk);
	int fd;

	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	memset(spaces, ' ', chunk);
	for (size -= len; size > 0;) {
		size_t n = size < chunk ? size : chunk;

		assert_int_equal(write(fd, spaces, n), (ssize_t)n);
		size -= n;
	}
	close(fd);
	free(spaces);
}

static void mkdirs(const char *path)
{
	char p[256], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0700);
			*s = '/';
		}
	mkdir(p, 0700);
}

/* A CRI-O sandbox directory ID under the lab: its userdata/config.json path. */
static const char *crio_config(struct lab *l, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/userdata", l->crio, id);
	mkdirs(buf);
	snprintf(buf, len, "%s/%s/userdata/config.json", l->crio, id);
	return buf;
}

static const char *doc_for(const char *name, const char *ns_path, char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"annotations\": {\"io.kubernetes.pod.name\": \"%s\"}, \"linux\": "
		 "{\"namespaces\": [{\"type\": \"network\", \"path\": \"%s\"}]}}",
		 name, ns_path);
	return buf;
}

static void ns_id(const char *path, uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	*dev = st.st_dev;
	*ino = st.st_ino;
}

static int lab_setup(void **state)
{
	struct lab *l = calloc(1, sizeof(*l));

	snprintf(l->dir, sizeof(l->dir), "/tmp/tl-podmeta.XXXXXX");
	if (!mkdtemp(l->dir))
		return -1;
	snprintf(l->crio, sizeof(l->crio), "%s/crio", l->dir);
	snprintf(l->ctrd, sizeof(l->ctrd), "%s/containerd", l->dir);
	mkdirs(l->crio);
	mkdirs(l->ctrd);
	l->roots[0] = l->crio;
	l->roots[1] = l->ctrd;
	*state = l;
	return 0;
}

static int lab_teardown(void **state)
{
	struct lab *l = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", l->dir);
	if (system(cmd))
		return -1;
	free(l);
	return 0;
}

/*
 * The good files name their pods; the others are what a broken or hostile
 * node may hold where config.json goes, each pointing at /proc/self/ns/mnt:
 * none may name a pod, block the refresh, or be read past the size cap.
 */
static void test_index_hostile(void **state)
{
	struct lab *l = *state;
	char path[256], doc[512], target[256];
	const struct pod_meta *m;
	struct pod_index *x;
	struct timespec t0, t1;
	uint64_t dev, ino;

	/* good: CRI-O, containerd, and one of exactly POD_CONFIG_MAX bytes */
	put(crio_config(l, "aaaa", path, sizeof(path)),
	    doc_for("good-crio", "/proc/self/ns/net", doc, sizeof(doc)));
	snprintf(path, sizeof(path), "%s/k8s.io/bbbb", l->ctrd);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/k8s.io/bbbb/config.json", l->ctrd);
	put(path, "{\"annotations\": {\"io.kubernetes.cri.sandbox-name\": \"good-ctrd\", "
		  "\"io.kubernetes.cri.sandbox-namespace\": \"data\"}, \"linux\": "
		  "{\"namespaces\": [{\"type\": \"network\", \"path\": \"/proc/self/ns/uts\"}]}}");
	put_padded(crio_config(l, "cccc", path, sizeof(path)),
		   doc_for("at-the-cap", "/proc/self/ns/ipc", doc, sizeof(doc)), POD_CONFIG_MAX);

	doc_for("hostile", "/proc/self/ns/mnt", doc, sizeof(doc));
	/* one byte over the cap, and 30 MB: valid JSON (padded with spaces),
	 * not read */
	put_padded(crio_config(l, "over", path, sizeof(path)), doc, POD_CONFIG_MAX + 1);
	put_padded(crio_config(l, "huge", path, sizeof(path)), doc, 30 << 20);
	/* a FIFO nobody writes: opening or reading it would block */
	assert_int_equal(mkfifo(crio_config(l, "fifo", path, sizeof(path)), 0600), 0);
	/* endless and blocking devices, through symlinks */
	assert_int_equal(symlink("/dev/zero", crio_config(l, "zero", path, sizeof(path))), 0);
	assert_int_equal(symlink("/dev/tty", crio_config(l, "tty", path, sizeof(path))), 0);
	/* a symlink loop, and a symlink to a good file (not followed) */
	crio_config(l, "loop", path, sizeof(path));
	assert_int_equal(symlink(path, path), 0);
	snprintf(target, sizeof(target), "%s/target.json", l->dir);
	put(target, doc);
	assert_int_equal(symlink(target, crio_config(l, "link", path, sizeof(path))), 0);
	/* a directory where the file goes */
	mkdirs(crio_config(l, "dir", path, sizeof(path)));
	/* not JSON, and a NUL in the name */
	put(crio_config(l, "junk", path, sizeof(path)),
	    "{\"annotations\": {\"io.kubernetes.pod.name\": \"hostile\"}, \"linux\": ");
	put(crio_config(l, "nul", path, sizeof(path)),
	    "{\"annotations\": {\"io.kubernetes.pod.name\": \"hostile\\u0000\"}, \"linux\": "
	    "{\"namespaces\": [{\"type\": \"network\", \"path\": \"/proc/self/ns/mnt\"}]}}");

	x = pod_index__new();
	assert_non_null(x);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(20); /* a blocked open or read ends the suite, not the run */
	pod_index__refresh(x, l->roots);
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (t1.tv_sec - t0.tv_sec > 2)
		fail_msg("the refresh took %ld s", (long)(t1.tv_sec - t0.tv_sec));

	assert_int_equal(pod_index__count(x), 3);
	ns_id("/proc/self/ns/net", &dev, &ino);
	m = pod_index__find(x, dev, ino);
	assert_non_null(m);
	assert_string_equal(m->name, "good-crio");
	assert_string_equal(m->k8s_ns, "");
	ns_id("/proc/self/ns/uts", &dev, &ino);
	m = pod_index__find(x, dev, ino);
	assert_non_null(m);
	assert_string_equal(m->name, "good-ctrd");
	assert_string_equal(m->k8s_ns, "data");
	ns_id("/proc/self/ns/ipc", &dev, &ino);
	m = pod_index__find(x, dev, ino);
	assert_non_null(m);
	assert_string_equal(m->name, "at-the-cap");
	ns_id("/proc/self/ns/mnt", &dev, &ino);
	assert_null(pod_index__find(x, dev, ino));

	/* a file that changes is read again: its name now holds a NUL */
	snprintf(path, sizeof(path), "%s/aaaa/userdata/config.json", l->crio);
	put(path,
	    "{\"annotations\": {\"io.kubernetes.pod.name\": \"good-crio\\u0000x\"}, \"linux\": "
	    "{\"namespaces\": [{\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}]}}");
	{
		struct timeval tv[2] = {{1, 0}, {1, 0}};

		assert_int_equal(utimes(path, tv), 0);
	}
	pod_index__refresh(x, l->roots);
	assert_int_equal(pod_index__count(x), 2);
	ns_id("/proc/self/ns/net", &dev, &ino);
	assert_null(pod_index__find(x, dev, ino));
	pod_index__free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runtimes),
	    cmocka_unit_test(test_not_a_pod),
	    cmocka_unit_test(test_not_json),
	    cmocka_unit_test(test_nul),
	    cmocka_unit_test(test_long_name),
	    cmocka_unit_test_setup_teardown(test_index_hostile, lab_setup, lab_teardown),
	};

	return cmocka_run_group_tests_name("podmeta", tests, NULL, NULL);
}
