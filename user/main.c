// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunleak: find cluster-bound packets that leave a pod through its VPN tunnel.
 * See DESIGN.md for the data path and the contracts kept here.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "audit.h"
#include "check.h"
#include "cli.h"
#include "export.h"
#include "flows.h"
#include "loader.h"
#include "netns.h"
#include "nl.h"
#include "output.h"
#include "pcap.h"
#include "route.h"
#include "table.h"

#ifndef TUNLEAK_VERSION
#define TUNLEAK_VERSION "0.1.0"
#endif

#define EXIT_USAGE 2
#define TUNNEL_POLL_MS 100
#define DRAIN_MS 20
#define USER_FLOWS_MAX 65536

struct slot {
	char name[16];
	int role; /* enum tl_role */
	uint32_t ifindex; /* 0: not attached */
	int l2;
	const char *state; /* "attached", "waiting", "gone" */
	struct attachment att;
};

struct app {
	struct config cfg;
	struct netns *ns; /* the traced namespace */
	struct nl *nl; /* its rtnetlink socket */
	struct tunleak_bpf *skel;
	struct ring_buffer *rb;
	struct flows *flows;
	struct slot slots[TL_MAX_SLOTS];
	int nr_slots;
	int kind; /* enum attach_kind */
	int64_t mono_to_real; /* add to CLOCK_MONOTONIC ns for realtime ns */
	uint64_t started_ns;
	struct out out;
	bool verbose;
	const struct class_cidr *fixed[64]; /* CIDRs whose fix was shown */
	int nr_fixed;
	struct route_cache *rc;
	uint64_t received; /* events read from the ring buffer */
	uint64_t recovered; /* flows found by a sweep whose event was lost */
	struct pcap_writer *pcap;
	/* --top */
	struct snapshot view[2]; /* the last two refreshes, for rates */
	int view_cur, view_have;
	uint64_t view_ns; /* monotonic time of view[view_cur] */
	enum flow_sort sort;
	char where[160];
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t resized;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

/* --top owns the terminal: diagnostics go to its status line instead. */
static int top_active;
static char top_msg[200];
static struct termios saved_tty;
static int tty_saved;

static void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (top_active) {
		vsnprintf(top_msg, sizeof(top_msg), fmt, ap);
		top_msg[strcspn(top_msg, "\n")] = '\0';
	} else {
		fputs("tunleak: ", stderr);
		vfprintf(stderr, fmt, ap);
	}
	va_end(ap);
}

/* Give the terminal back as it was: on every way out (also from atexit). */
static void term_restore(void)
{
	if (top_active) {
		fputs("\033[?25h\033[?1049l", stdout); /* cursor on, main screen */
		fflush(stdout);
		top_active = 0;
	}
	if (tty_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
		tty_saved = 0;
	}
}

static void term_enter(void)
{
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tty)) {
		struct termios t = saved_tty;

		t.c_lflag &= ~(ICANON | ECHO); /* keys one by one, unechoed; ^C still signals */
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		tty_saved = 1;
	}
	fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, cursor off */
	fflush(stdout);
	top_active = 1;
	atexit(term_restore);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *kind_name(int kind)
{
	return kind == KIND_TCX ? "tcx" : kind == KIND_TC ? "tc" : "none";
}

/* --- flows: events and sweeps --------------------------------------------- */

static void fill_rec(struct app *app, struct flow_rec *r, int type, int cls, uint64_t first_mono,
		     int reply, int reply_slot)
{
	const struct slot *s = &app->slots[r->key.slot % TL_MAX_SLOTS];

	r->type = type;
	r->cls = cls;
	r->reply = reply;
	if (reply)
		snprintf(r->reply_to, sizeof(r->reply_to), "%s",
			 reply_slot < app->nr_slots ? app->slots[reply_slot].name : "?");
	snprintf(r->iface, sizeof(r->iface), "%s", r->key.slot < app->nr_slots ? s->name : "?");
	r->first_ns = first_mono + app->mono_to_real;
	r->last_ns = r->first_ns;
}

