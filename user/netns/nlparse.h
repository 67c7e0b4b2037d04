/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The rtnetlink answers tunleak reads (RTM_NEWLINK, RTM_NEWROUTE), parsed
 * without a socket. Plain C over libnl-3's attribute parser, so that unit
 * tests and a fuzzer drive it: what the kernel sends is outside input.
 *
 * Both functions take a message aligned to 4 bytes (NLMSG_ALIGNTO) with len
 * readable bytes at nlh. They read nothing past len, nor past nlh->nlmsg_len
 * (the bytes after the message are not its own). They return 0 and fill *out,
 * or -EINVAL and leave *out untouched when the message is not of their type,
 * claims more bytes than len, or is malformed (an attribute of the wrong size,
 * a prefix longer than the address, a bad next hop list).
 */
#ifndef TL_NLPARSE_H
#define TL_NLPARSE_H

#include <stddef.h>

#include "model/route_info.h"
#include "model/links.h"

struct nlmsghdr;

/* RTM_NEWLINK: ifindex (> 0), name (IFLA_IFNAME, required: 1-15 bytes and
 * its NUL), kind (IFLA_LINKINFO/IFLA_INFO_KIND, "" without; cut to fit),
 * arphrd, l2 and up. */
int link_parse(const struct nlmsghdr *nlh, size_t len, struct link_info *out);

/* RTM_NEWROUTE of AF_INET or AF_INET6: family 4 or 6, dst and dst_len (at most
 * 32 or 128), type, table (RTA_TABLE over rtm_table), oif, gateway. A route
 * with several next hops (RTA_MULTIPATH) and no RTA_OIF takes the first next
 * hop's interface and gateway. oif_name is left empty (it needs the link
 * table: route.c). */
int route_parse(const struct nlmsghdr *nlh, size_t len, struct route_info *out);

#endif
