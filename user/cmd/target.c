// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/cli.h"
#include "netns/netns.h"
#include "node/node.h"
#include "cmd/target.h"

/* --pod NAME: the one namespace of that pod. */
static int resolve_pod(const struct config *cfg, struct target *t, char *err, size_t errlen)
{
	const struct node_ns *x = node__find_pod(t->node, cfg->pod, err, errlen);
	char caps[256];

	/* not found where it cannot look: the capability is the problem */
	if (!x && node__unreadable(t->node) && caps_check(NEED_PTRACE, caps, sizeof(caps))) {
		snprintf(err, errlen,
			 "--pod \"%s\": not among the pods that can be seen: %s: %d of %d "
			 "processes cannot be looked at",
			 cfg->pod, caps, node__unreadable(t->node), node__processes(t->node));
		return -EPERM;
	}
	if (!x)
		return -ENOENT;
	t->who = *x;
	t->pod = true;
	snprintf(t->path, sizeof(t->path), "%s", x->f.path);
	t->ns = netns__open_found(x->f.path, x->f.dev, x->f.ino);
	if (!t->ns) {
		snprintf(err, errlen, "--pod \"%s\": cannot open %s: %s", cfg->pod, x->f.path,
			 strerror(errno));
		return -ENOENT;
	}
	return 0;
}

/* --netns, --pid, or the current namespace. */
static int resolve_arg(const struct config *cfg, struct target *t, char *err, size_t errlen)
{
	t->ns = netns__open_arg(cfg->netns, cfg->pid, err, errlen);
	if (!t->ns)
		return -ENOENT;
	if (cfg->netns || cfg->pid)
		netns_path(cfg->netns, cfg->pid, t->path, sizeof(t->path));
	netns_label(cfg->netns, cfg->pid, t->who.where, sizeof(t->who.where));
	t->who.source = cfg->pid ? NAME_PID : NAME_NETNS;
	/* a long path's label is cut (it only names the namespace) */
	if (snprintf(t->who.label, sizeof(t->who.label), "%s", cfg->netns ? cfg->netns : t->path) >=
	    (int)sizeof(t->who.label))
		t->who.label[sizeof(t->who.label) - 2] = '~';
	/* a pod's name, when its processes tell it */
	if (cfg->pid && !netns__is_home(t->ns)) {
		struct node *nd = node__new(NULL, NULL);
		struct ns_found f = {
		    .dev = netns__dev(t->ns), .ino = netns__ino(t->ns), .pid = cfg->pid};
		struct node_ns x;

		if (nd) {
			node__name(nd, &f, &x);
			snprintf(t->who.pod, sizeof(t->who.pod), "%s", x.pod);
			snprintf(t->who.k8s_ns, sizeof(t->who.k8s_ns), "%s", x.k8s_ns);
			if (x.pod[0])
				t->who.source = x.source;
			node__free(nd);
		}
	}
	return 0;
}

int target__resolve(const struct config *cfg, int need, struct target *t, char *err, size_t errlen)
{
	int ret;

	memset(t, 0, sizeof(*t));
	if (cfg->netns || cfg->pid || cfg->pod || cfg->all)
		need |= NEED_SETNS;
	if (caps_check(need, err, errlen))
		return -EPERM;
	if (cfg->pod || cfg->all) {
		t->node = node__new(NULL, NULL);
		if (!t->node || node__scan(t->node)) {
			snprintf(err, errlen, "%s: cannot list the node's namespaces: %s",
				 cfg->all ? "--all" : "--pod", strerror(errno));
			target__free(t);
			return -EINVAL;
		}
	}
	/* --all blind to some processes' pods (a DaemonSet without
	 * CAP_SYS_PTRACE) would report a partial node as the node */
	if (cfg->all && node__unreadable(t->node) && caps_check(NEED_PTRACE, err, errlen)) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n,
			 ": %d of %d processes cannot be looked at, and pods of theirs would not "
			 "be seen",
			 node__unreadable(t->node), node__processes(t->node));
		target__free(t);
		return -EPERM;
	}
	if (cfg->all) {
		t->all = true;
		snprintf(t->who.where, sizeof(t->who.where), "every pod namespace of this node");
		return 0;
	}
	ret = cfg->pod ? resolve_pod(cfg, t, err, errlen) : resolve_arg(cfg, t, err, errlen);
	if (ret)
		target__free(t);
	return ret;
}

struct netns *target__take_ns(struct target *t)
{
	struct netns *ns = t->ns;

	t->ns = NULL;
	return ns;
}

struct node *target__take_node(struct target *t)
{
	struct node *nd = t->node;

	t->node = NULL;
	return nd;
}

void target__free(struct target *t)
{
	netns__free(t->ns);
	t->ns = NULL;
	node__free(t->node);
	t->node = NULL;
}
