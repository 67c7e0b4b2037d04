// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "route.h"

#ifndef RTM_F_FIB_MATCH
#define RTM_F_FIB_MATCH 0x2000
#endif

struct collect {
	struct route_info *list;
	int n, cap;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct collect *c = data;
	struct route_info *r;
	int n;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return MNL_CB_OK;
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 64;
		struct route_info *l = realloc(c->list, cap * sizeof(*l));

		if (!l)
			return MNL_CB_ERROR;
		c->list = l;
		c->cap = cap;
	}
	r = &c->list[c->n];
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family == AF_INET ? 4 : 6;
	n = r->family == 4 ? 4 : 16;
	r->dst_len = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	r->table = rtm->rtm_table;
	mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb);
	if (tb[RTA_TABLE])
		r->table = mnl_attr_get_u32(tb[RTA_TABLE]);
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) >= (uint16_t)n)
		memcpy(r->dst, mnl_attr_get_payload(tb[RTA_DST]), n);
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) >= (uint16_t)n) {
		memcpy(r->gw, mnl_attr_get_payload(tb[RTA_GATEWAY]), n);
		r->has_gw = 1;
	}
	if (tb[RTA_OIF])
		r->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_MULTIPATH] && !r->oif) {
		/* ECMP: the first next hop stands for the route */
		const struct rtnexthop *nh = mnl_attr_get_payload(tb[RTA_MULTIPATH]);

		if (mnl_attr_get_payload_len(tb[RTA_MULTIPATH]) >= sizeof(*nh)) {
			r->oif = nh->rtnh_ifindex;
			if (nh->rtnh_len > sizeof(*nh)) {
				const struct nlattr *a = (const void *)((const char *)nh + RTNH_ALIGN(sizeof(*nh)));

				if (mnl_attr_get_type(a) == RTA_GATEWAY &&
				    mnl_attr_get_payload_len(a) >= (uint16_t)n) {
					memcpy(r->gw, mnl_attr_get_payload(a), n);
					r->has_gw = 1;
				}
			}
		}
	}
	if (r->oif && !if_indextoname(r->oif, r->oif_name))
		r->oif_name[0] = '\0';
	c->n++;
	return MNL_CB_OK;
}

int nl_request(struct nlmsghdr *nlh, int dump, int (*cb)(const struct nlmsghdr *, void *),
	       void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int portid, seq = nlh->nlmsg_seq;
	int ret;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	for (;;) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0) {
			ret = -errno;
			break;
		}
		errno = 0;
		ret = mnl_cb_run(buf, ret, seq, portid, cb, data);
		if (ret == MNL_CB_ERROR) {
			ret = errno ? -errno : -EIO;
			break;
		}
		if (ret == MNL_CB_STOP || !dump) { /* a single answer has no NLMSG_DONE */
			ret = 0;
			break;
		}
	}
out:
	mnl_socket_close(nl);
	return ret;
}

int route_get(int family, const uint8_t *dst, const uint8_t *src, struct route_info *out)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct collect c = {};
	struct rtmsg *rtm;
	int n = family == 4 ? 4 : 16, ret;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = time(NULL) ^ 0x5a5a;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family == 4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = n * 8;
	rtm->rtm_flags = RTM_F_FIB_MATCH; /* the entry, not the resolved dst */
	mnl_attr_put(nlh, RTA_DST, n, dst);
	if (src) {
		rtm->rtm_src_len = n * 8;
		mnl_attr_put(nlh, RTA_SRC, n, src);
	}
	ret = nl_request(nlh, 0, route_cb, &c);
	if (ret == -EINVAL && src) { /* src not local (forwarded traffic) */
		free(c.list);
		return route_get(family, dst, NULL, out);
	}
	if (!ret && !c.n)
		ret = -ENETUNREACH;
	if (!ret)
		*out = c.list[0];
	free(c.list);
	return ret;
}

int route_dump(int family, struct route_info **out, int *n)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct collect c = {};
	struct rtmsg *rtm;
	int ret;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = time(NULL) ^ 0xa5a5;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family == 4 ? AF_INET : AF_INET6;
	ret = nl_request(nlh, 1, route_cb, &c);
	if (ret) {
		free(c.list);
		return ret;
	}
	*out = c.list;
	*n = c.n;
	return 0;
}

int route_iface_gateway(int family, const char *ifname, uint8_t *gw)
{
	struct route_info *rs = NULL;
	int n = 0, i, best = -1, ret;
	unsigned int idx = if_nametoindex(ifname);

	if (!idx)
		return -ENODEV;
	ret = route_dump(family, &rs, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (rs[i].oif != (int)idx || !rs[i].has_gw || rs[i].type != RTN_UNICAST)
			continue;
		/* the default route's gateway first, else the shortest prefix's */
		if (best < 0 || rs[i].dst_len < rs[best].dst_len ||
		    (rs[i].dst_len == rs[best].dst_len && rs[i].table == RT_TABLE_MAIN))
			best = i;
	}
	if (best >= 0)
		memcpy(gw, rs[best].gw, 16);
	free(rs);
	return best >= 0 ? 0 : -ENOENT;
}

