// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "out/output.h"
#include "out/table.h"

#define RED  "\033[1;31m"
#define BOLD "\033[1m"
#define OFF  "\033[0m"

struct canvas {
	char *buf;
	size_t len, used;
	int width, height, lines;
};

/* One line, cut to the width (escape sequences do not count). */
static void line(struct canvas *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(struct canvas *c, const char *fmt, ...)
{
	char tmp[1024], out[1200];
	int vis = 0, i, o = 0;
	va_list ap;

	if (c->lines >= c->height)
		return;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	for (i = 0; tmp[i] && o < (int)sizeof(out) - 8; i++) {
		if (tmp[i] == '\033') { /* copy an escape sequence whole */
			while (tmp[i] && o < (int)sizeof(out) - 8) {
				out[o++] = tmp[i];
				if (tmp[i] == 'm')
					break;
				i++;
			}
			continue;
		}
		if (vis >= c->width)
			continue;
		out[o++] = tmp[i];
		vis++;
	}
	out[o] = '\0';
	if (c->used + o + 2 < c->len) {
		memcpy(c->buf + c->used, out, o);
		c->used += o;
		c->buf[c->used++] = '\n';
		c->buf[c->used] = '\0';
	}
	c->lines++;
}

const char *human(double v, char *buf, size_t len)
{
	static const char *const unit[] = {"", "K", "M", "G", "T"};
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, v < 10 ? "%.1f%s" : "%.0f%s", v, unit[u]);
	return buf;
}

static const char *ago(uint64_t now, uint64_t then, char *buf, size_t len)
{
	uint64_t s = now > then ? (now - then) / 1000000000ULL : 0;

	if (s < 60)
		snprintf(buf, len, "%us", (unsigned)s);
	else if (s < 3600)
		snprintf(buf, len, "%um", (unsigned)(s / 60));
	else
		snprintf(buf, len, "%uh", (unsigned)(s / 3600));
	return buf;
}

