// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/http.h"

/* --- server ------------------------------------------------------------------- */

struct body {
	unsigned int refs;
	size_t len;
	char data[];
};

enum conn_state {
	CONN_FREE = 0,
	CONN_READ,   /* reading the request head */
	CONN_WRITE,  /* sending the answer */
	CONN_LINGER, /* answered, write side shut: reading until EOF */
};

struct conn {
	int fd;
	enum conn_state state;
	uint32_t events; /* watched for in the epoll set */
	uint32_t gen;	 /* tells a stale epoll event from one for the slot's new use */
	uint64_t seq;	 /* order of acceptance: the oldest is evicted first */
	uint64_t head_deadline;
	uint64_t deadline;
	uint64_t progress;    /* when a byte last came in or went out */
	struct in6_addr peer; /* IPv4 as ::ffff:a.b.c.d */
	size_t in_len;
	size_t scanned; /* head end searched up to here */
	char hdr[320];
	size_t hdr_len, hdr_off;
	struct body *body; /* the metrics being sent (a reference), or NULL */
	const char *text;  /* or a short static body */
	size_t text_len, body_off;
	char in[HTTP_MAX_HEAD];
};

struct http_server {
	int epfd;
	int lfd;
	int reserve_fd; /* given up to accept-and-close when out of file descriptors */
	uint64_t now;
	uint64_t accept_resume; /* accepting paused until then (0: not paused) */
	uint64_t seq;		/* connections accepted so far */
	struct body *metrics;
	struct http_stats stats;
	char addr[INET6_ADDRSTRLEN + 8];
	struct conn conns[HTTP_MAX_CONNS];
};

#define LISTEN_TAG	UINT64_MAX
#define ACCEPT_BATCH	64	     /* per call: others wait for the next */
#define LINGER_READS	16	     /* per call and connection, 4 KiB each */
#define WRITE_BUDGET	(256u << 10) /* bytes per call and connection */
#define ACCEPT_PAUSE_MS 100

static void body_put(struct body *b)
{
	if (b && --b->refs == 0)
		free(b);
}

static uint64_t tag(const struct http_server *s, const struct conn *c)
{
	return ((uint64_t)c->gen << 32) | (uint64_t)(c - s->conns);
}

static void conn_close(struct conn *c)
{
	/* closing the fd removes it from the epoll set */
	close(c->fd);
	body_put(c->body);
	c->body = NULL;
	c->fd = -1;
	c->state = CONN_FREE;
	c->gen++;
}

static int conn_watch(struct http_server *s, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag(s, c)};

	if (c->events == events)
		return 0;
	c->events = events;
	return epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "HTTP Version Not Supported";
	}
}

static const char *error_text(int status)
{
	switch (status) {
	case 404:
		return "not found: tunleak serves /metrics\n";
	case 405:
		return "method not allowed: GET or HEAD\n";
	case 408:
		return "request timeout\n";
	case 414:
		return "request line too long\n";
	case 431:
		return "request header fields too large\n";
	case 503:
		return "no metrics yet\n";
	case 505:
		return "HTTP/1.x only\n";
	default:
		return "bad request\n";
	}
}

static void conn_write(struct http_server *s, struct conn *c);

