// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "node/node.h"
#include "lib/escape.h"
#include "lib/vec.h"

/* A namespace's hostname as last read, so that a look at the node enters
 * each UTS namespace only now and then (2 setns and 7 other calls each). */
struct host_seen {
	uint64_t dev, ino;
	long pid;		     /* the process it was read from */
	char host[DISCOVER_NAMELEN]; /* "": none (the host's, or unreadable) */
	uint32_t first, read;	     /* the scans that saw the namespace first, read it last */
	uint32_t seen;		     /* the scan that saw the namespace last */
};

/* Read again on each of a namespace's first NODE_HOST_YOUNG scans (a pod
 * sets its hostname after its namespace exists), then once in
 * NODE_HOST_RECHECK, and whenever its process changed. */
#define NODE_HOST_YOUNG	  3
#define NODE_HOST_RECHECK 30

struct node {
	char proc[128], netns_dir[128];
	struct host_seen *hosts;
	int nhosts, caphosts;
	uint32_t pass;
	uint64_t home_dev, home_ino; /* tunleak's own namespace */
	uint64_t init_dev, init_ino; /* PID 1's, when it can be read */
	struct ns_scan scan;
	struct pod_index *pods;
	struct node_ns *list;
	int n, cap;
};

struct node *node__new(const char *proc_root, const char *netns_dir)
{
	struct node *nd = calloc(1, sizeof(*nd));
	char path[160];
	struct stat st;

	if (!nd)
		return NULL;
	snprintf(nd->proc, sizeof(nd->proc), "%s", proc_root ? proc_root : "/proc");
	snprintf(nd->netns_dir, sizeof(nd->netns_dir), "%s", netns_dir ? netns_dir : "/run/netns");
	nd->pods = pod_index__new();
	if (!nd->pods || stat("/proc/thread-self/ns/net", &st)) {
		node__free(nd);
		return NULL;
	}
	nd->home_dev = st.st_dev;
	nd->home_ino = st.st_ino;
	/* PID 1's namespace is the node's too (unreadable here on some hosts) */
	snprintf(path, sizeof(path), "%s/1/ns/net", nd->proc);
	if (!stat(path, &st)) {
		nd->init_dev = st.st_dev;
		nd->init_ino = st.st_ino;
	}
	return nd;
}

void node__free(struct node *nd)
{
	if (!nd)
		return;
	ns_scan_free(&nd->scan);
	free(nd->hosts);
	pod_index__free(nd->pods);
	free(nd->list);
	free(nd);
}

/*
 * A hostname is the pod's own claim. Kubernetes names never contain '/',
 * and a runtime name shows as NAMESPACE/NAME: a hostname's '/' is shown as
 * \x2f, so that "default/victim" set as a hostname can never read as the
 * runtime's pod victim of namespace default, in any output.
 */
static void hostname_as_name(const char *host, char *out, size_t len)
{
	size_t o = 0;

	for (; *host && o + 1 < len; host++) {
		if (*host != '/') {
			out[o++] = *host;
			continue;
		}
		if (o + 5 > len)
			break;
		memcpy(out + o, "\\x2f", 4);
		o += 4;
	}
	out[o] = '\0';
}

static struct host_seen *host_entry(struct node *nd, const struct ns_found *f)
{
	int i;

	for (i = 0; i < nd->nhosts; i++)
		if (nd->hosts[i].dev == f->dev && nd->hosts[i].ino == f->ino)
			return &nd->hosts[i];
	if (vec_room(&nd->hosts, &nd->caphosts, nd->nhosts, sizeof(*nd->hosts), 64))
		return NULL;
	memset(&nd->hosts[nd->nhosts], 0, sizeof(nd->hosts[0]));
	nd->hosts[nd->nhosts].dev = f->dev;
	nd->hosts[nd->nhosts].ino = f->ino;
	nd->hosts[nd->nhosts].first = nd->pass;
	return &nd->hosts[nd->nhosts++];
}

/* The hostname of f's process (0), as uts_hostname(), read again only when
 * it may have changed (see NODE_HOST_YOUNG). */
static int hostname_of(struct node *nd, const struct ns_found *f, char *host, size_t len)
{
	struct host_seen *h = nd->pass ? host_entry(nd, f) : NULL;

	if (!h)
		return uts_hostname(f->pid, host, len);
	h->seen = nd->pass;
	if (h->pid != f->pid || !h->read || nd->pass - h->first < NODE_HOST_YOUNG ||
	    (nd->pass + h->ino) % NODE_HOST_RECHECK == 0) {
		if (uts_hostname(f->pid, h->host, sizeof(h->host)))
			h->host[0] = '\0';
		h->pid = f->pid;
		h->read = nd->pass;
	}
	snprintf(host, len, "%s", h->host);
	return h->host[0] ? 0 : -ENOENT;
}

