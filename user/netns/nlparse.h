/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The rtnetlink answers tunleak reads (links, routes, rules, nexthops,
 * addresses), parsed without a socket. Plain C over libnl-3's attribute
 * parser, so that unit tests and a fuzzer drive it: what the kernel sends is
 * outside input.
 *
 * Each function takes a message aligned to 4 bytes (NLMSG_ALIGNTO) with len
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
 * 32 or 128), src and src_len (as long), type, table (RTA_TABLE over rtm_table), metric, nhid, and
 * every next hop: RTA_OIF with RTA_GATEWAY or RTA_VIA, or each of RTA_MULTIPATH with its weight
 * (the first ROUTE_MAX_NH kept, nh_total counts them all). Next hops' dev names are left empty
 * (they need the link table: route.c); a route of a nexthop object (nhid) has the next hops the
 * message carries (none with net.ipv4.nexthop_compat_mode=0): route.c resolves them. */
int route_parse(const struct nlmsghdr *nlh, size_t len, struct route_info *out);

/* RTM_NEWRULE of AF_INET or AF_INET6: pref, from, to, fwmark/mask, iif, oif,
 * "not", the action and its table, suppress_prefixlength; other set when a
 * selector the audit does not evaluate is there. */
int rule_parse(const struct nlmsghdr *nlh, size_t len, struct rule_info *out);

/* RTM_NEWNEXTHOP: id (> 0), a group's members (each id > 0, weights 1-65536;
 * the first ROUTE_MAX_NH kept, grp_total counts them all) or oif and gateway,
 * or blackhole. */
int nexthop_parse(const struct nlmsghdr *nlh, size_t len, struct nh_info *out);

/* RTM_NEWADDR of AF_INET or AF_INET6: the address (IFA_LOCAL, else
 * IFA_ADDRESS), its prefix length, scope, interface, and whether it can be a
 * source (not tentative, no failed duplicate detection). */
int addr_parse(const struct nlmsghdr *nlh, size_t len, struct addr_info *out);

#endif
