// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>

#include "node/discover.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "lib/jsonc.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define POD_INDEX_MAX 4096

/* --- namespaces ------------------------------------------------------------------ */

static struct ns_found *add(struct ns_scan *s, uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->list[i].dev == dev && s->list[i].ino == ino)
			return &s->list[i];
	if (vec_room(&s->list, &s->cap, s->n, sizeof(*s->list), 32))
		return NULL;
	memset(&s->list[s->n], 0, sizeof(s->list[0]));
	s->list[s->n].dev = dev;
	s->list[s->n].ino = ino;
	return &s->list[s->n++];
}

bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A file of netns_dir that is a namespace (a bind mount of nsfs), not a
 * leftover of `ip netns add` whose mount is gone. */
static bool is_nsfs(const char *path, struct stat *st)
{
	struct statfs fs;

	return !statfs(path, &fs) && (unsigned long)fs.f_type == NSFS_MAGIC && !stat(path, st);
}

static void scan_netns_dir(struct ns_scan *s, const char *netns_dir)
{
	DIR *d = opendir(netns_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[512];
		struct ns_found *f;
		struct stat st;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= DISCOVER_NAMELEN)
			continue;
		snprintf(path, sizeof(path), "%s/%s", netns_dir, e->d_name);
		if (strlen(path) >= sizeof(f->path) || !is_nsfs(path, &st))
			continue;
		f = add(s, st.st_dev, st.st_ino);
		if (!f)
			break;
		/* both fit: their lengths were checked above */
		if (!f->netns_name[0]) {
			strcpy(f->netns_name, e->d_name);
			strcpy(f->path, path);
		}
	}
	closedir(d);
}

int ns_scan(struct ns_scan *s, const char *proc_root, const char *netns_dir)
{
	struct dirent *e;
	DIR *d;

	s->n = 0;
	s->processes = 0;
	s->unreadable = 0;
	scan_netns_dir(s, netns_dir);
	d = opendir(proc_root);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[300];
		struct ns_found *f;
		struct stat st;

		if (!all_digits(e->d_name))
			continue;
		s->processes++;
		snprintf(path, sizeof(path), "%s/%s/ns/net", proc_root, e->d_name);
		/* stat() follows the magic link to the namespace: no open needed */
		if (stat(path, &st)) {
			if (errno == EACCES || errno == EPERM)
				s->unreadable++;
			continue; /* ENOENT: the process has just ended */
		}
		f = add(s, st.st_dev, st.st_ino);
		if (!f)
			break;
		if (!f->pid) {
			f->pid = strtol(e->d_name, NULL, 10);
			if (!f->path[0] && strlen(path) < sizeof(f->path))
				memcpy(f->path, path, strlen(path) + 1);
		}
	}
	closedir(d);
	return 0;
}

void ns_scan_free(struct ns_scan *s)
{
	free(s->list);
	memset(s, 0, sizeof(*s));
}

const struct ns_found *ns_scan_find(const struct ns_scan *s, uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->list[i].dev == dev && s->list[i].ino == ino)
			return &s->list[i];
	return NULL;
}

bool ns_alive(uint64_t dev, uint64_t ino, const char *hint, const char *proc_root,
	      const char *netns_dir)
{
	struct ns_scan s = { 0 };
	struct stat st;
	bool alive;

	if (hint && hint[0] && !stat(hint, &st) && st.st_dev == dev && st.st_ino == ino)
		return true;
	if (ns_scan(&s, proc_root, netns_dir))
		return true; /* cannot tell: do not drop what may be alive */
	alive = ns_scan_find(&s, dev, ino) != NULL;
	ns_scan_free(&s);
	return alive;
}

/* --- pod names from the runtime ---------------------------------------------------- */

/* Where the runtimes keep each container's OCI bundle, with its config.json:
 * CRI-O:      /run/containers/storage/overlay-containers/ID/userdata/config.json
 * containerd: /run/containerd/io.containerd.runtime.v2.task/NAMESPACE/ID/config.json
 * (the pattern after the root: one or two directory levels, then the file). */
static const struct runtime_root {
	const char *root;
	const char *tail; /* after ID */
	int levels; /* directory levels below root, ID included */
} default_roots[] = {
	{ "/run/containers/storage/overlay-containers", "userdata/config.json", 1 },
	{ "/run/containerd/io.containerd.runtime.v2.task", "config.json", 2 },
};

struct pod_entry {
	char path[320];
	int64_t mtime_ns;
	off_t size;
	bool has_pod;
	bool seen; /* in this refresh */
	struct pod_meta meta;
};

struct pod_index {
	struct pod_entry *e;
	int n, cap;
};

struct pod_index *pod_index__new(void)
{
	return calloc(1, sizeof(struct pod_index));
}

void pod_index__free(struct pod_index *x)
{
	if (!x)
		return;
	free(x->e);
	free(x);
}

int pod_index__count(const struct pod_index *x)
{
	int i, n = 0;

	for (i = 0; i < x->n; i++)
		n += x->e[i].has_pod;
	return n;
}

/* The first of keys that the annotations object has as a name: a non-empty
 * string without "\u0000" (a NUL would cut it short of what the file says;
 * Kubernetes allows none in a name). */
static const char *annotation(const struct json_object *a, const char *const *keys)
{
	for (; *keys; keys++) {
		struct json_object *v;
		const char *s;

		jsonc_member(a, *keys, &v);
		s = jsonc_text(v);
		if (s && *s)
			return s;
	}
	return NULL;
}

