// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "model/abi.h"
#include "model/audit.h"

static int alen(int family)
{
	return family == 4 ? 4 : 16;
}

static int maxlen(int family)
{
	return family == 4 ? 32 : 128;
}

/* last address of a prefix */
static void prefix_end(const uint8_t *addr, int plen, int family, uint8_t *end)
{
	int n = alen(family), i;

	memcpy(end, addr, n);
	for (i = 0; i < n; i++) {
		int bit = i * 8;

		if (bit >= plen)
			end[i] = 0xff;
		else if (bit + 8 > plen)
			end[i] |= (uint8_t)(0xff >> (plen - bit));
	}
}

/* a + 1; returns 1 on wrap-around (a was all ones). */
static int addr_inc(uint8_t *a, int family)
{
	int i;

	for (i = alen(family) - 1; i >= 0; i--)
		if (++a[i] != 0)
			return 0;
	return 1;
}

static int add_unique(uint8_t (*out)[16], int n, int max, const uint8_t *a)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(out[i], a, 16))
			return n;
	if (n >= max)
		return n;
	memset(out[n], 0, 16);
	memcpy(out[n], a, 16);
	return n + 1;
}

/* The boundaries that prefix (addr/plen) puts into c. */
static int add_bounds(const struct cidr *c, const uint8_t *addr, int plen, uint8_t (*out)[16],
		      int n, int max)
{
	struct cidr rc = {.family = c->family, .prefixlen = plen};
	uint8_t end[16] = {};

	memcpy(rc.addr, addr, 16);
	if (!cidr_overlaps(&rc, c))
		return n;
	if (rc.prefixlen > c->prefixlen) /* inside c: where it begins */
		n = add_unique(out, n, max, rc.addr);
	/* where it ends, if c goes on after it */
	prefix_end(rc.addr, rc.prefixlen, rc.family, end);
	if (!addr_inc(end, rc.family) && cidr_contains(c, c->family, end))
		n = add_unique(out, n, max, end);
	return n;
}

int audit_candidates(const struct cidr *c, const struct route_info *routes, int nroutes,
		     const struct rule_info *rules, int nrules, uint8_t (*out)[16], int max)
{
	int i, n = 0;

	n = add_unique(out, n, max, c->addr);
	for (i = 0; i < nroutes; i++)
		if (routes[i].family == c->family)
			n = add_bounds(c, routes[i].dst, routes[i].dst_len, out, n, max);
	for (i = 0; rules && i < nrules; i++)
		if (rules[i].family == c->family && rules[i].dst_len)
			n = add_bounds(c, rules[i].dst, rules[i].dst_len, out, n, max);
	return n;
}

/* --- text ----------------------------------------------------------------------- */

struct sbuf {
	char *buf;
	size_t len, off;
	int cut;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->cut || b->len == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->off) {
		/* cut: say so where it ends */
		b->cut = 1;
		if (b->len > 4)
			memcpy(b->buf + b->len - 4, "...", 4);
		b->off = b->len - 1;
		return;
	}
	b->off += n;
}

static const char *ntop(int family, const uint8_t *a, char *buf)
{
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, INET6_ADDRSTRLEN);
	return buf;
}

static void put_prefix(struct sbuf *b, int family, const uint8_t *a, int plen, int host_bare)
{
	char s[INET6_ADDRSTRLEN];

	if (plen == 0 && host_bare)
		put(b, "default");
	else if (plen == maxlen(family) && host_bare)
		put(b, "%s", ntop(family, a, s));
	else
		put(b, "%s/%d", ntop(family, a, s), plen);
}

static void put_table(struct sbuf *b, uint32_t table, const char *word)
{
	switch (table) {
	case RT_TABLE_MAIN:
		put(b, " %s main", word);
		break;
	case RT_TABLE_LOCAL:
		put(b, " %s local", word);
		break;
	case RT_TABLE_DEFAULT:
		put(b, " %s default", word);
		break;
	default:
		put(b, " %s %u", word, table);
	}
}

static void put_nh(struct sbuf *b, int family, const struct route_nh *nh)
{
	char s[INET6_ADDRSTRLEN];

	if (nh->has_gw && nh->gw_family != family)
		put(b, " via inet%s %s", nh->gw_family == 6 ? "6" : "",
		    ntop(nh->gw_family, nh->gw, s));
	else if (nh->has_gw)
		put(b, " via %s", ntop(family, nh->gw, s));
	if (nh->dev[0])
		put(b, " dev %s", nh->dev);
	else if (nh->oif)
		put(b, " dev if%d", nh->oif);
}

