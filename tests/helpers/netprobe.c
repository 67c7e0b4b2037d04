// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netprobe: traffic whose every packet the tests and the demo know.
 *   netprobe listen PORT                  TCP server on [::]:PORT, says "hello"
 *   netprobe connect ADDR PORT [SPORT [TIMEOUT_MS]]
 *                                         exit 0 "connected", 1 "timeout"
 *   netprobe udp ADDR PORT COUNT SIZE [SPORT]
 *                                         COUNT datagrams of SIZE payload bytes
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int num(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || *end || *out < min || *out > max ? -1 : 0;
}

static int addr(const char *s, long port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

static int bind_sport(int fd, int family, long sport)
{
	struct sockaddr_storage ss = {};
	int one = 1;

	if (!sport)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(sport);
		return bind(fd, (struct sockaddr *)a, sizeof(*a));
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(sport);
		return bind(fd, (struct sockaddr *)a, sizeof(*a));
	}
}

static int do_listen(long port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;

	signal(SIGPIPE, SIG_IGN);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		perror("netprobe listen");
		return 2;
	}
	printf("listening on %ld\n", port);
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (write(c, "hello\n", 6) < 0)
			perror("netprobe write");
		close(c);
	}
}

static int do_connect(const char *host, long port, long sport, long timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = addr(host, port, &ss, &len), fd, err = 0;
	socklen_t elen = sizeof(err);
	struct pollfd p;
	char buf[16];

	if (fam < 0)
		return 2;
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind_sport(fd, fam, sport)) {
		perror("netprobe connect");
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		printf("failed: %s\n", strerror(errno));
		return 1;
	}
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, timeout_ms) != 1) {
		printf("timeout\n");
		return 1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		printf("failed: %s\n", strerror(err));
		return 1;
	}
	p.events = POLLIN;
	if (poll(&p, 1, timeout_ms) == 1 && read(fd, buf, sizeof(buf)) > 0)
		printf("connected\n");
	else
		printf("connected, no greeting\n");
	close(fd);
	return 0;
}

static int do_udp(const char *host, long port, long count, long size, long sport)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = addr(host, port, &ss, &len), fd;
	char buf[65536];
	long i;

	if (fam < 0)
		return 2;
	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd < 0 || bind_sport(fd, fam, sport)) {
		perror("netprobe udp");
		return 2;
	}
	memset(buf, 0x5a, size);
	for (i = 0; i < count; i++)
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&ss, len) != size) {
			perror("netprobe sendto");
			return 1;
		}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	long port, a = 0, b = 0, c = 0;

	if (argc >= 3 && !strcmp(argv[1], "listen") && !num(argv[2], 1, 65535, &port))
		return do_listen(port);
	if (argc >= 4 && !strcmp(argv[1], "connect") && !num(argv[3], 1, 65535, &port) &&
	    (argc < 5 || !num(argv[4], 0, 65535, &a)) && (argc < 6 || !num(argv[5], 1, 600000, &b)))
		return do_connect(argv[2], port, a, argc >= 6 ? b : 2000);
	if (argc >= 6 && !strcmp(argv[1], "udp") && !num(argv[3], 1, 65535, &port) &&
	    !num(argv[4], 1, 100000000, &a) && !num(argv[5], 0, 65000, &b) &&
	    (argc < 7 || !num(argv[6], 0, 65535, &c)))
		return do_udp(argv[2], port, a, b, c);
	fprintf(stderr, "usage: netprobe listen PORT | connect ADDR PORT [SPORT [TIMEOUT_MS]] |\n"
			"       udp ADDR PORT COUNT SIZE [SPORT]\n");
	return 2;
}
