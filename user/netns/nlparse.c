// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/nexthop.h>
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

/* RTA_VIA: an address of its own family (an IPv4 route's IPv6 gateway). */
static int get_via(const struct nlattr *a, struct route_nh *nh)
{
	const uint8_t *p = nla_data(a);
	uint16_t fam;
	int n = nla_len(a);

	if (n < 2)
		return -EINVAL;
	memcpy(&fam, p, 2);
	if (!(fam == AF_INET && n == 2 + 4) && !(fam == AF_INET6 && n == 2 + 16))
		return -EINVAL;
	memset(nh->gw, 0, sizeof(nh->gw));
	memcpy(nh->gw, p + 2, n - 2);
	nh->has_gw = 1;
	nh->gw_family = fam == AF_INET ? 4 : 6;
	return 0;
}

/* RTA_GATEWAY or RTA_VIA of a next hop (tb: its attributes) into nh. */
static int get_gw(struct nlattr **tb, int family, struct route_nh *nh)
{
	int alen = family == 4 ? 4 : 16;

	if (tb[RTA_GATEWAY]) {
		if (get_addr(tb[RTA_GATEWAY], alen, nh->gw))
			return -EINVAL;
		nh->has_gw = 1;
		nh->gw_family = family;
	}
	if (tb[RTA_VIA] && get_via(tb[RTA_VIA], nh))
		return -EINVAL;
	return 0;
}

/*
 * RTA_MULTIPATH: a list of rtnexthop, each followed by its attributes. Every
 * one is checked (the kernel refuses a list with bytes left over) and the
 * first ROUTE_MAX_NH are kept, each with its weight; nh_total counts them
 * all. RTNH_OK() reads rtnh_len before it knows that a whole rtnexthop is
 * there: check that first; and a next hop shorter than an rtnexthop would
 * step by 0, forever.
 */
static int multipath(const struct nlattr *mp, struct route_info *r)
{
	const struct rtnexthop *nh = nla_data(mp);
	int rem = nla_len(mp), total = 0;

	while (rem >= (int)sizeof(*nh)) {
		struct nlattr *nb[RTA_MAX + 1];
		struct route_nh one;
		int step;

		if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > rem || nh->rtnh_ifindex < 0)
			return -EINVAL;
		if (nla_parse(nb, RTA_MAX, (struct nlattr *)RTNH_DATA(nh),
			      nh->rtnh_len - (int)RTNH_LENGTH(0), NULL) < 0)
			return -EINVAL;
		memset(&one, 0, sizeof(one));
		if (get_gw(nb, r->family, &one))
			return -EINVAL;
		one.oif = nh->rtnh_ifindex;
		one.weight = (uint32_t)nh->rtnh_hops + 1;
		if (total < ROUTE_MAX_NH)
			r->nh[total] = one;
		if (total < UINT16_MAX)
			total++;
		/* the last one's padding may be missing */
		step = RTNH_ALIGN(nh->rtnh_len);
		if (step >= rem) {
			r->multipath = 1;
			r->nh_total = total;
			r->nr_nh = total < ROUTE_MAX_NH ? total : ROUTE_MAX_NH;
			return 0;
		}
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
	if (rtm->rtm_dst_len > alen * 8 || (rtm->rtm_dst_len && !tb[RTA_DST]) ||
	    rtm->rtm_src_len > alen * 8 || (rtm->rtm_src_len && !tb[RTA_SRC]))
		return -EINVAL;
	if (rtm->rtm_src_len && get_addr(tb[RTA_SRC], alen, r.src))
		return -EINVAL;
	r.dst_len = rtm->rtm_dst_len;
	r.src_len = rtm->rtm_src_len;
	r.type = rtm->rtm_type;
	r.table = rtm->rtm_table; /* 8 bits: RTA_TABLE has the whole id */
	if (tb[RTA_TABLE] && get_u32(tb[RTA_TABLE], &r.table))
		return -EINVAL;
	if (tb[RTA_DST] && get_addr(tb[RTA_DST], alen, r.dst))
		return -EINVAL;
	if (tb[RTA_PRIORITY] && get_u32(tb[RTA_PRIORITY], &r.metric))
		return -EINVAL;
	if (tb[RTA_NH_ID] && (get_u32(tb[RTA_NH_ID], &r.nhid) || !r.nhid))
		return -EINVAL;
	if (tb[RTA_MULTIPATH]) {
		/* several next hops: each one is the route's */
		if (multipath(tb[RTA_MULTIPATH], &r))
			return -EINVAL;
	} else {
		if (get_gw(tb, r.family, &r.nh[0]))
			return -EINVAL;
		if (tb[RTA_OIF]) {
			if (get_u32(tb[RTA_OIF], &oif) || oif > INT_MAX)
				return -EINVAL;
			r.nh[0].oif = (int)oif;
		}
		if (r.nh[0].oif || r.nh[0].has_gw)
			r.nr_nh = r.nh_total = 1;
	}
	memcpy(out, &r, sizeof(r));
	return 0;
}

