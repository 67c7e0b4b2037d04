// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/abi.h"
#include "lib/jsonc.h"
#include "config/netconf.h"

/* tests/data/, found from this binary (.output/tests/test_netconf), so the
 * test runs from any directory. */
static void data_path(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX / 2];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	assert_true(n > 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	assert_non_null(slash);
	*slash = '\0';
	assert_true((size_t)snprintf(buf, len, "%s/../../tests/data/%s", exe, name) < len);
}

/* The CIDRs as "class cidr, class cidr". */
static const char *list(const struct class_cidr *v, int n, char *buf, size_t len)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		char c[64];

		o += snprintf(buf + o, len - o, "%s%s %s", i ? ", " : "",
			      v[i].cls == TL_CLASS_POD	     ? "pod"
			      : v[i].cls == TL_CLASS_SERVICE ? "service"
							     : "?",
			      cidr_format(&v[i].cidr, c, sizeof(c)));
	}
	return buf;
}

static void assert_cidrs(const char *doc, const char *want)
{
	struct class_cidr *v = (void *)1;
	char err[256] = "", got[512];
	int n = -1, ret;

	ret = netconf_parse(doc, strlen(doc), &v, &n, err, sizeof(err));
	if (ret)
		fail_msg("%s: %d %s", doc, ret, err);
	list(v, n, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("%s: got \"%s\", expected \"%s\"", doc, got, want);
	free(v);
}

static void assert_fails(const char *doc, int want_ret, const char *want)
{
	struct class_cidr *v = (void *)1;
	char err[256] = "";
	int n = -1, ret;

	ret = netconf_parse(doc, strlen(doc), &v, &n, err, sizeof(err));
	if (ret != want_ret)
		fail_msg("%s: returned %d, expected %d (%s)", doc, ret, want_ret, err);
	if (strcmp(err, want))
		fail_msg("%s: error \"%s\", expected \"%s\"", doc, err, want);
	assert_null(v);
	assert_int_equal(n, 0);
}

static void test_sample(void **state)
{
	struct class_cidr *v;
	char path[PATH_MAX], err[256], got[512];
	int n, ret;

	data_path("network-config-openshift.json", path, sizeof(path));
	ret = netconf_read_file(path, &v, &n, err, sizeof(err));
	if (ret)
		fail_msg("%s", err);
	assert_string_equal(list(v, n, got, sizeof(got)),
			    "pod 10.128.0.0/14, service 172.30.0.0/16");
	free(v);
}

static void test_dual_stack(void **state)
{
	struct class_cidr *v;
	char path[PATH_MAX], err[256], got[512];
	int n, ret;

	data_path("network-config-dualstack.json", path, sizeof(path));
	ret = netconf_read_file(path, &v, &n, err, sizeof(err));
	if (ret)
		fail_msg("%s", err);
	assert_int_equal(n, 4);
	assert_string_equal(list(v, n, got, sizeof(got)),
			    "pod 10.128.0.0/14, pod fd01::/48, service 172.30.0.0/16, "
			    "service fd02::/112");
	assert_int_equal(v[1].cidr.family, 6);
	assert_int_equal(v[1].cidr.prefixlen, 48);
	assert_int_equal(v[3].cidr.prefixlen, 112);
	free(v);
}

static void test_spec_only(void **state)
{
	assert_cidrs("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\", "
		     "\"hostPrefix\": 23}], \"serviceNetwork\": [\"172.30.0.0/16\"]}}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
	/* the spec wins over a status that says otherwise */
	assert_cidrs("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "
		     "\"serviceNetwork\": [\"172.30.0.0/16\"]}, \"status\": {\"clusterNetwork\": "
		     "[{\"cidr\": \"10.132.0.0/14\"}], \"serviceNetwork\": [\"172.31.0.0/16\"]}}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
	/* the kind may be absent (a hand-written file) */
	assert_cidrs("{\"kind\": \"Network\", \"spec\": {\"clusterNetwork\": [{\"cidr\": "
		     "\"10.128.0.0/14\"}], \"serviceNetwork\": [\"172.30.0.0/16\"]}}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
}

static void test_status_fallback(void **state)
{
	/* no spec at all */
	assert_cidrs("{\"status\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "
		     "\"serviceNetwork\": [\"172.30.0.0/16\"]}}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
	/* empty and null lists in the spec, and an empty spec */
	assert_cidrs("{\"spec\": {\"clusterNetwork\": [], \"serviceNetwork\": null}, "
		     "\"status\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "
		     "\"serviceNetwork\": [\"172.30.0.0/16\"]}}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
	assert_cidrs("{\"spec\": {}, \"status\": {\"clusterNetwork\": [{\"cidr\": "
		     "\"10.128.0.0/14\"}], \"serviceNetwork\": [\"172.30.0.0/16\"]}}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
	/* each list falls back on its own */
	assert_cidrs("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}]}, "
		     "\"status\": {\"clusterNetwork\": [{\"cidr\": \"10.132.0.0/14\"}], "
		     "\"serviceNetwork\": [\"172.30.0.0/16\"]}}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
	/* a List of one Network (oc get network.config -o json) */
	assert_cidrs("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"kind\": "
		     "\"Network\", \"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}],"
		     " \"serviceNetwork\": [\"172.30.0.0/16\"]}}]}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
}

static void test_duplicates(void **state)
{
	assert_cidrs("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}, "
		     "{\"cidr\": \"10.128.0.0/14\"}], \"serviceNetwork\": [\"172.30.0.0/16\", "
		     "\"172.30.0.0/16\"]}}",
		     "pod 10.128.0.0/14, service 172.30.0.0/16");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "
		     "\"serviceNetwork\": [\"10.128.0.0/14\"]}}",
		     -EINVAL,
		     "spec.serviceNetwork[0] \"10.128.0.0/14\": also listed as a pod CIDR");
}

static void test_missing(void **state)
{
	assert_fails("{}", -EINVAL,
		     "no spec.clusterNetwork[].cidr or status.clusterNetwork[].cidr");
	assert_fails("{\"spec\": {\"clusterNetwork\": [], \"serviceNetwork\": []}, \"status\": {}}",
		     -EINVAL, "no spec.clusterNetwork[].cidr or status.clusterNetwork[].cidr");
	assert_fails("{\"spec\": null, \"status\": null}", -EINVAL,
		     "no spec.clusterNetwork[].cidr or status.clusterNetwork[].cidr");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}]}}", -EINVAL,
		     "no spec.serviceNetwork[] or status.serviceNetwork[]");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}, "
		     "{\"hostPrefix\": 23}], \"serviceNetwork\": [\"172.30.0.0/16\"]}}",
		     -EINVAL, "spec.clusterNetwork[1] has no cidr");
	/* a list of many is not one Network */
	assert_fails("{\"kind\": \"NetworkList\", \"items\": []}", -EINVAL,
		     "a NetworkList of 0 items: expected one Network "
		     "(oc get network.config.openshift.io cluster -o json)");
	assert_fails("{\"kind\": \"List\", \"items\": [{}, {}]}", -EINVAL,
		     "a List of 2 items: expected one Network "
		     "(oc get network.config.openshift.io cluster -o json)");
	assert_fails("{\"kind\": \"Pod\", \"spec\": {}}", -EINVAL,
		     "kind \"Pod\": expected a Network "
		     "(oc get network.config.openshift.io cluster -o json)");
	/* a kind is what the file says, NUL and all, and shown on one line */
	assert_fails("{\"kind\": \"Network\\u0000\", \"spec\": {}}", -EINVAL,
		     "kind \"Network\\x00\": expected a Network "
		     "(oc get network.config.openshift.io cluster -o json)");
	assert_fails("{\"kind\": \"\\nList\", \"items\": []}", -EINVAL,
		     "a \\x0aList of 0 items: expected one Network "
		     "(oc get network.config.openshift.io cluster -o json)");
}

static void test_bad_cidr(void **state)
{
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "
		     "\"serviceNetwork\": [\"172.30.0.0/16\", \"172.30.0.1/16\"]}}",
		     -EINVAL,
		     "spec.serviceNetwork[1] \"172.30.0.1/16\": host bits are set "
		     "(did you mean 172.30.0.0/16?)");
	assert_fails("{\"status\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/33\"}]}}", -EINVAL,
		     "status.clusterNetwork[0].cidr \"10.128.0.0/33\": prefix length must be 0-32 "
		     "for IPv4, 0-128 for IPv6");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"fd01::1/48\"}]}}", -EINVAL,
		     "spec.clusterNetwork[0].cidr \"fd01::1/48\": host bits are set "
		     "(did you mean fd01::/48?)");
	assert_fails(
	    "{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"\"}]}}", -EINVAL,
	    "spec.clusterNetwork[0].cidr \"\": not a CIDR (expected an IPv4 or IPv6 prefix "
	    "such as 10.128.0.0/14 or fd00:10:128::/48)");
	/* what the file holds, made printable, on one line */
	assert_fails(
	    "{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0\\n\\\"x\"}]}}", -EINVAL,
	    "spec.clusterNetwork[0].cidr \"10.128.0.0\\x0a\\x22x\": not a CIDR (expected an "
	    "IPv4 or IPv6 prefix such as 10.128.0.0/14 or fd00:10:128::/48)");
	/* null, and what json-c takes for numbers, are no CIDR strings */
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": null}]}}", -EINVAL,
		     "spec.clusterNetwork[0].cidr: expected a CIDR string, got null");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": NaN}]}}", -EINVAL,
		     "spec.clusterNetwork[0].cidr: expected a CIDR string, got a number");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "
		     "\"serviceNetwork\": [true]}}",
		     -EINVAL, "spec.serviceNetwork[0]: expected a CIDR string, got a boolean");
	/* a NUL inside must not make the rest invisible */
	assert_fails(
	    "{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\\u0000junk\"}]}}", -EINVAL,
	    "spec.clusterNetwork[0].cidr \"10.128.0.0/14\\x00junk\": not a CIDR (expected an "
	    "IPv4 or IPv6 prefix such as 10.128.0.0/14 or fd00:10:128::/48)");
}