/* Why it went there (the route), and what fixes it (once per CIDR in text). */
static void diagnose(struct app *app, struct flow_rec *r)
{
	const struct config *cfg = &app->cfg;
	const struct class_cidr *cc;
	struct route_info ri;
	const char *via;
	uint8_t gw[16];
	int has_gw, i, leak = r->type == TL_TYPE_LEAK;

	if (route_cache__get(app->rc, r->key.family, r->key.dst, r->key.src, &ri))
		return;
	route_format(&ri, r->route, sizeof(r->route));
	r->has_route = 1;
	cc = audit_cidr_for(cfg->cidrs, cfg->nr_cidrs, r->key.family, r->key.dst);
	if (!cc)
		return;
	via = leak ? route_cache__gateway(app->rc, 0, r->key.family, (char(*)[16])cfg->ifaces,
					  cfg->nr_ifaces, gw, &has_gw) :
		     route_cache__gateway(app->rc, 1, r->key.family, (char(*)[16])cfg->tunnels,
					  cfg->nr_tunnels, gw, &has_gw);
	audit_fix(&cc->cidr, &ri, via, has_gw ? gw : NULL, r->fix, sizeof(r->fix));
	for (i = 0; i < app->nr_fixed; i++)
		if (app->fixed[i] == cc)
			return;
	if (app->nr_fixed < 64)
		app->fixed[app->nr_fixed++] = cc;
	r->show_fix = 1;
}

static void report(struct app *app, struct flow_rec *r)
{
	if (r->reported)
		return;
	r->reported = 1;
	diagnose(app, r);
	if (!app->cfg.top)
		event_print(&app->out, r);
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct tl_event *e = data;
	struct app *app = ctx;
	struct flow_rec *r;
	int is_new;

	if (len < sizeof(*e))
		return 0;
	app->received++;
	r = flows__upsert(app->flows, &e->key, &is_new);
	if (!r)
		return 0;
	if (is_new) {
		fill_rec(app, r, e->type, e->cls, e->ts_ns, e->reply, e->reply_slot);
		flows__set_kernel_counts(app->flows, r, e->packets, e->bytes,
					 e->ts_ns + app->mono_to_real);
	}
	report(app, r);
	return 0;
}

static int on_pkt(void *ctx, void *data, size_t len)
{
	const struct tl_pkt *p = data;
	struct app *app = ctx;

	if (len < sizeof(*p) || !app->pcap)
		return 0;
	pcap__write(app->pcap, p->ts_ns + app->mono_to_real, p->data, p->caplen, p->origlen);
	return 0;
}

static void on_swept(const struct tl_flow_key *k, const struct tl_flow_val *v, void *ctx)
{
	struct app *app = ctx;
	struct flow_rec *r;
	int is_new;

	r = flows__upsert(app->flows, k, &is_new);
	if (!r)
		return;
	if (is_new) {
		/* its event was lost */
		fill_rec(app, r, v->type, v->cls, v->first_ns, v->reply, v->reply_slot);
		app->recovered++;
	}
	flows__set_kernel_counts(app->flows, r, v->packets, v->bytes,
				 v->last_ns + app->mono_to_real);
	report(app, r);
}

static void sweep(struct app *app)
{
	ring_buffer__consume(app->rb);
	loader_sweep_flows(app->skel, on_swept, app);
	fflush(stdout);
}

/* --- snapshot and export --------------------------------------------------- */

static void build_snapshot(struct app *app, struct snapshot *s)
{
	static struct tl_counter c[TL_MAX_SLOTS][2][TL_NR_COUNTERS];
	int i;

	memset(s, 0, sizeof(*s));
	s->started_ns = app->started_ns;
	s->updated_ns = now_ns(CLOCK_REALTIME);
	s->netns = app->cfg.netns;
	s->attach_mode = kind_name(app->kind);
	s->flows = app->flows;
	s->received = app->received;
	s->recovered = app->recovered;
	s->pcap_path = app->cfg.pcap_path;
	s->pcap_packets = pcap__packets(app->pcap);
	s->pcap_dropped = pcap__dropped(app->pcap);
	loader_read_counters(app->skel, c);
	loader_read_stats(app->skel, s->stats);
	s->nr_ifaces = app->nr_slots;
	for (i = 0; i < app->nr_slots; i++) {
		struct iface_snap *is = &s->ifaces[i];

		snprintf(is->name, sizeof(is->name), "%s", app->slots[i].name);
		is->role = app->slots[i].role;
		is->state = app->slots[i].state;
		is->ifindex = app->slots[i].ifindex;
		is->l2 = app->slots[i].l2;
		memcpy(is->c, c[i], sizeof(is->c));
	}
}

