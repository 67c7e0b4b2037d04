/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rtnetlink of one network namespace, through libnl-3: a request socket made
 * inside the namespace (it stays bound to it), links by name and kind, and a
 * monitor of changes of links, routes, rules, nexthops and addresses.
 */
#ifndef TL_NL_H
#define TL_NL_H

#include <stdbool.h>
#include <stdint.h>

#include "model/links.h"

struct netns;
struct nl_msg;
struct nlmsghdr;

struct nl;

/* A request socket inside ns (NULL: the current namespace; ns must outlive
 * the nl). NULL and errno. */
struct nl *nl__open(const struct netns *ns);
void nl__free(struct nl *nl);
/* Close the socket until the next request makes it again (an fd less while
 * idle; ns must be enterable then). */
void nl__release(struct nl *nl);

/* Send msg (freed here) and give each answer to cb until the dump ends, or
 * after the first answer when dump is false. cb returns 0 to go on, or a
 * negative errno to stop with it. Returns 0 or -errno (a kernel error too). */
int nl__request(struct nl *nl, struct nl_msg *msg, bool dump,
		int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg);

/* One link by name; -ENODEV when there is none. */
int nl__link_get(struct nl *nl, const char *name, struct link_info *out);
/* One link by ifindex; -ENODEV when there is none. */
int nl__link_by_index(struct nl *nl, uint32_t ifindex, struct link_info *out);
/* Every link; *out is malloc'ed. */
int nl__link_dump(struct nl *nl, struct link_info **out, int *n);

/* Link, route, rule, nexthop and address events of one namespace. */
struct nl_monitor;

#define LINK_CHANGED   1
#define ROUTES_CHANGED 2

struct nl_monitor *nl_monitor__open(const struct netns *ns);
int nl_monitor__fd(const struct nl_monitor *m);
/* Read what is pending. Returns a mask of LINK_CHANGED and ROUTES_CHANGED
 * (routes, rules, nexthops or addresses: what a route lookup depends on);
 * on lost events (a full socket buffer) both, as everything may have changed. */
int nl_monitor__drain(struct nl_monitor *m);
void nl_monitor__free(struct nl_monitor *m);

#endif
