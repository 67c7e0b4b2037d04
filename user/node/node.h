/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The node's pod network namespaces, named: what --all traces, what --pod
 * picks from, what `check --all` audits. The host's own namespace (the one
 * tunleak started in) and PID 1's are never among them.
 */
#ifndef TL_NODE_H
#define TL_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "model/names.h"
#include "node/discover.h"

struct node_ns {
	struct ns_found f;
	char label[DISCOVER_NAMELEN];  /* pod name, else /run/netns name, else pid:N */
	char pod[DISCOVER_NAMELEN];    /* "" when unknown */
	char k8s_ns[DISCOVER_NAMELEN]; /* "" when unknown */
	char where[192];	       /* for messages: "pod team-a/vpn-1 (pid 123)" */
	enum name_source source;       /* where label and pod come from */
};

struct node;

/* proc_root and netns_dir: NULL for /proc and /run/netns. NULL and errno. */
struct node *node__new(const char *proc_root, const char *netns_dir);
void node__free(struct node *nd);
/* Look again: namespaces, pod metadata, names. 0 or -errno. */
int node__scan(struct node *nd);
int node__count(const struct node *nd);
const struct node_ns *node__get(const struct node *nd, int i);
const struct node_ns *node__find(const struct node *nd, uint64_t dev, uint64_t ino);
/* Processes looked at, and those whose namespace could not be read. */
int node__processes(const struct node *nd);
int node__unreadable(const struct node *nd);
/* The runtime's config.json files found, and those not indexed. */
int node__meta_files(const struct node *nd, int *skipped);
/* Name one namespace found elsewhere (--netns, --pid): pod, label, where. */
void node__name(struct node *nd, const struct ns_found *f, struct node_ns *out);

/* --pod NAME (or NAMESPACE/NAME): the one namespace of that pod. NULL with
 * one line in err naming NAME, and the candidates when several match. */
const struct node_ns *node__find_pod(const struct node *nd, const char *pod, char *err,
				     size_t errlen);

#endif
