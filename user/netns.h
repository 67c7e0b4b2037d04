/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Entering the target network namespace, and the capabilities it takes. */
#ifndef TL_NETNS_H
#define TL_NETNS_H

#include <stddef.h>

/* Enter the namespace named by --netns (PATH or NAME) or --pid; neither: stay.
 * Returns 0, or -1 with one line in err. */
int netns_enter(const char *netns, long pid, char *err, size_t errlen);

enum caps_need {
	NEED_NET_ADMIN = 1, /* attach tc programs */
	NEED_BPF = 2, /* load BPF programs (CAP_BPF or CAP_SYS_ADMIN) */
	NEED_SETNS = 4, /* enter another namespace (CAP_SYS_ADMIN) */
};

/* "network namespace NAME", "the network namespace of PID N" or "the current
 * network namespace", for messages. */
const char *netns_label(const char *netns, long pid, char *buf, size_t len);

/* Check the effective capabilities for `need` (enum caps_need bits).
 * Returns 0, or -1 with one line naming what is missing. */
int caps_check(int need, char *err, size_t errlen);

#endif