/* As assert_fails(), over len bytes (a NUL among them). */
static void assert_fails_len(const char *doc, size_t len, int want_ret, const char *want)
{
	struct class_cidr *v = (void *)1;
	char err[256] = "";
	int n = -1, ret;

	ret = netconf_parse(doc, len, &v, &n, err, sizeof(err));
	if (ret != want_ret)
		fail_msg("%s: returned %d, expected %d (%s)", doc, ret, want_ret, err);
	if (strcmp(err, want))
		fail_msg("%s: error \"%s\", expected \"%s\"", doc, err, want);
	assert_null(v);
	assert_int_equal(n, 0);
}

#define GOOD                                                                                       \
	"{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "                        \
	"\"serviceNetwork\": [\"172.30.0.0/16\"]}}"

static void test_not_json(void **state)
{
	char *doc, want[128];
	size_t o;
	int i;

	assert_fails("", -EINVAL, "not JSON: unexpected end of data at byte 0");
	assert_fails("apiVersion: config.openshift.io/v1\nkind: Network\n", -EINVAL,
		     "not JSON: unexpected character 'a' at byte 0");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"},]}}", -EINVAL,
		     "not JSON: unexpected character ']' at byte 55");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}]", -EINVAL,
		     "not JSON: unexpected end of data at byte 55");
	assert_fails("{\"spec\": \"\xff\"}", -EINVAL,
		     "not JSON: invalid utf-8 string, found \\xff at byte 10");
	/* one document, nothing after it: not a second one, nor a NUL */
	assert_fails(GOOD " x", -EINVAL, "not JSON: unexpected character 'x' at byte 95");
	assert_fails(GOOD GOOD, -EINVAL, "not JSON: unexpected character '{' at byte 94");
	assert_fails_len(GOOD "\0", sizeof(GOOD), -EINVAL,
			 "not JSON: unexpected character \\x00 at byte 94");
	assert_cidrs(GOOD " \n", "pod 10.128.0.0/14, service 172.30.0.0/16");

	/* JSONC_MAX_DEPTH levels deep are still read, one more is refused */
	doc = malloc(1024);
	o = sprintf(doc, "{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\", \"x\": ");
	for (i = 0; i < JSONC_MAX_DEPTH - 4; i++)
		doc[o++] = '[';
	for (i = 0; i < JSONC_MAX_DEPTH - 4; i++)
		doc[o++] = ']';
	sprintf(doc + o, "}], \"serviceNetwork\": [\"172.30.0.0/16\"]}}");
	assert_cidrs(doc, "pod 10.128.0.0/14, service 172.30.0.0/16");
	o = sprintf(doc, "{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\", \"x\": ");
	for (i = 0; i < JSONC_MAX_DEPTH - 3; i++)
		doc[o++] = '[';
	snprintf(want, sizeof(want), "nested deeper than %d levels at byte %zu", JSONC_MAX_DEPTH,
		 o - 1);
	for (i = 0; i < JSONC_MAX_DEPTH - 3; i++)
		doc[o++] = ']';
	sprintf(doc + o, "}], \"serviceNetwork\": [\"172.30.0.0/16\"]}}");
	assert_fails(doc, -E2BIG, want);
	free(doc);

	/* at most JSONC_MAX_CONTAINERS objects and arrays ('[' in a string too) */
	doc = malloc(JSONC_MAX_CONTAINERS + 128);
	o = sprintf(doc,
		    "{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], \"x\": \"");
	memset(doc + o, '[', JSONC_MAX_CONTAINERS);
	sprintf(doc + o + JSONC_MAX_CONTAINERS, "\"}}");
	snprintf(want, sizeof(want), "more than %d objects and arrays ('{' and '[')",
		 JSONC_MAX_CONTAINERS);
	assert_fails(doc, -E2BIG, want);
	free(doc);
}