const char *route_pick_gateway(int family, char names[][16], int n, uint8_t *gw, int *has_gw)
{
	int i;

	*has_gw = 0;
	for (i = 0; i < n; i++)
		if (route_iface_gateway(family, names[i], gw) == 0) {
			*has_gw = 1;
			return names[i];
		}
	for (i = 0; i < n; i++)
		if (if_nametoindex(names[i]))
			return names[i];
	return n ? names[0] : "?";
}

int link_monitor_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE |
					       RTMGRP_IPV4_RULE };
	int grp = RTNLGRP_IPV6_RULE; /* no legacy RTMGRP_ bit for it */
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp));
	return fd;
}

int link_monitor_drain(int fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int changed = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *m;
		int len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return changed;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = (int)n;
		for (m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_type == RTM_NEWLINK || m->nlmsg_type == RTM_DELLINK)
				changed |= LINK_CHANGED | ROUTES_CHANGED;
			else if (m->nlmsg_type == RTM_NEWROUTE || m->nlmsg_type == RTM_DELROUTE ||
				 m->nlmsg_type == RTM_NEWRULE || m->nlmsg_type == RTM_DELRULE)
				changed |= ROUTES_CHANGED;
		}
	}
}

void link_monitor_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

#define RC_ENTRIES 256

struct rc_entry {
	uint8_t used, family, plen;
	uint8_t key[16], src[16];
	struct route_info r;
};

struct route_cache {
	struct route_info *routes[2]; /* dumps, [0] IPv4 [1] IPv6; NULL: stale */
	int nroutes[2];
	struct rc_entry e[RC_ENTRIES];
	unsigned int next; /* round-robin replacement */
	int gw_valid[2][2], gw_has[2][2]; /* [which][family] */
	uint8_t gw[2][2][16];
	char gw_iface[2][2][16];
	uint64_t lookups;
};

struct route_cache *route_cache__new(void)
{
	return calloc(1, sizeof(struct route_cache));
}

void route_cache__invalidate(struct route_cache *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		free(c->routes[i]);
		c->routes[i] = NULL;
		c->gw_valid[i][0] = c->gw_valid[i][1] = 0;
	}
	memset(c->e, 0, sizeof(c->e));
}

void route_cache__free(struct route_cache *c)
{
	if (!c)
		return;
	route_cache__invalidate(c);
	free(c);
}

static int contains(const uint8_t *pfx, int plen, const uint8_t *a)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(pfx, a, full))
		return 0;
	return !rest || ((pfx[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int route_cache__get(struct route_cache *c, int family, const uint8_t *dst, const uint8_t *src,
		     struct route_info *out)
{
	int f = family == 6, n = f ? 16 : 4, i, best = -1, ret;
	uint8_t key[16] = {}, s[16] = {};

	if (!c->routes[f] && route_dump(family, &c->routes[f], &c->nroutes[f]))
		c->routes[f] = NULL, c->nroutes[f] = 0;
	for (i = 0; i < c->nroutes[f]; i++) {
		const struct route_info *r = &c->routes[f][i];

		if (contains(r->dst, r->dst_len, dst) && r->dst_len > best)
			best = r->dst_len;
	}
	if (best < 0)
		best = 0;
	memcpy(key, dst, n);
	for (i = best; i < n * 8; i++)
		key[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	if (src)
		memcpy(s, src, n);
	for (i = 0; i < RC_ENTRIES; i++) {
		const struct rc_entry *e = &c->e[i];

		if (e->used && e->family == family && e->plen == best && !memcmp(e->key, key, 16) &&
		    !memcmp(e->src, s, 16)) {
			*out = e->r;
			return 0;
		}
	}
	c->lookups++;
	ret = route_get(family, dst, src, out);
	if (!ret) {
		struct rc_entry *e = &c->e[c->next++ % RC_ENTRIES];

		e->used = 1;
		e->family = family;
		e->plen = best;
		memcpy(e->key, key, 16);
		memcpy(e->src, s, 16);
		e->r = *out;
	}
	return ret;
}

const char *route_cache__gateway(struct route_cache *c, int which, int family, char names[][16],
				 int n, uint8_t *gw, int *has_gw)
{
	int f = family == 6, w = !!which;

	if (!c->gw_valid[w][f]) {
		const char *via = route_pick_gateway(family, names, n, c->gw[w][f], &c->gw_has[w][f]);

		snprintf(c->gw_iface[w][f], sizeof(c->gw_iface[w][f]), "%s", via);
		c->gw_valid[w][f] = 1;
		c->lookups++;
	}
	memcpy(gw, c->gw[w][f], 16);
	*has_gw = c->gw_has[w][f];
	return c->gw_iface[w][f];
}

uint64_t route_cache__lookups(const struct route_cache *c)
{
	return c->lookups;
}