static int write_export(struct app *app)
{
	struct snapshot s;
	int err;

	if (!app->cfg.export_path)
		return 0;
	build_snapshot(app, &s);
	err = export_write(app->cfg.export_path, app->cfg.export_fmt, &s);
	if (err)
		warn("write %s: %s\n", app->cfg.export_path, strerror(-err));
	return err;
}

/* --- the live table ----------------------------------------------------------- */

static void top_draw(struct app *app, bool tick)
{
	static char buf[64 * 1024];
	static const struct flow_rec *list[256];
	struct table_view v = { 0 };
	struct snapshot *now = &app->view[app->view_cur], *prev;
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	uint64_t mono = now_ns(CLOCK_MONOTONIC);
	const char *nc = getenv("NO_COLOR");
	int rows, n, lines;
	char *p, *nl;

	if (tick) {
		/* a new refresh: rates against the one before */
		app->view_cur ^= 1;
		now = &app->view[app->view_cur];
		build_snapshot(app, now);
		if (app->view_have) {
			double dt = (mono - app->view_ns) / 1e9;
			const struct flow_rec *r = NULL;

			while ((r = flows__next(app->flows, r))) {
				struct flow_rec *w = (struct flow_rec *)r;

				w->pps = dt > 0 ? (w->packets - w->view_packets) / dt : 0;
				w->view_packets = w->packets;
			}
			v.dt = dt;
		}
		app->view_ns = mono;
		app->view_have++;
	}
	prev = app->view_have > 1 ? &app->view[app->view_cur ^ 1] : NULL;
	if (!tick && prev)
		v.dt = (app->view[app->view_cur].updated_ns - prev->updated_ns) / 1e9;
	ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	rows = ws.ws_row > 12 ? ws.ws_row - 10 : 2;
	if (rows > 256)
		rows = 256;
	/* flows not seen for a minute leave the view (not the export) */
	n = (int)flows__top(app->flows, list, rows, app->sort,
			    now->updated_ns > 60000000000ULL ? now->updated_ns - 60000000000ULL : 0);
	v.now = now;
	v.prev = prev;
	v.where = app->where;
	v.attach = kind_name(app->kind);
	v.uptime_s = (now->updated_ns - app->started_ns) / 1000000000ULL;
	v.sort = app->sort;
	v.flows = list;
	v.nflows = n;
	v.now_ns = now->updated_ns;
	v.message = top_msg[0] ? top_msg : NULL;
	v.color = !(nc && *nc);
	lines = table_render(buf, sizeof(buf), ws.ws_col, ws.ws_row, &v);
	fputs("\033[H", stdout);
	for (p = buf; lines-- > 0 && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		fwrite(p, 1, nl - p, stdout);
		fputs("\033[K\r\n", stdout);
	}
	fputs("\033[J", stdout);
	fflush(stdout);
}

/* A key in the live table; returns 1 to quit. */
static int top_key(struct app *app)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1) {
		if (c == 'q' || c == 'Q')
			return 1;
		if (c == 'p')
			app->sort = FLOW_SORT_PACKETS;
		else if (c == 'b')
			app->sort = FLOW_SORT_BYTES;
		else if (c == 'l')
			app->sort = FLOW_SORT_LAST;
	}
	top_draw(app, false);
	return 0;
}

/* --- interfaces ------------------------------------------------------------- */

static int attach_slot(struct app *app, struct slot *s, uint32_t ifindex, int l2, char *err,
		       size_t errlen)
{
	int prog_fd[2] = { loader_prog_fd(app->skel, TL_DIR_INGRESS),
			   loader_prog_fd(app->skel, TL_DIR_EGRESS) };
	int ret;

	/* The map entry first, so the first attached packet is counted. */
	ret = loader_set_iface(app->skel, ifindex, s - app->slots, s->role, l2);
	if (ret) {
		snprintf(err, errlen, "%s: cannot record interface: %s", s->name, strerror(-ret));
		return ret;
	}
	ret = attach_iface(&s->att, app->ns, ifindex, s->name, app->kind, prog_fd, err, errlen);
	if (ret) {
		loader_del_iface(app->skel, ifindex);
		return ret;
	}
	s->ifindex = ifindex;
	s->l2 = l2;
	s->state = "attached";
	return 0;
}