static void test_wrong_types(void **state)
{
	assert_fails("[]", -EINVAL, "expected a Network object, got an array");
	assert_fails("{\"spec\": \"x\"}", -EINVAL, "spec: expected an object, got a string");
	assert_fails("{\"spec\": {\"clusterNetwork\": {\"cidr\": \"10.128.0.0/14\"}}}", -EINVAL,
		     "spec.clusterNetwork: expected an array, got an object");
	assert_fails("{\"spec\": {\"clusterNetwork\": [\"10.128.0.0/14\"]}}", -EINVAL,
		     "spec.clusterNetwork[0]: expected an object with a cidr, got a string");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": 10}]}}", -EINVAL,
		     "spec.clusterNetwork[0].cidr: expected a CIDR string, got a number");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "
		     "\"serviceNetwork\": [{\"cidr\": \"172.30.0.0/16\"}]}}",
		     -EINVAL, "spec.serviceNetwork[0]: expected a CIDR string, got an object");
	assert_fails("{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}], "
		     "\"serviceNetwork\": \"172.30.0.0/16\"}}",
		     -EINVAL, "spec.serviceNetwork: expected an array, got a string");
	assert_fails("{\"status\": {\"clusterNetwork\": [null]}}", -EINVAL,
		     "status.clusterNetwork[0]: expected an object with a cidr, got null");
}

