/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Diagnostics: the one way to stderr. One line each as "tunleak: ...",
 * control characters escaped (interface names and pod names come from the
 * pods), a trailing newline in the format optional.
 *
 * warn() says something and the run goes on; log_error() says why it stops.
 * While a sink owns the terminal (the live table of --top), both go to the
 * sink (its status line); error lines are also held, and written to stderr
 * when the sink lets go, where they stay readable after the table is gone.
 * At most LOG_HELD_BYTES of them are held: the lines beyond are counted, and
 * said as one line after the held ones.
 */
#ifndef TL_LOG_H
#define TL_LOG_H

#define LOG_HELD_BYTES 8192

void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Send lines to sink (NULL: back to stderr, writing the held error lines).
 * The sink is called with the log's lock held: it must not log itself. */
void log_set_sink(void (*sink)(const char *line, void *ctx), void *ctx);

#endif