static void detach_slot(struct app *app, struct slot *s, bool dev_gone)
{
	if (!s->ifindex)
		return;
	detach_iface(&s->att, dev_gone);
	loader_del_iface(app->skel, s->ifindex);
	s->ifindex = 0;
}

static void sweep_stale(struct app *app, const char *name, uint32_t ifindex)
{
	int foreign = 0, n = cleanup_stale(app->ns, ifindex, &foreign);

	if (n > 0)
		warn("removed %d stale tunleak filter%s from %s (a killed run)\n", n,
		     n == 1 ? "" : "s", name);
	if (foreign)
		warn("%s: a filter that is not tunleak's sits at handle 0x%x prio %d; left alone\n",
		     name, TL_TC_HANDLE, TL_TC_PRIO);
}

/* Tunnels come and go (OpenVPN recreates tun0 on each reconnect): follow them
 * by name. Cluster interfaces are followed the same way once attached. */
static void watch_ifaces(struct app *app)
{
	char err[256];
	int i;

	for (i = 0; i < app->nr_slots; i++) {
		struct slot *s = &app->slots[i];
		struct link_info l = { 0 };
		uint32_t idx;
		int l2;

		if (nl__link_get(app->nl, s->name, &l))
			l.ifindex = 0;
		idx = l.ifindex;
		l2 = l.l2;
		if (idx == s->ifindex)
			continue;
		if (s->ifindex) {
			detach_slot(app, s, true);
			s->state = "gone";
			warn("%s gone\n", s->name);
		}
		if (!idx)
			continue;
		sweep_stale(app, s->name, idx);
		if (attach_slot(app, s, idx, l2, err, sizeof(err))) {
			warn("%s\n", err);
			continue;
		}
		warn("%s attached (ifindex %u, %s, %s)\n", s->name, idx, l2 ? "l2" : "l3",
		     kind_name(app->kind));
	}
}

/* --- commands --------------------------------------------------------------- */

static int usage_error(const char *msg)
{
	fprintf(stderr, "tunleak: %s\n", msg);
	return EXIT_USAGE;
}

static int cmd_cleanup(struct config *cfg)
{
	char err[256], ns[128];
	struct link_info *links = NULL;
	struct netns *nsh = NULL;
	struct nl *nl = NULL;
	int i, n = 0, total = 0, ret = EXIT_USAGE;

	if (caps_check(NEED_NET_ADMIN | NEED_BPF | (cfg->netns || cfg->pid ? NEED_SETNS : 0), err,
		       sizeof(err)))
		return usage_error(err);
	nsh = netns__open_arg(cfg->netns, cfg->pid, err, sizeof(err));
	if (!nsh)
		return usage_error(err);
	netns_label(cfg->netns, cfg->pid, ns, sizeof(ns));
	nl = nl__open(nsh);
	if (!nl) {
		fprintf(stderr, "tunleak: cleanup: netlink in %s: %s\n", ns, strerror(errno));
		goto out;
	}
	if (cfg->nr_ifaces || cfg->nr_tunnels) {
		links = calloc(cfg->nr_ifaces + cfg->nr_tunnels, sizeof(*links));
		if (!links)
			goto out;
		for (i = 0; i < cfg->nr_ifaces + cfg->nr_tunnels; i++) {
			const char *name = i < cfg->nr_ifaces ? cfg->ifaces[i] :
								cfg->tunnels[i - cfg->nr_ifaces];

			if (nl__link_get(nl, name, &links[n])) {
				fprintf(stderr, "tunleak: %s \"%s\": no such interface in %s\n",
					i < cfg->nr_ifaces ? "--iface" : "--tunnel", name, ns);
				goto out;
			}
			n++;
		}
	} else if (nl__link_dump(nl, &links, &n)) {
		fprintf(stderr, "tunleak: cleanup: cannot list the interfaces of %s\n", ns);
		goto out;
	}
	for (i = 0; i < n; i++) {
		int m = cleanup_stale(nsh, links[i].ifindex, NULL);

		if (m > 0)
			fprintf(stderr, "tunleak: %s: removed %d filter%s\n", links[i].name, m,
				m == 1 ? "" : "s");
		total += m > 0 ? m : 0;
	}
	fprintf(stderr, "tunleak: cleanup: %d stale filter%s removed in %s\n", total,
		total == 1 ? "" : "s", ns);
	ret = 0;
out:
	free(links);
	nl__free(nl);
	netns__free(nsh);
	return ret;
}