void node__name(struct node *nd, const struct ns_found *f, struct node_ns *out)
{
	const struct pod_meta *m = pod_index__find(nd->pods, f->dev, f->ino);
	char host[DISCOVER_NAMELEN], who[160];

	memset(out, 0, sizeof(*out));
	out->f = *f;
	if (m) {
		snprintf(out->pod, sizeof(out->pod), "%s", m->name);
		snprintf(out->k8s_ns, sizeof(out->k8s_ns), "%s", m->k8s_ns);
		out->source = NAME_RUNTIME;
	} else if (f->pid && hostname_of(nd, f, host, sizeof(host)) == 0 && host[0]) {
		/* Kubernetes sets a pod's hostname to its name */
		hostname_as_name(host, out->pod, sizeof(out->pod));
		out->source = NAME_HOSTNAME;
	}
	if (out->pod[0]) {
		snprintf(out->label, sizeof(out->label), "%s", out->pod);
	} else if (f->netns_name[0]) {
		snprintf(out->label, sizeof(out->label), "%s", f->netns_name);
		out->source = NAME_NETNS;
	} else {
		snprintf(out->label, sizeof(out->label), "pid:%ld", f->pid);
		out->source = NAME_PID;
	}
	if (out->pod[0])
		snprintf(who, sizeof(who), "pod %s%s%s", out->k8s_ns, out->k8s_ns[0] ? "/" : "",
			 out->pod);
	else if (f->netns_name[0])
		snprintf(who, sizeof(who), "network namespace %s", f->netns_name);
	else
		snprintf(who, sizeof(who), "the network namespace of PID %ld", f->pid);
	/* names come from the pods: no control character reaches a message */
	escape_ctl(who, out->where, sizeof(out->where));
}

int node__scan(struct node *nd)
{
	int i, ret;

	pod_index__refresh(nd->pods, NULL);
	ret = ns_scan(&nd->scan, nd->proc, nd->netns_dir, true);
	if (ret)
		return ret;
	nd->pass++;
	nd->n = 0;
	for (i = 0; i < nd->scan.n; i++) {
		const struct ns_found *f = &nd->scan.list[i];

		if ((f->dev == nd->home_dev && f->ino == nd->home_ino) ||
		    (f->dev == nd->init_dev && f->ino == nd->init_ino))
			continue;
		if (vec_room(&nd->list, &nd->cap, nd->n, sizeof(*nd->list), 16))
			return -ENOMEM;
		node__name(nd, f, &nd->list[nd->n++]);
	}
	/* forget the hostnames of namespaces that went */
	for (i = 0; i < nd->nhosts;) {
		if (nd->hosts[i].seen == nd->pass) {
			i++;
			continue;
		}
		nd->hosts[i] = nd->hosts[--nd->nhosts];
	}
	return 0;
}

int node__count(const struct node *nd)
{
	return nd->n;
}

const struct node_ns *node__get(const struct node *nd, int i)
{
	return i >= 0 && i < nd->n ? &nd->list[i] : NULL;
}

const struct node_ns *node__find(const struct node *nd, uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; i < nd->n; i++)
		if (nd->list[i].f.dev == dev && nd->list[i].f.ino == ino)
			return &nd->list[i];
	return NULL;
}

int node__processes(const struct node *nd)
{
	return nd->scan.processes;
}

int node__unreadable(const struct node *nd)
{
	return nd->scan.unreadable;
}

int node__meta_files(const struct node *nd, int *skipped)
{
	return pod_index__files(nd->pods, skipped);
}

static int pod_matches(const struct node_ns *x, const char *pod)
{
	const char *slash = strchr(pod, '/');

	if (!x->pod[0])
		return 0;
	if (!slash)
		return !strcmp(x->pod, pod);
	return (size_t)(slash - pod) == strlen(x->k8s_ns) &&
	       !strncmp(x->k8s_ns, pod, slash - pod) && !strcmp(x->pod, slash + 1);
}

const struct node_ns *node__find_pod(const struct node *nd, const char *pod, char *err,
				     size_t errlen)
{
	const struct node_ns *found = NULL;
	char safe[160], list[512] = "", shown[1024];
	size_t o = 0;
	int i, n = 0;

	escape_ctl(pod, safe, sizeof(safe));
	for (i = 0; i < nd->n; i++) {
		const struct node_ns *x = &nd->list[i];

		if (!pod_matches(x, pod))
			continue;
		found = x;
		if (o < sizeof(list) - 1)
			o += snprintf(list + o, sizeof(list) - o, "%s%s%s%s (%s)", n ? ", " : "",
				      x->k8s_ns, x->k8s_ns[0] ? "/" : "", x->pod, x->f.path);
		n++;
	}
	if (n == 1)
		return found;
	/* names and paths come from the runtime and the pods: as text */
	escape_ctl(list, shown, sizeof(shown));
	if (n == 0)
		snprintf(err, errlen,
			 "--pod \"%s\": no pod of that name on this node (%d network namespace%s "
			 "looked at)",
			 safe, nd->n, nd->n == 1 ? "" : "s");
	else
		snprintf(err, errlen, "--pod \"%s\": %d pods match: %s; give NAMESPACE/NAME", safe,
			 n, shown);
	return NULL;
}