/* An interface name attribute: NUL-terminated within 16 bytes. */
static int get_name(const struct nlattr *a, char *out)
{
	const char *p = nla_data(a);
	const char *nul = memchr(p, '\0', nla_len(a));

	if (!nul || nul - p >= 16)
		return -EINVAL;
	memcpy(out, p, nul - p + 1);
	return 0;
}

int rule_parse(const struct nlmsghdr *nlh, size_t len, struct rule_info *out)
{
	struct nlattr *tb[FRA_MAX + 1];
	const struct fib_rule_hdr *h;
	struct rule_info r;
	uint32_t v;
	int alen;

	if (msg_ok(nlh, len, RTM_NEWRULE, sizeof(*h)) ||
	    nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*h), tb, FRA_MAX, NULL) < 0)
		return -EINVAL;
	h = nlmsg_data(nlh);
	if (h->family != AF_INET && h->family != AF_INET6)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.family = h->family == AF_INET ? 4 : 6;
	alen = r.family == 4 ? 4 : 16;
	if (h->dst_len > alen * 8 || h->src_len > alen * 8 || (h->dst_len && !tb[FRA_DST]) ||
	    (h->src_len && !tb[FRA_SRC]))
		return -EINVAL;
	r.dst_len = h->dst_len;
	r.src_len = h->src_len;
	r.action = h->action;
	r.table = h->table;
	r.invert = !!(h->flags & FIB_RULE_INVERT);
	r.suppress_prefixlen = -1;
	if ((tb[FRA_DST] && get_addr(tb[FRA_DST], alen, r.dst)) ||
	    (tb[FRA_SRC] && get_addr(tb[FRA_SRC], alen, r.src)) ||
	    (tb[FRA_PRIORITY] && get_u32(tb[FRA_PRIORITY], &r.pref)) ||
	    (tb[FRA_TABLE] && get_u32(tb[FRA_TABLE], &r.table)) ||
	    (tb[FRA_IIFNAME] && get_name(tb[FRA_IIFNAME], r.iif)) ||
	    (tb[FRA_OIFNAME] && get_name(tb[FRA_OIFNAME], r.oif)))
		return -EINVAL;
	if (tb[FRA_FWMARK] || tb[FRA_FWMASK]) {
		r.has_mark = 1;
		r.fwmask = 0xffffffffu;
		if ((tb[FRA_FWMARK] && get_u32(tb[FRA_FWMARK], &r.fwmark)) ||
		    (tb[FRA_FWMASK] && get_u32(tb[FRA_FWMASK], &r.fwmask)))
			return -EINVAL;
	}
	if (tb[FRA_SUPPRESS_PREFIXLEN]) {
		if (get_u32(tb[FRA_SUPPRESS_PREFIXLEN], &v))
			return -EINVAL;
		/* the kernel keeps -1 for none; a length only up to the address's */
		r.suppress_prefixlen = v <= (uint32_t)alen * 8 ? (int32_t)v : -1;
	}
	/* selectors the audit does not evaluate: a rule it cannot say takes a lookup */
	r.other = h->tos || tb[FRA_UID_RANGE] || tb[FRA_IP_PROTO] || tb[FRA_SPORT_RANGE] ||
		  tb[FRA_DPORT_RANGE] || tb[FRA_L3MDEV] || tb[FRA_TUN_ID];
	memcpy(out, &r, sizeof(r));
	return 0;
}