static void add_slot(struct app *app, const char *name, int role)
{
	struct slot *s = &app->slots[app->nr_slots++];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->role = role;
	s->state = "waiting";
}

static int cmd_trace(struct app *app)
{
	struct config *cfg = &app->cfg;
	struct loader_opts lo = {};
	struct sigaction sa = {};
	char err[256], ns[128];
	uint64_t next_export, deadline = 0, next_watch;
	struct nl_monitor *mon = NULL;
	int i, ret = 0, nready = 0, ep = -1, lfd = -1;

	if (cfg->top && !isatty(STDOUT_FILENO))
		return usage_error("--top needs a terminal on stdout (use the event stream or --json)");
	if (caps_check(NEED_NET_ADMIN | NEED_BPF | (cfg->netns || cfg->pid ? NEED_SETNS : 0), err,
		       sizeof(err)))
		return usage_error(err);
	app->ns = netns__open_arg(cfg->netns, cfg->pid, err, sizeof(err));
	if (!app->ns)
		return usage_error(err);
	netns_label(cfg->netns, cfg->pid, ns, sizeof(ns));
	app->nl = nl__open(app->ns);
	if (!app->nl) {
		fprintf(stderr, "tunleak: netlink in %s: %s\n", ns, strerror(errno));
		return EXIT_USAGE;
	}

	for (i = 0; i < cfg->nr_ifaces; i++)
		add_slot(app, cfg->ifaces[i], TL_ROLE_CLUSTER);
	for (i = 0; i < cfg->nr_tunnels; i++)
		add_slot(app, cfg->tunnels[i], TL_ROLE_TUNNEL);

	/* A cluster interface must be there; a tunnel may come later. */
	for (i = 0; i < cfg->nr_ifaces; i++) {
		struct link_info l;

		if (nl__link_get(app->nl, cfg->ifaces[i], &l)) {
			fprintf(stderr, "tunleak: --iface \"%s\": no such interface in %s\n",
				cfg->ifaces[i], ns);
			return EXIT_USAGE;
		}
	}

	app->flows = flows__new(USER_FLOWS_MAX);
	if (!app->flows)
		return usage_error("out of memory");
	app->started_ns = now_ns(CLOCK_REALTIME);
	app->mono_to_real = (int64_t)app->started_ns - (int64_t)now_ns(CLOCK_MONOTONIC);
	app->out.f = stdout;
	app->out.json = cfg->json;
	app->out.batch = true; /* flushed after each batch read from the ring */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	app->rc = route_cache__new(app->nl);
	if (!app->rc)
		return usage_error("out of memory");

	/* Open, parameterize and load the BPF object, fill the CIDR tries */
	lo.cidrs = cfg->cidrs;
	lo.nr_cidrs = cfg->nr_cidrs;
	lo.max_flows = cfg->max_flows;
	if (cfg->pcap_path) {
		lo.pcap_packets = cfg->pcap_packets;
		lo.pcap_snaplen = cfg->snaplen;
	}
	app->skel = loader_load(&lo);
	if (!app->skel) {
		fprintf(stderr, "tunleak: cannot load the BPF programs: %s%s\n", strerror(errno),
			cfg->verbose ? "" : " (run with -v for the verifier log)");
		ret = EXIT_USAGE;
		goto cleanup;
	}

	/* An unwritable export file is a usage error, found before attaching */
	if (cfg->export_path && write_export(app)) {
		fprintf(stderr, "tunleak: --export \"%s\": cannot write the counters file\n",
			cfg->export_path);
		ret = EXIT_USAGE;
		goto cleanup;
	}

	/* An unwritable pcap file too */
	if (cfg->pcap_path) {
		app->pcap = pcap__open(cfg->pcap_path, cfg->snaplen,
				       (uint64_t)cfg->pcap_max_mb * 1024 * 1024);
		if (!app->pcap) {
			fprintf(stderr, "tunleak: --pcap \"%s\": cannot create: %s\n",
				cfg->pcap_path, strerror(errno));
			ret = EXIT_USAGE;
			goto cleanup;
		}
	}

	app->rb = ring_buffer__new(loader_events_fd(app->skel), on_event, app, NULL);
	if (app->rb && cfg->pcap_path &&
	    ring_buffer__add(app->rb, loader_pkts_fd(app->skel), on_pkt, app)) {
		ring_buffer__free(app->rb);
		app->rb = NULL;
	}
	if (!app->rb) {
		fprintf(stderr, "tunleak: cannot open the ring buffer: %s\n", strerror(errno));
		ret = EXIT_USAGE;
		goto cleanup;
	}

	/* Signal handlers before the first attach: a Ctrl-C from here on still
	 * goes through cleanup. */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Choose tcx links or legacy tc filters */
	{
		struct link_info l = { 0 };
		int has_tcx;

		nl__link_get(app->nl, cfg->ifaces[0], &l);
		has_tcx = tcx_supported(app->ns, l.ifindex);
		if (cfg->attach == ATTACH_TCX && !has_tcx) {
			fprintf(stderr,
				"tunleak: --attach \"tcx\": this kernel has no tcx links (Linux >= 6.6); use --attach tc\n");
			ret = EXIT_USAGE;
			goto cleanup;
		}
		app->kind = cfg->attach == ATTACH_TC ? KIND_TC :
			    cfg->attach == ATTACH_TCX ? KIND_TCX :
			    has_tcx			      ? KIND_TCX :
							KIND_TC;
	}

	/* Attach to every cluster interface; any failure undoes them all */
	for (i = 0; i < cfg->nr_ifaces; i++) {
		struct slot *s = &app->slots[i];
		struct link_info l;

		if (nl__link_get(app->nl, s->name, &l)) {
			fprintf(stderr, "tunleak: --iface \"%s\": no such interface in %s\n",
				s->name, ns);
			ret = EXIT_USAGE;
			goto cleanup;
		}
		sweep_stale(app, s->name, l.ifindex);
		if (attach_slot(app, s, l.ifindex, l.l2, err, sizeof(err))) {
			fprintf(stderr, "tunleak: %s\n", err);
			ret = EXIT_USAGE;
			goto cleanup;
		}
		if (stop_signal)
			goto cleanup;
	}
	/* Tunnels that exist now; the others are waited for */
	watch_ifaces(app);
	for (i = 0; i < app->nr_slots; i++) {
		if (app->slots[i].ifindex)
			nready++;
		else
			warn("waiting for %s\n", app->slots[i].name);
	}
	warn("tracing %d interface%s in %s (%s); Ctrl-C to stop\n", nready, nready == 1 ? "" : "s",
	     ns, kind_name(app->kind));
	snprintf(app->where, sizeof(app->where), "%s", ns);
	if (cfg->top) {
		struct sigaction wa = { .sa_handler = on_winch };

		sigaction(SIGWINCH, &wa, NULL);
		term_enter();
		top_draw(app, true);
	}

	next_export = now_ns(CLOCK_MONOTONIC) + (uint64_t)(cfg->interval * 1e9);
	next_watch = now_ns(CLOCK_MONOTONIC) + TUNNEL_POLL_MS * 1000000ULL;
	if (cfg->duration > 0)
		deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)(cfg->duration * 1e9);

	/* Wake on events and on link changes; sweep and export on the clock */
	ep = epoll_create1(EPOLL_CLOEXEC);
	mon = nl_monitor__open(app->ns);
	lfd = mon ? nl_monitor__fd(mon) : -errno;
	if (ep >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };

		epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(app->rb), &ev);
		if (mon) {
			ev.data.u32 = 2;
			epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
		}
		if (cfg->top && tty_saved) {
			ev.data.u32 = 3;
			epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev);
		}
	}
	if (lfd < 0)
		warn("link events unavailable (%s); polling interfaces\n", strerror(-lfd));

	while (!stop_signal) {
		struct epoll_event evs[4];
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		uint64_t next = next_export < next_watch ? next_export : next_watch;
		int n, k, timeout, relink = 0;

		if (deadline && deadline < next)
			next = deadline;
		timeout = next > now ? (int)((next - now + 999999) / 1000000) : 0;
		/* The programs wake us only every so many events (a wakeup per
		 * event would cost the datapath microseconds): drain on a tick. */
		if (timeout > DRAIN_MS)
			timeout = DRAIN_MS;
		n = epoll_wait(ep, evs, 4, timeout);
		if (n < 0 && errno != EINTR) {
			warn("epoll: %s\n", strerror(errno));
			break;
		}
		for (k = 0; k < n; k++) {
			int m;

			if (evs[k].data.u32 == 3 && top_key(app))
				stop_signal = SIGTERM; /* q: as on SIGTERM */
			if (evs[k].data.u32 != 2)
				continue;
			m = nl_monitor__drain(mon);
			if (m & ROUTES_CHANGED)
				route_cache__invalidate(app->rc);
			if (m & LINK_CHANGED)
				relink = 1; /* a change, or lost events: rescan */
		}
		ring_buffer__consume(app->rb);
		fflush(stdout);
		now = now_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline)
			break;
		if (relink || now >= next_watch) {
			watch_ifaces(app);
			next_watch = now + (lfd >= 0 ? 1000 : TUNNEL_POLL_MS) * 1000000ULL;
		}
		if (now >= next_export) {
			sweep(app);
			write_export(app);
			if (cfg->top)
				top_draw(app, true);
			next_export = now + (uint64_t)(cfg->interval * 1e9);
		} else if (cfg->top && resized) {
			resized = 0;
			top_draw(app, false);
		}
	}

