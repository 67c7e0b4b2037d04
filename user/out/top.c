// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "out/export.h"
#include "model/flows.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "out/table.h"
#include "out/top.h"

#define TOP_BUF	     (64 * 1024)
#define TOP_MAX_ROWS 256

struct top {
	char where[192];
	const char *attach;
	bool node_mode;
	struct snapshot view[2]; /* the last two refreshes, for rates */
	int cur, have;
	uint64_t view_ns; /* monotonic time of view[cur] */
	enum flow_sort sort;
	char msg[200]; /* the last diagnostic */
	struct termios saved;
	bool tty_saved;
	char *buf;
	const struct flow_rec **list;
};

/* The terminal is the process's: one owner, restored also from atexit(). */
static struct top *term_owner;
static volatile sig_atomic_t resize_pending;

void top_resized(void)
{
	resize_pending = 1;
}

bool top_resize_pending(void)
{
	bool r = resize_pending;

	resize_pending = 0;
	return r;
}

static void restore(void)
{
	struct top *t = term_owner;

	if (!t)
		return;
	fputs("\033[?25h\033[?1049l", stdout); /* cursor on, main screen */
	fflush(stdout);
	if (t->tty_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t->saved);
	t->tty_saved = false;
	term_owner = NULL;
}

static void on_log(const char *line, void *ctx)
{
	struct top *t = ctx;

	snprintf(t->msg, sizeof(t->msg), "%s", line);
}

struct top *top__new(const char *where, const char *attach, bool node_mode)
{
	struct top *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->buf = malloc(TOP_BUF);
	t->list = calloc(TOP_MAX_ROWS, sizeof(*t->list));
	if (!t->buf || !t->list) {
		top__free(t);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(t->where, sizeof(t->where), "%s", where);
	t->attach = attach;
	t->node_mode = node_mode;
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &t->saved)) {
		struct termios n = t->saved;

		n.c_lflag &= ~(ICANON | ECHO); /* keys one by one, unechoed; ^C still signals */
		n.c_cc[VMIN] = 0;
		n.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &n);
		t->tty_saved = true;
	}
	fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, cursor off */
	fflush(stdout);
	term_owner = t;
	atexit(restore);
	log_set_sink(on_log, t);
	return t;
}

void top__free(struct top *t)
{
	if (!t)
		return;
	if (term_owner == t)
		restore();
	log_set_sink(NULL, NULL);
	snapshot_free(&t->view[0]);
	snapshot_free(&t->view[1]);
	free(t->buf);
	free(t->list);
	free(t);
}

int top__key_fd(const struct top *t)
{
	return t->tty_saved ? STDIN_FILENO : -1;
}

static void draw(struct top *t, struct flows *f, double dt)
{
	struct table_view v = {0};
	struct snapshot *now = &t->view[t->cur];
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	const char *nc = getenv("NO_COLOR");
	int rows, n, lines;
	char *p, *nl;

	ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	rows = ws.ws_row > 12 ? ws.ws_row - 10 : 2;
	if (rows > TOP_MAX_ROWS)
		rows = TOP_MAX_ROWS;
	/* flows not seen for a minute leave the view (not the export) */
	n = (int)flows__top(f, t->list, rows, t->sort,
			    now->updated_ns > 60000000000ULL ? now->updated_ns - 60000000000ULL
							     : 0);
	v.now = now;
	v.prev = t->have > 1 ? &t->view[t->cur ^ 1] : NULL;
	v.dt = dt;
	v.where = t->where;
	v.node_mode = t->node_mode;
	v.attach = t->attach;
	v.uptime_s = (now->updated_ns - now->started_ns) / 1000000000ULL;
	v.sort = t->sort;
	v.flows = t->list;
	v.nflows = n;
	v.now_ns = now->updated_ns;
	v.message = t->msg[0] ? t->msg : NULL;
	v.color = !(nc && *nc);
	lines = table_render(t->buf, TOP_BUF, ws.ws_col, ws.ws_row, &v);
	fputs("\033[H", stdout);
	for (p = t->buf; lines-- > 0 && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		fwrite(p, 1, nl - p, stdout);
		fputs("\033[K\r\n", stdout);
	}
	fputs("\033[J", stdout);
	fflush(stdout);
}

void top__refresh(struct top *t, struct snapshot *snap, struct flows *f)
{
	uint64_t mono = clock_ns(CLOCK_MONOTONIC);
	double dt = 0;
	struct snapshot old;

	/* the new refresh replaces the one before the last */
	t->cur ^= 1;
	old = t->view[t->cur];
	t->view[t->cur] = *snap;
	*snap = old;
	snapshot_clear(snap);
	if (t->have) {
		const struct flow_rec *r = NULL;

		dt = (mono - t->view_ns) / 1e9;
		while ((r = flows__next(f, r))) {
			struct flow_rec *w = (struct flow_rec *)r;

			w->pps = dt > 0 ? (w->packets - w->view_packets) / dt : 0;
			w->view_packets = w->packets;
		}
	}
	t->view_ns = mono;
	t->have++;
	draw(t, f, dt);
}

void top__redraw(struct top *t, struct flows *f)
{
	double dt = 0;

	if (!t->have)
		return;
	if (t->have > 1)
		dt = (t->view[t->cur].updated_ns - t->view[t->cur ^ 1].updated_ns) / 1e9;
	draw(t, f, dt);
}

int top__keys(struct top *t, struct flows *f)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1) {
		if (c == 'q' || c == 'Q')
			return 1;
		if (c == 'p')
			t->sort = FLOW_SORT_PACKETS;
		else if (c == 'b')
			t->sort = FLOW_SORT_BYTES;
		else if (c == 'l')
			t->sort = FLOW_SORT_LAST;
	}
	top__redraw(t, f);
	return 0;
}
