// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "abi.h"
#include "audit.h"
#include "links.h"
#include "names.h"
#include "commands.h"
#include "netns.h"
#include "nl.h"
#include "output.h"
#include "route.h"

#define MAX_CANDIDATES 4096
#define MAX_FINDINGS 256

static int is_tunnel(char names[][CLI_IFNAMSIZ], int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* The tunnels: those named, else every interface of a VPN's link kind. */
static int tunnel_names(const struct config *cfg, struct nl *nl, char names[][CLI_IFNAMSIZ],
			int max)
{
	struct link_info *links = NULL;
	int i, n = 0, nl_n = 0;

	if (cfg->nr_tunnels) {
		for (i = 0; i < cfg->nr_tunnels && i < max; i++)
			memcpy(names[i], cfg->tunnels[i], CLI_IFNAMSIZ);
		return i;
	}
	if (nl__link_dump(nl, &links, &nl_n))
		return 0;
	for (i = 0; i < nl_n && n < max; i++)
		if (link_is_vpn(&links[i]))
			memcpy(names[n++], links[i].name, CLI_IFNAMSIZ);
	free(links);
	return n;
}

int cmd_check(struct config *cfg)
{
	char tunnels[64][CLI_IFNAMSIZ];
	int nr_tunnels;
	struct route_info *routes[2] = {};
	int nroutes[2] = {}, i, j, nfind = 0, err, total_regions = 0, ret = 2;
	char errbuf[256], ns[160];
	char (*seen)[256] = calloc(MAX_FINDINGS, 256);
	uint8_t (*cand)[16] = calloc(MAX_CANDIDATES, 16);
	struct out o = { .f = stdout, .json = cfg->json };
	struct route_cache *rc = NULL; /* gateways: one dump per family */
	struct netns *nsh = NULL;
	struct nl *nl = NULL;
	struct link_info l;

	if (!seen || !cand) {
		fprintf(stderr, "tunleak: out of memory\n");
		goto cleanup;
	}
	if (caps_check(cfg->netns || cfg->pid ? NEED_SETNS : 0, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "tunleak: %s\n", errbuf);
		goto cleanup;
	}
	nsh = netns__open_arg(cfg->netns, cfg->pid, errbuf, sizeof(errbuf));
	if (!nsh) {
		fprintf(stderr, "tunleak: %s\n", errbuf);
		goto cleanup;
	}
	netns_label(cfg->netns, cfg->pid, ns, sizeof(ns));
	nl = nl__open(nsh);
	rc = nl ? route_cache__new(nl) : NULL;
	if (!rc) {
		fprintf(stderr, "tunleak: check: netlink in %s: %s\n", ns, strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < cfg->nr_ifaces; i++) {
		if (nl__link_get(nl, cfg->ifaces[i], &l)) {
			fprintf(stderr, "tunleak: --iface \"%s\": no such interface in %s\n",
				cfg->ifaces[i], ns);
			goto cleanup;
		}
	}
	nr_tunnels = tunnel_names(cfg, nl, tunnels, 64);
	for (i = 0; i < 2; i++) {
		err = route_dump(nl, i ? 6 : 4, &routes[i], &nroutes[i]);
		if (err) {
			fprintf(stderr, "tunleak: check: cannot read IPv%d routes: %s\n", i ? 6 : 4,
				strerror(-err));
			goto cleanup;
		}
	}

	for (i = 0; i < cfg->nr_cidrs; i++) {
		const struct class_cidr *cc = &cfg->cidrs[i];
		int v6 = cc->cidr.family == 6, remote = cc->cls == TL_CLASS_REMOTE;
		int n = audit_candidates(&cc->cidr, routes[v6], nroutes[v6], cand, MAX_CANDIDATES);

		total_regions += n;
		for (j = 0; j < n; j++) {
			char rs[160], fix[192], cs[64], ex[INET6_ADDRSTRLEN], key[256];
			struct route_info r;
			const char *via;
			uint8_t gw[16];
			int has_gw, k, bad;

			/* A more specific configured CIDR of another class owns
			 * this address: it is audited as that class. */
			if (audit_cidr_for(cfg->cidrs, cfg->nr_cidrs, cc->cidr.family, cand[j]) != cc)
				continue;
			if (route_get(nl, cc->cidr.family, cand[j], NULL, &r))
				memset(&r, 0, sizeof(r)); /* no route: not into a tunnel */
			r.family = cc->cidr.family;
			bad = remote ? !(r.type == RTN_UNICAST &&
					 is_tunnel(tunnels, nr_tunnels, r.oif_name)) :
				       (r.type == RTN_UNICAST && is_tunnel(tunnels, nr_tunnels, r.oif_name));
			if (!bad)
				continue;
			route_format(&r, rs, sizeof(rs));
			if (r.type == 0)
				snprintf(rs, sizeof(rs), "no route");
			cidr_format(&cc->cidr, cs, sizeof(cs));
			snprintf(key, sizeof(key), "%s|%s", cs, rs);
			for (k = 0; k < nfind && k < MAX_FINDINGS; k++)
				if (!strcmp(seen[k], key))
					break;
			if (k < nfind)
				continue;
			if (nfind < MAX_FINDINGS)
				strcpy(seen[nfind], key);
			nfind++;
			if (remote)
				via = route_cache__gateway(rc, 1, cc->cidr.family, tunnels,
							   nr_tunnels, gw, &has_gw);
			else
				via = route_cache__gateway(rc, 0, cc->cidr.family,
							   (char(*)[CLI_IFNAMSIZ])cfg->ifaces,
							   cfg->nr_ifaces, gw, &has_gw);
			if (r.type == 0)
				fix_command("add", &cc->cidr, via, has_gw ? gw : NULL, fix, sizeof(fix));
			else
				audit_fix(&cc->cidr, &r, via, has_gw ? gw : NULL, fix, sizeof(fix));
			addr_format(cc->cidr.family, cand[j], ex, sizeof(ex));

			out_begin(&o);
			out_str(&o, "kind", NULL, remote ? "bypass" : "leak");
			out_str(&o, NULL, "%s", remote ? "BYPASS-ROUTE" : "LEAK-ROUTE");
			out_str(&o, "class", " %s", class_name(cc->cls));
			out_str(&o, "cidr", " %s:", cs);
			out_str(&o, "example", " %s", ex);
			out_str(&o, "iface", remote ? " goes out %s" : " goes into %s",
				r.oif_name[0] ? r.oif_name : NULL);
			out_str(&o, NULL, "%s", r.oif_name[0] ? "" : " has no route");
			out_str(&o, "route", " by \"%s\"", r.type ? rs : NULL);
			out_str(&o, "fix", "; fix: %s", fix);
			out_end(&o);
		}
	}

	if (nfind)
		fprintf(stderr,
			"tunleak: check: %d finding%s in %s (%d CIDR%s, %d region%s looked up)\n",
			nfind, nfind == 1 ? "" : "s", ns, cfg->nr_cidrs, cfg->nr_cidrs == 1 ? "" : "s",
			total_regions, total_regions == 1 ? "" : "s");
	else
		fprintf(stderr,
			"tunleak: check: clean: no cluster CIDR routes into a tunnel, every remote CIDR does, in %s (%d CIDR%s, %d region%s looked up)\n",
			ns, cfg->nr_cidrs, cfg->nr_cidrs == 1 ? "" : "s", total_regions,
			total_regions == 1 ? "" : "s");
	ret = nfind ? 1 : 0;
cleanup:
	free(routes[0]);
	free(routes[1]);
	free(seen);
	free(cand);
	route_cache__free(rc);
	nl__free(nl);
	netns__free(nsh);
	return ret;
}
