// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* A process seen by the last scan: its /proc entry's inode and its
 * namespace. */
struct pid_seen {
	long pid; /* 0: a free place */
	uint64_t d_ino;
	uint64_t dev, ino; /* ino 0: unreadable */
	bool unreadable;
	uint32_t pass;	/* of the scan that saw it last */
	uint32_t first; /* of the scan that saw it first */
};

struct ns_scan_memo {
	struct pid_seen *pids; /* open addressing by pid */
	size_t cap, used;
	uint32_t pass;
	/* netns_dir as last read */
	struct ns_found *pins;
	int npins, cappins;
	struct timespec dir_mtime;
	uint64_t dir_ino;
	uint32_t dir_pass; /* the scan that read it */
	bool dir_read;
	/* the list's (dev, ino) -> index, rebuilt by each scan */
	int *index;
	size_t index_cap;
};

static size_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

/* The list entry of (dev, ino), added if new; the index makes it O(1). */
static struct ns_found *add(struct ns_scan *s, uint64_t dev, uint64_t ino)
{
	struct ns_scan_memo *m = s->memo;
	size_t i, mask;
	int k;

	if (!m) {
		for (k = 0; k < s->n; k++)
			if (s->list[k].dev == dev && s->list[k].ino == ino)
				return &s->list[k];
	} else {
		if ((size_t)s->n * 2 >= m->index_cap) {
			size_t cap = m->index_cap ? m->index_cap * 2 : 256;
			int *ix = malloc(cap * sizeof(*ix));

			if (!ix)
				return NULL;
			memset(ix, 0xff, cap * sizeof(*ix));
			free(m->index);
			m->index = ix;
			m->index_cap = cap;
			for (k = 0; k < s->n; k++) {
				for (i = hash64(s->list[k].ino ^ s->list[k].dev << 40) & (cap - 1);
				     ix[i] >= 0; i = (i + 1) & (cap - 1))
					;
				ix[i] = k;
			}
		}
		mask = m->index_cap - 1;
		for (i = hash64(ino ^ dev << 40) & mask; m->index[i] >= 0; i = (i + 1) & mask)
			if (s->list[m->index[i]].dev == dev && s->list[m->index[i]].ino == ino)
				return &s->list[m->index[i]];
		m->index[i] = s->n;
	}
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

/* The namespaces pinned in netns_dir, into pins (emptied first). */
static void read_netns_dir(struct ns_found **pins, int *n, int *cap, const char *netns_dir,
			   int *looked_up)
{
	DIR *d = opendir(netns_dir);
	struct dirent *e;

	*n = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[512];
		struct ns_found *f;
		struct stat st;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= DISCOVER_NAMELEN)
			continue;
		snprintf(path, sizeof(path), "%s/%s", netns_dir, e->d_name);
		if (strlen(path) >= sizeof(f->path))
			continue;
		(*looked_up)++;
		if (!is_nsfs(path, &st))
			continue;
		if (vec_room(pins, cap, *n, sizeof(**pins), 32))
			break;
		f = &(*pins)[(*n)++];
		memset(f, 0, sizeof(*f));
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		/* both fit: their lengths were checked above */
		strcpy(f->netns_name, e->d_name);
		strcpy(f->path, path);
	}
	closedir(d);
}

/* netns_dir's pins: read again only when it changed, or now and then. */
static void scan_netns_dir(struct ns_scan *s, const char *netns_dir)
{
	struct ns_scan_memo *m = s->memo, one = {0};
	struct stat st;
	int i;

	if (!m)
		m = &one;
	if (stat(netns_dir, &st)) {
		m->npins = 0;
		m->dir_read = false;
	} else if (!m->dir_read || st.st_ino != m->dir_ino ||
		   st.st_mtim.tv_sec != m->dir_mtime.tv_sec ||
		   st.st_mtim.tv_nsec != m->dir_mtime.tv_nsec ||
		   m->pass - m->dir_pass >= NS_SCAN_RECHECK) {
		read_netns_dir(&m->pins, &m->npins, &m->cappins, netns_dir, &s->looked_up);
		m->dir_ino = st.st_ino;
		m->dir_mtime = st.st_mtim;
		m->dir_pass = m->pass;
		m->dir_read = true;
	}
	for (i = 0; i < m->npins; i++) {
		struct ns_found *f = add(s, m->pins[i].dev, m->pins[i].ino);

		if (!f)
			break;
		if (!f->netns_name[0]) {
			memcpy(f->netns_name, m->pins[i].netns_name, sizeof(f->netns_name));
			memcpy(f->path, m->pins[i].path, sizeof(f->path));
		}
	}
	if (m == &one)
		free(one.pins);
}

/* The memo's place for pid (found, or where it would go). */
static struct pid_seen *pid_slot(struct ns_scan_memo *m, long pid)
{
	size_t mask = m->cap - 1, i;

	for (i = hash64(pid) & mask; m->pids[i].pid && m->pids[i].pid != pid; i = (i + 1) & mask)
		;
	return &m->pids[i];
}

/* Room for one more pid: the table at most half full. */
static int pid_room(struct ns_scan_memo *m)
{
	struct pid_seen *old = m->pids;
	size_t cap = m->cap, i;

	if (m->cap && (m->used + 1) * 2 <= m->cap)
		return 0;
	m->cap = cap ? cap * 2 : 1024;
	m->pids = calloc(m->cap, sizeof(*m->pids));
	if (!m->pids) {
		m->pids = old;
		m->cap = cap;
		return -ENOMEM;
	}
	m->used = 0;
	for (i = 0; i < cap; i++)
		if (old[i].pid) {
			*pid_slot(m, old[i].pid) = old[i];
			m->used++;
		}
	free(old);
	return 0;
}

