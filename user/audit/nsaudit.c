// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "config/cli.h"
#include "audit/nsaudit.h"
#include "model/abi.h"
#include "model/audit.h"
#include "model/links.h"
#include "netns/nl.h"
#include "netns/route.h"

/* One family of the namespace, read once per audit. */
struct fam {
	int family;
	struct route_info *routes;
	int nroutes;
	struct rule_info *rules;
	int nrules;
	uint8_t src[NS_AUDIT_MAX_SOURCES][16];
	int nsrc;
	bool by_source; /* a rule or route selects by source: look up from each one */
	/* the fixes' ways out: a cluster interface, a tunnel; with a gateway */
	char cluster_dev[16], tunnel_dev[16];
	uint8_t cluster_gw[16], tunnel_gw[16];
	int cluster_has_gw, tunnel_has_gw;
};

struct audit {
	struct nl *nl;
	const struct ns_audit_cfg *cfg;
	struct findings *out;
	struct ns_audit_stats *st;
	struct link_info *links;
	int nlinks;
	struct nh_info *nhs;
	int nnhs;
	char (*tunnels)[16]; /* names of the namespace's tunnels */
	int nr_tunnels;
};

static const struct link_info *link_named(const struct audit *a, const char *name)
{
	int i;

	for (i = 0; i < a->nlinks; i++)
		if (!strcmp(a->links[i].name, name))
			return &a->links[i];
	return NULL;
}

static bool is_tunnel_name(const struct audit *a, const char *name)
{
	int i;

	for (i = 0; i < a->nr_tunnels; i++)
		if (!strcmp(a->tunnels[i], name))
			return true;
	return false;
}

/* The family's routes, rules, own addresses and the fixes' gateways. */
static int read_family(struct audit *a, struct fam *f, char *err, size_t errlen)
{
	const struct ns_audit_cfg *cfg = a->cfg;
	struct addr_info *addrs = NULL;
	int naddrs = 0, i, ret;
	const char *what;

	what = "routes";
	ret = route_dump(a->nl, f->family, &f->routes, &f->nroutes);
	if (!ret) {
		what = "rules";
		ret = rule_dump(a->nl, f->family, &f->rules, &f->nrules);
	}
	if (!ret) {
		what = "addresses";
		ret = addr_dump(a->nl, f->family, &addrs, &naddrs);
	}
	if (ret) {
		snprintf(err, errlen, "cannot read the IPv%d %s: %s", f->family, what,
			 strerror(-ret));
		return ret;
	}
	for (i = 0; i < f->nroutes; i++) {
		if (f->routes[i].nh_total > f->routes[i].nr_nh)
			a->st->routes_cut++;
		if (f->routes[i].src_len)
			f->by_source = true;
	}
	/* a source changes the kernel's choice only through a rule's "from" or
	 * an IPv6 route's: without one, the unbound lookup says it all */
	for (i = 0; i < f->nrules; i++)
		if (f->rules[i].src_len)
			f->by_source = true;
	/* the pod's own sources: what its sockets send from (not the
	 * loopback's, not link-local ones, nor one still tentative) */
	for (i = 0; i < naddrs; i++) {
		const struct addr_info *ad = &addrs[i];

		if (!ad->usable || ad->scope >= RT_SCOPE_LINK)
			continue;
		if (f->nsrc < NS_AUDIT_MAX_SOURCES)
			memcpy(f->src[f->nsrc++], ad->addr, 16);
		else
			a->st->sources_cut++;
	}
	a->st->sources += f->nsrc;
	free(addrs);
	/* where fixes go: a cluster interface's gateway, a tunnel's */
	f->cluster_has_gw = !audit_pick_gateway(f->routes, f->nroutes, cfg->ifaces, cfg->nr_ifaces,
						f->cluster_gw, f->cluster_dev);
	if (!f->cluster_has_gw) {
		for (i = 0; i < cfg->nr_ifaces && !f->cluster_dev[0]; i++)
			if (link_named(a, cfg->ifaces[i]))
				memcpy(f->cluster_dev, cfg->ifaces[i], 16);
		if (!f->cluster_dev[0] && cfg->nr_ifaces)
			memcpy(f->cluster_dev, cfg->ifaces[0], 16);
	}
	f->tunnel_has_gw = !audit_pick_gateway(f->routes, f->nroutes, (const char(*)[16])a->tunnels,
					       a->nr_tunnels, f->tunnel_gw, f->tunnel_dev);
	if (!f->tunnel_has_gw && a->nr_tunnels)
		memcpy(f->tunnel_dev, a->tunnels[0], 16);
	return 0;
}

