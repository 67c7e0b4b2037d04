// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: cli_parse() on an argv made from the input (one argument
 * per line, or NUL-separated): any argv gives a result or one error line,
 * and parses again alike (getopt's state is reset); a help is printed whole. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"

#define MAX_ARGS 64

static void print_help(const struct config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	cli_help(f, cfg);
	fclose(f);
	if (!len || text[len - 1] != '\n' || strlen(text) != len)
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *buf, *p, *end, err[512], again[512];
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
		if (cfg.nr_cidrs < 0 || cfg.nr_cidrs > CLI_MAX_CIDRS || cfg.interval <= 0 ||
		    cfg.nr_ifaces > CLI_MAX_IFACES || cfg.nr_tunnels > CLI_MAX_IFACES ||
		    cfg.cmd == CMD_VERSION)
			abort();
		break;
	case CLI_HELP:
		print_help(&cfg);
		break;
	case CLI_VERSION:
		break;
	default:
		abort();
	}
	cli_free(&cfg);
	memcpy(again, err, sizeof(err));
	if (cli_parse(argc, argv, &cfg, err, sizeof(err)) != ret || strcmp(err, again))
		abort();
	cli_free(&cfg);
	free(buf);
	return 0;
}
