// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/escape.h"

/* Where lines go: the process has one stderr, so one sink. */
static void (*log_sink)(const char *line, void *ctx);
static void *log_ctx;

void log_set_sink(void (*sink)(const char *line, void *ctx), void *ctx)
{
	log_sink = sink;
	log_ctx = ctx;
}

void warn(const char *fmt, ...)
{
	char raw[1024], line[4096];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	n = strlen(raw);
	if (n && raw[n - 1] == '\n')
		raw[n - 1] = '\0';
	escape_ctl(raw, line, sizeof(line));
	if (log_sink) {
		log_sink(line, log_ctx);
		return;
	}
	fprintf(stderr, "tunleak: %s\n", line);
}