cleanup:
	term_restore();
	/* Detach everything first, so the final counts are final */
	{
		struct attachment *list[TL_MAX_SLOTS];
		int n = 0;

		for (i = 0; i < app->nr_slots; i++)
			if (app->slots[i].ifindex)
				list[n++] = &app->slots[i].att;
		detach_many(list, n, false);
		for (i = 0; i < app->nr_slots; i++)
			detach_slot(app, &app->slots[i], false);
	}
	if (app->skel && app->rb) {
		struct snapshot s;
		struct totals t;

		sweep(app);
		if (write_export(app) && !ret)
			ret = EXIT_USAGE;
		if (nready || ret == 0) {
			build_snapshot(app, &s);
			snapshot_totals(&s, &t);
			warn("detached; %" PRIu64 " leak packet%s in %" PRIu64 " flow%s, %" PRIu64
			     " bypass packet%s in %" PRIu64 " flow%s, %" PRIu64
			     " event%s dropped\n",
			     t.leak_packets, t.leak_packets == 1 ? "" : "s", t.leak_flows,
			     t.leak_flows == 1 ? "" : "s", t.bypass_packets,
			     t.bypass_packets == 1 ? "" : "s", t.bypass_flows,
			     t.bypass_flows == 1 ? "" : "s", s.stats[TL_STAT_EVENTS_DROPPED],
			     s.stats[TL_STAT_EVENTS_DROPPED] == 1 ? "" : "s");
		}
	}
	if (ep >= 0)
		close(ep);
	nl_monitor__free(mon);
	ring_buffer__free(app->rb);
	loader_free(app->skel);
	flows__free(app->flows);
	route_cache__free(app->rc);
	pcap__close(app->pcap);
	nl__free(app->nl);
	netns__free(app->ns);
	return ret;
}

int main(int argc, char **argv)
{
	static struct app app;
	char err[512];
	int ret;

	ret = cli_parse(argc, argv, &app.cfg, err, sizeof(err));
	if (ret == CLI_HELP) {
		fputs(cli_usage(), stdout);
		return 0;
	}
	if (ret == CLI_VERSION) {
		printf("tunleak %s\n", TUNLEAK_VERSION);
		return 0;
	}
	if (ret != CLI_RUN) {
		fprintf(stderr, "tunleak: %s\n", err);
		cli_free(&app.cfg);
		return EXIT_USAGE;
	}
	ret = netns_init();
	if (ret) {
		fprintf(stderr, "tunleak: cannot open its own network namespace: %s\n",
			strerror(-ret));
		return EXIT_USAGE;
	}
	/* libbpf's own messages (verifier log, netlink errors) only with -v */
	libbpf_set_print(app.cfg.verbose ? libbpf_print : NULL);
	switch (app.cfg.cmd) {
	case CMD_CLEANUP:
		ret = cmd_cleanup(&app.cfg);
		break;
	case CMD_CHECK:
		ret = cmd_check(&app.cfg);
		break;
	default:
		ret = cmd_trace(&app);
		break;
	}
	cli_free(&app.cfg);
	return ret;
}
