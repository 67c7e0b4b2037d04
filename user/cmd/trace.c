// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunleak trace: load the datapath, start the fleet of tracers (one
 * namespace, or every pod's with --all), and wire them to the outputs — the
 * event stream, the counters file, /metrics, the pcap file, the live table —
 * until a signal, --duration or q.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "lib/http.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "model/flows.h"
#include "netns/netns.h"
#include "datapath/attach.h"
#include "datapath/loader.h"
#include "out/export.h"
#include "out/output.h"
#include "out/pcap.h"
#include "out/top.h"
#include "trace/collector.h"
#include "trace/fleet.h"
#include "trace/publisher.h"
#include "trace/tracer.h"
#include "cmd/commands.h"
#include "cmd/target.h"

#define DRAIN_MS    20
#define RESCAN_MS   1000
#define DISCOVER_MS 1000 /* namespaces that appear or end are seen within 2 s */
/* User-space flow records: twice the kernel's table (at least 65,536), so a
 * flow the kernel still has is one we still know, and is never reported twice. */
#define USER_FLOWS_MIN 65536

/* epoll sources */
enum source { SRC_RING = 1, SRC_KEYS, SRC_FLEET, SRC_HTTP, SRC_STDOUT };

/* One run: the objects cmd_trace wires together. */
struct trace {
	struct config *cfg;
	struct tracer_env env;
	struct fleet *fleet;
	struct collector *col;
	struct publisher *pub;
	struct out out; /* the event stream */
	struct pcap_writer *pcap;
	struct top *top;
	struct http_server *http; /* --metrics-addr */
	int ep;
	bool node_mode;
	bool opened;  /* every output opened: the end publishes the last counts */
	bool started; /* attaching began: the end says what was counted */
	int nready;   /* interfaces attached at the start */
	char where[192];
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	top_resized();
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

static void poll_add(struct trace *tr, int fd, enum source src, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u32 = src};