static void test_too_many(void **state)
{
	char *doc = malloc(64 * (NETCONF_MAX_CIDRS + 2)), want[128];
	size_t o;
	int i;

	o = sprintf(doc, "{\"spec\": {\"clusterNetwork\": [");
	for (i = 0; i <= NETCONF_MAX_CIDRS; i++)
		o += sprintf(doc + o, "%s{\"cidr\": \"10.%d.%d.0/24\"}", i ? "," : "", i / 256,
			     i % 256);
	sprintf(doc + o, "]}}");
	snprintf(want, sizeof(want), "spec.clusterNetwork[%d].cidr: more than %d CIDRs",
		 NETCONF_MAX_CIDRS, NETCONF_MAX_CIDRS);
	assert_fails(doc, -E2BIG, want);
	free(doc);
}

/* Runs netconf_read_file("-") with stdin from a pipe fed by a child. */
static void test_stdin(void **state)
{
	static const char doc[] = "{\"spec\": {\"clusterNetwork\": [{\"cidr\": \"10.128.0.0/14\"}],"
				  " \"serviceNetwork\": [\"172.30.0.0/16\"]}}";
	struct class_cidr *v;
	char err[256], got[256];
	int p[2], saved, n, ret, st;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t i;

		close(p[0]);
		/* in small pieces, so the reader has to loop */
		for (i = 0; i < sizeof(doc) - 1; i += 7) {
			size_t k = sizeof(doc) - 1 - i < 7 ? sizeof(doc) - 1 - i : 7;

			if (write(p[1], doc + i, k) != (ssize_t)k)
				_exit(1);
			usleep(1000);
		}
		_exit(0);
	}
	close(p[1]);
	saved = dup(STDIN_FILENO);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	ret = netconf_read_file("-", &v, &n, err, sizeof(err));
	dup2(saved, STDIN_FILENO);
	close(saved);
	waitpid(pid, &st, 0);
	if (ret)
		fail_msg("%s", err);
	assert_string_equal(list(v, n, got, sizeof(got)),
			    "pod 10.128.0.0/14, service 172.30.0.0/16");
	free(v);

	/* errors from stdin are named so */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "{", 1), 1);
	close(p[1]);
	saved = dup(STDIN_FILENO);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	ret = netconf_read_file("-", &v, &n, err, sizeof(err));
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(err, "stdin: not JSON: unexpected end of data at byte 1");
}

