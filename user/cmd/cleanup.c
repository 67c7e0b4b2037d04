// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tunleak cleanup: remove the legacy tc filters a killed run left behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "datapath/attach.h"
#include "cmd/commands.h"
#include "lib/log.h"
#include "netns/netns.h"
#include "netns/nl.h"

int cmd_cleanup(struct config *cfg)
{
	char err[256], ns[128];
	struct link_info *links = NULL;
	struct netns *nsh = NULL;
	struct nl *nl = NULL;
	int i, n = 0, total = 0, qdiscs = 0, ret = EXIT_USAGE;

	if (caps_check(NEED_NET_ADMIN | NEED_BPF | (cfg->netns || cfg->pid ? NEED_SETNS : 0), err,
		       sizeof(err))) {
		fprintf(stderr, "tunleak: %s\n", err);
		return EXIT_USAGE;
	}
	/* libbpf's own messages (a hook without filters) only with -v */
	if (!cfg->verbose)
		libbpf_set_print(NULL);
	nsh = netns__open_arg(cfg->netns, cfg->pid, err, sizeof(err));
	if (!nsh) {
		fprintf(stderr, "tunleak: %s\n", err);
		return EXIT_USAGE;
	}
	netns_label(cfg->netns, cfg->pid, ns, sizeof(ns));
	nl = nl__open(nsh);
	if (!nl) {
		fprintf(stderr, "tunleak: cleanup: netlink in %s: %s\n", ns, strerror(errno));
		goto out;
	}
	if (cfg->nr_ifaces || cfg->nr_tunnels) {
		links = calloc(cfg->nr_ifaces + cfg->nr_tunnels, sizeof(*links));
		if (!links)
			goto out;
		for (i = 0; i < cfg->nr_ifaces + cfg->nr_tunnels; i++) {
			const char *name = i < cfg->nr_ifaces ? cfg->ifaces[i] :
								cfg->tunnels[i - cfg->nr_ifaces];

			if (nl__link_get(nl, name, &links[n])) {
				fprintf(stderr, "tunleak: %s \"%s\": no such interface in %s\n",
					i < cfg->nr_ifaces ? "--iface" : "--tunnel", name, ns);
				goto out;
			}
			n++;
		}
	} else if (nl__link_dump(nl, &links, &n)) {
		fprintf(stderr, "tunleak: cleanup: cannot list the interfaces of %s\n", ns);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct stale_report r;
		char line[512];
		int rc = cleanup_stale(nsh, links[i].ifindex, &r);

		if (rc == -ENODEV || rc == -ENOENT)
			continue; /* gone meanwhile */
		if (rc) {
			warn("%s: cannot look at tc handle 0x%x prio %d: %s\n", links[i].name,
			     TL_TC_HANDLE, TL_TC_PRIO, strerror(-rc));
			continue;
		}
		if (r.removed)
			warn("%s: removed %d filter%s\n", links[i].name, r.removed,
			     r.removed == 1 ? "" : "s");
		if (r.qdisc_removed)
			warn("%s: removed the clsact qdisc tunleak created\n", links[i].name);
		if (r.qdisc_kept)
			warn("%s: the clsact qdisc tunleak created holds other filters; left\n",
			     links[i].name);
		if (stale_report_line(&r, links[i].name, line, sizeof(line))[0])
			warn("%s\n", line);
		total += r.removed;
		qdiscs += r.qdisc_removed;
	}
	if (qdiscs)
		fprintf(stderr,
			"tunleak: cleanup: %d stale filter%s removed in %s, and %d clsact qdisc%s tunleak created\n",
			total, total == 1 ? "" : "s", ns, qdiscs, qdiscs == 1 ? "" : "s");
	else
		fprintf(stderr, "tunleak: cleanup: %d stale filter%s removed in %s\n", total,
			total == 1 ? "" : "s", ns);
	ret = 0;
out:
	free(links);
	nl__free(nl);
	netns__free(nsh);
	return ret;
}