	if (fd >= 0)
		epoll_ctl(tr->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* tcx or tc: asked of a namespace's loopback (every namespace has one). */
static enum attach_kind choose_kind(const struct config *cfg, const struct netns *ns, char *err,
				    size_t errlen)
{
	int has_tcx = tcx_supported(ns, 1);

	if (cfg->attach == ATTACH_TCX && !has_tcx) {
		snprintf(err, errlen,
			 "--attach \"tcx\": this kernel has no tcx links (Linux >= 6.6); use "
			 "--attach tc");
		return 0;
	}
	/* auto: tcx for one namespace; with --all, clsact + cls_bpf, whose
	 * filters attach without the RCU grace period the kernel waits for
	 * on every tcx link, one after the other under the RTNL lock (250
	 * pods: under a second against 10-15 s here), and hold no fd */
	return cfg->attach == ATTACH_TC	   ? KIND_TC
	       : cfg->attach == ATTACH_TCX ? KIND_TCX
	       : has_tcx && !cfg->all	   ? KIND_TCX
					   : KIND_TC;
}

/* The flow records and the shared maps, with the address classes. */
static int open_datapath(struct trace *tr)
{
	const struct config *cfg = tr->cfg;
	/* node mode: TL_MAX_SLOTS interface slots; one namespace: its own */
	struct loader_opts lo = {.cidrs = cfg->cidrs,
				 .nr_cidrs = cfg->nr_cidrs,
				 .max_flows = cfg->max_flows,
				 .nr_slots = cfg->all ? TL_MAX_SLOTS : SINGLE_SLOTS,
				 .by_netns = cfg->all};

	tr->env.flows = flows__new(2UL * cfg->max_flows > USER_FLOWS_MIN ? 2UL * cfg->max_flows
									 : USER_FLOWS_MIN);
	if (!tr->env.flows)
		return -ENOMEM;
	if (cfg->pcap_path) {
		lo.pcap_packets = cfg->pcap_packets;
		lo.pcap_snaplen = cfg->snaplen;
	}
	tr->env.dp = datapath__new(&lo);
	if (!tr->env.dp) {
		log_error("cannot load the BPF maps: %s%s", strerror(errno),
			  cfg->verbose ? "" : " (run with -v for libbpf's log)");
		return -errno;
	}
	tr->env.slots.nr = datapath__nr_slots(tr->env.dp);
	return 0;
}

/* The outputs, each checked before anything is attached: an unwritable
 * counters or pcap file, a bad or busy --metrics-addr are usage errors. */
static int open_outputs(struct trace *tr, uint64_t started_ns, int64_t mono_to_real)
{
	const struct config *cfg = tr->cfg;
	struct collector_opts co = {.env = &tr->env,
				    .fleet = tr->fleet,
				    .events = cfg->top ? NULL : &tr->out,
				    .name_ns = tr->node_mode,
				    .mono_to_real = mono_to_real};
	struct publisher_opts po = {.env = &tr->env,
				    .fleet = tr->fleet,
				    .pcap_path = cfg->pcap_path,
				    .export_path = cfg->export_path,
				    .export_fmt = cfg->export_fmt,
				    .started_ns = started_ns,
				    .node_mode = tr->node_mode};
	char err[256];
	int ret;

	if (cfg->pcap_path) {
		tr->pcap = pcap__open(cfg->pcap_path, cfg->snaplen,
				      (uint64_t)cfg->pcap_max_mb * 1024 * 1024);
		if (!tr->pcap) {
			log_error("--pcap \"%s\": cannot create: %s\n", cfg->pcap_path,
				  errno == EINVAL ? "not a regular file" : strerror(errno));
			return -1;
		}
	}
	co.pcap = po.pcap = tr->pcap;
	tr->col = collector__new(&co);
	if (!tr->col) {
		log_error("cannot open the ring buffer: %s", strerror(errno));
		return -1;
	}
	po.collector = tr->col;
	tr->pub = publisher__new(&po);
	if (!tr->pub)
		return -1;
	if (cfg->export_path) {
		ret = export_write(cfg->export_path, cfg->export_fmt, publisher__build(tr->pub));
		if (ret) {
			log_error("--export \"%s\": cannot write the counters file: %s\n",
				  cfg->export_path,
				  ret == -EINVAL ? "not a regular file" : strerror(-ret));
			return -1;
		}
	}
	if (cfg->metrics_addr) {
		tr->http = http_server__new(cfg->metrics_addr, err, sizeof(err));
		if (!tr->http) {
			log_error("--metrics-addr %s", err);
			return -1;
		}
		publisher__set_http(tr->pub, tr->http);
	}
	tr->opened = true;
	return 0;
}

static bool stdout_is_pipe(void)
{
	struct stat st;

	return !fstat(STDOUT_FILENO, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

static int open_poll(struct trace *tr)
{
	tr->ep = epoll_create1(EPOLL_CLOEXEC);
	if (tr->ep < 0) {
		log_error("epoll: %s", strerror(errno));
		return -1;
	}
	poll_add(tr, collector__fd(tr->col), SRC_RING, EPOLLIN);
	poll_add(tr, fleet__fd(tr->fleet), SRC_FLEET, EPOLLIN);
	if (tr->http)
		poll_add(tr, http_server__fd(tr->http), SRC_HTTP, EPOLLIN);
	/* A pipe's reader that goes away (| head -1) is seen at once
	 * (EPOLLERR), not at the next event, which may never come. */
	if (stdout_is_pipe())
		poll_add(tr, STDOUT_FILENO, SRC_STDOUT, 0);
	return 0;
}

/* The target's namespaces into the fleet: the one namespace, attached now,
 * or every pod's. */
static int start(struct trace *tr, struct target *tg, char *err, size_t errlen)
{
	uint64_t states[NS_NR_STATES];
	struct netns *home;
	int ret, with_tunnel = 0;

	if (!tg->all) {
		tr->env.kind = choose_kind(tr->cfg, tg->ns, err, errlen);
		if (!tr->env.kind)
			return -EINVAL;
		snprintf(tr->where, sizeof(tr->where), "%s", tg->who.where);
		return fleet__start_single(tr->fleet, target__take_ns(tg), tg->path,
					   &(struct tracer_name){.label = tg->who.label,
								 .pod = tg->who.pod,
								 .k8s_ns = tg->who.k8s_ns,
								 .where = tg->who.where,
								 .source = tg->who.source},
					   err, errlen);
	}
	home = netns__open_home();
	if (!home) {
		snprintf(err, errlen, "--all: cannot open its own namespace: %s", strerror(errno));
		return -errno;
	}
	tr->env.kind = choose_kind(tr->cfg, home, err, errlen);
	netns__free(home);
	if (!tr->env.kind)
		return -EINVAL;
	snprintf(tr->where, sizeof(tr->where), "%s", tg->who.where);
	ret = fleet__start_node(tr->fleet, &with_tunnel, err, errlen);
	if (ret && ret != -ENOENT)
		return ret;
	fleet__states(tr->fleet, states);
	{
		struct fleet_node_stats st;
		char untraced[64] = "";

		fleet__node_stats(tr->fleet, &st);
		/* those not traced were each said above, with the reason */
		if (states[NS_UNTRACED])
			snprintf(untraced, sizeof(untraced), "; %" PRIu64 " not traced (see above)",
				 states[NS_UNTRACED]);
		warn("found %" PRIu64 " network namespace%s besides the host's (%" PRIu64
		     " process%s), %d with a tunnel%s\n",
		     st.seen, st.seen == 1 ? "" : "s", st.processes, st.processes == 1 ? "" : "es",
		     with_tunnel, untraced);
	}
	return ret;
}

/* --ready-file: created (whole, by a rename) with the line below once
 * attached. It stays when tunleak ends (a run that ends at once, its stdout
 * gone, was still ready): a script removes it before the next start. */
static void write_ready(struct trace *tr, const char *line)
{
	const char *path = tr->cfg->ready_file;
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "wx");
	if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f)) {
		warn("--ready-file \"%s\": %s", path, strerror(errno));
		if (f)
			unlink(tmp);
		return;
	}
	if (rename(tmp, path)) {
		warn("--ready-file \"%s\": %s", path, strerror(errno));
		unlink(tmp);
		return;
	}
}

/* --ready-file: its directory must take it, found before anything is
 * attached (a script would wait for it in vain). */
static int check_ready(const struct config *cfg)
{
	char dir[4096], *slash;

	if (!cfg->ready_file)
		return 0;
	snprintf(dir, sizeof(dir), "%s", cfg->ready_file);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (!access(dir, W_OK | X_OK))
		return 0;
	log_error("--ready-file \"%s\": cannot create it in %s: %s", cfg->ready_file, dir,
		  strerror(errno));
	return -1;
}

/* The line scripts and people wait for: what is attached, where. */
static void announce(struct trace *tr)
{
	int traced, ifaces;
	char line[512];

	fleet__counts(tr->fleet, &traced, &ifaces);
	tr->nready = ifaces;
	if (tr->node_mode) {
		snprintf(line, sizeof(line),
			 "tracing %d interface%s in %d namespace%s (%s); watching for more; Ctrl-C "
			 "to stop",
			 ifaces, ifaces == 1 ? "" : "s", traced, traced == 1 ? "" : "s",
			 attach_kind_name(tr->env.kind));
	} else {
		if (fleet__count(tr->fleet))
			tracer__say_waiting(fleet__get(tr->fleet, 0));
		snprintf(line, sizeof(line), "tracing %d interface%s in %s (%s); Ctrl-C to stop",
			 ifaces, ifaces == 1 ? "" : "s", tr->where, attach_kind_name(tr->env.kind));
	}
	warn("%s", line);
	write_ready(tr, line);
}

static void start_outputs(struct trace *tr)
{
	if (tr->http) {
		publisher__build(tr->pub);
		publisher__serve(tr->pub);
		warn("serving GET /metrics on %s\n", http_server__addr(tr->http));
	}
	if (tr->cfg->top) {
		struct sigaction wa = {.sa_handler = on_winch};

		sigaction(SIGWINCH, &wa, NULL);
		tr->top = top__new(tr->where, attach_kind_name(tr->env.kind), tr->node_mode);
		if (!tr->top)
			return;
		poll_add(tr, top__key_fd(tr->top), SRC_KEYS, EPOLLIN);
		publisher__set_top(tr->pub, tr->top);
		publisher__publish(tr->pub);
	}
}

/* One wakeup's sources. */
static void dispatch(struct trace *tr, const struct epoll_event *evs, int n)
{
	int k;

	for (k = 0; k < n; k++) {
		switch ((enum source)evs[k].data.u32) {
		case SRC_KEYS:
			if (top__keys(tr->top, tr->env.flows))
				stop_signal = SIGTERM; /* q: as on SIGTERM */
			break;
		case SRC_HTTP:
			http_server__run(tr->http, clock_ns(CLOCK_MONOTONIC) / 1000000);
			break;
		case SRC_STDOUT:
			tr->out.err = -EPIPE; /* its reader closed: no write will do */
			break;
		case SRC_FLEET:
			fleet__dispatch(tr->fleet);
			break;
		case SRC_RING:
			break; /* drained after every wakeup */
		}
	}
}

static void loop(struct trace *tr)
{
	const struct config *cfg = tr->cfg;
	uint64_t now = clock_ns(CLOCK_MONOTONIC), deadline = 0, next_sweep = 0;
	uint64_t next_export = now + (uint64_t)(cfg->interval * 1e9);
	uint64_t next_rescan = now + RESCAN_MS * 1000000ULL;
	uint64_t next_discover = now + DISCOVER_MS * 1000000ULL;

	if (cfg->duration > 0)
		deadline = now + (uint64_t)(cfg->duration * 1e9);
	while (!stop_signal) {
		struct epoll_event evs[16];
		uint64_t next = next_export < next_rescan ? next_export : next_rescan;
		uint64_t routes = fleet__routes_due(tr->fleet);
		int n, timeout;

		if (deadline && deadline < next)
			next = deadline;
		if (routes && routes < next)
			next = routes; /* a route change's audit, once it settles */
		now = clock_ns(CLOCK_MONOTONIC);
		timeout = next > now ? (int)((next - now + 999999) / 1000000) : 0;
		/* The programs wake us only every so many events (a wakeup per
		 * event would cost the datapath microseconds): drain on a tick
		 * while they come (the first after a quiet spell wakes us). */
		if (timeout > DRAIN_MS && collector__ticking(tr->col, now))
			timeout = DRAIN_MS;
		n = epoll_wait(tr->ep, evs, 16, timeout);
		if (n < 0 && errno != EINTR) {
			warn("epoll: %s\n", strerror(errno));
			break;
		}
		dispatch(tr, evs, n > 0 ? n : 0);
		collector__drain(tr->col, false);
		/* deadlines of slow clients, answers that wait for room */
		if (tr->http)
			http_server__run(tr->http, clock_ns(CLOCK_MONOTONIC) / 1000000);
		if (out_flush(&tr->out) == -EPIPE) {
			warn("stdout's reader is gone; detaching\n");
			break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline)
			break;
		/* routes that changed, audited once they settle */
		fleet__watch_routes(tr->fleet, now);
		if (now >= next_rescan) {
			/* link events may be lost (or unavailable): look anyway */
			fleet__rescan(tr->fleet);
			next_rescan = now + RESCAN_MS * 1000000ULL;
		}
		if (now >= next_discover) {
			if (tr->node_mode)
				fleet__reconcile(tr->fleet);
			else if (fleet__single_ended(tr->fleet))
				break;
			next_discover = now + DISCOVER_MS * 1000000ULL;
		}
		if (now >= next_export) {
			/* Per-flow counts cost a walk of the kernel's whole flow
			 * table: at most 5% of the time on it (totals are exact
			 * without it, from the counters) */
			if (now >= next_sweep) {
				collector__sweep(tr->col);
				next_sweep = now + 20 * (clock_ns(CLOCK_MONOTONIC) - now);
			}
			publisher__publish(tr->pub);
			next_export = now + (uint64_t)(cfg->interval * 1e9);
		} else if (tr->top && top_resize_pending()) {
			top__redraw(tr->top, tr->env.flows);
		}
	}
}

static void summary(struct trace *tr)
{
	const struct snapshot *s = publisher__build(tr->pub);
	uint64_t dropped = s->stats[TL_STAT_EVENTS_DROPPED];
	struct totals t;

	snapshot_totals(s, &t);
	warn("detached; %" PRIu64 " leak packet%s in %" PRIu64 " flow%s, %" PRIu64
	     " bypass packet%s in %" PRIu64 " flow%s, %" PRIu64 " event%s dropped\n",
	     t.leak_packets, t.leak_packets == 1 ? "" : "s", t.leak_flows,
	     t.leak_flows == 1 ? "" : "s", t.bypass_packets, t.bypass_packets == 1 ? "" : "s",
	     t.bypass_flows, t.bypass_flows == 1 ? "" : "s", dropped, dropped == 1 ? "" : "s");
}

/* Detach everything first, so the final counts are final; then the last
 * events, counts and file. Returns ret, or 2 when the last file failed. */
static int finish(struct trace *tr, int ret)
{
	top__free(tr->top);
	tr->top = NULL;
	if (tr->pub)
		publisher__set_top(tr->pub, NULL);
	if (tr->fleet)
		fleet__detach_all(tr->fleet);
	if (tr->opened) {
		collector__drain(tr->col, true);
		collector__sweep(tr->col);
		if (publisher__publish(tr->pub) && !ret)
			ret = EXIT_USAGE;
		if (tr->started && (tr->nready || ret == 0))
			summary(tr);
	}
	fleet__free(tr->fleet);
	if (tr->ep >= 0)
		close(tr->ep);
	publisher__free(tr->pub);
	collector__free(tr->col);
	datapath__free(tr->env.dp);
	flows__free(tr->env.flows);
	pcap__close(tr->pcap);
	http_server__free(tr->http);
	out_free(&tr->out);
	return ret;
}

/* A namespace holds one fd (its link events' socket, which holds it too),
 * and one more per tcx link: take what the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int cmd_trace(struct config *cfg)
{
	struct trace tr = {
	    .cfg = cfg, .ep = -1, .node_mode = cfg->all, .env = {.cfg = cfg, .stop = &stop_signal}};
	uint64_t started_ns = clock_ns(CLOCK_REALTIME);
	int64_t mono_to_real = (int64_t)started_ns - (int64_t)clock_ns(CLOCK_MONOTONIC);
	struct target tg = {0};
	char err[512];
	int ret = EXIT_USAGE;

	if (cfg->top && !isatty(STDOUT_FILENO)) {
		log_error("--top needs a terminal on stdout (use the event stream or --json)");
		return EXIT_USAGE;
	}
	if (target__resolve(cfg, NEED_NET_ADMIN | NEED_BPF, &tg, err, sizeof(err))) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	/* libbpf's own messages (verifier log, netlink errors) only with -v */
	libbpf_set_print(cfg->verbose ? libbpf_print : NULL);
	raise_nofile();
	tr.out = (struct out){.f = stdout, .json = cfg->json, .batch = true};
	tr.env.events = cfg->top ? NULL : &tr.out;
	tr.env.name_ns = cfg->all;
	tr.env.mono_to_real = mono_to_real;
	jw_init(&tr.out.jw, false);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	tr.fleet = fleet__new(&tr.env, target__take_node(&tg));
	if (!tr.fleet || check_ready(cfg) || open_datapath(&tr) ||
	    open_outputs(&tr, started_ns, mono_to_real))
		goto out;
	/* Signal handlers before the first attach: a Ctrl-C from here on still
	 * goes through the detach below. */
	stop_signals_install(on_signal);
	if (open_poll(&tr))
		goto out;
	tr.started = true;
	if (start(&tr, &tg, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	/* the routes as they are, said before the run is said to be ready */
	fleet__watch_routes(tr.fleet, clock_ns(CLOCK_MONOTONIC));
	out_flush(&tr.out);
	announce(&tr);
	start_outputs(&tr);
	loop(&tr);
	ret = 0;
out:
	target__free(&tg);
	return finish(&tr, ret);
}