int pod_meta_parse(const char *buf, size_t len, struct pod_meta *out, char *netns_path,
		   size_t pathlen)
{
	/* CRI-O and the kubelet's own keys first, then containerd's */
	static const char *const name_keys[] = { "io.kubernetes.pod.name",
						 "io.kubernetes.cri.sandbox-name",
						 "io.kubernetes.cri-o.KubeName", NULL };
	static const char *const ns_keys[] = { "io.kubernetes.pod.namespace",
					       "io.kubernetes.cri.sandbox-namespace",
					       "io.kubernetes.cri-o.Namespace", NULL };
	struct json_object *root, *a, *lx, *nss;
	const char *name, *kns, *path = NULL;
	size_t i;
	int ret = -ENOENT;

	if (jsonc_parse(buf, len, &root, NULL, 0))
		return -EINVAL;
	jsonc_member(root, "annotations", &a);
	name = annotation(a, name_keys);
	kns = annotation(a, ns_keys);
	jsonc_member(root, "linux", &lx);
	jsonc_member(lx, "namespaces", &nss);
	for (i = 0; json_object_is_type(nss, json_type_array) && i < json_object_array_length(nss);
	     i++) {
		struct json_object *n = json_object_array_get_idx(nss, i), *type, *p;
		const char *t;

		jsonc_member(n, "type", &type);
		t = jsonc_text(type);
		if (t && !strcmp(t, "network")) {
			/* the last network entry counts; a path with a NUL is none */
			jsonc_member(n, "path", &p);
			path = jsonc_text(p);
		}
	}
	if (name && path && *path && strlen(path) < pathlen) {
		memset(out, 0, sizeof(*out));
		snprintf(out->name, sizeof(out->name), "%s", name);
		snprintf(out->k8s_ns, sizeof(out->k8s_ns), "%s", kns ? kns : "");
		snprintf(netns_path, pathlen, "%s", path);
		ret = 0;
	}
	json_object_put(root);
	return ret;
}

/* Read a regular file of at most POD_CONFIG_MAX bytes; never blocks. */
static char *read_small(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > POD_CONFIG_MAX) {
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	n = buf ? read(fd, buf, st.st_size) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static struct pod_entry *entry_for(struct pod_index *x, const char *path)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (!strcmp(x->e[i].path, path))
			return &x->e[i];
	if (x->n >= POD_INDEX_MAX)
		return NULL;
	if (vec_room(&x->e, &x->cap, x->n, sizeof(*x->e), 16))
		return NULL;
	memset(&x->e[x->n], 0, sizeof(x->e[0]));
	snprintf(x->e[x->n].path, sizeof(x->e[0].path), "%s", path);
	x->e[x->n].mtime_ns = -1;
	return &x->e[x->n++];
}

static void index_file(struct pod_index *x, const char *path)
{
	struct pod_entry *e;
	char netns[256], *buf;
	struct stat st, nst;
	size_t len;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	e = entry_for(x, path);
	if (!e)
		return;
	e->seen = true;
	if (e->mtime_ns == (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec &&
	    e->size == st.st_size)
		return; /* unchanged since the last refresh */
	e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	e->size = st.st_size;
	e->has_pod = false;
	buf = read_small(path, &len);
	if (!buf)
		return;
	if (pod_meta_parse(buf, len, &e->meta, netns, sizeof(netns)) == 0 && !stat(netns, &nst)) {
		e->meta.dev = nst.st_dev;
		e->meta.ino = nst.st_ino;
		e->has_pod = true;
	}
	free(buf);
}

/* Each ID directory below root (levels deep), then its tail file. */
static void walk(struct pod_index *x, const char *dir, int levels, const char *tail)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[320];

		if (e->d_name[0] == '.')
			continue;
		if (levels > 1) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			walk(x, path, levels - 1, tail);
			continue;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", dir, e->d_name, tail) <
		    sizeof(path))
			index_file(x, path);
	}
	closedir(d);
}

void pod_index__refresh(struct pod_index *x, const char *const *roots)
{
	size_t i;
	int k;

	for (k = 0; k < x->n; k++)
		x->e[k].seen = false;
	for (i = 0; i < sizeof(default_roots) / sizeof(default_roots[0]); i++) {
		char root[256];

		/* roots (for tests): the same layouts under other directories */
		snprintf(root, sizeof(root), "%s", roots && roots[i] ? roots[i] : default_roots[i].root);
		walk(x, root, default_roots[i].levels, default_roots[i].tail);
	}
	/* forget the sandboxes that went */
	for (k = 0; k < x->n;) {
		if (x->e[k].seen) {
			k++;
			continue;
		}
		x->e[k] = x->e[--x->n];
	}
}

const struct pod_meta *pod_index__find(const struct pod_index *x, uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (x->e[i].has_pod && x->e[i].meta.dev == dev && x->e[i].meta.ino == ino)
			return &x->e[i].meta;
	return NULL;
}

/* --- the UTS hostname ------------------------------------------------------------------ */

int uts_hostname(long pid, char *buf, size_t len)
{
	struct stat mine, theirs;
	struct utsname u;
	char path[64];
	int fd, self, ret = 0;

	snprintf(path, sizeof(path), "/proc/%ld/ns/uts", pid);
	if (stat(path, &theirs) || stat("/proc/thread-self/ns/uts", &mine))
		return -errno;
	if (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev)
		return -ENOENT; /* the host's name, not a pod's */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	self = open("/proc/thread-self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* Only this thread moves, and only for uname(): then straight back */
	if (setns(fd, CLONE_NEWUTS)) {
		ret = -errno;
	} else {
		if (uname(&u))
			ret = -errno;
		if (setns(self, CLONE_NEWUTS)) {
			log_error("cannot return to the home UTS namespace");
			abort();
		}
		if (!ret)
			snprintf(buf, len, "%s", u.nodename);
	}
	close(fd);
	close(self);
	return ret;
}
