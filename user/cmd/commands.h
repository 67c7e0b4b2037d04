/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The commands, one file each; main() parses the command line and calls one. */
#ifndef TL_COMMANDS_H
#define TL_COMMANDS_H

#include "config/cli.h"

/* Exit codes: 0 success; 1 check found a problem; 2 usage or environment. */
#define EXIT_FINDINGS 1
#define EXIT_USAGE    2

/* Attach, stream leak and bypass events, keep counters (trace.c). */
int cmd_trace(struct config *cfg);
/* Audit the namespace's routes, attach nothing (check.c). */
int cmd_check(struct config *cfg);
/* Remove tunleak filters left behind by a killed run (cleanup.c). */
int cmd_cleanup(struct config *cfg);

#endif
