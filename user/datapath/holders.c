// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/discover.h"
#include "datapath/holders.h"

/* The initial PID namespace's inode number: fixed by the kernel
 * (PROC_PID_INIT_INO in include/linux/proc_ns.h), for every boot. */
#define PID_NS_INIT_INO 0xEFFFFFFCU

/* Read at most len - 1 bytes of path (terminated). 0 or -errno. */
static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

/* The "prog_id:" of an fdinfo text; 0 if it has none. */
static uint32_t fdinfo_prog_id(const char *text)
{
	const char *p = text;
	unsigned long v;
	char *end;

	while (p && *p) {
		if (!strncmp(p, "prog_id:", 8)) {
			p += 8;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				return 0;
			errno = 0;
			v = strtoul(p, &end, 10);
			if (errno || (*end != '\n' && *end != '\0') || v > UINT32_MAX)
				return 0;
			return (uint32_t)v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static bool wanted(uint32_t id, const uint32_t *ids, int n)
{
	int i;

	for (i = 0; id && i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Whether the process at dir (proc_root/PID) holds one of ids: 1, 0, or
 * -errno when its fds cannot be read (-ENOENT: it has just ended). */
static int process_holds(const char *dir, const uint32_t *ids, int n)
{
	char path[512], link[64], info[4096];
	struct dirent *e;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/fd", dir);
	d = opendir(path);
	if (!d)
		return -errno;
	while (!found && (e = readdir(d))) {
		ssize_t len;

		if (!all_digits(e->d_name))
			continue;
		len = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (len < 0)
			continue; /* closed meanwhile */
		link[len] = '\0';
		if (strcmp(link, "anon_inode:bpf-prog") && strcmp(link, "anon_inode:bpf_link"))
			continue;
		if (snprintf(path, sizeof(path), "%s/fdinfo/%s", dir, e->d_name) >=
		    (int)sizeof(path))
			continue;
		if (read_small(path, info, sizeof(info)))
			continue;
		found = wanted(fdinfo_prog_id(info), ids, n);
	}
	closedir(d);
	return found;
}

int holders_find(const char *proc_root, const uint32_t *ids, int n, struct holder *h)
{
	struct dirent *e;
	int ret = 0;
	DIR *d;

	memset(h, 0, sizeof(*h));
	d = opendir(proc_root);
	if (!d)
		return -errno;
	while (!ret && (e = readdir(d))) {
		char dir[300], path[320], comm[32];
		size_t len;
		int r;

		if (!all_digits(e->d_name) || strlen(e->d_name) > 10)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", proc_root, e->d_name);
		snprintf(path, sizeof(path), "%s/comm", dir);
		if (read_small(path, comm, sizeof(comm)))
			comm[0] = '\0';
		len = strcspn(comm, "\n");
		comm[len < sizeof(h->comm) ? len : sizeof(h->comm) - 1] = '\0';
		r = process_holds(dir, ids, n);
		/* A tunleak whose fds we may not read (more privileged, or in
		 * another user namespace) may hold it: that is no proof of a
		 * stale filter. Other unreadable processes are not tunleak. */
		if (r == 1 || (r < 0 && r != -ENOENT && !strncmp(comm, "tunleak", 7))) {
			h->pid = strtol(e->d_name, NULL, 10);
			memcpy(h->comm, comm, sizeof(h->comm)); /* terminated within */
			h->unreadable = r < 0;
			ret = 1;
		}
	}
	closedir(d);
	return ret;
}

bool holders_see_all(const char *proc_root)
{
	char path[300], self[32];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/1/ns/pid", proc_root);
	if (!stat(path, &st))
		return st.st_ino == PID_NS_INIT_INO;
	if (errno != EACCES && errno != EPERM)
		return false;
	/* PID 1 is there but not ours to look at: this proc shows everything
	 * if we are in the initial PID namespace and it shows us (a proc of a
	 * child namespace does not show its parent's processes). */
	snprintf(path, sizeof(path), "%s/self", proc_root);
	n = readlink(path, self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	snprintf(path, sizeof(path), "%s/self/ns/pid", proc_root);
	return !stat(path, &st) && st.st_ino == PID_NS_INIT_INO;
}
