// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: http_parse_request() on any bytes (and on every prefix
 * of them the server could have seen), and http_parse_addr() on them as a
 * string. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"

static void check(const char *buf, size_t len)
{
	struct http_request req;
	int ret = http_parse_request(buf, len, &req);

	if (ret == 0) {
		if (req.status != 0 || len >= HTTP_MAX_HEAD)
			abort();
		return;
	}
	if (ret == -EMSGSIZE) {
		if ((req.status != 431 && req.status != 414) || len < HTTP_MAX_HEAD)
			abort();
		return;
	}
	if (ret < 0 || (size_t)ret > len || ret > HTTP_MAX_HEAD)
		abort();
	switch (req.status) {
	case 200:
		if (req.path_len != 8 || memcmp(req.path, "/metrics", 8) ||
		    (req.method != HTTP_METHOD_GET && req.method != HTTP_METHOD_HEAD))
			abort();
		/* the path lies inside the head */
		if (req.path < buf || req.path + req.path_len > buf + ret)
			abort();
		break;
	case 404:
	case 405:
	case 400:
	case 505:
		break;
	default:
		abort();
	}
	/* bytes after a complete head change nothing */
	if (len > (size_t)ret) {
		struct http_request again;

		if (http_parse_request(buf, ret, &again) != ret || again.status != req.status)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	char err[160], *s;
	socklen_t sslen;
	int any;

	check((const char *)data, size);
	if (size > 1)
		check((const char *)data, size / 2);

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_parse_addr(s, &ss, &sslen, &any, err, sizeof(err))) {
		if (!err[0])
			abort();
	} else if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
		abort();
	}
	free(s);
	return 0;
}
