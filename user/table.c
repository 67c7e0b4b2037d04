// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "table.h"

#define RED "\033[1;31m"
#define BOLD "\033[1m"
#define OFF "\033[0m"

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
	static const char *const unit[] = { "", "K", "M", "G", "T" };
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

int table_render(char *buf, size_t len, int width, int height, const struct table_view *v)
{
	struct canvas c = { buf, len, 0, width < 40 ? 40 : width, height, 0 };
	const struct snapshot *s = v->now;
	struct totals t;
	char h1[16], h2[16], h3[16], h4[16];
	int i, d, k, any = 0;
	const char *b = v->color ? BOLD : "", *off = v->color ? OFF : "";

	if (len)
		buf[0] = '\0';
	snapshot_totals(s, &t);
	line(&c, "%stunleak%s  %s  %s  up %" PRIu64 ":%02" PRIu64 ":%02" PRIu64
		 "   q quit  p/b/l sort by packets/bytes/last",
	     b, off, v->where, v->attach, v->uptime_s / 3600, v->uptime_s / 60 % 60, v->uptime_s % 60);
	{
		char ifs[512];
		size_t o = 0;

		for (i = 0; i < s->nr_ifaces && o < sizeof(ifs) - 64; i++)
			o += snprintf(ifs + o, sizeof(ifs) - o, "%s%s %s %s", i ? "   " : "",
				      s->ifaces[i].name,
				      s->ifaces[i].role == TL_ROLE_TUNNEL ? "tunnel" : "cluster",
				      s->ifaces[i].state);
		line(&c, "%s", ifs);
	}
	{
		uint64_t dropped = s->stats[TL_STAT_EVENTS_DROPPED];
		const char *hl = dropped && v->color ? RED : "";

		line(&c, "%sLEAKS%s %s packets in %" PRIu64 " flows   BYPASS %s packets in %" PRIu64
			 " flows   %sevents dropped %" PRIu64 "%s%s",
		     t.leak_packets ? (v->color ? RED : "") : b, off,
		     human((double)t.leak_packets, h1, sizeof(h1)), t.leak_flows,
		     human((double)t.bypass_packets, h2, sizeof(h2)), t.bypass_flows, hl, dropped,
		     dropped && !v->color ? " (!)" : "", dropped ? off : "");
	}
	line(&c, "%s", v->message ? v->message : "");
	line(&c, "%s%-10s %-8s %-8s %9s %9s %9s %9s%s", b, "IFACE", "DIR", "CLASS", "PACKETS", "BYTES",
	     "PPS", "BIT/S", off);
	for (i = 0; i < s->nr_ifaces; i++)
		for (d = 0; d < 2; d++)
			for (k = 0; k < TL_NR_COUNTERS; k++) {
				const struct tl_counter *n = &s->ifaces[i].c[d][k];
				double pps = 0, bps = 0;

				if (!n->packets)
					continue;
				if (v->prev && v->dt > 0 && i < v->prev->nr_ifaces) {
					const struct tl_counter *p = &v->prev->ifaces[i].c[d][k];

					pps = (double)(n->packets - p->packets) / v->dt;
					bps = (double)(n->bytes - p->bytes) * 8 / v->dt;
				}
				line(&c, "%-10s %-8s %-8s %9s %9s %9s %9s", s->ifaces[i].name,
				     d ? "egress" : "ingress", class_name(k),
				     human((double)n->packets, h1, sizeof(h1)),
				     human((double)n->bytes, h2, sizeof(h2)), human(pps, h3, sizeof(h3)),
				     human(bps, h4, sizeof(h4)));
				any = 1;
			}
	if (!any)
		line(&c, "(no packets yet)");
	line(&c, "%s", "");
	line(&c, "%sLEAK AND BYPASS FLOWS%s, by %s%s", b, off,
	     v->sort == FLOW_SORT_BYTES ? "bytes" : v->sort == FLOW_SORT_LAST ? "last seen" : "packets",
	     v->nflows ? "" : ": none");
	{
		/* the endpoints column as wide as its widest entry; below 120
		 * columns, interface, rate and times give way to the route */
		static char pairs[256][136];
		int pw = 21, wide = c.width >= 120, nf = v->nflows < 256 ? v->nflows : 256;

		for (i = 0; i < nf; i++) {
			char src[64], dst[64];

			endpoint(v->flows[i], 1, src, sizeof(src));
			endpoint(v->flows[i], 0, dst, sizeof(dst));
			snprintf(pairs[i], sizeof(pairs[i]), "%s -> %s", src, dst);
			if ((int)strlen(pairs[i]) > pw)
				pw = strlen(pairs[i]);
		}
		if (nf && wide)
			line(&c, "%s%-6s %-6s %-6s %-*s %-7s %6s %6s %5s %5s %5s  %s%s", b, "TYPE",
			     "IFACE", "PROTO", pw, "SOURCE -> DESTINATION", "CLASS", "PKTS", "BYTES",
			     "PPS", "FIRST", "LAST", "ROUTE", off);
		else if (nf)
			line(&c, "%s%-6s %-6s %-*s %-7s %6s %6s%s", b, "TYPE", "PROTO", pw,
			     "SOURCE -> DESTINATION", "CLASS", "PKTS", "BYTES", off);
		for (i = 0; i < nf; i++) {
			const struct flow_rec *r = v->flows[i];
			char pb[8], f1[16], f2[16], route[FLOW_ROUTE_LEN + 32];

			snprintf(route, sizeof(route), "%s%s%s%s", r->reply ? "REPLY to " : "",
				 r->reply ? r->reply_to : "", r->reply ? ": " : "",
				 r->has_route ? r->route : "?");
			if (wide)
				line(&c, "%-6s %-6s %-6s %-*s %-7s %6s %6s %5s %5s %5s  %s",
				     r->type == TL_TYPE_LEAK ? "LEAK" : "BYPASS", r->iface,
				     proto_name(r->key.proto, pb, sizeof(pb)), pw, pairs[i],
				     class_name(r->cls), human((double)r->packets, h1, sizeof(h1)),
				     human((double)r->bytes, h2, sizeof(h2)), human(r->pps, h3, sizeof(h3)),
				     ago(v->now_ns, r->first_ns, f1, sizeof(f1)),
				     ago(v->now_ns, r->last_ns, f2, sizeof(f2)), route);
			else { /* two lines: the route gets one of its own */
				line(&c, "%-6s %-6s %-*s %-7s %6s %6s",
				     r->type == TL_TYPE_LEAK ? "LEAK" : "BYPASS",
				     proto_name(r->key.proto, pb, sizeof(pb)), pw, pairs[i],
				     class_name(r->cls), human((double)r->packets, h1, sizeof(h1)),
				     human((double)r->bytes, h2, sizeof(h2)));
				line(&c, "       via %s%s%s%s", r->has_route ? r->route : "?",
				     r->reply ? " (reply to " : "", r->reply ? r->reply_to : "",
				     r->reply ? ")" : "");
			}
		}
	}
	return c.lines;
}
