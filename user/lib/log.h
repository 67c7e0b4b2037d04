/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Diagnostics: one line each on stderr as "tunleak: ...", control characters
 * escaped (interface names and pod names come from the pods). While the live
 * table owns the terminal, lines go to its status line instead.
 */
#ifndef TL_LOG_H
#define TL_LOG_H

void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Send lines to sink (NULL: back to stderr). */
void log_set_sink(void (*sink)(const char *line, void *ctx), void *ctx);

#endif
