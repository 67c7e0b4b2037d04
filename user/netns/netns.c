// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netns/netns.h"
#include "lib/log.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

struct netns {
	int fd;	  /* -1 while held by sock */
	int sock; /* a socket inside it (not owned), or -1 */
	uint64_t dev, ino;
	uint64_t cookie; /* 0: not known yet */
};

static uint64_t sock_cookie(int s)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	return getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) ? 0 : cookie;
}

uint64_t netns_cookie_here(void)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;
	uint64_t cookie;

	if (s < 0)
		return 0;
	cookie = sock_cookie(s);
	err = errno;
	close(s);
	errno = cookie ? 0 : err;
	return cookie;
}

/* The namespace the process started in: every thread comes back to it. Set
 * once by netns_init() before any other thread exists, read-only after. */
static int home_fd = -1;
static uint64_t home_dev, home_ino;

static int open_nsfs(const char *path, uint64_t *dev, uint64_t *ino)
{
	struct stat st;
	int fd, type;

	/* O_NONBLOCK: a FIFO put where a namespace is expected must not hang us */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET || fstat(fd, &st)) {
		close(fd);
		return -EINVAL;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return fd;
}

int netns_init(void)
{
	int fd = open_nsfs("/proc/thread-self/ns/net", &home_dev, &home_ino);

	if (fd < 0)
		return fd;
	if (home_fd >= 0)
		close(home_fd);
	home_fd = fd;
	return 0;
}

/*
 * An fd of the namespace that does not hold the file it was opened from. A
 * namespace pinned by a bind mount (/run/netns/NAME, as ip netns, CRI-O and
 * containerd pin them) opened through that mount keeps the mount busy: the
 * runtime's umount of the pin would fail while tunleak holds it. A socket
 * made inside the namespace gives one that refers to the namespace alone
 * (SIOCGSKNS), and the opened file is closed.
 */
static int detach_from_path(int fd, uint64_t *cookie)
{
	int s, nsfd = -1, err = 0;

	if (setns(fd, CLONE_NEWNET))
		return -errno;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || (nsfd = ioctl(s, SIOCGSKNS)) < 0)
		err = -errno;
	else
		*cookie = sock_cookie(s); /* its identity for the BPF side */
	if (s >= 0)
		close(s);
	if (setns(home_fd, CLONE_NEWNET)) {
		log_error("cannot return to the home network namespace: %s", strerror(errno));
		abort();
	}
	if (err)
		return err;
	/* SIOCGSKNS gives no O_CLOEXEC */
	fcntl(nsfd, F_SETFD, FD_CLOEXEC);
	return nsfd;
}

struct netns *netns__open(const char *path)
{
	struct netns *ns = calloc(1, sizeof(*ns));
	int fd, nsfd;

	if (!ns)
		return NULL;
	fd = open_nsfs(path, &ns->dev, &ns->ino);
	if (fd < 0) {
		free(ns);
		errno = -fd;
		return NULL;
	}
	ns->sock = -1;
	nsfd = home_fd >= 0 ? detach_from_path(fd, &ns->cookie) : -ENOENT;
	if (nsfd >= 0) {
		close(fd);
		fd = nsfd;
	}
	ns->fd = fd;
	return ns;
}

struct netns *netns__open_found(const char *path, uint64_t dev, uint64_t ino)
{
	struct netns *ns = netns__open(path);

	if (ns && (ns->dev != dev || ns->ino != ino)) {
		netns__free(ns);
		errno = ESTALE;
		return NULL;
	}
	return ns;
}

struct netns *netns__open_home(void)
{
	struct netns *ns;

	if (home_fd < 0) {
		errno = ENOENT;
		return NULL;
	}
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	ns->sock = -1;
	ns->fd = fcntl(home_fd, F_DUPFD_CLOEXEC, 0);
	if (ns->fd < 0) {
		free(ns);
		return NULL;
	}
	ns->dev = home_dev;
	ns->ino = home_ino;
	return ns;
}

void netns__free(struct netns *ns)
{
	if (!ns)
		return;
	if (ns->fd >= 0)
		close(ns->fd);
	free(ns);
}

/* An fd of ns to enter it by: its own, or one made from its socket (*made). */
static int enter_fd(const struct netns *ns, bool *made)
{
	*made = ns->fd < 0;
	return *made ? ioctl(ns->sock, SIOCGSKNS) : ns->fd;
}