const char *route_format(const struct route_info *r, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0, 0};
	const char *type = "";
	int i;

	if (len)
		buf[0] = '\0';
	switch (r->type) {
	case RTN_LOCAL:
		type = "local ";
		break;
	case RTN_UNREACHABLE:
		type = "unreachable ";
		break;
	case RTN_BLACKHOLE:
		type = "blackhole ";
		break;
	case RTN_PROHIBIT:
		type = "prohibit ";
		break;
	case RTN_THROW:
		type = "throw ";
		break;
	case RTN_BROADCAST:
		type = "broadcast ";
		break;
	case RTN_MULTICAST:
		type = "multicast ";
		break;
	default:
		break;
	}
	put(&b, "%s", type);
	put_prefix(&b, r->family, r->dst, r->dst_len, 1);
	if (r->src_len) {
		put(&b, " from ");
		put_prefix(&b, r->family, r->src, r->src_len, 1);
	}
	if (r->nhid)
		put(&b, " nhid %u", r->nhid);
	if (r->nh_blackhole && r->type != RTN_BLACKHOLE)
		put(&b, " blackhole");
	if (r->multipath) {
		for (i = 0; i < r->nr_nh; i++) {
			put(&b, " nexthop");
			put_nh(&b, r->family, &r->nh[i]);
			put(&b, " weight %u", r->nh[i].weight ? r->nh[i].weight : 1);
		}
	} else if (r->nr_nh) {
		put_nh(&b, r->family, &r->nh[0]);
	}
	if (r->nh_total > r->nr_nh)
		put(&b, " (and %u more next hops)", r->nh_total - r->nr_nh);
	if (r->table && r->table != RT_TABLE_MAIN && r->table != RT_TABLE_LOCAL)
		put_table(&b, r->table, "table");
	if (r->metric && !(r->family == 6 && r->metric == 1024))
		put(&b, " metric %u", r->metric);
	return buf;
}

const char *rule_format(const struct rule_info *r, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0, 0};

	if (len)
		buf[0] = '\0';
	put(&b, "%u: %sfrom ", r->pref, r->invert ? "not " : "");
	if (r->src_len)
		put_prefix(&b, r->family, r->src, r->src_len, 0);
	else
		put(&b, "all");
	if (r->dst_len) {
		put(&b, " to ");
		put_prefix(&b, r->family, r->dst, r->dst_len, 0);
	}
	if (r->has_mark) {
		if (r->fwmask == 0xffffffffu)
			put(&b, " fwmark %#x", r->fwmark);
		else
			put(&b, " fwmark %#x/%#x", r->fwmark, r->fwmask);
	}
	if (r->iif[0])
		put(&b, " iif %s", r->iif);
	if (r->oif[0])
		put(&b, " oif %s", r->oif);
	switch (r->action) {
	case FR_ACT_TO_TBL:
		put_table(&b, r->table, "lookup");
		break;
	case FR_ACT_GOTO:
		put(&b, " goto");
		break;
	case FR_ACT_NOP:
		put(&b, " nop");
		break;
	case FR_ACT_BLACKHOLE:
		put(&b, " blackhole");
		break;
	case FR_ACT_UNREACHABLE:
		put(&b, " unreachable");
		break;
	case FR_ACT_PROHIBIT:
		put(&b, " prohibit");
		break;
	default:
		put(&b, " action %u", r->action);
	}
	if (r->suppress_prefixlen >= 0)
		put(&b, " suppress_prefixlength %d", r->suppress_prefixlen);
	return buf;
}