static void test_files(void **state)
{
	char dir[] = "/tmp/tl-netconf.XXXXXX", path[256], want[512], err[512];
	struct class_cidr *v;
	int n, fd;

	assert_non_null(mkdtemp(dir));

	/* a FIFO with no writer: refused at once, not waited on */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(netconf_read_file(path, &v, &n, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: a FIFO, expected a regular file (or - for stdin)", path);
	assert_string_equal(err, want);
	unlink(path);

	assert_int_equal(netconf_read_file(dir, &v, &n, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: a directory, expected a regular file (or - for stdin)",
		 dir);
	assert_string_equal(err, want);

	assert_int_equal(netconf_read_file("/dev/null", &v, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/dev/null: a character device, expected a regular file "
				 "(or - for stdin)");

	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_int_equal(netconf_read_file(path, &v, &n, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);

	/* too big: refused by its size, without reading it */
	snprintf(path, sizeof(path), "%s/big.json", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)NETCONF_MAX_SIZE + 1), 0);
	close(fd);
	assert_int_equal(netconf_read_file(path, &v, &n, err, sizeof(err)), -E2BIG);
	snprintf(want, sizeof(want), "%s: %u bytes, more than %u", path, NETCONF_MAX_SIZE + 1,
		 NETCONF_MAX_SIZE);
	assert_string_equal(err, want);
	unlink(path);

	/* a parse error names the file */
	snprintf(path, sizeof(path), "%s/empty.json", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{}", 2), 2);
	close(fd);
	assert_int_equal(netconf_read_file(path, &v, &n, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s: no spec.clusterNetwork[].cidr or status.clusterNetwork[].cidr", path);
	assert_string_equal(err, want);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sample),	cmocka_unit_test(test_dual_stack),
	    cmocka_unit_test(test_spec_only),	cmocka_unit_test(test_status_fallback),
	    cmocka_unit_test(test_duplicates),	cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_bad_cidr),	cmocka_unit_test(test_not_json),
	    cmocka_unit_test(test_wrong_types), cmocka_unit_test(test_too_many),
	    cmocka_unit_test(test_stdin),	cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests_name("netconf", tests, NULL, NULL);
}