static int block_type(int err)
{
	switch (err) {
	case -EHOSTUNREACH:
		return RTN_UNREACHABLE;
	case -EACCES:
		return RTN_PROHIBIT;
	case -EINVAL:
		return RTN_BLACKHOLE;
	default:
		return RTN_UNREACHABLE; /* -ENETUNREACH: an unreachable rule, or nothing */
	}
}

static int block_action(int err)
{
	switch (err) {
	case -EACCES:
		return FR_ACT_PROHIBIT;
	case -EINVAL:
		return FR_ACT_BLACKHOLE;
	default:
		return FR_ACT_UNREACHABLE;
	}
}

static int in_route(const struct route_info *r, const uint8_t *a)
{
	struct cidr c = {.family = r->family, .prefixlen = r->dst_len};

	memcpy(c.addr, r->dst, 16);
	return cidr_contains(&c, r->family, a);
}

/*
 * A lookup the kernel refused (err): what refused it, walking the rules as
 * the kernel does — a blocking rule, or the most specific route of a table a
 * rule looks up, when it is of the blocking type. Neither: no route at all.
 */
static void find_block(const struct fam *f, const uint8_t *dst, const uint8_t *src, int err,
		       const struct route_info **route, const struct rule_info **rule)
{
	int i, j;

	*route = NULL;
	*rule = NULL;
	for (i = 0; i < f->nrules; i++) {
		const struct rule_info *ru = &f->rules[i];
		const struct route_info *best = NULL;

		if (!rule_matches(ru, f->family, dst, src))
			continue;
		if (ru->action == block_action(err)) {
			*rule = ru;
			return;
		}
		if (ru->action != FR_ACT_TO_TBL)
			continue;
		for (j = 0; j < f->nroutes; j++) {
			const struct route_info *r = &f->routes[j];

			if (r->table == ru->table && in_route(r, dst) &&
			    (!best || r->dst_len > best->dst_len))
				best = r;
		}
		if (best && best->type == block_type(err)) {
			*route = best;
			return;
		}
		/* else it went on: no route there, a throw, or suppressed */
	}
}

/* Routes that carry traffic away decide; an address of the namespace itself
 * (local, broadcast: the VPN's own subnet) goes nowhere and is no finding. */
static int leaves(int type)
{
	return type == RTN_UNICAST || type == RTN_UNREACHABLE || type == RTN_BLACKHOLE ||
	       type == RTN_PROHIBIT || type == RTN_THROW;
}

