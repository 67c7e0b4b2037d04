// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The request parser and address parsing; the server itself is tested live
 * in a network namespace (tests/e2e/test_http.sh). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/http.h"

/* Parse a whole head: it must be complete with this status. */
static void assert_status(const char *head, int status)
{
	struct http_request req;
	int ret = http_parse_request(head, strlen(head), &req);

	if (ret != (int)strlen(head) || req.status != status)
		fail_msg("\"%s\": returned %d status %d, expected %zu status %d", head, ret,
			 req.status, strlen(head), status);
}

static void test_get_metrics(void **state)
{
	static const char head[] = "GET /metrics HTTP/1.1\r\nHost: node1:9464\r\n"
				   "User-Agent: Prometheus/2.53.0\r\nAccept: text/plain\r\n\r\n";
	struct http_request req;

	assert_int_equal(http_parse_request(head, strlen(head), &req), strlen(head));
	assert_int_equal(req.status, 200);
	assert_int_equal(req.method, HTTP_METHOD_GET);
	assert_int_equal(req.minor, 1);
	assert_int_equal(req.path_len, 8);
	assert_memory_equal(req.path, "/metrics", 8);
	assert_ptr_equal(req.path, head + 4); /* points into the buffer */

	assert_int_equal(http_parse_request("HEAD /metrics HTTP/1.0\n\n", 24, &req), 24);
	assert_int_equal(req.status, 200);
	assert_int_equal(req.method, HTTP_METHOD_HEAD);
	assert_int_equal(req.minor, 0);

	/* bare LF line ends, HTTP/1.0 without Host */
	assert_status("GET /metrics HTTP/1.0\n\n", 200);
	assert_status("GET /metrics HTTP/1.1\nHost: x\n\n", 200);
	assert_status("GET /metrics HTTP/1.1\r\nHost: x\n\r\n", 200);
	/* a query is not part of the path */
	assert_status("GET /metrics?name[]=tunleak_leak_packets_total HTTP/1.1\r\nHost: x\r\n\r\n",
		      200);
	/* absolute form */
	assert_status("GET http://node1:9464/metrics HTTP/1.1\r\nHost: node1:9464\r\n\r\n", 200);
	assert_status("GET HTTPS://[fd00::1]:9464/metrics?x HTTP/1.1\r\nHost: a\r\n\r\n", 200);
	/* one empty line before the request line is ignored (RFC 9112 2.2) */
	assert_status("\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200);
	assert_status("\nGET /metrics HTTP/1.0\n\n", 200);
	/* field values: empty, OWS, tabs, obs-text */
	assert_status("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Tab:\ta\tb \r\n"
		      "X-Latin: caf\xe9\r\n\r\n",
		      200);
	/* a later minor version of HTTP/1 is HTTP/1 */
	assert_status("GET /metrics HTTP/1.2\r\nHost: x\r\n\r\n", 200);
	/* Host is case-insensitive */
	assert_status("GET /metrics HTTP/1.1\r\nhOsT: x\r\n\r\n", 200);
}

static void test_not_found(void **state)
{
	struct http_request req;

	assert_status("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404);
	assert_status("GET /metrics/ HTTP/1.1\r\nHost: x\r\n\r\n", 404);
	assert_status("GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n", 404);
	assert_status("GET /Metrics HTTP/1.1\r\nHost: x\r\n\r\n", 404);
	assert_status("GET /%6detrics HTTP/1.1\r\nHost: x\r\n\r\n", 404);
	assert_status("GET //metrics HTTP/1.1\r\nHost: x\r\n\r\n", 404);
	assert_status("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 404);
	/* "http://host" and "http://host?q" ask for "/" */
	assert_int_equal(http_parse_request("GET http://node1 HTTP/1.0\r\n\r\n", 29, &req), 29);
	assert_int_equal(req.status, 404);
	assert_int_equal(req.path_len, 1);
	assert_memory_equal(req.path, "/", 1);
	assert_status("GET http://node1?x HTTP/1.0\r\n\r\n", 404);
}

static void test_method_not_allowed(void **state)
{
	struct http_request req;

	assert_status("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405);
	assert_status("PUT /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405);
	assert_status("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405);
	assert_status("OPTIONS /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405);
	assert_status("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 405);
	/* methods are case-sensitive: "get" is some other method */
	assert_status("get /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405);
	assert_int_equal(http_parse_request("PATCH /m HTTP/1.0\r\n\r\n", 21, &req), 21);
	assert_int_equal(req.method, HTTP_METHOD_OTHER);
}

static void test_bad_request(void **state)
{
	static const char *const bad[] = {
	    "GET /metrics\r\n\r\n",	     /* HTTP/0.9 */
	    "GET /metrics HTTP/1.1\r\n\r\n", /* no Host */
	    "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	    "GET /metrics HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
	    "GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /metrics  HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET\t/metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    " GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n",
	    "GET /metrics http/1.1\r\nHost: x\r\n\r\n",
	    "GET /metrics HTTP/1\r\nHost: x\r\n\r\n",
	    "GET /metrics HTTP/1.10\r\nHost: x\r\n\r\n",
	    "GET /metrics HTTP/11\r\nHost: x\r\n\r\n",
	    "GET /metrics HTTP/a.1\r\nHost: x\r\n\r\n",
	    "GET metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET * HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET ftp://x/metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET http:// HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /met\x7frics HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /m\xc3\xa9trics HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /metrics\rX HTTP/1.1\r\nHost: x\r\n\r\n",
	    "G(T /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    " /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n",	   /* space before colon */
	    "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", /* obs-fold */
	    "GET /metrics HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n",
	    "GET /metrics HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
	    "GET /metrics HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n",
	    "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Ctl: a\x01"
	    "b\r\n\r\n",
	    "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Del: a\x7f\r\n\r\n",
	    "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Cr: a\rb\r\n\r\n",
	    "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\r\n\r\n",
	    "\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", /* two empty lines */
	    "\n\n",
	    NULL,
	};
	static const char nul[] = "GET /metrics HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	struct http_request req;
	int i;

	for (i = 0; bad[i]; i++) {
		size_t len = strlen(bad[i]);
		int ret = http_parse_request(bad[i], len, &req);

		/* a complete head (its length), answered 400 */
		if (ret <= 0 || req.status != 400)
			fail_msg("case %d \"%s\": returned %d status %d, expected 400", i, bad[i],
				 ret, req.status);
	}
	/* a NUL in a field value */
	assert_int_equal(http_parse_request(nul, sizeof(nul) - 1, &req), sizeof(nul) - 1);
	assert_int_equal(req.status, 400);
}

static void test_version(void **state)
{
	assert_status("GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505);
	assert_status("GET /metrics HTTP/3.0\r\nHost: x\r\n\r\n", 505);
	assert_status("GET /metrics HTTP/0.9\r\n\r\n", 505);
	/* malformed before unsupported: no Host for a version > 1.0 */
	assert_status("GET /metrics HTTP/2.0\r\n\r\n", 400);
}

/* Every prefix of a request is "read more", never an answer. */
static void test_incomplete(void **state)
{
	static const char head[] = "\r\nGET /metrics?a=b HTTP/1.1\r\nHost: x\r\nX-A: 1\n\r\n";
	struct http_request req;
	size_t n;

	for (n = 0; n < strlen(head); n++) {
		int ret = http_parse_request(head, n, &req);

		if (ret != 0 || req.status != 0)
			fail_msg("prefix of %zu bytes: returned %d status %d", n, ret, req.status);
	}
	assert_int_equal(http_parse_request(head, strlen(head), &req), strlen(head));
	assert_int_equal(req.status, 200);
	/* a request line alone is not a head */
	assert_int_equal(http_parse_request("GET /metrics HTTP/1.0\r\n", 23, &req), 0);
	/* bytes after the head (a body, or a pipelined request) are not counted */
	assert_int_equal(
	    http_parse_request("GET /metrics HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n", 44, &req),
	    25);
	assert_int_equal(req.status, 200);
}

static void test_sizes(void **state)
{
	static const char start[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ";
	char *buf = malloc(2 * HTTP_MAX_HEAD);
	struct http_request req;
	size_t pad;

	assert_non_null(buf);
	/* a head of exactly HTTP_MAX_HEAD bytes is fine */
	pad = HTTP_MAX_HEAD - strlen(start) - 4;
	memcpy(buf, start, strlen(start));
	memset(buf + strlen(start), 'a', pad);
	memcpy(buf + strlen(start) + pad, "\r\n\r\n", 4);
	assert_int_equal(http_parse_request(buf, HTTP_MAX_HEAD, &req), HTTP_MAX_HEAD);
	assert_int_equal(req.status, 200);
	/* ... even with more bytes behind it */
	assert_int_equal(http_parse_request(buf, 2 * HTTP_MAX_HEAD, &req), HTTP_MAX_HEAD);

	/* one byte more: 431, whether it has ended or not */
	memset(buf + strlen(start), 'a', pad + 1);
	memcpy(buf + strlen(start) + pad + 1, "\r\n\r\n", 4);
	assert_int_equal(http_parse_request(buf, HTTP_MAX_HEAD + 1, &req), -EMSGSIZE);
	assert_int_equal(req.status, 431);
	assert_int_equal(http_parse_request(buf, HTTP_MAX_HEAD, &req), -EMSGSIZE);
	assert_int_equal(req.status, 431);
	/* one byte less than full and not ended: read more */
	assert_int_equal(http_parse_request(buf, HTTP_MAX_HEAD - 1, &req), 0);

	/* a request line that does not end within the limit: 414 */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', 2 * HTTP_MAX_HEAD - 5);
	assert_int_equal(http_parse_request(buf, HTTP_MAX_HEAD, &req), -EMSGSIZE);
	assert_int_equal(req.status, 414);
	assert_int_equal(http_parse_request(buf, 2 * HTTP_MAX_HEAD, &req), -EMSGSIZE);
	assert_int_equal(req.status, 414);
	/* nothing yet */
	assert_int_equal(http_parse_request(buf, 0, &req), 0);
	free(buf);
}

static void assert_addr(const char *in, int family, const char *host, int port, int any)
{
	struct sockaddr_storage ss;
	char err[128] = "", got[INET6_ADDRSTRLEN];
	socklen_t len = 0;
	int a = -1, ret;

	ret = http_parse_addr(in, &ss, &len, &a, err, sizeof(err));
	if (ret)
		fail_msg("\"%s\": %s", in, err);
	assert_int_equal(ss.ss_family, family);
	assert_int_equal(a, any);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		assert_int_equal(len, sizeof(*s4));
		inet_ntop(AF_INET, &s4->sin_addr, got, sizeof(got));
		assert_int_equal(ntohs(s4->sin_port), port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		assert_int_equal(len, sizeof(*s6));
		inet_ntop(AF_INET6, &s6->sin6_addr, got, sizeof(got));
		assert_int_equal(ntohs(s6->sin6_port), port);
	}
	assert_string_equal(got, host);
}

static void assert_bad_addr(const char *in, const char *why)
{
	struct sockaddr_storage ss;
	char err[160], want[160];
	socklen_t len;
	int any;

	snprintf(want, sizeof(want), "\"%s\": %s", in, why);
	assert_int_equal(http_parse_addr(in, &ss, &len, &any, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void test_addr(void **state)
{
	assert_addr(":9464", AF_INET6, "::", 9464, 1);
	assert_addr("127.0.0.1:9464", AF_INET, "127.0.0.1", 9464, 0);
	assert_addr("0.0.0.0:1", AF_INET, "0.0.0.0", 1, 0);
	assert_addr("192.0.2.10:65535", AF_INET, "192.0.2.10", 65535, 0);
	assert_addr("[::1]:9464", AF_INET6, "::1", 9464, 0);
	assert_addr("[::]:9464", AF_INET6, "::", 9464, 0);
	assert_addr("[2001:db8::10]:80", AF_INET6, "2001:db8::10", 80, 0);
	assert_addr("[::ffff:192.0.2.1]:80", AF_INET6, "::ffff:192.0.2.1", 80, 0);
	assert_addr(":09464", AF_INET6, "::", 9464, 1);

	assert_bad_addr("", "expected HOST:PORT, [IPV6]:PORT or :PORT");
	assert_bad_addr("9464", "expected HOST:PORT, [IPV6]:PORT or :PORT");
	assert_bad_addr("::1:9464", "an IPv6 address goes in brackets, as [::1]:9464");
	assert_bad_addr("::9464", "an IPv6 address goes in brackets, as [::1]:9464");
	assert_bad_addr("[::1]9464", "expected [IPV6]:PORT");
	assert_bad_addr("[::1]", "expected [IPV6]:PORT");
	assert_bad_addr("[::1:9464", "expected [IPV6]:PORT");
	assert_bad_addr("[]:9464", "expected an IPv6 address in brackets");
	assert_bad_addr("[192.0.2.1]:9464", "expected a numeric IPv6 address in brackets");
	assert_bad_addr("[fe80::1%eth0]:9464", "expected a numeric IPv6 address in brackets");
	assert_bad_addr("localhost:9464", "expected a numeric IPv4 address (no name lookup)");
	assert_bad_addr("256.0.0.1:9464", "expected a numeric IPv4 address (no name lookup)");
	assert_bad_addr("192.0.2.1 :9464", "expected a numeric IPv4 address (no name lookup)");
	assert_bad_addr(":0", "port must be a number 1-65535");
	assert_bad_addr(":65536", "port must be a number 1-65535");
	assert_bad_addr(":", "port must be a number 1-65535");
	assert_bad_addr("192.0.2.1:", "port must be a number 1-65535");
	assert_bad_addr(":-1", "port must be a number 1-65535");
	assert_bad_addr(":+1", "port must be a number 1-65535");
	assert_bad_addr(": 1", "port must be a number 1-65535");
	assert_bad_addr(":1 ", "port must be a number 1-65535");
	assert_bad_addr(":94a", "port must be a number 1-65535");
	assert_bad_addr(":0x10", "port must be a number 1-65535");
	assert_bad_addr(":99999999999999999999999", "port must be a number 1-65535");
	assert_bad_addr("[::1]:", "port must be a number 1-65535");
	assert_bad_addr("[::1]:70000", "port must be a number 1-65535");
}

/* The constructor names the address when it cannot listen (no socket made:
 * the address is refused before). */
static void test_new_bad_addr(void **state)
{
	char err[160];

	errno = 0;
	assert_null(http_server__new("nope", err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "\"nope\": expected HOST:PORT, [IPV6]:PORT or :PORT");
	http_server__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_metrics),
	    cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_method_not_allowed),
	    cmocka_unit_test(test_bad_request),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_incomplete),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_new_bad_addr),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
