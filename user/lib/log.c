// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/escape.h"

/* Where lines go: the process has one stderr, so one sink. Probes are
 * loaded on several threads, and any of them may say something. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*log_sink)(const char *line, void *ctx);
static void *log_ctx;
/* Error lines said while a sink held the terminal, each with its newline */
static char held[LOG_HELD_BYTES];
static size_t held_len;
static unsigned int held_dropped;

static void say(bool error, const char *fmt, va_list ap)
{
	char raw[1024], line[4096];
	size_t n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	n = strlen(raw);
	if (n && raw[n - 1] == '\n')
		raw[n - 1] = '\0';
	escape_ctl(raw, line, sizeof(line));
	pthread_mutex_lock(&log_lock);
	if (!log_sink) {
		fprintf(stderr, "tunleak: %s\n", line);
	} else {
		log_sink(line, log_ctx);
		n = strlen(line) + sizeof("tunleak: \n") - 1;
		if (error && held_len + n < sizeof(held)) {
			snprintf(held + held_len, sizeof(held) - held_len, "tunleak: %s\n", line);
			held_len += n;
		} else if (error) {
			held_dropped++;
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(false, fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(true, fmt, ap);
	va_end(ap);
}

void log_set_sink(void (*sink)(const char *line, void *ctx), void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_sink = sink;
	log_ctx = ctx;
	if (!sink) {
		fputs(held, stderr);
		if (held_dropped)
			fprintf(stderr,
				"tunleak: %u more error line%s not kept (%d bytes held at most)\n",
				held_dropped, held_dropped == 1 ? "" : "s", LOG_HELD_BYTES);
		held[0] = '\0';
		held_len = 0;
		held_dropped = 0;
	}
	pthread_mutex_unlock(&log_lock);
}
