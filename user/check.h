/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* tunleak check: audit the routing of the namespace, attach nothing. */
#ifndef TL_CHECK_H
#define TL_CHECK_H

#include "cli.h"

/* Returns the exit code: 0 clean, 1 findings, 2 error (reported). */
int cmd_check(const struct config *cfg);

#endif
