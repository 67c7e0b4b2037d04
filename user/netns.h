/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Entering the target network namespace, and the capabilities it takes. */
#ifndef TL_NETNS_H
#define TL_NETNS_H

#include <stddef.h>

/* Enter the namespace named by --netns (PATH or NAME) or --pid; neither: stay.
 * Returns 0, or -1 with one line in err. */
int netns_enter(const char *netns, long pid, char *err, size_t errlen);

/* Check the effective capabilities tunleak needs; need_setns adds
 * CAP_SYS_ADMIN. Returns 0, or -1 with one line naming what is missing. */
int caps_check(int need_bpf, int need_setns, char *err, size_t errlen);

#endif
