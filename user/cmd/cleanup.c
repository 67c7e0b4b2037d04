// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunleak cleanup: remove the legacy tc filters a killed run left behind, in
 * one namespace, or with --all in every pod namespace of the node (where a
 * killed DaemonSet leaves them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "lib/log.h"
#include "netns/netns.h"
#include "netns/nl.h"
#include "datapath/attach.h"
#include "cmd/commands.h"
#include "cmd/target.h"

struct swept {
	int filters, qdiscs;
};

/* The interfaces to look at: those named (each must exist), else all. */
static int links_of(const struct config *cfg, struct nl *nl, const char *where,
		    struct link_info **out, int *n)
{
	struct link_info *links;
	int i;

	if (!cfg->nr_ifaces && !cfg->nr_tunnels) {
		if (nl__link_dump(nl, out, n)) {
			log_error("cleanup: cannot list the interfaces of %s", where);
			return -EIO;
		}
		return 0;
	}
	links = calloc(cfg->nr_ifaces + cfg->nr_tunnels, sizeof(*links));
	if (!links)
		return -ENOMEM;
	*n = 0;
	for (i = 0; i < cfg->nr_ifaces + cfg->nr_tunnels; i++) {
		const char *name =
		    i < cfg->nr_ifaces ? cfg->ifaces[i] : cfg->tunnels[i - cfg->nr_ifaces];

		if (nl__link_get(nl, name, &links[*n])) {
			log_error("%s \"%s\": no such interface in %s",
				  i < cfg->nr_ifaces ? "--iface" : "--tunnel", name, where);
			free(links);
			return -ENODEV;
		}
		(*n)++;
	}
	*out = links;
	return 0;
}

/* One interface: its stale filters (and the clsact qdisc tunleak made). */
static void sweep_iface(const struct netns *nsh, const struct link_info *l, const char *in,
			struct swept *sw)
{
	struct stale_report r;
	char line[512];
	int rc = cleanup_stale(nsh, l->ifindex, &r);

	if (rc == -ENODEV || rc == -ENOENT)
		return; /* gone meanwhile */
	if (rc) {
		warn("%s%s: cannot look at tc handle 0x%x prio %d: %s\n", l->name, in, TL_TC_HANDLE,
		     TL_TC_PRIO, strerror(-rc));
		return;
	}
	if (r.removed)
		warn("%s%s: removed %d filter%s\n", l->name, in, r.removed,
		     r.removed == 1 ? "" : "s");
	if (r.qdisc_removed)
		warn("%s%s: removed the clsact qdisc tunleak created\n", l->name, in);
	if (r.qdisc_kept)
		warn("%s%s: the clsact qdisc tunleak created holds other filters; left\n", l->name,
		     in);
	if (stale_report_line(&r, l->name, line, sizeof(line))[0])
		warn("%s\n", line);
	sw->filters += r.removed;
	sw->qdiscs += r.qdisc_removed;
}

/* One namespace. With in (node mode) messages name it. 0 or -errno. */
static int sweep_ns(const struct config *cfg, const struct netns *nsh, const char *where,
		    const char *in, struct swept *sw)
{
	struct link_info *links = NULL;
	struct nl *nl = nl__open(nsh);
	int i, n = 0, ret;

	if (!nl) {
		ret = -errno;
		log_error("cleanup: netlink in %s: %s", where, strerror(-ret));
		return ret;
	}
	ret = links_of(cfg, nl, where, &links, &n);
	for (i = 0; !ret && i < n; i++)
		sweep_iface(nsh, &links[i], in, sw);
	free(links);
	nl__free(nl);
	return ret;
}

/* --all: every pod namespace of the node. A named interface that a pod lacks
 * is no error there: pods differ. */
static int sweep_node(const struct config *cfg, struct node *nd, struct swept *sw)
{
	struct config any = *cfg;
	int i, swept = 0;

	any.nr_ifaces = any.nr_tunnels = 0;
	for (i = 0; i < node__count(nd); i++) {
		const struct node_ns *x = node__get(nd, i);
		struct netns *nsh = netns__open_found(x->f.path, x->f.dev, x->f.ino);
		char in[224];

		if (!nsh)
			continue; /* ended meanwhile */
		snprintf(in, sizeof(in), " in %s", x->where);
		swept += !sweep_ns(&any, nsh, x->where, in, sw);
		netns__free(nsh);
	}
	return swept;
}

int cmd_cleanup(struct config *cfg)
{
	struct swept sw = {0};
	struct target tg;
	char err[512];
	int ret = EXIT_USAGE, n = 1;

	if (target__resolve(cfg, NEED_NET_ADMIN | NEED_BPF, &tg, err, sizeof(err))) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	/* libbpf's own messages (a hook without filters) only with -v */
	if (!cfg->verbose)
		libbpf_set_print(NULL);
	if (tg.all)
		n = sweep_node(cfg, tg.node, &sw);
	else if (sweep_ns(cfg, tg.ns, tg.who.where, "", &sw))
		goto out;
	if (tg.all)
		snprintf(tg.who.where, sizeof(tg.who.where), "%d pod namespace%s", n,
			 n == 1 ? "" : "s");
	if (sw.qdiscs)
		warn("cleanup: %d stale filter%s removed in %s, and %d clsact qdisc%s tunleak "
		     "created",
		     sw.filters, sw.filters == 1 ? "" : "s", tg.who.where, sw.qdiscs,
		     sw.qdiscs == 1 ? "" : "s");
	else
		warn("cleanup: %d stale filter%s removed in %s", sw.filters,
		     sw.filters == 1 ? "" : "s", tg.who.where);
	ret = 0;
out:
	target__free(&tg);
	return ret;
}
