/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Node mode: the network namespaces on this machine and the pods they
 * belong to. Namespaces come from every distinct /proc/PID/ns/net (by inode)
 * and every namespace file in /run/netns; names from the container runtime's
 * sandbox metadata (OCI config.json annotations), else the UTS hostname of a
 * process in the namespace (Kubernetes sets it to the pod's name), else the
 * /run/netns name, else pid:N. Reads files only; no privilege beyond reading
 * /proc is needed, except for the hostname (it enters a UTS namespace).
 */
#ifndef TL_DISCOVER_H
#define TL_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISCOVER_NAMELEN 64

/* One network namespace found. */
struct ns_found {
	uint64_t dev, ino; /* its identity (nsfs) */
	char path[96];	   /* where to open it: /run/netns/NAME or /proc/PID/ns/net */
	char netns_name[DISCOVER_NAMELEN]; /* its /run/netns name; "" if none */
	long pid;			   /* a process in it; 0 if none was seen */
};

struct ns_scan_memo;

struct ns_scan {
	struct ns_found *list;
	int n, cap;
	int processes;	/* processes looked at */
	int unreadable; /* processes whose namespace could not be read (EACCES) */
	int looked_up;	/* namespace files stat()ed by the last scan */
	/* What the last scan saw, so that the next one reads only what
	 * changed (private; NULL for a one-off scan) */
	struct ns_scan_memo *memo;
};

/* A non-empty string of decimal digits: a PID's (or an fd's) entry in /proc. */
bool all_digits(const char *s);

/* Every distinct network namespace under proc_root (normally "/proc") and
 * netns_dir ("/run/netns"). Returns 0 or -errno (only when proc_root cannot
 * be read at all); s is emptied first. With remember, s keeps what it saw,
 * and the next scan of s stats only what may have changed: a process seen
 * before (the same PID under the same /proc inode: a new process gets a new
 * one) keeps its namespace, looked at again on each of its first
 * NS_SCAN_YOUNG scans (a new process may unshare or setns) and then on one
 * scan in NS_SCAN_RECHECK_PID; netns_dir is read again when it changed (its
 * mtime) or NS_SCAN_RECHECK scans have passed (a pin may be unmounted
 * without being removed). */
#define NS_SCAN_YOUNG	    3
#define NS_SCAN_RECHECK	    10
#define NS_SCAN_RECHECK_PID 30
int ns_scan(struct ns_scan *s, const char *proc_root, const char *netns_dir, bool remember);
void ns_scan_free(struct ns_scan *s);
const struct ns_found *ns_scan_find(const struct ns_scan *s, uint64_t dev, uint64_t ino);
/* Whether the namespace (dev, ino) is still in use by a process or a
 * /run/netns file: a quick look at hint (the path it was opened from), then a
 * whole scan. */
bool ns_alive(uint64_t dev, uint64_t ino, const char *hint, const char *proc_root,
	      const char *netns_dir);

/* A pod, as its runtime describes its sandbox. */
struct pod_meta {
	uint64_t dev, ino; /* its network namespace */
	char name[DISCOVER_NAMELEN];
	char k8s_ns[DISCOVER_NAMELEN];
};

/* Runtime metadata, re-read as it changes: CRI-O's and containerd's
 * config.json of each sandbox (see the .c file for the paths). A file is read
 * only if it is a regular file (not through a symlink, opened without
 * blocking) of at most POD_CONFIG_MAX bytes: a sandbox's spec is tens of KiB,
 * and json-c's tree of 1 MiB costs at most ~50 MiB (lib/jsonc.h). At most
 * POD_INDEX_MAX files are indexed (about 300 bytes each); those beyond are
 * counted (pod_index__files), their pods named by hostname instead. */
#define POD_CONFIG_MAX (1 << 20)
#define POD_INDEX_MAX  16384
struct pod_index;

struct pod_index *pod_index__new(void);
void pod_index__free(struct pod_index *x);
/* Read the config.json files under the runtime roots that are new or changed
 * since the last refresh, forget those that went. roots: NULL-terminated; NULL
 * means the defaults (CRI-O's and containerd's run directories). */
void pod_index__refresh(struct pod_index *x, const char *const *roots);
/* The pod whose sandbox's network namespace path leads to (dev, ino) now:
 * a path that is gone or leads elsewhere names nothing any more. */
const struct pod_meta *pod_index__find(const struct pod_index *x, uint64_t dev, uint64_t ino);
int pod_index__count(const struct pod_index *x);
/* config.json files found by the last refresh; *skipped: of them, those not
 * indexed (POD_INDEX_MAX reached). */
int pod_index__files(const struct pod_index *x, int *skipped);

/* The pod metadata in one OCI config.json: 0 when it names a pod and a
 * network namespace path (out->dev/ino not filled), -ENOENT when it does not,
 * -EINVAL when it is not JSON (lib/jsonc.h). A name, namespace or path that
 * holds "\u0000" is none: the next annotation key is tried for the name and
 * namespace; the path is then missing. Longer names are cut to
 * DISCOVER_NAMELEN - 1 bytes. Pure (for tests and fuzzing). */
int pod_meta_parse(const char *buf, size_t len, struct pod_meta *out, char *netns_path,
		   size_t pathlen);

/* The hostname in the UTS namespace of pid, when that is not the caller's
 * own (a host process tells nothing). 0, -ENOENT (same namespace) or -errno. */
int uts_hostname(long pid, char *buf, size_t len);

#endif