static void conn_respond(struct http_server *s, struct conn *c, int status, bool head_only)
{
	size_t body_len;
	char date[40];
	struct tm tm;
	time_t now = time(NULL);

	if (status == 200 && !s->metrics)
		status = 503;
	c->body = NULL;
	c->text = NULL;
	if (status == 200) {
		c->body = s->metrics;
		c->body->refs++;
		body_len = c->body->len;
	} else {
		c->text = error_text(status);
		body_len = c->text_len = strlen(c->text);
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	c->hdr_len = snprintf(c->hdr, sizeof(c->hdr),
			      "HTTP/1.1 %d %s\r\n"
			      "Content-Type: %s\r\n"
			      "Content-Length: %zu\r\n"
			      "Date: %s\r\n"
			      "%s"
			      "Connection: close\r\n\r\n",
			      status, reason(status),
			      status == 200 ? "text/plain; version=0.0.4; charset=utf-8"
					    : "text/plain; charset=utf-8",
			      body_len, date, status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (c->hdr_len >= sizeof(c->hdr)) /* cannot happen: ~210 bytes at most */
		c->hdr_len = sizeof(c->hdr) - 1;
	c->hdr_off = 0;
	c->body_off = 0;
	if (head_only) {
		body_put(c->body);
		c->body = NULL;
		c->text = NULL;
	}
	s->stats.responses[status / 100 < 6 ? status / 100 : 5]++;
	c->state = CONN_WRITE;
	conn_write(s, c);
}

/* Answered: shut our side and read what the client still sends, so the
 * close does not turn into a reset that could destroy the answer at the
 * client before it read it. */
static void conn_linger(struct http_server *s, struct conn *c)
{
	body_put(c->body);
	c->body = NULL;
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	if (c->deadline > s->now + HTTP_LINGER_MS)
		c->deadline = s->now + HTTP_LINGER_MS;
	if (conn_watch(s, c, EPOLLIN))
		conn_close(c);
}

static void conn_write(struct http_server *s, struct conn *c)
{
	size_t budget = WRITE_BUDGET;

	for (;;) {
		struct iovec iov[2];
		struct msghdr msg = {.msg_iov = iov};
		const char *b = c->body ? c->body->data : c->text;
		size_t blen = c->body ? c->body->len : (c->text ? c->text_len : 0);
		ssize_t n;

		if (c->hdr_off < c->hdr_len) {
			iov[msg.msg_iovlen].iov_base = c->hdr + c->hdr_off;
			iov[msg.msg_iovlen++].iov_len = c->hdr_len - c->hdr_off;
		}
		if (c->body_off < blen) {
			iov[msg.msg_iovlen].iov_base = (char *)b + c->body_off;
			iov[msg.msg_iovlen++].iov_len = blen - c->body_off;
		}
		if (msg.msg_iovlen == 0) {
			conn_linger(s, c);
			return;
		}
		if (budget == 0) { /* more when it is writable again, after the others */
			if (conn_watch(s, c, EPOLLOUT))
				conn_close(c);
			return;
		}
		if (msg.msg_iovlen == 2 && iov[1].iov_len > budget)
			iov[1].iov_len = budget;
		else if (iov[0].iov_len > budget)
			iov[0].iov_len = budget;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (conn_watch(s, c, EPOLLOUT))
				conn_close(c);
			return;
		}
		if (n < 0) {
			conn_close(c);
			return;
		}
		c->progress = s->now;
		if (c->hdr_off < c->hdr_len) {
			size_t h = c->hdr_len - c->hdr_off;

			if ((size_t)n < h) {
				c->hdr_off += n;
				continue;
			}
			c->hdr_off = c->hdr_len;
			n -= h;
		}
		c->body_off += n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
}

/* Whether an empty line ("\n\n" or "\n\r\n") lies in the unread part of
 * the head, so that parsing can give an answer; remembers how far it looked,
 * so a head arriving a byte at a time costs O(n), not O(n^2). */
static bool head_may_end(struct conn *c)
{
	for (;;) {
		const char *nl = memchr(c->in + c->scanned, '\n', c->in_len - c->scanned);
		size_t i, rest;

		if (!nl) {
			c->scanned = c->in_len;
			return false;
		}
		i = nl - c->in;
		rest = c->in_len - i - 1;
		if ((rest >= 1 && c->in[i + 1] == '\n') ||
		    (rest >= 2 && c->in[i + 1] == '\r' && c->in[i + 2] == '\n')) {
			/* past this one, should the parser want more */
			c->scanned = i + 1;
			return true;
		}
		if (rest == 0 || (rest == 1 && c->in[i + 1] == '\r')) {
			c->scanned = i; /* look at this '\n' again with more bytes */
			return false;
		}
		c->scanned = i + 1;
	}
}

static void conn_read(struct http_server *s, struct conn *c)
{
	struct http_request req;
	ssize_t n;
	int ret;

	for (;;) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* gone before it asked anything */
			conn_close(c);
			return;
		}
		c->in_len += n;
		c->progress = s->now;
		ret = 0;
		while (ret == 0 && head_may_end(c))
			ret = http_parse_request(c->in, c->in_len, &req);
		/* a full buffer without a complete head: the parser says 431 */
		if (ret == 0 && c->in_len == sizeof(c->in))
			ret = http_parse_request(c->in, c->in_len, &req);
		if (ret == 0)
			continue;
		conn_respond(s, c, req.status, req.method == HTTP_METHOD_HEAD && ret > 0);
		return;
	}
}

static void conn_drain(struct conn *c)
{
	char scratch[4096];
	int i;

	for (i = 0; i < LINGER_READS; i++) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
	}
}

/*
 * The connection to close to make room (of peer's, or of anyone's with
 * NULL): the one whose client has done least for longest — no byte of a
 * request, or of its answer read, since the oldest time. A client that
 * asks and never reads, or never asks, goes before the newest connection
 * (a scraper that has just connected) and before an answer being read: no
 * client can keep the scraper out, and a new connection always gets a slot.
 */
