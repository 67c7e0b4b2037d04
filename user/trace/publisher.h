/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One snapshot per interval, and at the end: the counters read once, then
 * written as the counters file (--export), served as GET /metrics
 * (--metrics-addr) and handed to the live table (--top).
 */
#ifndef TL_PUBLISHER_H
#define TL_PUBLISHER_H

#include <stdint.h>

#include "config/cli.h"

struct collector;
struct fleet;
struct http_server;
struct pcap_writer;
struct publisher;
struct snapshot;
struct top;
struct tracer_env;

struct publisher_opts {
	struct tracer_env *env;
	struct fleet *fleet;
	struct collector *collector;
	struct pcap_writer *pcap; /* NULL: no --pcap */
	const char *pcap_path;
	const char *export_path; /* NULL: no --export */
	enum export_fmt export_fmt;
	uint64_t started_ns; /* realtime */
	bool node_mode;
};

/* NULL and errno. */
struct publisher *publisher__new(const struct publisher_opts *o);
void publisher__free(struct publisher *p);
/* Where it publishes besides the file (either may be NULL). */
void publisher__set_http(struct publisher *p, struct http_server *http);
void publisher__set_top(struct publisher *p, struct top *top);
/* A new snapshot, kept until the next one. */
const struct snapshot *publisher__build(struct publisher *p);
/* Build, write, serve, refresh. 0, or the counters file's write error
 * (-errno, also said on stderr). */
int publisher__publish(struct publisher *p);
/* Serve the last snapshot as GET /metrics. */
void publisher__serve(struct publisher *p);

#endif
