// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model/cidr.h"
#include "model/findings.h"
#include "model/flows.h"
#include "model/names.h"
#include "lib/escape.h"
#include "out/output.h"
#include "lib/utf8.h"

static void put_text(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put_text(struct out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		jw_raw(&o->jw, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void out_begin(struct out *o)
{
	jw_reset(&o->jw);
	if (o->json)
		jw_obj_open(&o->jw, NULL);
}

void out_str(struct out *o, const char *key, const char *fmt, const char *val)
{
	char safe[512];

	if (o->json) {
		if (key)
			jw_str(&o->jw, key, val);
	} else if (fmt && val) {
		put_text(o, fmt, escape_ctl(val, safe, sizeof(safe)));
	}
}

void out_u64(struct out *o, const char *key, const char *fmt, uint64_t val)
{
	if (o->json) {
		if (key)
			jw_u64(&o->jw, key, val);
	} else if (fmt) {
		put_text(o, fmt, val);
	}
}

void out_bool(struct out *o, const char *key, const char *fmt, bool val)
{
	if (o->json) {
		if (key)
			jw_bool(&o->jw, key, val);
	} else if (fmt && val) {
		put_text(o, "%s", fmt);
	}
}

void out_end(struct out *o)
{
	if (o->json)
		jw_obj_close(&o->jw);
	jw_raw(&o->jw, "\n", 1);
	if (o->err)
		return; /* nobody reads: the caller stops */
	if (fwrite(o->jw.buf, 1, o->jw.len, o->f) != o->jw.len)
		o->err = errno ? -errno : -EIO;
	if (!o->batch)
		out_flush(o);
}

int out_flush(struct out *o)
{
	if (!o->err && fflush(o->f))
		o->err = errno ? -errno : -EIO;
	return o->err;
}

void out_free(struct out *o)
{
	jw_free(&o->jw);
}

/* Two digits of v at p. */
static void two(char *p, unsigned int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

const char *format_time(uint64_t ns, char *buf, size_t len)
{
	/* The civil date from days since 1970 by integer arithmetic (eras of
	 * 400 years from 0000-03-01): no gmtime(), no state kept between
	 * events, cheap enough for a storm of them. */
	uint64_t secs = ns / 1000000000ULL, ms = ns / 1000000ULL % 1000;
	int64_t z = (int64_t)(secs / 86400) + 719468, era = z / 146097;
	uint64_t sod = secs % 86400, doe = (uint64_t)(z - era * 146097);
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned int d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	unsigned int m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	uint64_t y = yoe + (uint64_t)era * 400 + (m <= 2);
	char t[32] = "0000-00-00T00:00:00.000Z";

	two(t, (unsigned int)(y / 100));
	two(t + 2, (unsigned int)(y % 100));
	two(t + 5, m);
	two(t + 8, d);
	two(t + 11, (unsigned int)(sod / 3600));
	two(t + 14, (unsigned int)(sod / 60 % 60));
	two(t + 17, (unsigned int)(sod % 60));
	t[20] = (char)('0' + ms / 100);
	two(t + 21, (unsigned int)(ms % 100));
	snprintf(buf, len, "%s", t);
	return buf;
}

const char *proto_name(int proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	default:
		snprintf(buf, len, "%d", proto);
		return buf;
	}
}

const char *addr_format(int family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* "850 ms", "3.2 s", "4 min" */
static const char *format_ms(uint64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%" PRIu64 " ms", ms);
	else if (ms < 120000)
		snprintf(buf, len, "%.1f s", ms / 1000.0);
	else
		snprintf(buf, len, "%" PRIu64 " min", ms / 60000);
	return buf;
}

static int has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 33;
}

void event_print(struct out *o, const struct flow_rec *r, const struct flow_origin *from)
{
	const struct tl_flow_key *k = &r->key;
	char t[32], pb[8], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], who[160];
	int v6 = k->family == 6, ports = has_ports(k->proto);
	const char *pod = from && from->pod && from->pod[0] ? from->pod : NULL;
	const char *kns = from && from->k8s_ns && from->k8s_ns[0] ? from->k8s_ns : NULL;

	format_time(r->first_ns, t, sizeof(t));
	addr_format(k->family, k->src, src, sizeof(src));
	addr_format(k->family, k->dst, dst, sizeof(dst));
	/* text: the pod as NAMESPACE/NAME where both are known */
	if (pod)
		snprintf(who, sizeof(who), "%s%s%s", kns ? kns : "", kns ? "/" : "", pod);

	out_begin(o);
	out_str(o, "time", "%s", t);
	out_str(o, "type", NULL, type_name(r->type));
	out_str(o, NULL, " %s", r->type == TL_TYPE_LEAK ? "LEAK" : "BYPASS");
	out_str(o, NULL, " pod=%s", pod ? who : NULL);
	out_str(o, NULL, " netns=%s", !pod && from && from->name_it ? from->netns : NULL);
	out_str(o, "iface", " %s", r->iface);
	out_str(o, "direction", " %s", dir_name(k->dir));
	out_str(o, "family", NULL, v6 ? "ipv6" : "ipv4");
	out_str(o, "proto", " %s", proto_name(k->proto, pb, sizeof(pb)));
	/* Text: addr:port, [v6]:port, or the bare address without ports. */
	out_str(o, "src", ports && v6 ? " [%s]" : " %s", src);
	out_u64(o, "sport", ports ? ":%" PRIu64 : NULL, ntohs(k->sport));
	out_str(o, "dst", ports && v6 ? " -> [%s]" : " -> %s", dst);
	out_u64(o, "dport", ports ? ":%" PRIu64 : NULL, ntohs(k->dport));
	out_str(o, "class", " class=%s", class_name(r->cls));
	out_u64(o, "packets", NULL, r->packets);
	out_u64(o, "bytes", NULL, r->bytes);
	out_str(o, "route", " via \"%s\"", r->has_route ? r->route : NULL);
	out_bool(o, "reply", NULL, r->reply);
	out_str(o, "reply_to", " (reply to a connection that came in on %s)",
		r->reply ? r->reply_to : NULL);
	out_str(o, "fix", NULL, r->fix[0] ? r->fix : NULL);
	if (r->show_fix && r->fix[0])
		out_str(o, NULL, "; fix: %s", r->fix);
	out_str(o, "netns", NULL, from ? from->netns : NULL);
	out_str(o, "pod", NULL, pod);
	out_str(o, "k8s_namespace", NULL, kns);
	out_str(o, "name_source", NULL, from ? from->source : NULL);
	out_end(o);
}

static const char *route_tag(const char *type)
{
	static const char *const tags[][2] = {
	    {"route_leak", "ROUTE-LEAK"},
	    {"route_bypass", "ROUTE-BYPASS"},
	    {"route_ok", "ROUTE-OK"},
	    {"route_fixed", "ROUTE-FIXED"},
	    {"route_fix_refused", "ROUTE-NOT-FIXED"},
	};
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strcmp(type, tags[i][0]))
			return tags[i][1];
	return "ROUTE";
}

void route_event_print(struct out *o, const struct route_event *e, const struct flow_origin *from)
{
	const struct finding *f = e->f;
	const char *pod = from && from->pod && from->pod[0] ? from->pod : NULL;
	const char *kns = from && from->k8s_ns && from->k8s_ns[0] ? from->k8s_ns : NULL;
	bool ok = !strcmp(e->type, "route_ok"), fixed = !strcmp(e->type, "route_fixed");
	bool refused = !strcmp(e->type, "route_fix_refused"), bypass = f->kind == FINDING_BYPASS;
	bool appeared = !ok && !fixed && !refused;
	char t[32], since[32], cs[64], ex[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN], who[160];

	format_time(e->time_ns, t, sizeof(t));
	format_time(f->since, since, sizeof(since));
	cidr_format(&f->cidr, cs, sizeof(cs));
	addr_format(f->cidr.family, f->example, ex, sizeof(ex));
	if (f->has_src)
		addr_format(f->cidr.family, f->src, src, sizeof(src));
	if (pod)
		snprintf(who, sizeof(who), "%s%s%s", kns ? kns : "", kns ? "/" : "", pod);

	out_begin(o);
	out_str(o, "time", "%s", t);
	out_str(o, "type", NULL, e->type);
	out_str(o, NULL, " %s", route_tag(e->type));
	out_str(o, NULL, " pod=%s", pod ? who : NULL);
	out_str(o, NULL, " netns=%s", !pod && from && from->name_it ? from->netns : NULL);
	out_str(o, "kind", NULL, finding_kind_name(f->kind));
	out_str(o, "class", " class=%s", class_name(f->cls));
	out_str(o, "cidr", " %s:", cs);
	if (fixed) {
		out_str(o, "added", " %s", e->added);
	} else if (refused) {
		out_str(o, "reason", " %s", e->reason);
		out_str(o, NULL, "; by hand: %s", f->fix_text);
	} else {
		out_str(o, "example", " %s", ex);
		out_str(o, "from", " from %s", f->has_src ? src : NULL);
		out_str(o, NULL, "%s", ok ? " no longer" : "");
		out_str(o, "iface", bypass ? " goes out %s" : " goes into %s",
			f->iface[0] ? f->iface : NULL);
		out_str(o, NULL, "%s", f->iface[0] ? "" : " has no route");
		out_str(o, "route", " by \"%s\"", f->route[0] ? f->route : NULL);
	}
	if (appeared && e->after_tunnel_ms >= 0) {
		out_u64(o, "after_tunnel_ms", NULL, (uint64_t)e->after_tunnel_ms);
		out_str(o, NULL, " (%s after the tunnel came up)",
			format_ms((uint64_t)e->after_tunnel_ms, who, sizeof(who)));
	}
	out_str(o, "since", ok ? " (since %s)" : NULL, since);
	if (!fixed && !refused)
		out_str(o, "fix", appeared ? "; fix: %s" : NULL, f->fix_text);
	else if (fixed)
		out_str(o, "fix", NULL, f->fix_text);
	out_str(o, "netns", NULL, from ? from->netns : NULL);
	out_str(o, "pod", NULL, pod);
	out_str(o, "k8s_namespace", NULL, kns);
	out_str(o, "name_source", NULL, from ? from->source : NULL);
	out_end(o);
}
