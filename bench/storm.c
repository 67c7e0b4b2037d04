// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * storm SECONDS|-N COUNT BASE: send UDP datagrams, each to a distinct
 * (destination, port) under BASE (an IPv4 /14 routed into the tunnel), with
 * sendmmsg in batches, for SECONDS (or exactly COUNT with -N). Every datagram
 * is a new leak flow. Prints "sent N seconds S" (the flows offered).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 512

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct sockaddr_in to[BATCH];
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	static char payload[18];
	double seconds = 0, t0, t;
	unsigned long long limit = 0, sent = 0, seq = 0;
	uint32_t base;
	int fd, i, sndbuf = 4 << 20;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: storm SECONDS BASE | storm -N COUNT BASE\n");
		return 2;
	}
	if (!strcmp(argv[1], "-N")) {
		limit = strtoull(argv[2], NULL, 10);
		inet_pton(AF_INET, argv[3], &base);
	} else {
		seconds = atof(argv[1]);
		inet_pton(AF_INET, argv[2], &base);
	}
	base = ntohl(base);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = sizeof(payload);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(to[i]);
		to[i].sin_family = AF_INET;
	}
	t0 = now();
	for (;;) {
		int n = BATCH, got;

		if (limit && limit - sent < (unsigned long long)n)
			n = limit - sent;
		if (!n)
			break;
		for (i = 0; i < n; i++, seq++) {
			/* 2^18 addresses x 2^14 ports: distinct for 4 billion flows */
			to[i].sin_addr.s_addr = htonl(base + (uint32_t)(seq & 0x3ffff));
			to[i].sin_port = htons(1024 + (uint16_t)((seq >> 18) & 0x3fff));
		}
		got = sendmmsg(fd, msgs, n, 0);
		if (got < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("storm: sendmmsg");
			return 1;
		}
		sent += got;
		seq -= n - got; /* resend the ones that did not go */
		if (!limit && (sent & 0xffff) < (unsigned long long)BATCH && now() - t0 >= seconds)
			break;
	}
	t = now() - t0;
	printf("sent %llu seconds %.3f\n", sent, t);
	return 0;
}
