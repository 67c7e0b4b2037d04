/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A clock's time in nanoseconds, written once. Plain C. */
#ifndef TL_CLOCK_H
#define TL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif
