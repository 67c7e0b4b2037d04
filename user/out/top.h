/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --top: the live table on the terminal. Owns the terminal while it lives
 * (alternate screen, keys one by one, diagnostics on its status line) and
 * gives it back as it was on every way out.
 */
#ifndef TL_TOP_H
#define TL_TOP_H

#include <stdbool.h>

struct flows;
struct snapshot;
struct top;

/* Take the terminal. NULL and errno. */
struct top *top__new(const char *where, const char *attach, bool node_mode);
/* Give the terminal back and free. */
void top__free(struct top *t);
/* stdin, when keys can be read from it; -1 otherwise. */
int top__key_fd(const struct top *t);
/* Read the pending keys: 1 when the user asked to quit. */
int top__keys(struct top *t, struct flows *f);
/* A new refresh: take over snap (its contents; snap is left empty) and draw. */
void top__refresh(struct top *t, struct snapshot *snap, struct flows *f);
/* Draw again (after a resize). */
void top__redraw(struct top *t, struct flows *f);
/* The terminal was resized (from a signal handler: async-signal-safe). */
void top_resized(void);
bool top_resize_pending(void);

#endif