/* One lookup of one region: a finding when it goes the wrong way. */
static int judge(struct audit *a, const struct fam *f, const struct class_cidr *cc,
		 const uint8_t *dst, const uint8_t *src)
{
	const struct ns_audit_cfg *cfg = a->cfg;
	const struct route_info *bad = NULL;
	const struct rule_info *block = NULL;
	bool remote = cc->cls == TL_CLASS_REMOTE;
	struct finding fd = {0};
	struct route_info r;
	const struct link_info *dl;
	struct fix_in in = {0};
	int ret, through, i;

	a->st->lookups++;
	ret = route_lookup_bare(a->nl, f->family, dst, src, &r);
	/* the kernel's answers for "no route", and why: anything else is an
	 * error of the audit */
	if (ret && ret != -ENETUNREACH && ret != -EHOSTUNREACH && ret != -EACCES && ret != -EINVAL)
		return ret;
	if (ret) {
		const struct route_info *br;

		/* nowhere: fine for a cluster CIDR, a bypass of the tunnel
		 * for a remote one */
		if (!remote)
			return 0;
		find_block(f, dst, src, ret, &br, &block);
		if (br) {
			r = *br;
			bad = &r;
		}
	} else {
		route_resolve_nh(&r, a->nhs, a->nnhs);
		route_name_devs(&r, a->links, a->nlinks);
		route_canonical(&r, f->routes, f->nroutes);
		if (!leaves(r.type))
			return 0;
		through = r.type == RTN_UNICAST
			      ? route_nh_through(&r, (const char(*)[16])a->tunnels, a->nr_tunnels)
			      : 0;
		if (remote ? r.type == RTN_UNICAST && r.nr_nh && through == r.nr_nh : through == 0)
			return 0;
		bad = &r;
	}
	fd.kind = remote ? FINDING_BYPASS : FINDING_LEAK;
	fd.cls = cc->cls;
	fd.cidr = cc->cidr;
	memcpy(fd.example, dst, 16);
	if (src) {
		fd.has_src = true;
		memcpy(fd.src, src, 16);
	}
	if (bad) {
		route_format(bad, fd.route, sizeof(fd.route));
		fd.table = bad->table;
		/* the interface it goes to: the tunnel (leak), or the first
		 * way out that is not one (bypass) */
		for (i = 0; i < bad->nr_nh && !fd.iface[0]; i++)
			if (bad->nh[i].dev[0] && is_tunnel_name(a, bad->nh[i].dev) == !remote)
				memcpy(fd.iface, bad->nh[i].dev, 16);
	} else if (block) {
		rule_format(block, fd.route, sizeof(fd.route));
	}
	in.cidr = &cc->cidr;
	in.leak = !remote;
	in.bad = bad;
	in.block = block;
	in.dev = remote ? f->tunnel_dev : f->cluster_dev;
	in.gw = remote ? (f->tunnel_has_gw ? f->tunnel_gw : NULL)
		       : (f->cluster_has_gw ? f->cluster_gw : NULL);
	dl = link_named(a, in.dev);
	in.dev_is_tunnel = is_tunnel_name(a, in.dev);
	in.dev_l2 = dl ? dl->l2 : true;
	in.rules = f->rules;
	in.nrules = f->nrules;
	in.routes = f->routes;
	in.nroutes = f->nroutes;
	in.cidrs = cfg->cidrs;
	in.nr_cidrs = cfg->nr_cidrs;
	in.tunnels = (const char(*)[16])a->tunnels;
	in.nr_tunnels = a->nr_tunnels;
	fix_plan(&in, &fd.fix);
	if (!in.dev[0])
		snprintf(fd.fix.refused, sizeof(fd.fix.refused), "%s",
			 remote ? "no tunnel interface to route it into"
				: "no cluster interface to route it through");
	else if (!dl)
		snprintf(fd.fix.refused, sizeof(fd.fix.refused), "%s does not exist", in.dev);
	fix_format(&fd.fix, fd.fix_text, sizeof(fd.fix_text));
	ret = findings__add(a->out, &fd);
	if (ret == -ENOSPC)
		a->st->dropped++;
	return ret == -ENOMEM ? ret : 0;
}

static int audit_cidr(struct audit *a, const struct fam *f, const struct class_cidr *cc)
{
	int max = 2 * (f->nroutes + f->nrules) + 1, n, j, s, ret = 0;
	uint8_t(*cand)[16] = calloc(max, 16);

	if (!cand)
		return -ENOMEM;
	n = audit_candidates(&cc->cidr, f->routes, f->nroutes, f->rules, f->nrules, cand, max);
	for (j = 0; j < n && !ret; j++) {
		/* A more specific configured CIDR of another class owns this
		 * address: it is audited as that class. */
		if (audit_cidr_for(a->cfg->cidrs, a->cfg->nr_cidrs, cc->cidr.family, cand[j]) != cc)
			continue;
		a->st->regions++;
		ret = judge(a, f, cc, cand[j], NULL);
		for (s = 0; f->by_source && s < f->nsrc && !ret; s++)
			ret = judge(a, f, cc, cand[j], f->src[s]);
	}
	free(cand);
	return ret;
}

