// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The /metrics server's pure half: requests and listen addresses parsed
 * within their bounds (fuzzed: tests/fuzz/fuzz_http.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/http.h"

/* --- request parser ---------------------------------------------------------- */

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* The end of the line starting at *p: the index of its '\n'; the line's
 * content ends before a '\r' there. -1 when a bare CR or no LF is found. */
static long line_end(const char *b, size_t len, size_t p, size_t *content_end)
{
	const char *nl = memchr(b + p, '\n', len - p);
	size_t e;

	if (!nl)
		return -1;
	e = nl - b;
	*content_end = (e > p && b[e - 1] == '\r') ? e - 1 : e;
	return (long)e;
}

/* After an optional leading empty line: where the request line starts. */
static size_t skip_empty_line(const char *b, size_t len)
{
	if (len >= 1 && b[0] == '\n')
		return 1;
	if (len >= 2 && b[0] == '\r' && b[1] == '\n')
		return 2;
	return 0;
}

/* Offset just past the empty line that ends the head, or 0. */
static size_t head_end(const char *b, size_t len)
{
	size_t i = skip_empty_line(b, len);
	const char *nl;

	/* a second empty line: an empty request line, complete (and bad) */
	if (i < len && b[i] == '\n')
		return i + 1;
	if (i + 1 < len && b[i] == '\r' && b[i + 1] == '\n')
		return i + 2;
	while ((nl = memchr(b + i, '\n', len - i))) {
		size_t e = nl - b + 1;

		if (e < len && b[e] == '\n')
			return e + 1;
		if (e + 1 < len && b[e] == '\r' && b[e + 1] == '\n')
			return e + 2;
		i = e;
	}
	return 0;
}

static int bad(struct http_request *req, int status, int ret)
{
	req->status = status;
	return ret;
}

/* The path of a request target: origin form "/p?q", or absolute form
 * "http://host/p?q" (RFC 9112 3.2.2: a server must accept it). */
static int target_path(const char *t, size_t n, struct http_request *req)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return -1;
	}
	if (n > 7 && !strncasecmp(t, "http://", 7)) {
		i = 7;
	} else if (n > 8 && !strncasecmp(t, "https://", 8)) {
		i = 8;
	} else if (n >= 1 && t[0] == '/') {
		i = 0;
		goto path;
	} else {
		return -1;
	}
	while (i < n && t[i] != '/' && t[i] != '?')
		i++;
	if (i == n || t[i] == '?') { /* "http://host" means "/" */
		req->path = "/";
		req->path_len = 1;
		return 0;
	}
