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
	char *path; /* the config.json */
	int64_t mtime_ns;
	off_t size;
	bool has_pod; /* names a pod and a network namespace path */
	bool seen; /* in this refresh */
	char *netns; /* that path, as the file gives it */
	struct pod_meta meta; /* dev/ino: what the path led to when the file was read */
};

struct pod_index {
	struct pod_entry *e;
	int n, cap;
	int *slot; /* by path: index + 1, 0 empty (open addressing) */
	int nslots;
	int files; /* config.json files found in the last refresh */
	int skipped; /* of them, not indexed: POD_INDEX_MAX reached */
};

struct pod_index *pod_index__new(void)
{
	return calloc(1, sizeof(struct pod_index));
}

static void entry_free(struct pod_entry *e)
{
	free(e->path);
	free(e->netns);
}

void pod_index__free(struct pod_index *x)
{
	int i;

	if (!x)
		return;
	for (i = 0; i < x->n; i++)
		entry_free(&x->e[i]);
	free(x->e);
	free(x->slot);
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

static uint32_t path_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The path table again, for n entries at most half full. 0 or -ENOMEM. */
static int rehash(struct pod_index *x, int n)
{
	int nslots = 64, i;
	int *slot;

	while (nslots < 2 * n)
		nslots *= 2;
	slot = calloc(nslots, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (i = 0; i < x->n; i++) {
		uint32_t h = path_hash(x->e[i].path) & (nslots - 1);

		while (slot[h])
			h = (h + 1) & (nslots - 1);
		slot[h] = i + 1;
	}
	free(x->slot);
	x->slot = slot;
	x->nslots = nslots;
	return 0;
}

static struct pod_entry *entry_for(struct pod_index *x, const char *path)
{
	struct pod_entry *e;
	uint32_t h;

	if (x->nslots) {
		for (h = path_hash(path) & (x->nslots - 1); x->slot[h]; h = (h + 1) & (x->nslots - 1))
			if (!strcmp(x->e[x->slot[h] - 1].path, path))
				return &x->e[x->slot[h] - 1];
	}
	/* A bound on memory (about 300 bytes a file): the files beyond it are
	 * counted, and the node's view says so */
	if (x->n >= POD_INDEX_MAX) {
		x->skipped++;
		return NULL;
	}
	if (vec_room(&x->e, &x->cap, x->n, sizeof(*x->e), 16))
		return NULL;
	if (2 * (x->n + 1) > x->nslots && rehash(x, x->n + 1))
		return NULL;
	e = &x->e[x->n];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	if (!e->path)
		return NULL;
	e->mtime_ns = -1;
	for (h = path_hash(path) & (x->nslots - 1); x->slot[h]; h = (h + 1) & (x->nslots - 1))
		;
	x->slot[h] = ++x->n;
	return e;
}

static void index_file(struct pod_index *x, const char *path)
{
	struct pod_entry *e;
	char netns[256], *buf;
	struct stat st, nst;
	size_t len;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	x->files++;
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
	free(e->netns);
	e->netns = NULL;
	buf = read_small(path, &len);
	if (!buf)
		return;
	if (pod_meta_parse(buf, len, &e->meta, netns, sizeof(netns)) == 0) {
		e->netns = strdup(netns);
		e->has_pod = e->netns != NULL;
		e->meta.dev = e->meta.ino = 0;
	}
	free(buf);
	/* where the path leads now; checked again before the name is used */
	if (e->has_pod && !stat(e->netns, &nst)) {
		e->meta.dev = nst.st_dev;
		e->meta.ino = nst.st_ino;
	}
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
	int k, gone = 0;

	for (k = 0; k < x->n; k++)
		x->e[k].seen = false;
	x->files = x->skipped = 0;
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
		entry_free(&x->e[k]);
		x->e[k] = x->e[--x->n];
		gone++;
	}
	if (gone)
		rehash(x, x->n); /* on failure the old table stays: lookups miss, no more */
}

int pod_index__files(const struct pod_index *x, int *skipped)
{
	if (skipped)
		*skipped = x->skipped;
	return x->files;
}

/*
 * A sandbox's config.json outlives its namespace (the runtime removes the
 * pin when the sandbox stops, the file when it is removed), and the kernel
 * gives a new namespace the inode of one that ended within seconds: the
 * metadata names (dev, ino) only while its path still leads there.
 */
const struct pod_meta *pod_index__find(const struct pod_index *x, uint64_t dev, uint64_t ino)
{
	struct stat st;
	int i;

	for (i = 0; i < x->n; i++) {
		const struct pod_entry *e = &x->e[i];

		if (!e->has_pod)
			continue;
		/* a pin made after the file was read: where it leads now */
		if (!e->meta.dev && !e->meta.ino) {
			if (stat(e->netns, &st) || st.st_dev != dev || st.st_ino != ino)
				continue;
			return &e->meta;
		}
		if (e->meta.dev != dev || e->meta.ino != ino)
			continue;
		if (!stat(e->netns, &st) && st.st_dev == dev && st.st_ino == ino)
			return &e->meta;
	}
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
