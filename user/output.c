// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flows.h"
#include "output.h"

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	size_t room = sizeof(o->line) - o->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->line + o->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < room ? (size_t)n : room - 1;
}

static void put_raw(struct out *o, const char *s, size_t n)
{
	if (n > sizeof(o->line) - 1 - o->len)
		n = sizeof(o->line) - 1 - o->len;
	memcpy(o->line + o->len, s, n);
	o->len += n;
}

/* The escaped body of n bytes of s (no quotes): at most 6 bytes each. */
static void put_json_body(struct out *o, const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		const char *run = s;
		unsigned char c;

		/* copy what needs no escaping in one go */
		while (s < end && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			s++;
		put_raw(o, run, s - run);
		if (s == end)
			break;
		c = (unsigned char)*s++;
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put_raw(o, "\\n", 2);
		else if (c == '\t')
			put_raw(o, "\\t", 2);
		else
			put(o, "\\u%04x", c);
	}
}

static void put_json_string(struct out *o, const char *s)
{
	put_raw(o, "\"", 1);
	put_json_body(o, s, strlen(s));
	put_raw(o, "\"", 1);
}

static void put_u64(struct out *o, uint64_t v)
{
	char d[24];
	int n = sizeof(d);

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_raw(o, d + n, sizeof(d) - n);
}

/* For writers of whole documents (export.c): the same escaping, to a FILE,
 * a piece at a time so no length is cut. */
void json_string(FILE *f, const char *s)
{
	size_t n = strlen(s), off;
	struct out o = { .f = f };

	fputc('"', f);
	for (off = 0; off < n; off += 128) {
		o.len = 0;
		put_json_body(&o, s + off, n - off < 128 ? n - off : 128);
		fwrite(o.line, 1, o.len, f);
	}
	fputc('"', f);
}

static void json_key(struct out *o, const char *key)
{
	put_raw(o, o->nfields++ ? "," : "{", 1);
	put_json_string(o, key);
	put_raw(o, ":", 1);
}

void out_begin(struct out *o)
{
	o->nfields = 0;
	o->len = 0;
}

void out_str(struct out *o, const char *key, const char *fmt, const char *val)
{
	if (o->json) {
		if (!key)
			return;
		json_key(o, key);
		if (val)
			put_json_string(o, val);
		else
			put_raw(o, "null", 4);
	} else if (fmt && val) {
		put(o, fmt, val);
	}
}

void out_u64(struct out *o, const char *key, const char *fmt, uint64_t val)
{
	if (o->json) {
		if (!key)
			return;
		json_key(o, key);
		put_u64(o, val);
	} else if (fmt) {
		put(o, fmt, val);
	}
}

void out_bool(struct out *o, const char *key, const char *fmt, bool val)
{
	if (o->json) {
		if (!key)
			return;
		json_key(o, key);
		put_raw(o, val ? "true" : "false", val ? 4 : 5);
	} else if (fmt && val) {
		put(o, "%s", fmt);
	}
}

void out_end(struct out *o)
{
	if (o->json)
		put_raw(o, o->nfields ? "}" : "{}", o->nfields ? 1 : 2);
	o->line[o->len++] = '\n'; /* put_raw keeps one byte free */
	fwrite(o->line, 1, o->len, o->f);
	if (!o->batch)
		fflush(o->f);
	o->len = 0;
}

const char *format_time(uint64_t ns, char *buf, size_t len)
{
	/* events come in bursts within one second: format its part once */
	static time_t cached = (time_t)-1;
	static char base[24];
	time_t sec = (time_t)(ns / 1000000000ULL);

	if (sec != cached) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		cached = sec;
	}
	snprintf(buf, len, "%s.%03uZ", base, (unsigned)((ns / 1000000ULL) % 1000));
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

static int has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 33;
}

void event_print(struct out *o, const struct flow_rec *r)
{
	const struct tl_flow_key *k = &r->key;
	char t[32], pb[8], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int v6 = k->family == 6, ports = has_ports(k->proto);

	format_time(r->first_ns, t, sizeof(t));
	addr_format(k->family, k->src, src, sizeof(src));
	addr_format(k->family, k->dst, dst, sizeof(dst));

	out_begin(o);
	out_str(o, "time", "%s", t);
	out_str(o, "type", NULL, r->type == TL_TYPE_LEAK ? "leak" : "bypass");
	out_str(o, NULL, " %s", r->type == TL_TYPE_LEAK ? "LEAK" : "BYPASS");
	out_str(o, "iface", " %s", r->iface);
	out_str(o, "direction", " %s", k->dir == TL_DIR_EGRESS ? "egress" : "ingress");
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
	out_end(o);
}