static void endpoint(const struct flow_rec *r, int src, char *buf, size_t len)
{
	char a[48];
	int ports = r->key.proto == 6 || r->key.proto == 17;
	uint16_t port = ntohs(src ? r->key.sport : r->key.dport);

	addr_format(r->key.family, src ? r->key.src : r->key.dst, a, sizeof(a));
	if (!ports)
		snprintf(buf, len, "%s", a);
	else if (r->key.family == 6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
}

/* The previous refresh's counters of the same namespace and interface. */
static const struct tl_counter *prev_counter(const struct table_view *v, const struct ns_snap *n,
					     int i, int d, int k)
{
	const struct ns_snap *p;

	if (!v->prev || v->dt <= 0)
		return NULL;
	p = snapshot_ns(v->prev, n->id);
	if (!p || i >= p->nr_ifaces || strcmp(p->ifaces[i].name, n->ifaces[i].name))
		return NULL;
	return &p->ifaces[i].c[d][k];
}

/* "team-a/vpn-1", "vpn-1", or the namespace's label */
static const char *who(const struct ns_snap *n, char *buf, size_t len)
{
	char a[64], b[64];

	escape_ctl(n->pod[0] ? n->pod : n->label, a, sizeof(a));
	escape_ctl(n->k8s_ns, b, sizeof(b));
	snprintf(buf, len, "%s%s%s", n->pod[0] && b[0] ? b : "", n->pod[0] && b[0] ? "/" : "", a);
	return buf;
}

static void flow_lines(struct canvas *c, const struct table_view *v, const struct flow_rec *r,
		       const char *pair, int pw, bool wide)
{
	char h1[16], h2[16], h3[16], pb[8], f1[16], f2[16], route[FLOW_ROUTE_LEN + 32], ifn[40];

	escape_ctl(r->iface, ifn, sizeof(ifn));
	snprintf(route, sizeof(route), "%s%s%s%s", r->reply ? "REPLY to " : "",
		 r->reply ? r->reply_to : "", r->reply ? ": " : "", r->has_route ? r->route : "?");
	if (wide) {
		line(c, "%-6s %-6s %-6s %-*s %-7s %6s %6s %5s %5s %5s  %s",
		     r->type == TL_TYPE_LEAK ? "LEAK" : "BYPASS", ifn,
		     proto_name(r->key.proto, pb, sizeof(pb)), pw, pair, class_name(r->cls),
		     human((double)r->packets, h1, sizeof(h1)),
		     human((double)r->bytes, h2, sizeof(h2)), human(r->pps, h3, sizeof(h3)),
		     ago(v->now_ns, r->first_ns, f1, sizeof(f1)),
		     ago(v->now_ns, r->last_ns, f2, sizeof(f2)), route);
		return;
	}
	/* two lines: the route gets one of its own */
	line(c, "%-6s %-6s %-*s %-7s %6s %6s", r->type == TL_TYPE_LEAK ? "LEAK" : "BYPASS",
	     proto_name(r->key.proto, pb, sizeof(pb)), pw, pair, class_name(r->cls),
	     human((double)r->packets, h1, sizeof(h1)), human((double)r->bytes, h2, sizeof(h2)));
	line(c, "       via %s%s%s%s", r->has_route ? r->route : "?", r->reply ? " (reply to " : "",
	     r->reply ? r->reply_to : "", r->reply ? ")" : "");
}

/* The head: what is traced, the totals, the message line. */
static void render_head(struct canvas *c, const struct table_view *v, bool many)
{
	const struct snapshot *s = v->now;
	const char *b = v->color ? BOLD : "", *off = v->color ? OFF : "";
	uint64_t dropped = s->stats[TL_STAT_EVENTS_DROPPED];
	const char *hl = dropped && v->color ? RED : "";
	char h1[16], h2[16];
	struct totals t;
	int i, k;

	snapshot_totals(s, &t);
	line(c,
	     "%stunleak%s  %s  %s  up %" PRIu64 ":%02" PRIu64 ":%02" PRIu64
	     "   q quit  p/b/l sort by packets/bytes/last",
	     b, off, v->where, v->attach, v->uptime_s / 3600, v->uptime_s / 60 % 60,
	     v->uptime_s % 60);
	if (!many && s->nr_ns == 1) {
		char ifs[512], nm[40];
		size_t o = 0;
		const struct ns_snap *n = &s->ns[0];

		for (i = 0; i < n->nr_ifaces && o < sizeof(ifs) - 80; i++)
			o += snprintf(ifs + o, sizeof(ifs) - o, "%s%s %s %s", i ? "   " : "",
				      escape_ctl(n->ifaces[i].name, nm, sizeof(nm)),
				      role_name(n->ifaces[i].role),
				      iface_state_name(n->ifaces[i].state));
		line(c, "%s", ifs);
	} else {
		int tracing = 0, gone = 0;

		for (k = 0; k < s->nr_ns; k++) {
			tracing += s->ns[k].state == NS_TRACING;
			gone += s->ns[k].state == NS_GONE;
		}
		line(c, "namespaces: %d traced, %d gone, %" PRIu64 " found on the node", tracing,
		     gone, s->ns_seen);
	}
	line(c,
	     "%sLEAKS%s %s packets in %" PRIu64 " flows   BYPASS %s packets in %" PRIu64
	     " flows   %sevents dropped %" PRIu64 "%s%s",
	     t.leak_packets ? (v->color ? RED : "") : b, off,
	     human((double)t.leak_packets, h1, sizeof(h1)), t.leak_flows,
	     human((double)t.bypass_packets, h2, sizeof(h2)), t.bypass_flows, hl, dropped,
	     dropped && !v->color ? " (!)" : "", dropped ? off : "");
	line(c, "%s", v->message ? v->message : "");
}

/* One line per interface, direction and class that saw packets, with rates
 * since the last snapshot. */
static void render_counters(struct canvas *c, const struct table_view *v, bool many)
{
	const struct snapshot *s = v->now;
	const char *b = v->color ? BOLD : "", *off = v->color ? OFF : "";
	char h1[16], h2[16], h3[16], h4[16], name[160];
	int i, d, k, j, any = 0;

	if (many)
		line(c, "%s%-20s %-10s %-8s %-8s %9s %9s %9s %9s%s", b, "POD", "IFACE", "DIR",
		     "CLASS", "PACKETS", "BYTES", "PPS", "BIT/S", off);
	else
		line(c, "%s%-10s %-8s %-8s %9s %9s %9s %9s%s", b, "IFACE", "DIR", "CLASS",
		     "PACKETS", "BYTES", "PPS", "BIT/S", off);
	for (j = 0; j < s->nr_ns; j++) {
		const struct ns_snap *n = &s->ns[j];

		who(n, name, sizeof(name));
		for (i = 0; i < n->nr_ifaces; i++)
			for (d = 0; d < 2; d++)
				for (k = 0; k < TL_NR_COUNTERS; k++) {
					const struct tl_counter *cn = &n->ifaces[i].c[d][k], *p;
					double pps = 0, bps = 0;
					char ifn[40];

					if (!cn->packets)
						continue;
					p = prev_counter(v, n, i, d, k);
					if (p) {
						pps = (double)(cn->packets - p->packets) / v->dt;
						bps = (double)(cn->bytes - p->bytes) * 8 / v->dt;
					}
					escape_ctl(n->ifaces[i].name, ifn, sizeof(ifn));
					human((double)cn->packets, h1, sizeof(h1));
					human((double)cn->bytes, h2, sizeof(h2));
					human(pps, h3, sizeof(h3));
					human(bps, h4, sizeof(h4));
					if (many)
						line(c, "%-20.20s %-10s %-8s %-8s %9s %9s %9s %9s",
						     name, ifn, dir_name(d), class_name(k), h1, h2,
						     h3, h4);
					else
						line(c, "%-10s %-8s %-8s %9s %9s %9s %9s", ifn,
						     dir_name(d), class_name(k), h1, h2, h3, h4);
					any = 1;
				}
	}
	if (!any)
		line(c, "(no packets yet)");
	line(c, "%s", "");
}

/* The leak and bypass flows, grouped by namespace (the group of the best
 * flow first); the endpoints column as wide as its widest entry; below 120
 * columns, interface, rate and times give way to the route. */
static void render_flows(struct canvas *c, const struct table_view *v, bool many)
{
	const struct snapshot *s = v->now;
	const char *b = v->color ? BOLD : "", *off = v->color ? OFF : "";
	int i, j, pw = 21, wide = c->width >= 120, nf = v->nflows;
	char(*pairs)[136], name[160];
	bool *done;

	line(c, "%sLEAK AND BYPASS FLOWS%s, by %s%s%s", b, off,
	     v->sort == FLOW_SORT_BYTES	 ? "bytes"
	     : v->sort == FLOW_SORT_LAST ? "last seen"
					 : "packets",
	     many ? ", by pod" : "", nf ? "" : ": none");
	pairs = calloc(nf ? nf : 1, sizeof(*pairs));
	done = calloc(nf ? nf : 1, sizeof(*done));
	if (!pairs || !done) {
		free(pairs);
		free(done);
		return;
	}
	for (i = 0; i < nf; i++) {
		char src[64], dst[64];

		endpoint(v->flows[i], 1, src, sizeof(src));
		endpoint(v->flows[i], 0, dst, sizeof(dst));
		snprintf(pairs[i], sizeof(pairs[i]), "%s -> %s", src, dst);
		if ((int)strlen(pairs[i]) > pw)
			pw = strlen(pairs[i]);
	}
	if (nf && wide)
		line(c, "%s%-6s %-6s %-6s %-*s %-7s %6s %6s %5s %5s %5s  %s%s", b, "TYPE", "IFACE",
		     "PROTO", pw, "SOURCE -> DESTINATION", "CLASS", "PKTS", "BYTES", "PPS", "FIRST",
		     "LAST", "ROUTE", off);
	else if (nf)
		line(c, "%s%-6s %-6s %-*s %-7s %6s %6s%s", b, "TYPE", "PROTO", pw,
		     "SOURCE -> DESTINATION", "CLASS", "PKTS", "BYTES", off);
	for (i = 0; i < nf; i++) {
		uint32_t id = v->flows[i]->ns_id;
		const struct ns_snap *n;

		if (done[i])
			continue;
		n = snapshot_ns(s, id);
		if (many)
			line(c, "%s%s%s", b, n ? who(n, name, sizeof(name)) : "?", off);
		for (j = i; j < nf; j++) {
			if (done[j] || v->flows[j]->ns_id != id)
				continue;
			done[j] = true;
			flow_lines(c, v, v->flows[j], pairs[j], pw, wide);
		}
	}
	free(pairs);
	free(done);
}

int table_render(char *buf, size_t len, int width, int height, const struct table_view *v)
{
	struct canvas c = {buf, len, 0, width < 40 ? 40 : width, height, 0};
	bool many = v->now->nr_ns > 1 || v->node_mode;

	if (len)
		buf[0] = '\0';
	render_head(&c, v, many);
	render_counters(&c, v, many);
	render_flows(&c, v, many);
	return c.lines;
}
