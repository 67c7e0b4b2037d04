/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A minimal HTTP/1.x server for Prometheus' scrape of GET /metrics, run
 * from tunleak's single-threaded epoll loop. It never blocks: every socket
 * is non-blocking and each call does a bounded amount of work. Memory is
 * fixed: HTTP_MAX_CONNS slots with an HTTP_MAX_HEAD request buffer each,
 * allocated once, plus the metrics bodies still being sent.
 *
 * One request per connection (Connection: close). A client gets
 * HTTP_HEAD_MS to send its request head, HTTP_TOTAL_MS for everything, and
 * is closed when it reads nothing of its answer for HTTP_STALL_MS. One
 * address holds at most HTTP_MAX_PER_PEER slots. When all slots are taken
 * (or an address's), a new connection always gets one: it replaces the
 * connection whose client has sent or read nothing for the longest. So slow,
 * idle, or asking-and-never-reading clients cannot lock out the scraper.
 */
#ifndef TL_HTTP_H
#define TL_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HTTP_MAX_CONNS	  64
#define HTTP_MAX_HEAD	  8192	/* request line and header fields */
#define HTTP_HEAD_MS	  5000	/* from accept to a complete request head */
#define HTTP_TOTAL_MS	  10000 /* from accept to the last byte sent */
#define HTTP_LINGER_MS	  1000	/* reading what the client still sends, after the answer */
#define HTTP_STALL_MS	  3000	/* an answer the client reads nothing of for this long */
#define HTTP_MAX_PER_PEER 16	/* slots one client address may hold */
#define HTTP_MAX_BODY	  (64u << 20)

/* --- the request parser (pure; fuzzed) ---------------------------------- */

enum http_method {
	HTTP_METHOD_NONE = 0,
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_OTHER, /* a valid token we do not serve: 405 */
};

struct http_request {
	int status; /* what to answer: 200, 400, 404, 405, 414, 431, 505 */
	enum http_method method;
	int minor;	  /* HTTP/1.minor */
	const char *path; /* into buf: the target's path, without query */
	size_t path_len;
};

/*
 * Parse the request head at the start of buf[0..len). Returns:
 *   > 0      a complete head of that many bytes; req->status is 200 (GET or
 *            HEAD /metrics), 404, 405, 400 (malformed) or 505 (not HTTP/1)
 *   0        not complete yet: read more
 *   -EMSGSIZE  no complete head within HTTP_MAX_HEAD bytes: req->status is
 *            431, or 414 when not even the request line ended
 * Accepts CRLF or bare LF line ends and ignores one empty line before the
 * request line (RFC 9112 2.2); rejects obsolete line folding, whitespace
 * before a field's colon, control characters, and an HTTP/1.1 request
 * without exactly one Host field (RFC 9112 3.2).
 */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* "HOST:PORT", "[IPV6]:PORT" or ":PORT" (every address, IPv6 and IPv4) into
 * a socket address; HOST is a numeric address (no name lookup: it could
 * block, and a static binary has no NSS). Port 1-65535. Returns 0 or
 * -EINVAL with one line in err: `"ADDR": what is wrong`. *any is set for
 * ":PORT" (ss then holds the IPv6 wildcard). */
int http_parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen, int *any,
		    char *err, size_t errlen);

/* --- the server ----------------------------------------------------------- */

struct http_server;

struct http_stats {
	uint64_t accepted;     /* connections taken into a slot */
	uint64_t refused;      /* closed at once: every slot busy answering, or no fd left */
	uint64_t evicted;      /* clients closed to make room for a new one */
	uint64_t timeouts;     /* closed (or answered 408) for HTTP_HEAD_MS / HTTP_TOTAL_MS /
				* HTTP_STALL_MS */
	uint64_t responses[6]; /* by status class: [2] 2xx, [4] 4xx, [5] 5xx */
};

/* Listen on addr. NULL + errno with one line in err naming the address. */
struct http_server *http_server__new(const char *addr, char *err, size_t errlen);
/* An epoll fd of the server's own: add it to the caller's epoll set for
 * EPOLLIN (nested epoll) and call http_server__run() when it is readable. */
int http_server__fd(const struct http_server *s);
/* Accept, read and write what is ready, and enforce the deadlines. Call it
 * when the fd is readable and at least every 20 ms; now_ms: CLOCK_MONOTONIC. */
void http_server__run(struct http_server *s, uint64_t now_ms);
/* The Prometheus text served from now on (copied). Responses in flight keep
 * the body they started with. 0, -ENOMEM or -E2BIG (over HTTP_MAX_BODY).
 * Until the first call, /metrics answers 503. */
int http_server__set_metrics(struct http_server *s, const char *body, size_t len);
/* The address listened on, as "[::]:9464" or "127.0.0.1:9464". */
const char *http_server__addr(const struct http_server *s);
void http_server__stats(const struct http_server *s, struct http_stats *st);
/* Close every connection and the listener (NULL is fine). */
void http_server__free(struct http_server *s);

#endif
