// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * httpd ADDR BODY|none [BODY2]: user/lib/http.c's server in a loop like
 * tunleak's (an outer epoll holding the server's fd, a 20 ms tick), serving
 * the file BODY as the metrics ("none": never set, so /metrics is 503).
 * Prints "listening ADDR" when ready. SIGUSR1 sets BODY2 as the metrics and
 * prints "swapped"; SIGTERM/SIGINT stops, printing "stats ..." with the
 * server's counters, the longest http_server__run() call (max_run_us: the
 * time the server kept the loop from other work) and how many calls took
 * over 1 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/http.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size + 1);
	while (buf && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, st.st_size - n);

		if (r <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		n += r;
	}
	close(fd);
	*len = n;
	return buf;
}

static int set_body(struct http_server *s, const char *path)
{
	size_t len;
	char *b = slurp(path, &len);
	int ret;

	if (!b) {
		fprintf(stderr, "httpd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = http_server__set_metrics(s, b, len);
	free(b);
	if (ret)
		fprintf(stderr, "httpd: set_metrics: %s\n", strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	struct epoll_event ev = {.events = EPOLLIN};
	uint64_t max_run = 0, runs = 0, slow_runs = 0;
	struct http_server *s;
	struct http_stats st;
	char err[256];
	sigset_t mask;
	int ep, sfd;

	if (argc < 3) {
		fprintf(stderr, "usage: httpd ADDR BODY|none [BODY2]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	s = http_server__new(argv[1], err, sizeof(err));
	if (!s) {
		fprintf(stderr, "httpd: %s\n", err);
		return 1;
	}
	if (strcmp(argv[2], "none") && set_body(s, argv[2]))
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = http_server__fd(s);
	epoll_ctl(ep, EPOLL_CTL_ADD, http_server__fd(s), &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	printf("listening %s\n", http_server__addr(s));

	for (;;) {
		struct signalfd_siginfo si;
		uint64_t t0, t1;

		epoll_wait(ep, &ev, 1, 20);
		t0 = now_us();
		http_server__run(s, t0 / 1000);
		t1 = now_us();
		if (t1 - t0 > max_run)
			max_run = t1 - t0;
		runs++;
		slow_runs += t1 - t0 > 1000;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGUSR1) {
			if (argc > 3 && !set_body(s, argv[3]))
				printf("swapped\n");
			continue;
		}
		break;
	}
	http_server__stats(s, &st);
	printf("stats accepted=%llu refused=%llu evicted=%llu timeouts=%llu 2xx=%llu 4xx=%llu "
	       "5xx=%llu max_run_us=%llu runs=%llu runs_over_1ms=%llu\n",
	       (unsigned long long)st.accepted, (unsigned long long)st.refused,
	       (unsigned long long)st.evicted, (unsigned long long)st.timeouts,
	       (unsigned long long)st.responses[2], (unsigned long long)st.responses[4],
	       (unsigned long long)st.responses[5], (unsigned long long)max_run,
	       (unsigned long long)runs, (unsigned long long)slow_runs);
	http_server__free(s);
	close(ep);
	close(sfd);
	return 0;
}
