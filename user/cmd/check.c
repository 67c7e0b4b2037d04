// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunleak check: audit the routing of one namespace (or of every pod's, with
 * --all), attach nothing. A finding is a region of a cluster CIDR that a
 * unicast route sends into a tunnel, or a region of a remote CIDR that does
 * not go into one; each comes with the route that decides it and its fix.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "lib/log.h"
#include "model/abi.h"
#include "model/audit.h"
#include "cmd/commands.h"
#include "model/links.h"
#include "model/names.h"
#include "netns/netns.h"
#include "netns/nl.h"
#include "node/node.h"
#include "out/output.h"
#include "netns/route.h"
#include "cmd/target.h"

#define MAX_TUNNELS 64

struct check {
	const struct config *cfg;
	struct out o;
	const struct node_ns *who; /* node modes: the pod, for each finding */
	char (*seen)[256]; /* findings already printed in this namespace */
	int nseen, capseen;
	int findings; /* all namespaces */
	int regions;
};

static int is_tunnel(char names[][CLI_IFNAMSIZ], int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* The namespace's tunnels: those named that it has, else every interface
 * of a VPN's link kind. */
static int tunnel_names(const struct config *cfg, struct nl *nl, char names[][CLI_IFNAMSIZ],
			int max)
{
	struct link_info *links = NULL;
	int i, n = 0, nl_n = 0;

	if (nl__link_dump(nl, &links, &nl_n))
		return 0;
	for (i = 0; i < nl_n && n < max; i++)
		if (link_is_tunnel(&links[i], cfg->tunnels, cfg->nr_tunnels))
			memcpy(names[n++], links[i].name, CLI_IFNAMSIZ);
	free(links);
	return n;
}

/* Once per (CIDR, route) in a namespace; 1 when key is new. */
static int first_time(struct check *c, const char *key)
{
	int k;

	for (k = 0; k < c->nseen; k++)
		if (!strcmp(c->seen[k], key))
			return 0;
	if (c->nseen == c->capseen) {
		int cap = c->capseen ? c->capseen * 2 : 64;
		char(*s)[256] = realloc(c->seen, cap * sizeof(*s));

		if (!s)
			return 1; /* print it again rather than lose it */
		c->seen = s;
		c->capseen = cap;
	}
	snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", key);
	return 1;
}

/* Routes that carry traffic away decide; an address of the namespace itself
 * (local, broadcast: the VPN's own subnet) goes nowhere and is no finding. */
static int leaves(const struct route_info *r)
{
	return r->type == RTN_UNICAST || r->type == 0 || r->type == RTN_UNREACHABLE ||
	       r->type == RTN_BLACKHOLE || r->type == RTN_PROHIBIT || r->type == RTN_THROW;
}

static void print_finding(struct check *c, const struct class_cidr *cc, const struct route_info *r,
			  const char *rs, const char *fix, const uint8_t *example)
{
	int remote = cc->cls == TL_CLASS_REMOTE;
	char cs[64], ex[INET6_ADDRSTRLEN], who[160];
	struct out *o = &c->o;

	cidr_format(&cc->cidr, cs, sizeof(cs));
	addr_format(cc->cidr.family, example, ex, sizeof(ex));
	out_begin(o);
	if (c->who) {
		snprintf(who, sizeof(who), "%s%s%s", c->who->k8s_ns, c->who->k8s_ns[0] ? "/" : "",
			 c->who->pod[0] ? c->who->pod : c->who->label);
		out_str(o, NULL, "%s: ", who);
	}
	out_str(o, "kind", NULL, remote ? "bypass" : "leak");
	out_str(o, NULL, "%s", remote ? "BYPASS-ROUTE" : "LEAK-ROUTE");
	out_str(o, "class", " %s", class_name(cc->cls));
	out_str(o, "cidr", " %s:", cs);
	out_str(o, "example", " %s", ex);
	out_str(o, "iface", remote ? " goes out %s" : " goes into %s",
		r->oif_name[0] ? r->oif_name : NULL);
	out_str(o, NULL, "%s", r->oif_name[0] ? "" : " has no route");
	out_str(o, "route", " by \"%s\"", r->type ? rs : NULL);
	out_str(o, "fix", "; fix: %s", fix);
	if (c->who) {
		out_str(o, "netns", NULL, c->who->label);
		out_str(o, "pod", NULL, c->who->pod[0] ? c->who->pod : NULL);
		out_str(o, "k8s_namespace", NULL, c->who->k8s_ns[0] ? c->who->k8s_ns : NULL);
		out_str(o, "name_source", NULL, name_source_name(c->who->source));
	}
	out_end(o);
}

/* One CIDR: every region with a route of its own, looked up. */
static void audit_cidr(struct check *c, struct nl *nl, struct route_cache *rc,
		       const struct class_cidr *cc, struct route_info *routes, int nroutes,
		       char tunnels[][CLI_IFNAMSIZ], int nr_tunnels)
{
	const struct config *cfg = c->cfg;
	int remote = cc->cls == TL_CLASS_REMOTE, max = 2 * nroutes + 1, n, j;
	uint8_t(*cand)[16] = calloc(max, 16);

	if (!cand)
		return;
	n = audit_candidates(&cc->cidr, routes, nroutes, cand, max);
	c->regions += n;
	for (j = 0; j < n; j++) {
		char rs[160], fix[192], cs[64], key[256];
		struct route_info r;
		const char *via;
		uint8_t gw[16];
		int has_gw, bad;

		/* A more specific configured CIDR of another class owns this
		 * address: it is audited as that class. */
		if (audit_cidr_for(cfg->cidrs, cfg->nr_cidrs, cc->cidr.family, cand[j]) != cc)
			continue;
		if (route_get(nl, cc->cidr.family, cand[j], NULL, &r))
			memset(&r, 0, sizeof(r)); /* no route: not into a tunnel */
		r.family = cc->cidr.family;
		if (!leaves(&r))
			continue;
		bad = remote ? !(r.type == RTN_UNICAST && is_tunnel(tunnels, nr_tunnels, r.oif_name)) :
			       (r.type == RTN_UNICAST && is_tunnel(tunnels, nr_tunnels, r.oif_name));
		if (!bad)
			continue;
		route_format(&r, rs, sizeof(rs));
		if (r.type == 0)
			snprintf(rs, sizeof(rs), "no route");
		cidr_format(&cc->cidr, cs, sizeof(cs));
		snprintf(key, sizeof(key), "%s|%s", cs, rs);
		if (!first_time(c, key))
			continue;
		c->findings++;
		if (remote)
			via = route_cache__gateway(rc, 1, cc->cidr.family, tunnels, nr_tunnels, gw,
						   &has_gw);
		else
			via = route_cache__gateway(rc, 0, cc->cidr.family,
						   (char(*)[CLI_IFNAMSIZ])cfg->ifaces, cfg->nr_ifaces,
						   gw, &has_gw);
		if (r.type == 0)
			fix_command("add", &cc->cidr, via, has_gw ? gw : NULL, fix, sizeof(fix));
		else
			audit_fix(&cc->cidr, &r, via, has_gw ? gw : NULL, fix, sizeof(fix));
		print_finding(c, cc, &r, rs, fix, cand[j]);
	}
	free(cand);
}

/* One namespace. 0, 1 when it has no tunnel (node modes skip it), or -1
 * after an error line. */
static int audit_ns(struct check *c, const struct netns *nsh, const char *where, bool need_tunnel)
{
	const struct config *cfg = c->cfg;
	char tunnels[MAX_TUNNELS][CLI_IFNAMSIZ];
	struct route_info *routes[2] = { 0 };
	int nroutes[2] = { 0 }, i, nr_tunnels, err, ret = -1;
	struct route_cache *rc = NULL; /* gateways: one dump per family */
	struct nl *nl = nl__open(nsh);
	struct link_info l;

	c->nseen = 0;
	rc = nl ? route_cache__new(nl) : NULL;
	if (!rc) {
		log_error("check: netlink in %s: %s", where, strerror(errno));
		goto out;
	}
	nr_tunnels = tunnel_names(cfg, nl, tunnels, MAX_TUNNELS);
	if (need_tunnel && !nr_tunnels) {
		ret = 1;
		goto out;
	}
	for (i = 0; i < cfg->nr_ifaces && !need_tunnel; i++) {
		if (nl__link_get(nl, cfg->ifaces[i], &l)) {
			log_error("--iface \"%s\": no such interface in %s", cfg->ifaces[i], where);
			goto out;
		}
	}
	/* A one-shot audit cannot wait for a tunnel: one named that is not
	 * there is a typo or a VPN that is down, never "clean" */
	for (i = 0; i < cfg->nr_tunnels && !need_tunnel; i++) {
		if (nl__link_get(nl, cfg->tunnels[i], &l)) {
			log_error("--tunnel \"%s\": no such interface in %s", cfg->tunnels[i],
				  where);
			goto out;
		}
	}
	for (i = 0; i < 2; i++) {
		err = route_dump(nl, i ? 6 : 4, &routes[i], &nroutes[i]);
		if (err) {
			log_error("check: cannot read the IPv%d routes of %s: %s", i ? 6 : 4, where,
				  strerror(-err));
			goto out;
		}
	}
	for (i = 0; i < cfg->nr_cidrs; i++) {
		int v6 = cfg->cidrs[i].cidr.family == 6;

		audit_cidr(c, nl, rc, &cfg->cidrs[i], routes[v6], nroutes[v6], tunnels, nr_tunnels);
	}
	ret = 0;
out:
	free(routes[0]);
	free(routes[1]);
	route_cache__free(rc);
	nl__free(nl);
	return ret;
}

/* --all: every pod namespace with a tunnel. */
static int check_all(struct check *c, struct node *nd)
{
	int i, audited = 0, with = 0;

	for (i = 0; i < node__count(nd); i++) {
		const struct node_ns *x = node__get(nd, i);
		struct netns *nsh = netns__open_found(x->f.path, x->f.dev, x->f.ino);
		int before = c->findings, r;

		if (!nsh)
			continue; /* ended while we looked */
		c->who = x;
		r = audit_ns(c, nsh, x->where, true);
		netns__free(nsh);
		if (r)
			continue;
		audited++;
		with += c->findings > before;
	}
	out_flush(&c->o);
	warn("check: %d namespace%s with a tunnel audited (of %d on this node), %d with findings; %d finding%s",
	     audited, audited == 1 ? "" : "s", node__count(nd), with, c->findings,
	     c->findings == 1 ? "" : "s");
	return c->findings ? EXIT_FINDINGS : 0;
}

int cmd_check(struct config *cfg)
{
	struct check c = { .cfg = cfg, .o = { .f = stdout, .json = cfg->json } };
	char errbuf[512];
	struct target tg;
	int ret = EXIT_USAGE;

	jw_init(&c.o.jw, false);
	if (target__resolve(cfg, 0, &tg, errbuf, sizeof(errbuf))) {
		log_error("%s", errbuf);
		out_free(&c.o);
		return EXIT_USAGE;
	}
	if (tg.all) {
		ret = check_all(&c, tg.node);
		goto out;
	}
	if (tg.pod)
		c.who = &tg.who;
	if (audit_ns(&c, tg.ns, tg.who.where, false))
		goto out;
	out_flush(&c.o);
	if (c.findings)
		warn("check: %d finding%s in %s (%d CIDR%s, %d region%s looked up)", c.findings,
		     c.findings == 1 ? "" : "s", tg.who.where, cfg->nr_cidrs,
		     cfg->nr_cidrs == 1 ? "" : "s", c.regions, c.regions == 1 ? "" : "s");
	else
		warn("check: clean: no cluster CIDR routes into a tunnel, every remote CIDR does, in %s (%d CIDR%s, %d region%s looked up)",
		     tg.who.where, cfg->nr_cidrs, cfg->nr_cidrs == 1 ? "" : "s", c.regions,
		     c.regions == 1 ? "" : "s");
	ret = c.findings ? EXIT_FINDINGS : 0;
out:
	free(c.seen);
	out_free(&c.o);
	target__free(&tg);
	return ret;
}
