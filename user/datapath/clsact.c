// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datapath/clsact.h"
#include "lib/escape.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The calling thread's network namespace's cookie (Linux >= 5.14). */
static int netns_cookie(uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd, ret = 0;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		ret = -errno;
	close(fd);
	return ret;
}

static int boot_id(char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int record_name(uint32_t ifindex, char *name, size_t len)
{
	uint64_t cookie;
	int ret = netns_cookie(&cookie);

	if (ret)
		return ret;
	snprintf(name, len, "clsact-%" PRIu64 "-%u", cookie, ifindex);
	return 0;
}

/* dir as a directory fd; created when asked. Never through a symlink. */
static int open_dir(const char *dir, int create)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int clsact_record(const char *dir, uint32_t ifindex, const char *ifname)
{
	char name[64], boot[64], safe[64], text[512];
	struct stat st;
	int dfd, fd, n, ret;

	ret = record_name(ifindex, name, sizeof(name));
	if (!ret)
		ret = boot_id(boot, sizeof(boot));
	if (ret)
		return ret;
	dfd = open_dir(dir, 1);
	if (dfd < 0)
		return dfd;
	/* What an operator reads there: the namespace's inode, the name */
	if (stat("/proc/thread-self/ns/net", &st))
		st.st_ino = 0;
	n = snprintf(text, sizeof(text),
		     "boot_id=%s\nnetns_ino=%" PRIu64 "\nifindex=%u\nifname=%s\npid=%ld\n", boot,
		     (uint64_t)st.st_ino, ifindex, escape_ctl(ifname, safe, sizeof(safe)),
		     (long)getpid());
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	if (write(fd, text, n) != n)
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		unlinkat(dfd, name, 0);
	close(dfd);
	return ret;
}

int clsact_recorded(const char *dir, uint32_t ifindex)
{
	char name[64], boot[64], text[512], want[80];
	int dfd, fd, ret;
	ssize_t n;

	ret = record_name(ifindex, name, sizeof(name));
	if (ret)
		return ret;
	dfd = open_dir(dir, 0);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? 0 : -errno;
		close(dfd);
		return ret;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	/* Cookies start again at boot: a record of another boot is not ours */
	if (boot_id(boot, sizeof(boot))) {
		close(dfd);
		return 0;
	}
	snprintf(want, sizeof(want), "boot_id=%s\n", boot);
	ret = !strncmp(text, want, strlen(want));
	if (!ret)
		unlinkat(dfd, name, 0);
	close(dfd);
	return ret;
}

int clsact_forget(const char *dir, uint32_t ifindex)
{
	char name[64];
	int dfd, ret;

	ret = record_name(ifindex, name, sizeof(name));
	if (ret)
		return ret;
	dfd = open_dir(dir, 0);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	ret = unlinkat(dfd, name, 0) && errno != ENOENT ? -errno : 0;
	close(dfd);
	return ret;
}