static struct conn *victim(struct http_server *s, const struct in6_addr *peer)
{
	struct conn *best = NULL;
	int i;

	for (i = 0; i < HTTP_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == CONN_FREE || (peer && memcmp(&c->peer, peer, sizeof(*peer))))
			continue;
		if (!best || c->progress < best->progress ||
		    (c->progress == best->progress && c->seq < best->seq))
			best = c;
	}
	/* Never one that did something in this very call (accepted, read
	 * from or written to): in a burst of new connections, the newest is
	 * the one turned away, not the scraper that came first. */
	return best && best->progress < s->now ? best : NULL;
}

static struct conn *evict(struct http_server *s, const struct in6_addr *peer)
{
	struct conn *c = victim(s, peer);

	if (c) {
		conn_close(c);
		s->stats.evicted++;
	}
	return c;
}

static struct conn *evict_oldest(struct http_server *s)
{
	return evict(s, NULL);
}

/* A slot for a new connection: a free one, else an evicted one, else none. */
static struct conn *free_slot(struct http_server *s)
{
	int i;

	for (i = 0; i < HTTP_MAX_CONNS; i++) {
		if (s->conns[i].state == CONN_FREE)
			return &s->conns[i];
	}
	return evict_oldest(s);
}

static void pause_accept(struct http_server *s)
{
	struct epoll_event ev = {.events = 0, .data.u64 = LISTEN_TAG};

	epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev);
	s->accept_resume = s->now + ACCEPT_PAUSE_MS;
}

/* The peer's address, IPv4 mapped into IPv6 (zero if unknown). */
static void peer_of(int fd, struct in6_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(a, 0, sizeof(*a));
	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == AF_INET6) {
		*a = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	} else if (ss.ss_family == AF_INET) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &((struct sockaddr_in *)&ss)->sin_addr, 4);
	}
}

static void take_conn(struct http_server *s, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct in6_addr peer;
	struct conn *c;
	int i, mine = 0;

	/* one address holds at most HTTP_MAX_PER_PEER slots: beyond, its own
	 * connection that is worth least makes room */
	peer_of(fd, &peer);
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		mine += s->conns[i].state != CONN_FREE &&
			!memcmp(&s->conns[i].peer, &peer, sizeof(peer));
	c = mine >= HTTP_MAX_PER_PEER && !evict(s, &peer) ? NULL : free_slot(s);

	if (!c) {
		close(fd);
		s->stats.refused++;
		return;
	}
	c->fd = fd;
	c->state = CONN_READ;
	c->seq = ++s->seq;
	c->peer = peer;
	c->progress = s->now;
	c->head_deadline = s->now + HTTP_HEAD_MS;
	c->deadline = s->now + HTTP_TOTAL_MS;
	c->in_len = 0;
	c->scanned = 0;
	c->body = NULL;
	c->text = NULL;
	c->events = ev.events;
	ev.data.u64 = tag(s, c);
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		conn_close(c);
		s->stats.refused++;
		return;
	}
	s->stats.accepted++;
}

/*
 * Out of file descriptors. accept() says EMFILE before it looks for a
 * pending connection, so first find out with the reserve fd: close it and
 * accept. Nothing there: take the reserve back. A connection: it has the
 * reserve's fd; make room for it by closing the oldest client still to send
 * its request, or close it if there is none, and take the reserve back.
 * Returns the new connection's fd, -EAGAIN (none pending, or accepting
 * paused: stop for now) or -ECONNREFUSED (one closed: look for more).
 */
static int accept_no_fds(struct http_server *s)
{
	int fd, ret;

	if (s->reserve_fd < 0) {
		pause_accept(s);
		return -EAGAIN;
	}
	close(s->reserve_fd);
	fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ret = fd < 0 ? -EAGAIN : fd;
	if (fd >= 0 && !evict_oldest(s)) {
		close(fd);
		s->stats.refused++;
		ret = -ECONNREFUSED;
	}
	s->reserve_fd = eventfd(0, EFD_CLOEXEC);
	if (s->reserve_fd < 0) { /* without it, the listener could keep us spinning */
		pause_accept(s);
		if (ret < 0)
			ret = -EAGAIN;
	}
	return ret;
}

static void do_accept(struct http_server *s)
{
	int i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			fd = accept_no_fds(s);
			if (fd == -ECONNREFUSED)
				continue;
			if (fd < 0)
				return;
		} else if (fd < 0) {
			if (errno == ENOBUFS || errno == ENOMEM)
				pause_accept(s);
			return; /* EAGAIN: all taken */
		}
		take_conn(s, fd);
	}
}

