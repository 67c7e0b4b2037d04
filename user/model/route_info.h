/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A route as data: what netlink parsing produces and the audit reads. Plain C. */
#ifndef TL_ROUTE_INFO_H
#define TL_ROUTE_INFO_H

#include <stdint.h>

/* A routing entry, as the kernel reports it (netns/route.h reads them). */
struct route_info {
	uint8_t family; /* 4 or 6 */
	uint8_t dst_len;
	uint8_t dst[16];
	uint8_t has_gw;
	uint8_t gw[16];
	uint8_t type; /* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ... */
	uint32_t table;
	int oif; /* 0: none */
	char oif_name[16];
};

#endif
