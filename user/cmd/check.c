// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunleak check: audit the routing of one namespace (or of every pod's, with
 * --all), attach nothing (audit/nsaudit.h does the audit). With --fix, add
 * each finding's fix, say each change as the ip command that makes it, and
 * audit again: exit 0 when clean afterwards, 1 naming what remains and why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "audit/nsaudit.h"
#include "cmd/commands.h"
#include "cmd/target.h"
#include "model/abi.h"
#include "model/findings.h"
#include "model/names.h"
#include "netns/netns.h"
#include "netns/nl.h"
#include "node/node.h"
#include "out/output.h"

struct check {
	const struct config *cfg;
	struct out o;
	const struct node_ns *who;	/* node modes: the pod, for each line */
	struct findings *found, *after; /* this namespace's, before and after --fix */
	int findings;			/* all namespaces */
	int remaining;			/* after --fix, all namespaces */
	int regions;
};

/* What happened to a finding's fix in this namespace (--fix). */
enum fix_state {
	FIX_NONE = 0,
	FIX_ADDED,
	FIX_SAME, /* the same fix as an earlier finding's: added once */
	FIX_REFUSED,
	FIX_FAILED,
};

struct fix_result {
	enum fix_state state;
	char why[256];
};

static void put_who(struct check *c)
{
	char who[160];

	if (!c->who)
		return;
	snprintf(who, sizeof(who), "%s%s%s", c->who->k8s_ns, c->who->k8s_ns[0] ? "/" : "",
		 c->who->pod[0] ? c->who->pod : c->who->label);
	out_str(&c->o, NULL, "%s: ", who);
}

static void put_pod(struct check *c)
{
	if (!c->who)
		return;
	out_str(&c->o, "netns", NULL, c->who->label);
	out_str(&c->o, "pod", NULL, c->who->pod[0] ? c->who->pod : NULL);
	out_str(&c->o, "k8s_namespace", NULL, c->who->k8s_ns[0] ? c->who->k8s_ns : NULL);
	out_str(&c->o, "name_source", NULL, name_source_name(c->who->source));
}

/* "LEAK-ROUTE pod 10.128.0.0/14: 10.128.2.0[ from SRC] goes into tun0 by
 * "ROUTE"; fix: CMD" — the finding's keys, after a type when one is given. */
static void put_finding(struct check *c, const struct finding *f)
{
	bool remote = f->kind == FINDING_BYPASS;
	char cs[64], ex[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];
	struct out *o = &c->o;

	cidr_format(&f->cidr, cs, sizeof(cs));
	addr_format(f->cidr.family, f->example, ex, sizeof(ex));
	if (f->has_src)
		addr_format(f->cidr.family, f->src, src, sizeof(src));
	out_str(o, "kind", NULL, finding_kind_name(f->kind));
	out_str(o, NULL, "%s", remote ? "BYPASS-ROUTE" : "LEAK-ROUTE");
	out_str(o, "class", " %s", class_name(f->cls));
	out_str(o, "cidr", " %s:", cs);
	out_str(o, "example", " %s", ex);
	out_str(o, "from", " from %s", f->has_src ? src : NULL);
	out_str(o, "iface", remote ? " goes out %s" : " goes into %s",
		f->iface[0] ? f->iface : NULL);
	out_str(o, NULL, "%s", f->iface[0] ? "" : " has no route");
	out_str(o, "route", " by \"%s\"", f->route[0] ? f->route : NULL);
	out_str(o, "fix", "; fix: %s", f->fix_text);
}

static void print_finding(struct check *c, const struct finding *f)
{
	out_begin(&c->o);
	put_who(c);
	put_finding(c, f);
	out_str(&c->o, "fix_refused", " (not added by --fix: %s)",
		f->fix.refused[0] ? f->fix.refused : NULL);
	put_pod(c);
	out_end(&c->o);
}

/* --fix: "ROUTE-FIXED pod 10.128.0.0/14: ip route add ..." or
 * "ROUTE-NOT-FIXED pod 10.128.0.0/14: WHY; by hand: CMD". */
