// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netns.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int netns_enter(const char *netns, long pid, char *err, size_t errlen)
{
	char path[512];
	const char *what;
	int fd;

	if (!netns && !pid)
		return 0;
	if (pid) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		what = "--pid";
	} else if (strchr(netns, '/')) {
		snprintf(path, sizeof(path), "%s", netns);
		what = "--netns";
	} else {
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		what = "--netns";
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (pid)
			snprintf(err, errlen, "--pid \"%ld\": no such process (%s: %s)", pid, path,
				 strerror(errno));
		else
			snprintf(err, errlen,
				 "--netns \"%s\": no such network namespace (%s: %s)", netns, path,
				 strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET)) {
		int e = errno;

		snprintf(err, errlen, "%s \"%s\": not a network namespace (%s)", what,
			 pid ? path : netns, e == EINVAL ? "setns: wrong namespace type" : strerror(e));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

const char *netns_label(const char *netns, long pid, char *buf, size_t len)
{
	if (pid)
		snprintf(buf, len, "the network namespace of PID %ld", pid);
	else if (netns)
		snprintf(buf, len, "network namespace %s", netns);
	else
		snprintf(buf, len, "the current network namespace");
	return buf;
}

static int cap_has(const struct __user_cap_data_struct *d, int cap)
{
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

int caps_check(int need, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	int sys_admin;

	if (syscall(SYS_capget, &h, d)) {
		snprintf(err, errlen, "cannot read capabilities: %s", strerror(errno));
		return -1;
	}
	sys_admin = cap_has(d, CAP_SYS_ADMIN);
	if ((need & NEED_NET_ADMIN) && !cap_has(d, CAP_NET_ADMIN)) {
		snprintf(err, errlen,
			 "missing capability CAP_NET_ADMIN (needed to attach tc programs): run as root");
		return -1;
	}
	if ((need & NEED_BPF) && !cap_has(d, CAP_BPF) && !sys_admin) {
		snprintf(err, errlen,
			 "missing capability CAP_BPF (needed to load BPF programs): run as root");
		return -1;
	}
	if ((need & NEED_SETNS) && !sys_admin) {
		snprintf(err, errlen,
			 "missing capability CAP_SYS_ADMIN (needed to enter another network namespace): run as root");
		return -1;
	}
	return 0;
}
