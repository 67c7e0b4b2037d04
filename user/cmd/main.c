// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tunleak: find cluster-bound packets that leave a pod through its VPN tunnel.
 * main() parses the command line and runs one command (see commands.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "cmd/commands.h"
#include "config/netconf.h"
#include "lib/log.h"
#include "netns/netns.h"

#ifndef TUNLEAK_VERSION
#define TUNLEAK_VERSION "0.2.0"
#endif

static const struct cmd {
	enum cli_cmd cmd;
	int (*run)(struct config *cfg);
} cmds[] = {
    {CMD_TRACE, cmd_trace},
    {CMD_CHECK, cmd_check},
    {CMD_CLEANUP, cmd_cleanup},
};

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	size_t i;
	int ret;

	ret = cli_parse(argc, argv, &cfg, err, sizeof(err));
	if (ret == CLI_HELP) {
		cli_help(stdout, &cfg);
		return 0;
	}
	if (ret == CLI_VERSION) {
		printf("tunleak %s\n", TUNLEAK_VERSION);
		return 0;
	}
	if (ret != CLI_RUN) {
		log_error("%s", err);
		cli_free(&cfg);
		return EXIT_USAGE;
	}
	/* --cidrs-from: the cluster's own CIDRs, with those of the options */
	if (cfg.cidrs_from) {
		struct class_cidr *list = NULL;
		int n = 0;

		ret = netconf_read_file(cfg.cidrs_from, &list, &n, err, sizeof(err));
		if (!ret)
			ret = cli_add_cidrs(&cfg, list, n, "--cidrs-from", err, sizeof(err));
		free(list);
		if (ret) {
			log_error("--cidrs-from %s", err);
			cli_free(&cfg);
			return EXIT_USAGE;
		}
	}
	/* Every namespace tunleak works in is entered from here and left again */
	ret = netns_init();
	if (ret) {
		log_error("cannot open its own network namespace: %s", strerror(-ret));
		cli_free(&cfg);
		return EXIT_USAGE;
	}
	ret = EXIT_USAGE;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].cmd == cfg.cmd)
			ret = cmds[i].run(&cfg);
	cli_free(&cfg);
	return ret;
}