static void print_fix(struct check *c, const struct finding *f, const struct fix_result *r,
		      const char *done)
{
	bool ok = r->state == FIX_ADDED;
	char cs[64];

	cidr_format(&f->cidr, cs, sizeof(cs));
	out_begin(&c->o);
	put_who(c);
	out_str(&c->o, "type", NULL, ok ? "route_fixed" : "route_fix_refused");
	out_str(&c->o, NULL, "%s", ok ? "ROUTE-FIXED" : "ROUTE-NOT-FIXED");
	out_str(&c->o, "kind", NULL, finding_kind_name(f->kind));
	out_str(&c->o, "class", " %s", class_name(f->cls));
	out_str(&c->o, "cidr", " %s:", cs);
	out_str(&c->o, "route", NULL, f->route[0] ? f->route : NULL);
	if (ok) {
		out_str(&c->o, "fix", " %s", done);
	} else {
		out_str(&c->o, "reason", " %s", r->why);
		out_str(&c->o, "fix", "; by hand: %s", f->fix_text);
	}
	put_pod(c);
	out_end(&c->o);
}

/* After --fix: a finding still there, and why. */
static void print_remains(struct check *c, const struct finding *f, const char *why)
{
	out_begin(&c->o);
	put_who(c);
	out_str(&c->o, "type", NULL, "route_remains");
	out_str(&c->o, NULL, "%s", "REMAINS ");
	put_finding(c, f);
	out_str(&c->o, "reason", " (%s)", why);
	put_pod(c);
	out_end(&c->o);
}

/* Limits reached in this audit: said once each. */
static void say_limits(const struct ns_audit_stats *st, const char *where)
{
	if (st->routes_cut)
		warn("check: %s: %d route%s with more than %d next hops: only the "
		     "first %d of each are judged\n",
		     where, st->routes_cut, st->routes_cut == 1 ? "" : "s", ROUTE_MAX_NH,
		     ROUTE_MAX_NH);
	if (st->sources_cut)
		warn("check: %s: more than %d addresses of a family: %d not looked up "
		     "from\n",
		     where, NS_AUDIT_MAX_SOURCES, st->sources_cut);
	if (st->dropped)
		warn("check: %s: more than %d findings: %d not listed", where, FINDINGS_MAX,
		     st->dropped);
}

static int run_audit(struct check *c, struct nl *nl, struct findings *into,
		     struct ns_audit_stats *st, const char *where)
{
	struct ns_audit_cfg ac = ns_audit_cfg_of(c->cfg);
	char err[256];
	int ret = ns_audit(nl, &ac, into, st, err, sizeof(err));

	if (ret)
		log_error("check: %s: %s", where, err);
	return ret;
}

/* --fix in one namespace: add each finding's fix once, audit again, say
 * what remains and why. Returns the findings that remain, or -1. */
static int fix_ns(struct check *c, struct nl *nl, const char *where)
{
	int n = findings__count(c->found), i, j, added = 0, refused = 0, failed = 0, left;
	struct fix_result *res = calloc(n ? n : 1, sizeof(*res));
	struct ns_audit_stats st;

	if (!res)
		return -1;
	for (i = 0; i < n; i++) {
		const struct finding *f = findings__get(c->found, i);
		char done[FIX_TEXT_LEN];
		int ret;

		for (j = 0; j < i; j++)
			if (res[j].state == FIX_ADDED &&
			    !strcmp(findings__get(c->found, j)->fix_text, f->fix_text))
				break;
		if (j < i) {
			res[i].state = FIX_SAME;
			continue;
		}
		ret = ns_fix_apply(nl, f, done, sizeof(done), res[i].why, sizeof(res[i].why));
		res[i].state = !ret ? FIX_ADDED : ret == -EPERM ? FIX_REFUSED : FIX_FAILED;
		if (ret == 0)
			added++;
		else if (ret == -EPERM)
			refused++;
		else
			failed++;
		print_fix(c, f, &res[i], done);
	}
	out_flush(&c->o);
	if (run_audit(c, nl, c->after, &st, where)) {
		free(res);
		return -1;
	}
	left = findings__count(c->after);
	for (i = 0; i < left; i++) {
		const struct finding *f = findings__get(c->after, i);
		int k = findings__find(c->found, f);
		const char *why = "appeared after the fixes were added";

		if (k >= 0 && (res[k].state == FIX_REFUSED || res[k].state == FIX_FAILED))
			why = res[k].why;
		else if (k >= 0)
			why = "its fix was added, and the lookup still goes this way";
		print_remains(c, f, why);
	}
	out_flush(&c->o);
	{
		char line[256];
		size_t o = 0;

		o += snprintf(line + o, sizeof(line) - o, "check --fix: %s: %d fix%s added", where,
			      added, added == 1 ? "" : "es");
		if (refused)
			o += snprintf(line + o, sizeof(line) - o, ", %d refused", refused);
		if (failed)
			o += snprintf(line + o, sizeof(line) - o, ", %d failed", failed);
		if (left)
			snprintf(line + o, sizeof(line) - o,
				 "; audited again: %d finding%s remain%s", left,
				 left == 1 ? "" : "s", left == 1 ? "s" : "");
		else
			snprintf(line + o, sizeof(line) - o, "; audited again: clean");
		warn("%s", line);
	}
	free(res);
	return left;
}