static void expire(struct http_server *s)
{
	int i;

	for (i = 0; i < HTTP_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == CONN_FREE)
			continue;
		if (s->now >= c->deadline ||
		    (c->state == CONN_WRITE && s->now >= c->progress + HTTP_STALL_MS)) {
			if (c->state != CONN_LINGER)
				s->stats.timeouts++;
			conn_close(c);
		} else if (c->state == CONN_READ && s->now >= c->head_deadline) {
			s->stats.timeouts++;
			conn_respond(s, c, 408, false);
		}
	}
}

void http_server__run(struct http_server *s, uint64_t now_ms)
{
	struct epoll_event ev[HTTP_MAX_CONNS + 1];
	int n, i;

	s->now = now_ms;
	if (s->accept_resume && now_ms >= s->accept_resume) {
		struct epoll_event lev = {.events = EPOLLIN, .data.u64 = LISTEN_TAG};

		s->accept_resume = 0;
		if (s->reserve_fd < 0)
			s->reserve_fd = eventfd(0, EFD_CLOEXEC);
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &lev);
	}
	n = epoll_wait(s->epfd, ev, HTTP_MAX_CONNS + 1, 0);
	for (i = 0; i < n; i++) {
		struct conn *c;

		if (ev[i].data.u64 == LISTEN_TAG) {
			do_accept(s);
			continue;
		}
		c = &s->conns[(uint32_t)ev[i].data.u64];
		if (c->state == CONN_FREE || c->gen != (uint32_t)(ev[i].data.u64 >> 32))
			continue; /* closed (and maybe reused) earlier in this batch */
		switch (c->state) {
		case CONN_READ:
			conn_read(s, c);
			break;
		case CONN_WRITE:
			conn_write(s, c);
			break;
		case CONN_LINGER:
			conn_drain(c);
			break;
		default:
			break;
		}
	}
	expire(s);
}

struct http_server *http_server__new(const char *addr, char *err, size_t errlen)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = LISTEN_TAG};
	struct sockaddr_storage ss;
	struct http_server *s;
	char host[INET6_ADDRSTRLEN];
	socklen_t sslen;
	int any, one = 1, zero = 0, ret, i;

	ret = http_parse_addr(addr, &ss, &sslen, &any, err, errlen);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "\"%s\": out of memory", addr);
		errno = ENOMEM;
		return NULL;
	}
	s->epfd = s->lfd = s->reserve_fd = -1;
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		s->conns[i].fd = -1;

	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 && any && errno == EAFNOSUPPORT) {
		/* no IPv6 in this kernel: every IPv4 address */
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		in_port_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;

		memset(&ss, 0, sizeof(ss));
		s4->sin_family = AF_INET;
		s4->sin_port = port;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		sslen = sizeof(*s4);
		s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (s->lfd < 0)
		goto fail_sys;
	/* a restart must not wait for the last run's TIME_WAIT connections */
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (any && ss.ss_family == AF_INET6)
		setsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(s->lfd, (struct sockaddr *)&ss, sslen))
		goto fail_sys;
	if (listen(s->lfd, 128))
		goto fail_sys;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev))
		goto fail_sys;
	s->reserve_fd = eventfd(0, EFD_CLOEXEC);
	if (s->reserve_fd < 0)
		goto fail_sys;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(s->addr, sizeof(s->addr), "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(s->addr, sizeof(s->addr), "%s:%u", host, ntohs(s4->sin_port));
	}
	return s;

fail_sys:
	ret = errno;
	snprintf(err, errlen, "\"%s\": %s", addr, strerror(ret));
	http_server__free(s);
	errno = ret;
	return NULL;
}

int http_server__fd(const struct http_server *s)
{
	return s->epfd;
}

const char *http_server__addr(const struct http_server *s)
{
	return s->addr;
}

void http_server__stats(const struct http_server *s, struct http_stats *st)
{
	*st = s->stats;
}

int http_server__set_metrics(struct http_server *s, const char *body, size_t len)
{
	struct body *b;

	if (len > HTTP_MAX_BODY)
		return -E2BIG;
	b = malloc(sizeof(*b) + len);
	if (!b)
		return -ENOMEM;
	b->refs = 1;
	b->len = len;
	memcpy(b->data, body, len);
	body_put(s->metrics);
	s->metrics = b;
	return 0;
}

void http_server__free(struct http_server *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < HTTP_MAX_CONNS; i++) {
		if (s->conns[i].state != CONN_FREE)
			conn_close(&s->conns[i]);
	}
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	body_put(s->metrics);
	free(s);
}
