// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunsink IFNAME [COUNTFILE]: create a tun device (L3, no packet info), read
 * and count every packet the kernel sends into it, until SIGTERM/SIGINT.
 * The device disappears when tunsink exits, as OpenVPN's tun0 does. With
 * COUNTFILE, "packets bytes" is written there on exit: test ground truth.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned long long packets = 0, bytes = 0;
	struct sigaction sa = {.sa_handler = on_signal};
	struct ifreq ifr = {};
	char buf[65536];
	int fd;

	if (argc < 2 || strlen(argv[1]) >= IFNAMSIZ) {
		fprintf(stderr, "usage: tunsink IFNAME [COUNTFILE]\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("tunsink: /dev/net/tun");
		return 1;
	}
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strcpy(ifr.ifr_name, argv[1]);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		perror("tunsink: TUNSETIFF");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			packets++;
			bytes += n;
		}
	}
	if (argc > 2) {
		FILE *f = fopen(argv[2], "w");

		if (f) {
			fprintf(f, "%llu %llu\n", packets, bytes);
			fclose(f);
		}
	}
	close(fd);
	return 0;
}
