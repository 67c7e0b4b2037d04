// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "model/flows.h"
#include "datapath/loader.h"
#include "out/output.h"
#include "out/pcap.h"
#include "trace/collector.h"
#include "trace/fleet.h"
#include "trace/tracer.h"

struct collector {
	struct collector_opts o;
	struct ring_buffer *rb;
	uint64_t received, recovered;
	bool pcap_said;		/* the pcap file's write error */
	uint64_t last_found_ns; /* CLOCK_MONOTONIC: the last drain that found records */
};

static void fill_rec(struct collector *c, struct flow_rec *r, const struct tl_event *e,
		     uint64_t first_mono)
{
	struct flows *flows = c->o.env->flows;
	const char *iface;
	struct tracer *t = tracer_env__slot_owner(c->o.env, r->key.slot, &iface);

	r->type = e->type;
	r->cls = e->cls;
	r->reply = e->reply;
	r->ns_id = t ? tracer__id(t) : 0;
	r->iface = flows__intern(flows, iface);
	if (e->reply) {
		tracer_env__slot_owner(c->o.env, e->reply_slot, &iface);
		r->reply_to = flows__intern(flows, iface);
	}
	r->first_ns = first_mono + c->o.mono_to_real;
	r->last_ns = r->first_ns;
	if (t)
		tracer__count_flow(t, e->type);
}

static void report(struct collector *c, struct flow_rec *r)
{
	struct tracer *t = c->o.fleet ? fleet__by_id(c->o.fleet, r->ns_id) : NULL;
	struct flow_origin from = {0};

	if (r->reported)
		return;
	r->reported = 1;
	if (t) {
		struct tracer_name name;

		tracer__diagnose(t, r);
		tracer__name(t, &name);
		from.netns = name.label;
		from.pod = name.pod;
		from.k8s_ns = name.k8s_ns;
		from.source = name_source_name(name.source);
		from.name_it = c->o.name_ns;
	}
	if (c->o.events)
		event_print(c->o.events, r, &from);
}

/* A new flow, from its event or from the lost table. */
static void take(struct collector *c, const struct tl_event *e)
{
	struct flows *flows = c->o.env->flows;
	struct flow_rec *r;
	int is_new;

	r = flows__upsert(flows, &e->key, &is_new);
	if (!r)
		return;
	if (is_new) {
		fill_rec(c, r, e, e->ts_ns);
		flows__set_kernel_counts(flows, r, e->packets, e->bytes,
					 e->ts_ns + c->o.mono_to_real);
	}
	report(c, r);
}

void collector__event(struct collector *c, const struct tl_event *e)
{
	c->received++;
	take(c, e);
}

static int on_event(void *ctx, void *data, size_t len)
{
	if (len >= sizeof(struct tl_event))
		collector__event(ctx, data);
	return 0;
}

static int on_pkt(void *ctx, void *data, size_t len)
{
	const struct tl_pkt *p = data;
	struct collector *c = ctx;
	int ret, err;

	if (len < sizeof(*p) || !c->o.pcap)
		return 0;
	ret = pcap__write(c->o.pcap, p->ts_ns + c->o.mono_to_real, p->data, p->caplen, p->origlen);
	/* the file stopped (a full file system): said once; the packets
	 * after it are counted as not written */
	err = pcap__error(c->o.pcap, NULL);
	if (ret && err && !c->pcap_said) {
		warn("--pcap %s: cannot write: %s; the file ends at its last whole record (%llu "
		     "packets) and stops, later packets are counted as not written\n",
		     pcap__path(c->o.pcap), strerror(err),
		     (unsigned long long)pcap__packets(c->o.pcap));
		c->pcap_said = true;
	}
	return 0;
}

/* A flow whose event did not fit the ring, taken from the lost table. */
void collector__lost(struct collector *c, const struct tl_event *e)
{
	c->recovered++;
	take(c, e);
}

static void on_lost(const struct tl_event *e, void *ctx)
{
	collector__lost(ctx, e);
}

/* The kernel's counts of the flows we know. A flow we do not know yet is
 * reported by its event or its lost-table entry, never by a sweep: that is
 * what makes each flow reported once. */
void collector__swept(struct collector *c, const struct tl_flow_key *k, const struct tl_flow_val *v)
{
	struct flow_rec *r = flows__lookup(c->o.env->flows, k);

	if (r)
		flows__set_kernel_counts(c->o.env->flows, r, v->packets, v->bytes,
					 v->last_ns + c->o.mono_to_real);
}

static void on_swept(const struct tl_flow_key *k, const struct tl_flow_val *v, void *ctx)
{
	collector__swept(ctx, k, v);
}

struct collector *collector__new(const struct collector_opts *o)
{
	struct collector *c = calloc(1, sizeof(*c));
	struct datapath *dp = o->env->dp;

	if (!c)
		return NULL;
	c->o = *o;
	if (!dp)
		return c;
	c->rb = ring_buffer__new(datapath__events_fd(dp), on_event, c, NULL);
	if (c->rb && o->pcap && ring_buffer__add(c->rb, datapath__pkts_fd(dp), on_pkt, c)) {
		ring_buffer__free(c->rb);
		c->rb = NULL;
	}
	if (!c->rb) {
		int err = errno;

		free(c);
		errno = err;
		return NULL;
	}
	return c;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	free(c);
}

int collector__fd(const struct collector *c)
{
	return c->rb ? ring_buffer__epoll_fd(c->rb) : -1;
}

void collector__drain(struct collector *c, bool all)
{
	if (!c->rb)
		return;
	if (ring_buffer__consume(c->rb) > 0)
		c->last_found_ns = clock_ns(CLOCK_MONOTONIC);
	datapath__drain_lost(c->o.env->dp, all, on_lost, c);
}

bool collector__ticking(const struct collector *c, uint64_t now_ns)
{
	return c->last_found_ns && now_ns - c->last_found_ns < 2 * TL_QUIET_NS;
}

void collector__sweep(struct collector *c)
{
	collector__drain(c, false);
	if (c->o.env->dp)
		datapath__sweep_flows(c->o.env->dp, on_swept, c);
	if (c->o.events)
		out_flush(c->o.events);
}

uint64_t collector__received(const struct collector *c)
{
	return c->received;
}

uint64_t collector__recovered(const struct collector *c)
{
	return c->recovered;
}