int ns_audit(struct nl *nl, const struct ns_audit_cfg *cfg, struct findings *out,
	     struct ns_audit_stats *st, char *err, size_t errlen)
{
	struct audit a = {.nl = nl, .cfg = cfg, .out = out, .st = st};
	struct fam fams[2] = {{.family = 4}, {.family = 6}};
	bool used[2] = {false, false};
	int i, ret;

	memset(st, 0, sizeof(*st));
	findings__clear(out);
	err[0] = '\0';
	ret = nl__link_dump(nl, &a.links, &a.nlinks);
	if (ret) {
		snprintf(err, errlen, "cannot read the links: %s", strerror(-ret));
		return ret;
	}
	a.tunnels = calloc(a.nlinks ? a.nlinks : 1, 16);
	if (!a.tunnels) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < a.nlinks; i++) {
		if (!link_is_tunnel(&a.links[i], cfg->tunnels, cfg->nr_tunnels))
			continue;
		memcpy(a.tunnels[a.nr_tunnels++], a.links[i].name, 16);
		if (st->nr_tunnels < NS_AUDIT_MAX_TUNNELS)
			memcpy(st->tunnels[st->nr_tunnels], a.links[i].name, 16);
		st->nr_tunnels++;
	}
	/* nexthop objects, for the routes that use them (an empty list
	 * where the kernel has none) */
	if (nexthop_dump(nl, &a.nhs, &a.nnhs))
		a.nhs = NULL, a.nnhs = 0;
	for (i = 0; i < cfg->nr_cidrs; i++)
		used[cfg->cidrs[i].cidr.family == 6] = true;
	for (i = 0; i < 2; i++) {
		if (!used[i])
			continue;
		ret = read_family(&a, &fams[i], err, errlen);
		if (ret)
			goto out;
	}
	for (i = 0; i < cfg->nr_cidrs; i++) {
		ret = audit_cidr(&a, &fams[cfg->cidrs[i].cidr.family == 6], &cfg->cidrs[i]);
		if (ret) {
			snprintf(err, errlen, "route lookup: %s", strerror(-ret));
			goto out;
		}
	}
	st->dropped = findings__dropped(out);
out:
	for (i = 0; i < 2; i++) {
		free(fams[i].routes);
		free(fams[i].rules);
	}
	free(a.tunnels);
	free(a.nhs);
	free(a.links);
	return ret;
}

int ns_fix_apply(struct nl *nl, const struct finding *f, char *done, size_t donelen, char *why,
		 size_t whylen)
{
	char cmd[FIX_TEXT_LEN];
	size_t off = 0;
	int i, ret;

	done[0] = '\0';
	why[0] = '\0';
	if (f->fix.refused[0] || f->fix.n == 0) {
		snprintf(why, whylen, "%s", f->fix.refused[0] ? f->fix.refused : "no fix known");
		return -EPERM;
	}
	for (i = 0; i < f->fix.n; i++) {
		fix_change_format(&f->fix.ch[i], cmd, sizeof(cmd));
		ret = route_change_add(nl, &f->fix.ch[i]);
		if (ret) {
			snprintf(why, whylen, "%s: %s%s%s", cmd,
				 ret == -EEXIST ? "there is one already (never replaced)"
						: strerror(-ret),
				 i ? "; added before it: " : "", i ? done : "");
			return ret;
		}
		if (off < donelen)
			off += snprintf(done + off, donelen - off, "%s%s", i ? "; " : "", cmd);
	}
	return 0;
}

struct ns_audit_cfg ns_audit_cfg_of(const struct config *cfg)
{
	return (struct ns_audit_cfg){
	    .cidrs = cfg->cidrs,
	    .nr_cidrs = cfg->nr_cidrs,
	    .ifaces = (const char(*)[16])cfg->ifaces,
	    .nr_ifaces = cfg->nr_ifaces,
	    .tunnels = (const char(*)[16])cfg->tunnels,
	    .nr_tunnels = cfg->nr_tunnels,
	};
}