static void summary(const struct check *c, const char *where)
{
	const struct config *cfg = c->cfg;

	if (c->findings)
		warn("check: %d finding%s in %s (%d CIDR%s, %d region%s looked up)", c->findings,
		     c->findings == 1 ? "" : "s", where, cfg->nr_cidrs,
		     cfg->nr_cidrs == 1 ? "" : "s", c->regions, c->regions == 1 ? "" : "s");
	else
		warn("check: clean: no cluster CIDR routes into a tunnel, every remote "
		     "CIDR does, in %s (%d CIDR%s, %d region%s looked up)\n",
		     where, cfg->nr_cidrs, cfg->nr_cidrs == 1 ? "" : "s", c->regions,
		     c->regions == 1 ? "" : "s");
}

/* One namespace. 0, 1 when it has no tunnel (node modes skip it), or -1
 * after an error line. */
static int audit_ns(struct check *c, const struct netns *nsh, const char *where, bool need_tunnel)
{
	const struct config *cfg = c->cfg;
	struct ns_audit_stats st;
	struct nl *nl = nl__open(nsh);
	struct link_info l;
	int i, n, ret = -1;

	if (!nl) {
		log_error("check: netlink in %s: %s", where, strerror(errno));
		return -1;
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
	if (run_audit(c, nl, c->found, &st, where))
		goto out;
	if (need_tunnel && !st.nr_tunnels) {
		ret = 1;
		goto out;
	}
	say_limits(&st, where);
	n = findings__count(c->found);
	for (i = 0; i < n; i++)
		print_finding(c, findings__get(c->found, i));
	out_flush(&c->o);
	c->findings += n;
	c->regions += st.regions;
	if (!need_tunnel) /* one namespace: its summary before any fix */
		summary(c, where);
	ret = 0;
	if (cfg->fix && n) {
		int left = fix_ns(c, nl, where);

		if (left < 0)
			ret = -1;
		else
			c->remaining += left;
	}
out:
	nl__free(nl);
	return ret;
}

/* --all: every pod namespace with a tunnel. */
static int check_all(struct check *c, struct node *nd)
{
	int i, audited = 0, with = 0, errors = 0;

	for (i = 0; i < node__count(nd); i++) {
		const struct node_ns *x = node__get(nd, i);
		struct netns *nsh = netns__open_found(x->f.path, x->f.dev, x->f.ino);
		int before = c->findings, r;

		if (!nsh)
			continue; /* ended while we looked */
		c->who = x;
		r = audit_ns(c, nsh, x->where, true);
		netns__free(nsh);
		errors += r < 0;
		if (r)
			continue;
		audited++;
		with += c->findings > before;
	}
	out_flush(&c->o);
	warn("check: %d namespace%s with a tunnel audited (of %d on this node), %d with findings; "
	     "%d finding%s",
	     audited, audited == 1 ? "" : "s", node__count(nd), with, c->findings,
	     c->findings == 1 ? "" : "s");
	if (c->cfg->fix)
		return c->remaining || errors ? EXIT_FINDINGS : 0;
	return c->findings ? EXIT_FINDINGS : 0;
}

int cmd_check(struct config *cfg)
{
	struct check c = {.cfg = cfg, .o = {.f = stdout, .json = cfg->json}};
	char errbuf[512];
	struct target tg;
	int ret = EXIT_USAGE;

	jw_init(&c.o.jw, false);
	/* --fix adds routes and rules: CAP_NET_ADMIN */
	if (target__resolve(cfg, cfg->fix ? NEED_NET_ADMIN : 0, &tg, errbuf, sizeof(errbuf))) {
		log_error("%s", errbuf);
		out_free(&c.o);
		return EXIT_USAGE;
	}
	c.found = findings__new();
	c.after = findings__new();
	if (!c.found || !c.after) {
		log_error("check: %s", strerror(ENOMEM));
		goto out;
	}
	if (tg.all) {
		ret = check_all(&c, tg.node);
		goto out;
	}
	if (tg.pod)
		c.who = &tg.who;
	if (audit_ns(&c, tg.ns, tg.who.where, false))
		goto out;
	if (cfg->fix)
		ret = c.remaining ? EXIT_FINDINGS : 0;
	else
		ret = c.findings ? EXIT_FINDINGS : 0;
out:
	findings__free(c.found);
	findings__free(c.after);
	out_free(&c.o);
	target__free(&tg);
	return ret;
}