/* The processes that the last scans saw and this one did not: gone. */
static void pid_forget_unseen(struct ns_scan_memo *m)
{
	struct pid_seen *old = m->pids;
	size_t cap = m->cap, i, kept = 0;

	for (i = 0; i < cap; i++)
		kept += old[i].pid && old[i].pass == m->pass;
	if (kept == m->used)
		return;
	/* rebuilt without them (open addressing has no plain delete) */
	m->pids = calloc(cap, sizeof(*m->pids));
	if (!m->pids) {
		m->pids = old;
		return;
	}
	m->used = 0;
	for (i = 0; i < cap; i++)
		if (old[i].pid && old[i].pass == m->pass) {
			*pid_slot(m, old[i].pid) = old[i];
			m->used++;
		}
	free(old);
}

int ns_scan(struct ns_scan *s, const char *proc_root, const char *netns_dir, bool remember)
{
	struct ns_scan_memo *m;
	struct dirent *e;
	DIR *d;

	if (remember && !s->memo)
		s->memo = calloc(1, sizeof(*s->memo));
	m = remember ? s->memo : NULL;
	if (m) {
		m->pass++;
		if (m->index)
			memset(m->index, 0xff, m->index_cap * sizeof(*m->index));
	}
	s->n = 0;
	s->processes = 0;
	s->unreadable = 0;
	s->looked_up = 0;
	scan_netns_dir(s, netns_dir);
	d = opendir(proc_root);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[300];
		struct pid_seen *p = NULL, now = {0};
		struct ns_found *f;
		struct stat st;

		if (!all_digits(e->d_name))
			continue;
		s->processes++;
		now.pid = strtol(e->d_name, NULL, 10);
		now.d_ino = e->d_ino;
		if (m && !pid_room(m)) {
			p = pid_slot(m, now.pid);
			/* The same process as before: its namespace is known, but
			 * a process may move to another (unshare, setns), which
			 * a new one does soon after it starts: a young process
			 * is looked at on every scan, the others once in
			 * NS_SCAN_RECHECK_PID (in turn, by PID) */
			if (p->pid && p->d_ino == now.d_ino &&
			    m->pass - p->first >= NS_SCAN_YOUNG &&
			    (now.pid + m->pass) % NS_SCAN_RECHECK_PID) {
				now = *p;
				goto known;
			}
			now.first = p->pid && p->d_ino == now.d_ino ? p->first : m->pass;
		}
		snprintf(path, sizeof(path), "%s/%s/ns/net", proc_root, e->d_name);
		s->looked_up++;
		/* stat() follows the magic link to the namespace: no open needed */
		if (stat(path, &st)) {
			if (errno != EACCES && errno != EPERM)
				continue; /* ENOENT: the process has just ended */
			now.unreadable = true;
		} else {
			now.dev = st.st_dev;
			now.ino = st.st_ino;
		}
		if (p) {
			m->used += !p->pid;
			*p = now;
		}
	known:
		if (p)
			p->pass = m->pass;
		if (now.unreadable) {
			s->unreadable++;
			continue;
		}
		f = add(s, now.dev, now.ino);
		if (!f)
			break;
		if (!f->pid) {
			f->pid = now.pid;
			snprintf(path, sizeof(path), "%s/%s/ns/net", proc_root, e->d_name);
			if (!f->path[0] && strlen(path) < sizeof(f->path))
				memcpy(f->path, path, strlen(path) + 1);
		}
	}
	closedir(d);
	if (m)
		pid_forget_unseen(m);
	return 0;
}

void ns_scan_free(struct ns_scan *s)
{
	free(s->list);
	if (s->memo) {
		free(s->memo->pids);
		free(s->memo->pins);
		free(s->memo->index);
		free(s->memo);
	}
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
	struct ns_scan s = {0};
	struct stat st;
	bool alive;

	if (hint && hint[0] && !stat(hint, &st) && st.st_dev == dev && st.st_ino == ino)
		return true;
	if (ns_scan(&s, proc_root, netns_dir, false))
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
	int levels;	  /* directory levels below root, ID included */
} default_roots[] = {
    {"/run/containers/storage/overlay-containers", "userdata/config.json", 1},
    {"/run/containerd/io.containerd.runtime.v2.task", "config.json", 2},
};

struct pod_entry {
	char *path; /* the config.json */
	int64_t mtime_ns;
	off_t size;
	bool has_pod;	      /* names a pod and a network namespace path */
	bool seen;	      /* in this refresh */
	char *netns;	      /* that path, as the file gives it */
	struct pod_meta meta; /* dev/ino: what the path led to when the file was read */
};

struct pod_index {
	struct pod_entry *e;
	int n, cap;
	int *slot; /* by path: index + 1, 0 empty (open addressing) */
	int nslots;
	int files;   /* config.json files found in the last refresh */
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
	static const char *const name_keys[] = {"io.kubernetes.pod.name",
						"io.kubernetes.cri.sandbox-name",
						"io.kubernetes.cri-o.KubeName", NULL};
	static const char *const ns_keys[] = {"io.kubernetes.pod.namespace",
					      "io.kubernetes.cri.sandbox-namespace",
					      "io.kubernetes.cri-o.Namespace", NULL};
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
		for (h = path_hash(path) & (x->nslots - 1); x->slot[h];
		     h = (h + 1) & (x->nslots - 1))
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
		snprintf(root, sizeof(root), "%s",
			 roots && roots[i] ? roots[i] : default_roots[i].root);
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
