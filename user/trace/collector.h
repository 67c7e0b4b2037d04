/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * From the kernel into flow records: the ring buffer's events (one per new
 * leak or bypass flow) and packet copies (--pcap), the lost table (flows
 * whose event did not fit the ring), and sweeps of the kernel's flow table
 * (their counts). Each flow is reported once, on the event stream, with the
 * route that sent it and its fix.
 */
#ifndef TL_COLLECTOR_H
#define TL_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>

struct collector;
struct tl_event;
struct tl_flow_key;
struct tl_flow_val;
struct fleet;
struct out;
struct pcap_writer;
struct tracer_env;

struct collector_opts {
	struct tracer_env *env;
	struct fleet *fleet;	  /* whose tracers the flows belong to */
	struct out *events;	  /* the event stream; NULL: not printed (--top) */
	bool name_ns;		  /* events name their namespace even without a pod (node mode) */
	struct pcap_writer *pcap; /* NULL: no --pcap */
	int64_t mono_to_real;	  /* add to CLOCK_MONOTONIC ns for realtime ns */
};

/* NULL and errno. Without a datapath (env->dp NULL) it reads no ring: it
 * takes only what is fed to it with the three calls below. */
struct collector *collector__new(const struct collector_opts *o);
void collector__free(struct collector *c);
/* Readable when the programs woke us (every so many events). */
int collector__fd(const struct collector *c);
/* New flows: from the ring, and those that did not fit it (every one with
 * all, at the end). */
void collector__drain(struct collector *c, bool all);
/* Whether records came recently (2 * TL_QUIET_NS before now_ns,
 * CLOCK_MONOTONIC): drain on a short tick then; else the programs wake the
 * consumer when one comes. */
bool collector__ticking(const struct collector *c, uint64_t now_ns);
/* drain, then the kernel's counts of the flows we know. */
void collector__sweep(struct collector *c);
/* What the ring, the lost table and a sweep hand over (their callbacks). A
 * new flow is reported once, on the stream; a sweep only updates the counts
 * of flows already known (a flow is never reported by a sweep). */
void collector__event(struct collector *c, const struct tl_event *e);
void collector__lost(struct collector *c, const struct tl_event *e);
void collector__swept(struct collector *c, const struct tl_flow_key *k,
		      const struct tl_flow_val *v);

uint64_t collector__received(const struct collector *c);  /* events read */
uint64_t collector__recovered(const struct collector *c); /* flows from the lost table */

#endif