int nexthop_parse(const struct nlmsghdr *nlh, size_t len, struct nh_info *out)
{
	struct nlattr *tb[NHA_MAX + 1];
	const struct nhmsg *nhm;
	struct nh_info h;
	uint32_t oif;

	if (msg_ok(nlh, len, RTM_NEWNEXTHOP, sizeof(*nhm)) ||
	    nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*nhm), tb, NHA_MAX, NULL) < 0)
		return -EINVAL;
	nhm = nlmsg_data(nlh);
	memset(&h, 0, sizeof(h));
	if (!tb[NHA_ID] || get_u32(tb[NHA_ID], &h.id) || !h.id)
		return -EINVAL;
	h.blackhole = !!tb[NHA_BLACKHOLE];
	if (tb[NHA_GROUP]) {
		/* struct nexthop_grp: id (4 bytes), weight - 1, its high byte
		 * (kernels from 6.12; 0 before), 2 reserved */
		const uint8_t *g = nla_data(tb[NHA_GROUP]);
		int n = nla_len(tb[NHA_GROUP]), i;

		if (n <= 0 || n % 8)
			return -EINVAL;
		h.group = 1;
		h.grp_total = n / 8 > UINT16_MAX ? UINT16_MAX : n / 8;
		for (i = 0; i < n / 8 && i < ROUTE_MAX_NH; i++) {
			memcpy(&h.grp[i].id, g + 8 * i, 4);
			h.grp[i].weight = (uint32_t)(g[8 * i + 4] | g[8 * i + 5] << 8) + 1;
			if (!h.grp[i].id)
				return -EINVAL;
		}
		h.nr_grp = i;
	}
	if (tb[NHA_OIF]) {
		if (get_u32(tb[NHA_OIF], &oif) || oif > INT_MAX)
			return -EINVAL;
		h.oif = (int)oif;
	}
	if (tb[NHA_GATEWAY]) {
		int alen = nhm->nh_family == AF_INET ? 4 : nhm->nh_family == AF_INET6 ? 16 : 0;

		if (!alen || get_addr(tb[NHA_GATEWAY], alen, h.gw))
			return -EINVAL;
		h.has_gw = 1;
		h.gw_family = alen == 4 ? 4 : 6;
	}
	memcpy(out, &h, sizeof(h));
	return 0;
}

int addr_parse(const struct nlmsghdr *nlh, size_t len, struct addr_info *out)
{
	struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	struct addr_info ai;
	uint32_t flags;
	int alen;

	if (msg_ok(nlh, len, RTM_NEWADDR, sizeof(*ifa)) ||
	    nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return -EINVAL;
	ifa = nlmsg_data(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -EINVAL;
	memset(&ai, 0, sizeof(ai));
	ai.family = ifa->ifa_family == AF_INET ? 4 : 6;
	alen = ai.family == 4 ? 4 : 16;
	/* IFA_LOCAL is the address itself (IFA_ADDRESS the peer's on a
	 * point-to-point link); IPv6 sends only IFA_ADDRESS */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || ifa->ifa_prefixlen > alen * 8 || ifa->ifa_index == 0 ||
	    ifa->ifa_index > INT_MAX || get_addr(a, alen, ai.addr))
		return -EINVAL;
	flags = ifa->ifa_flags;
	if (tb[IFA_FLAGS] && get_u32(tb[IFA_FLAGS], &flags))
		return -EINVAL;
	ai.prefixlen = ifa->ifa_prefixlen;
	ai.scope = ifa->ifa_scope;
	ai.ifindex = (int)ifa->ifa_index;
	ai.usable = !(flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
	memcpy(out, &ai, sizeof(ai));
	return 0;
}
