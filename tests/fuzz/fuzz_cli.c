// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: cli_parse() on an argv made from the input (one argument
 * per line, or NUL-separated): any argv gives a result or one error line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *buf, *p, *end, err[512];
	struct config cfg;
	int argc = 1, ret;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "tunleak";
	for (p = buf; p < buf + size; p++) /* NUL or newline ends an argument */
		if (*p == '\n')
			*p = '\0';
	for (p = buf, end = buf + size; p <= end && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	ret = cli_parse(argc, argv, &cfg, err, sizeof(err));
	switch (ret) {
	case CLI_ERROR:
		if (!err[0] || strchr(err, '\n'))
			abort();
		break;
	case CLI_RUN:
		if (cfg.nr_cidrs < 0 || cfg.nr_cidrs > CLI_MAX_CIDRS || cfg.interval <= 0)
			abort();
		break;
	case CLI_HELP:
	case CLI_VERSION:
		break;
	default:
		abort();
	}
	cli_free(&cfg);
	free(buf);
	return 0;
}