path:
	req->path = t + i;
	req->path_len = n - i;
	for (; i < n; i++) {
		if (t[i] == '?') {
			req->path_len = t + i - req->path;
			break;
		}
	}
	return 0;
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	size_t end, p, ce = 0, m, t, tlen, limit = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	int hosts = 0, major;
	bool v11;
	long e;

	memset(req, 0, sizeof(*req));
	end = head_end(buf, limit);
	if (!end) {
		if (len < HTTP_MAX_HEAD)
			return 0;
		p = skip_empty_line(buf, limit);
		return bad(req, memchr(buf + p, '\n', limit - p) ? 431 : 414, -EMSGSIZE);
	}

	/* request-line = method SP request-target SP HTTP-version */
	p = skip_empty_line(buf, end);
	e = line_end(buf, end, p, &ce);
	if (e < 0) /* cannot happen: the head ends with a line end */
		return bad(req, 400, (int)end);
	for (m = p; m < ce && is_tchar(buf[m]); m++)
		;
	if (m == p || m >= ce || buf[m] != ' ')
		return bad(req, 400, (int)end);
	if (m - p == 3 && !memcmp(buf + p, "GET", 3))
		req->method = HTTP_METHOD_GET;
	else if (m - p == 4 && !memcmp(buf + p, "HEAD", 4))
		req->method = HTTP_METHOD_HEAD;
	else
		req->method = HTTP_METHOD_OTHER;
	t = m + 1;
	for (tlen = 0; t + tlen < ce && buf[t + tlen] != ' '; tlen++)
		;
	if (tlen == 0 || t + tlen + 9 != ce || memcmp(buf + t + tlen, " HTTP/", 6) ||
	    buf[ce - 3] < '0' || buf[ce - 3] > '9' || buf[ce - 2] != '.' || buf[ce - 1] < '0' ||
	    buf[ce - 1] > '9')
		return bad(req, 400, (int)end);
	if (target_path(buf + t, tlen, req))
		return bad(req, 400, (int)end);
	major = buf[ce - 3] - '0';
	req->minor = buf[ce - 1] - '0';
	v11 = major > 1 || (major == 1 && req->minor >= 1); /* Host required */

	/* field-line = field-name ":" OWS field-value OWS */
	for (p = e + 1; p < end; p = e + 1) {
		size_t n, i;

		e = line_end(buf, end, p, &ce);
		if (e < 0 || ce == p) /* the empty line: end of the head */
			break;
		for (n = p; n < ce && is_tchar(buf[n]); n++)
			;
		/* no name, whitespace before the colon, or a folded line */
		if (n == p || n >= ce || buf[n] != ':')
			return bad(req, 400, (int)end);
		for (i = n + 1; i < ce; i++) {
			unsigned char c = buf[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return bad(req, 400, (int)end);
		}
		if (n - p == 4 && !strncasecmp(buf + p, "host", 4))
			hosts++;
	}
	if (hosts > 1 || (v11 && hosts != 1))
		return bad(req, 400, (int)end);
	if (major != 1)
		return bad(req, 505, (int)end);
	if (req->method == HTTP_METHOD_OTHER)
		return bad(req, 405, (int)end);
	if (req->path_len == 8 && !memcmp(req->path, "/metrics", 8))
		return bad(req, 200, (int)end);
	return bad(req, 404, (int)end);
}

/* --- addresses -------------------------------------------------------------- */

static int addr_fail(char *err, size_t errlen, const char *addr, const char *why)
{
	snprintf(err, errlen, "\"%s\": %s", addr, why);
	return -EINVAL;
}

int http_parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen, int *any,
		    char *err, size_t errlen)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN];
	const char *colon, *port;
	unsigned long v;
	size_t hlen;
	char *end;

	memset(ss, 0, sizeof(*ss));
	*any = 0;
	if (!addr || !*addr)
		return addr_fail(err, errlen, addr ? addr : "",
				 "expected HOST:PORT, [IPV6]:PORT or :PORT");
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close[1] != ':')
			return addr_fail(err, errlen, addr, "expected [IPV6]:PORT");
		hlen = close - addr - 1;
		if (hlen == 0 || hlen >= sizeof(host))
			return addr_fail(err, errlen, addr, "expected an IPv6 address in brackets");
		memcpy(host, addr + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return addr_fail(err, errlen, addr,
					 "expected a numeric IPv6 address in brackets");
		s6->sin6_family = AF_INET6;
		*sslen = sizeof(*s6);
		port = close + 2;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return addr_fail(err, errlen, addr,
					 "expected HOST:PORT, [IPV6]:PORT or :PORT");
		hlen = colon - addr;
		if (memchr(addr, ':', hlen))
			return addr_fail(err, errlen, addr,
					 "an IPv6 address goes in brackets, as [::1]:9464");
		if (hlen >= sizeof(host))
			return addr_fail(err, errlen, addr, "expected a numeric IPv4 address");
		memcpy(host, addr, hlen);
		host[hlen] = '\0';
		if (hlen == 0) {
			/* every address: the IPv6 wildcard, IPv4 mapped in */
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_any;
			*sslen = sizeof(*s6);
			*any = 1;
		} else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			*sslen = sizeof(*s4);
		} else {
			return addr_fail(err, errlen, addr,
					 "expected a numeric IPv4 address (no name lookup)");
		}
		port = colon + 1;
	}
	if (port[0] < '0' || port[0] > '9')
		return addr_fail(err, errlen, addr, "port must be a number 1-65535");
	errno = 0;
	v = strtoul(port, &end, 10);
	if (errno || *end != '\0' || v < 1 || v > 65535)
		return addr_fail(err, errlen, addr, "port must be a number 1-65535");
	if (ss->ss_family == AF_INET6)
		s6->sin6_port = htons(v);
	else
		s4->sin_port = htons(v);
	return 0;
}
