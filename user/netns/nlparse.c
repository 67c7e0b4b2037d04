// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "netns/nlparse.h"

/*
 * A message of this type whose own length lies within len. This must come
 * before libnl sees it: nlmsg_parse() checks only that nlmsg_len covers the
 * family header, then nla_parse() walks the attributes up to nlmsg_len, so a
 * message claiming more than len would have libnl read past the buffer.
 */
static int msg_ok(const struct nlmsghdr *nlh, size_t len, uint16_t type, size_t hdrlen)
{
	if (len < NLMSG_HDRLEN || nlh->nlmsg_type != type)
		return -EINVAL;
	/* libnl computes the attributes' length in an int */
	if (nlh->nlmsg_len > len || nlh->nlmsg_len > INT_MAX ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen))
		return -EINVAL;
	return 0;
}

/* nla_get_u32() reads 4 bytes whatever the attribute's length: check it. */
static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (nla_len(a) != (int)sizeof(*v))
		return -EINVAL;
	*v = nla_get_u32(a);
	return 0;
}

static int get_addr(const struct nlattr *a, int alen, uint8_t *out)
{
	if (nla_len(a) != alen)
		return -EINVAL;
	memcpy(out, nla_data(a), alen);
	return 0;
}

int link_parse(const struct nlmsghdr *nlh, size_t len, struct link_info *out)
{
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi;
	const char *name, *nul;
	struct link_info l;

	if (msg_ok(nlh, len, RTM_NEWLINK, sizeof(*ifi)) ||
	    nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EINVAL;
	ifi = nlmsg_data(nlh);
	if (ifi->ifi_index <= 0 || !tb[IFLA_IFNAME])
		return -EINVAL;
	/* The kernel sends the name with its NUL. One that does not fit is
	 * not a name (cut, it could be another interface's). */
	name = nla_data(tb[IFLA_IFNAME]);
	nul = memchr(name, '\0', nla_len(tb[IFLA_IFNAME]));
	if (!nul || nul == name || nul - name >= LINK_NAMSIZ)
		return -EINVAL;

	memset(&l, 0, sizeof(l));
	memcpy(l.name, name, nul - name);
	l.ifindex = ifi->ifi_index;
	l.arphrd = ifi->ifi_type;
	l.l2 = link_is_l2(ifi->ifi_type);
	l.up = !!(ifi->ifi_flags & IFF_UP);
	/* nla_strlcpy() stops at the attribute's end and always terminates;
	 * a kind too long to be one tunleak knows may be cut */
	if (tb[IFLA_LINKINFO] &&
	    nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 &&
	    info[IFLA_INFO_KIND])
		nla_strlcpy(l.kind, info[IFLA_INFO_KIND], sizeof(l.kind));
	memcpy(out, &l, sizeof(l));
	return 0;
}

/*
 * RTA_MULTIPATH: a list of rtnexthop, each followed by its attributes. Every
 * one is checked (the kernel refuses a list with bytes left over); when use is
 * set, the first one's interface and gateway go to r. RTNH_OK() reads
 * rtnh_len before it knows that a whole rtnexthop is there: check that first;
 * and a next hop shorter than an rtnexthop would step by 0, forever.
 */
static int multipath(const struct nlattr *mp, int alen, struct route_info *r, int use)
{
	const struct rtnexthop *nh = nla_data(mp);
	int rem = nla_len(mp), first = 1;

	while (rem >= (int)sizeof(*nh)) {
		struct nlattr *nb[RTA_MAX + 1];
		int step;

		if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > rem || nh->rtnh_ifindex < 0)
			return -EINVAL;
		if (nla_parse(nb, RTA_MAX, (struct nlattr *)RTNH_DATA(nh),
			      nh->rtnh_len - (int)RTNH_LENGTH(0), NULL) < 0)
			return -EINVAL;
		if (nb[RTA_GATEWAY] && nla_len(nb[RTA_GATEWAY]) != alen)
			return -EINVAL;
		if (first && use) {
			r->oif = nh->rtnh_ifindex;
			if (nb[RTA_GATEWAY]) {
				memcpy(r->gw, nla_data(nb[RTA_GATEWAY]), alen);
				r->has_gw = 1;
			}
		}
		first = 0;
		/* the last one's padding may be missing */
		step = RTNH_ALIGN(nh->rtnh_len);
		if (step >= rem)
			return 0;
		rem -= step;
		nh = (const struct rtnexthop *)((const char *)nh + step);
	}
	return -EINVAL; /* none, or 1-7 bytes left: not a next hop */
}

int route_parse(const struct nlmsghdr *nlh, size_t len, struct route_info *out)
{
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	struct route_info r;
	uint32_t oif;
	int alen;

	if (msg_ok(nlh, len, RTM_NEWROUTE, sizeof(*rtm)) ||
	    nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return -EINVAL;
	rtm = nlmsg_data(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.family = rtm->rtm_family == AF_INET ? 4 : 6;
	alen = r.family == 4 ? 4 : 16;
	/* route_cache__get() and the audit walk dst_len bits of the address */
	if (rtm->rtm_dst_len > alen * 8 || (rtm->rtm_dst_len && !tb[RTA_DST]))
		return -EINVAL;
	r.dst_len = rtm->rtm_dst_len;
	r.type = rtm->rtm_type;
	r.table = rtm->rtm_table; /* 8 bits: RTA_TABLE has the whole id */
	if (tb[RTA_TABLE] && get_u32(tb[RTA_TABLE], &r.table))
		return -EINVAL;
	if (tb[RTA_DST] && get_addr(tb[RTA_DST], alen, r.dst))
		return -EINVAL;
	if (tb[RTA_GATEWAY]) {
		if (get_addr(tb[RTA_GATEWAY], alen, r.gw))
			return -EINVAL;
		r.has_gw = 1;
	}
	if (tb[RTA_OIF]) {
		if (get_u32(tb[RTA_OIF], &oif) || oif > INT_MAX)
			return -EINVAL;
		r.oif = (int)oif;
	}
	/* ECMP: the first next hop stands for the route */
	if (tb[RTA_MULTIPATH] && multipath(tb[RTA_MULTIPATH], alen, &r, !r.oif))
		return -EINVAL;
	memcpy(out, &r, sizeof(r));
	return 0;
}