static int in_prefix(const uint8_t *pfx, int plen, const uint8_t *a)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(pfx, a, full))
		return 0;
	return !rest || ((pfx[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int rule_matches(const struct rule_info *r, int family, const uint8_t *dst, const uint8_t *src)
{
	int m = 1;

	if (r->family != family || r->other || r->oif[0] || (r->iif[0] && strcmp(r->iif, "lo")))
		return 0;
	if (r->src_len && (!src || !in_prefix(r->src, r->src_len, src)))
		m = 0;
	if (r->dst_len && !in_prefix(r->dst, r->dst_len, dst))
		m = 0;
	/* the lookup carries no mark: fwmark X/M takes it when X & M is 0 */
	if (r->has_mark && (r->fwmark & r->fwmask))
		m = 0;
	return r->invert ? !m : m;
}

static const struct nh_info *nh_find(const struct nh_info *nhs, int n, uint32_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (nhs[i].id == id)
			return &nhs[i];
	return NULL;
}

static void nh_from(struct route_nh *to, const struct nh_info *h, uint32_t weight)
{
	memset(to, 0, sizeof(*to));
	to->oif = h->oif;
	to->weight = weight;
	if (h->has_gw) {
		to->has_gw = 1;
		to->gw_family = h->gw_family;
		memcpy(to->gw, h->gw, 16);
	}
}

void route_resolve_nh(struct route_info *r, const struct nh_info *nhs, int n)
{
	const struct nh_info *h = r->nhid ? nh_find(nhs, n, r->nhid) : NULL;
	int j;

	if (!h)
		return;
	r->nr_nh = r->nh_total = 0;
	r->multipath = h->group;
	r->nh_blackhole = h->blackhole;
	memset(r->nh, 0, sizeof(r->nh));
	if (!h->group) {
		if (!h->blackhole && (h->oif || h->has_gw)) {
			nh_from(&r->nh[0], h, 0);
			r->nr_nh = r->nh_total = 1;
		}
		return;
	}
	for (j = 0; j < h->nr_grp; j++) {
		const struct nh_info *m = nh_find(nhs, n, h->grp[j].id);

		if (m && !m->group)
			nh_from(&r->nh[r->nr_nh++], m, h->grp[j].weight);
	}
	/* members not kept, and members gone since, are not next hops */
	r->nh_total = h->grp_total - (h->nr_grp - r->nr_nh);
}

void route_name_devs(struct route_info *r, const struct link_info *links, int n)
{
	int i, k;

	for (k = 0; k < r->nr_nh; k++)
		for (i = 0; i < n; i++)
			if (r->nh[k].oif && (uint32_t)r->nh[k].oif == links[i].ifindex) {
				snprintf(r->nh[k].dev, sizeof(r->nh[k].dev), "%s", links[i].name);
				break;
			}
}

void route_canonical(struct route_info *r, const struct route_info *routes, int n)
{
	int i;

	if (!r->multipath)
		return;
	for (i = 0; i < n; i++) {
		const struct route_info *d = &routes[i];

		if (d->family == r->family && d->dst_len == r->dst_len && d->table == r->table &&
		    d->src_len == r->src_len && !memcmp(d->src, r->src, 16) && d->type == r->type &&
		    d->metric == r->metric && d->nhid == r->nhid && d->multipath &&
		    d->nr_nh == r->nr_nh && !memcmp(d->dst, r->dst, 16)) {
			memcpy(r->nh, d->nh, sizeof(r->nh));
			r->nh_total = d->nh_total;
			return;
		}
	}
}

int route_nh_through(const struct route_info *r, const char (*names)[16], int n)
{
	int i, j, c = 0;

	for (i = 0; i < r->nr_nh; i++)
		for (j = 0; j < n; j++)
			if (r->nh[i].dev[0] && !strcmp(r->nh[i].dev, names[j])) {
				c++;
				break;
			}
	return c;
}

/* Is candidate (route k, next hop h) better than the best so far? */
static int better(const struct route_info *k, const struct route_info *best)
{
	if (!best)
		return 1;
	if (k->dst_len != best->dst_len)
		return k->dst_len < best->dst_len;
	return k->table == RT_TABLE_MAIN && best->table != RT_TABLE_MAIN;
}

int audit_pick_gateway(const struct route_info *routes, int n, const char (*names)[16], int nnames,
		       uint8_t *gw, char dev[16])
{
	int i, j, h;

	for (j = 0; j < nnames; j++) {
		const struct route_info *best = NULL;
		const struct route_nh *bnh = NULL;

		for (i = 0; i < n; i++) {
			const struct route_info *r = &routes[i];

			if (r->type != RTN_UNICAST)
				continue;
			for (h = 0; h < r->nr_nh; h++) {
				const struct route_nh *nh = &r->nh[h];

				if (!nh->has_gw || strcmp(nh->dev, names[j]) ||
				    (nh->gw_family && nh->gw_family != r->family))
					continue;
				if (better(r, best)) {
					best = r;
					bnh = nh;
				}
			}
		}
		if (bnh) {
			memcpy(gw, bnh->gw, 16);
			memcpy(dev, names[j], 16);
			return 0;
		}
	}
	return -1;
}

const struct class_cidr *audit_cidr_for(const struct class_cidr *tab, int n, int family,
					const uint8_t *addr)
{
	const struct class_cidr *best = NULL;
	int i;

	for (i = 0; i < n; i++)
		if (cidr_contains(&tab[i].cidr, family, addr) &&
		    (!best || tab[i].cidr.prefixlen > best->cidr.prefixlen))
			best = &tab[i];
	return best;
}

/* --- fixes ------------------------------------------------------------------------- */

static void route_change(struct fix_change *ch, const struct cidr *dst, uint32_t table,
			 const char *dev, const uint8_t *gw)
{
	memset(ch, 0, sizeof(*ch));
	ch->op = FIX_ROUTE;
	ch->dst = *dst;
	ch->table = table ? table : RT_TABLE_MAIN;
	snprintf(ch->dev, sizeof(ch->dev), "%s", dev);
	if (gw) {
		ch->has_gw = 1;
		memcpy(ch->gw, gw, 16);
	}
}

/* The preference just before `before` that no rule of the family has; 0 if none. */
static uint32_t free_pref(const struct fix_in *in, int family, uint32_t before)
{
	uint32_t p;
	int i;

	for (p = before; p-- > 1;) {
		for (i = 0; i < in->nrules; i++)
			if (in->rules[i].family == family && in->rules[i].pref == p)
				break;
		if (i == in->nrules)
			return p;
	}
	return 0;
}

/* The first rule that looks up table t (the main table's is 32766 without rules known). */
static uint32_t first_rule_to(const struct fix_in *in, int family, uint32_t t)
{
	uint32_t best = 0;
	int i, found = 0;

	for (i = 0; i < in->nrules; i++) {
		const struct rule_info *r = &in->rules[i];

		if (r->family == family && r->action == FR_ACT_TO_TBL && r->table == t &&
		    (!found || r->pref < best)) {
			best = r->pref;
			found = 1;
		}
	}
	if (!found)
		return t == RT_TABLE_MAIN ? 32766 : 0;
	return best;
}

/* A route in FIX_TABLE for dst, and a rule before pref `before` sending dst there. */
static void plan_rule(const struct fix_in *in, const struct cidr *dst, uint32_t before,
		      struct route_fix *out)
{
	uint32_t pref = before ? free_pref(in, dst->family, before) : 0;
	struct fix_change *ru = &out->ch[1];

	route_change(&out->ch[0], dst, FIX_TABLE, in->dev, in->gw);
	memset(ru, 0, sizeof(*ru));
	ru->op = FIX_RULE;
	ru->dst = *dst;
	ru->table = FIX_TABLE;
	ru->pref = pref;
	out->n = 2;
	if (!pref)
		snprintf(out->refused, sizeof(out->refused),
			 "no free rule preference before %u to put a rule at", before);
}

static void refuse(struct route_fix *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void refuse(struct route_fix *out, const char *fmt, ...)
{
	va_list ap;

	if (out->refused[0])
		return; /* the first reason stands */
	va_start(ap, fmt);
	vsnprintf(out->refused, sizeof(out->refused), fmt, ap);
	va_end(ap);
}

/* Would adding `add` (through in->dev) send a configured CIDR of the other kind
 * the wrong way? Only one inside it that no more specific route of the same
 * table already sends the right way. */
static const struct class_cidr *wrong_way(const struct fix_in *in, const struct fix_change *add)
{
	int i, j;

	for (i = 0; i < in->nr_cidrs; i++) {
		const struct class_cidr *x = &in->cidrs[i];
		bool x_remote = x->cls == TL_CLASS_REMOTE;
		int ok = 0;

		if (x->cidr.family != add->dst.family || x_remote != in->leak ||
		    x->cidr.prefixlen <= add->dst.prefixlen ||
		    !cidr_contains(&add->dst, x->cidr.family, x->cidr.addr))
			continue;
		for (j = 0; j < in->nroutes && !ok; j++) {
			const struct route_info *r = &in->routes[j];
			int through;

			if (r->family != x->cidr.family || r->table != add->table ||
			    r->type != RTN_UNICAST || r->dst_len <= add->dst.prefixlen ||
			    r->dst_len > x->cidr.prefixlen ||
			    !in_prefix(r->dst, r->dst_len, x->cidr.addr))
				continue;
			through = route_nh_through(r, in->tunnels, in->nr_tunnels);
			ok = x_remote ? through == r->nr_nh && r->nr_nh : through == 0;
		}
		if (!ok)
			return x;
	}
	return NULL;
}

void fix_plan(const struct fix_in *in, struct route_fix *out)
{
	const struct route_info *bad = in->bad;
	int family = in->cidr->family, i;
	uint32_t table;

	memset(out, 0, sizeof(*out));
	if (in->block) {
		/* a rule drops it: a rule before that one, to a table with the route */
		struct cidr dst = *in->cidr;

		if (in->block->dst_len > dst.prefixlen) {
			dst.prefixlen = in->block->dst_len;
			memcpy(dst.addr, in->block->dst, 16);
		}
		plan_rule(in, &dst, in->block->pref, out);
	} else if (!bad || bad->dst_len < in->cidr->prefixlen) {
		/* broader than the CIDR (or none): the CIDR wins, in that table */
		route_change(&out->ch[0], in->cidr, bad ? bad->table : RT_TABLE_MAIN, in->dev,
			     in->gw);
		out->n = 1;
	} else if (bad->dst_len < maxlen(family)) {
		/* as specific or more: its two halves win, in its table */
		for (i = 0; i < 2; i++) {
			struct cidr half = {.family = family, .prefixlen = bad->dst_len + 1};

			memcpy(half.addr, bad->dst, 16);
			if (i)
				half.addr[bad->dst_len / 8] |=
				    (uint8_t)(0x80 >> (bad->dst_len % 8));
			route_change(&out->ch[i], &half, bad->table, in->dev, in->gw);
		}
		out->n = 2;
	} else {
		/* a host route: nothing more specific exists; a rule before its table */
		struct cidr host = {.family = family, .prefixlen = bad->dst_len};

		memcpy(host.addr, bad->dst, 16);
		table = bad->table ? bad->table : RT_TABLE_MAIN;
		plan_rule(in, &host, first_rule_to(in, family, table), out);
	}
	if (in->leak && in->dev_is_tunnel)
		refuse(out, "%s is itself a tunnel: the fix would route into a tunnel", in->dev);
	if (!in->gw && (in->leak || in->dev_l2))
		refuse(out, "no gateway known on %s: no route through it has one", in->dev);
	for (i = 0; i < out->n; i++) {
		const struct class_cidr *x;
		char cs[64];

		if (out->ch[i].op != FIX_ROUTE || !(x = wrong_way(in, &out->ch[i])))
			continue;
		cidr_format(&x->cidr, cs, sizeof(cs));
		if (in->leak)
			refuse(
			    out,
			    "the fix would also send remote CIDR %s out of %s, not into the tunnel",
			    cs, in->dev);
		else
			refuse(out, "the fix would itself route cluster CIDR %s into %s", cs,
			       in->dev);
	}
}

const char *fix_change_format(const struct fix_change *c, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0, 0};
	char s[INET6_ADDRSTRLEN];
	const char *six = c->dst.family == 6 ? "-6 " : "";

	if (len)
		buf[0] = '\0';
	if (c->op == FIX_RULE) {
		put(&b, "ip %srule add pref %u to ", six, c->pref);
		put_prefix(&b, c->dst.family, c->dst.addr, c->dst.prefixlen, 0);
		put_table(&b, c->table, "lookup");
		return buf;
	}
	put(&b, "ip %sroute %s ", six, c->replace ? "replace" : "add");
	put_prefix(&b, c->dst.family, c->dst.addr, c->dst.prefixlen, 0);
	if (c->has_gw)
		put(&b, " via %s", ntop(c->dst.family, c->gw, s));
	put(&b, " dev %s", c->dev);
	if (c->table != RT_TABLE_MAIN)
		put_table(&b, c->table, "table");
	return buf;
}

const char *fix_format(const struct route_fix *f, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0, 0};
	char one[FIX_TEXT_LEN];
	int i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < f->n; i++)
		put(&b, "%s%s", i ? "; " : "", fix_change_format(&f->ch[i], one, sizeof(one)));
	return buf;
}

const char *audit_fix(const struct cidr *c, const struct route_info *bad, const char *iface,
		      const uint8_t *gw, char *buf, size_t len)
{
	struct fix_in in = {.cidr = c, .leak = true, .bad = bad, .dev = iface, .gw = gw};
	struct route_fix f;

	fix_plan(&in, &f);
	if (bad && bad->dst_len == maxlen(c->family)) {
		/* a host route: the rule before its table needs a free preference,
		 * which only the rules tell; without them, a replacement by hand */
		struct cidr host = {.family = c->family, .prefixlen = bad->dst_len};

		memcpy(host.addr, bad->dst, 16);
		memset(&f, 0, sizeof(f));
		route_change(&f.ch[0], &host, bad->table, iface, gw);
		f.ch[0].replace = 1;
		f.n = 1;
	}
	return fix_format(&f, buf, len);
}