int netns__hold_by(struct netns *ns, int sock)
{
	struct stat a, b;
	int fd;

	if (ns->fd < 0)
		return 0;
	/* only a socket of this very namespace */
	fd = ioctl(sock, SIOCGSKNS);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &a) || fstat(ns->fd, &b) || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return -EINVAL;
	}
	close(fd);
	close(ns->fd);
	ns->fd = -1;
	ns->sock = sock;
	return 0;
}

int netns__unhold(struct netns *ns)
{
	int fd;

	if (ns->fd >= 0)
		return 0;
	fd = ioctl(ns->sock, SIOCGSKNS);
	if (fd < 0)
		return -errno;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	ns->fd = fd;
	ns->sock = -1;
	return 0;
}

uint64_t netns__cookie(struct netns *ns)
{
	int s;

	if (!ns->cookie) {
		s = netns__socket(ns, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s >= 0) {
			ns->cookie = sock_cookie(s);
			close(s);
		}
	}
	return ns->cookie;
}

uint64_t netns__dev(const struct netns *ns)
{
	return ns->dev;
}

uint64_t netns__ino(const struct netns *ns)
{
	return ns->ino;
}

int netns__is_home(const struct netns *ns)
{
	return ns->dev == home_dev && ns->ino == home_ino;
}

int netns__run(const struct netns *ns, int (*fn)(void *arg), void *arg)
{
	bool made;
	int ret, fd;

	if (!ns || netns__is_home(ns))
		return fn(arg);
	fd = enter_fd(ns, &made);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	if (made)
		close(fd);
	if (ret)
		return ret;
	ret = fn(arg);
	/* A thread left in a traced namespace would do the next pod's work in
	 * the wrong place: there is no safe way on. */
	if (setns(home_fd, CLONE_NEWNET)) {
		log_error("cannot return to the home network namespace: %s", strerror(errno));
		abort();
	}
	return ret;
}

struct sock_args {
	int domain, type, protocol;
};

static int do_socket(void *arg)
{
	const struct sock_args *a = arg;
	int fd = socket(a->domain, a->type, a->protocol);

	return fd < 0 ? -errno : fd;
}

int netns__socket(const struct netns *ns, int domain, int type, int protocol)
{
	struct sock_args a = {domain, type, protocol};

	return netns__run(ns, do_socket, &a);
}

const char *netns_path(const char *netns, long pid, char *buf, size_t len)
{
	if (pid)
		snprintf(buf, len, "/proc/%ld/ns/net", pid);
	else if (strchr(netns, '/'))
		snprintf(buf, len, "%s", netns);
	else
		snprintf(buf, len, "/run/netns/%s", netns);
	return buf;
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

struct netns *netns__open_arg(const char *netns, long pid, char *err, size_t errlen)
{
	char path[512], val[32];
	const char *opt = pid ? "--pid" : "--netns";
	struct netns *ns;

	if (!netns && !pid)
		return netns__open_home();
	netns_path(netns, pid, path, sizeof(path));
	if (pid)
		snprintf(val, sizeof(val), "%ld", pid);
	ns = netns__open(path);
	if (ns)
		return ns;
	if (errno == ENOENT && pid)
		snprintf(err, errlen, "--pid \"%ld\": no such process (%s: %s)", pid, path,
			 strerror(ENOENT));
	else if (errno == ENOENT)
		snprintf(err, errlen, "--netns \"%s\": no such network namespace (%s: %s)", netns,
			 path, strerror(ENOENT));
	else if (errno == EINVAL)
		snprintf(err, errlen, "%s \"%s\": %s is not a network namespace", opt,
			 pid ? val : netns, path);
	else
		snprintf(err, errlen, "%s \"%s\": cannot open %s: %s", opt, pid ? val : netns, path,
			 strerror(errno));
	return NULL;
}

static int cap_has(const struct __user_cap_data_struct *d, int cap)
{
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

int caps_check(int need, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {};
	int sys_admin;

	if (syscall(SYS_capget, &h, d)) {
		snprintf(err, errlen, "cannot read capabilities: %s", strerror(errno));
		return -1;
	}
	sys_admin = cap_has(d, CAP_SYS_ADMIN);
	if ((need & NEED_NET_ADMIN) && !cap_has(d, CAP_NET_ADMIN)) {
		snprintf(
		    err, errlen,
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
			 "missing capability CAP_SYS_ADMIN (needed to enter another network "
			 "namespace): run as root");
		return -1;
	}
	if ((need & NEED_PTRACE) && !cap_has(d, CAP_SYS_PTRACE)) {
		snprintf(err, errlen,
			 "missing capability CAP_SYS_PTRACE (needed to read the network namespace "
			 "of other users' and more privileged processes)");
		return -1;
	}
	return 0;
}
