/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What --netns, --pid, --pod and --all name, resolved the same way for every
 * command (trace, check, cleanup), with the capabilities that needs checked
 * first.
 */
#ifndef TL_TARGET_H
#define TL_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "node/node.h"

struct config;
struct netns;

struct target {
	bool all;	    /* --all: every pod namespace of the node (node) */
	struct node *node;  /* --pod, --all: the node's namespaces, looked at once; owned */
	struct netns *ns;   /* one namespace: its handle; owned (target__take_ns) */
	char path[512];	    /* its nsfs path; "" for the current namespace */
	struct node_ns who; /* its label, pod, Kubernetes namespace and how messages name it */
	bool pod;	    /* chosen by --pod (who comes from the node) */
};

/* need: the command's own capabilities (enum caps_need); entering another
 * namespace is added when one is named. 0, or -errno with one line in err
 * naming the option and its value (nothing is left open). */
int target__resolve(const struct config *cfg, int need, struct target *t, char *err, size_t errlen);
/* The namespace handle, now the caller's. */
struct netns *target__take_ns(struct target *t);
/* The node, now the caller's. */
struct node *target__take_node(struct target *t);
void target__free(struct target *t);

#endif
