// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "netns/netns.h"
#include "netns/nl.h"
#include "netns/nlparse.h"
#include "lib/vec.h"

struct nl {
	struct nl_sock *sk; /* NULL after nl__release(): made again when needed */
	const struct netns *ns;
};

struct open_args {
	struct nl_sock *sk;
	int groups; /* 0: a request socket; else a monitor */
};

/* libnl's errors (-NLE_*) as errno values, for messages that say what the
 * kernel said. */
static int nle_errno(int nle)
{
	switch (-nle) {
	case NLE_SUCCESS:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

static int do_open(void *arg)
{
	struct open_args *a = arg;
	int err;

	a->sk = nl_socket_alloc();
	if (!a->sk)
		return -ENOMEM;
	/* Requests carry no ACK flag: a GET answers with its data, a dump ends
	 * with NLMSG_DONE, and an error comes back as NLMSG_ERROR either way. */
	nl_socket_disable_auto_ack(a->sk);
	if (a->groups)
		nl_socket_disable_seq_check(a->sk);
	err = nl_connect(a->sk, NETLINK_ROUTE);
	if (!err && a->groups) {
		err = nl_socket_add_memberships(a->sk, RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE,
						RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE,
						RTNLGRP_IPV6_RULE, RTNLGRP_NEXTHOP,
						RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0);
		if (!err)
			err = nl_socket_set_nonblocking(a->sk);
	}
	if (err) {
		nl_socket_free(a->sk);
		a->sk = NULL;
		return nle_errno(err);
	}
	return 0;
}

struct nl *nl__open(const struct netns *ns)
{
	struct open_args a = {0};
	struct nl *nl;
	int err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	err = netns__run(ns, do_open, &a);
	if (err) {
		free(nl);
		errno = -err;
		return NULL;
	}
	nl->sk = a.sk;
	nl->ns = ns;
	return nl;
}

void nl__release(struct nl *nl)
{
	if (nl && nl->sk) {
		nl_socket_free(nl->sk);
		nl->sk = NULL;
	}
}

/* The socket again, after nl__release(). 0 or -errno. */
static int nl_ready(struct nl *nl)
{
	struct open_args a = {0};
	int err;

	if (nl->sk)
		return 0;
	err = netns__run(nl->ns, do_open, &a);
	if (err)
		return err;
	nl->sk = a.sk;
	return 0;
}

void nl__free(struct nl *nl)
{
	if (!nl)
		return;
	nl__release(nl);
	free(nl);
}

struct req {
	int (*cb)(const struct nlmsghdr *, void *);
	void *arg;
	int err; /* the kernel's or the callback's -errno */
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	int ret;

	if (r->err)
		return NL_SKIP; /* a callback said stop: read the rest, keep quiet */
	ret = r->cb(nlmsg_hdr(msg), r->arg);
	if (ret < 0)
		r->err = ret;
	return NL_OK;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct req *r = arg;

	(void)who;
	r->err = e->error ? e->error : -EIO;
	return NL_STOP;
}

int nl__request(struct nl *nl, struct nl_msg *msg, bool dump,
		int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct req r = {cb, arg, 0};
	struct nl_cb *c;
	int ret;

	ret = nl_ready(nl);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	if (dump)
		nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_DUMP;
	c = nl_cb_alloc(NL_CB_DEFAULT);
	if (!c) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(c, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	nl_cb_err(c, NL_CB_CUSTOM, on_error, &r);
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret >= 0)
		ret = nl_recvmsgs(nl->sk, c);
	nl_cb_put(c);
	if (r.err)
		return r.err;
	return ret < 0 ? nle_errno(ret) : 0;
}

/* --- links ----------------------------------------------------------------- */

struct link_list {
	struct link_info *list;
	int n, cap;
};

/*
 * nl__request() callbacks get what libnl's receive loop passed through
 * nlmsg_ok() and copied out whole (nlmsg_convert()): nlmsg_len bytes are
 * there. An answer that does not parse is skipped (a GET then finds no link).
 */
static int link_one_cb(const struct nlmsghdr *nlh, void *arg)
{
	link_parse(nlh, nlh->nlmsg_len, arg);
	return 0;
}

static int link_get(struct nl *nl, const char *name, uint32_t ifindex, struct link_info *out)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
	int err;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    (name && nla_put_string(msg, IFLA_IFNAME, name) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	out->ifindex = 0;
	err = nl__request(nl, msg, false, link_one_cb, out);
	if (err == -ENODEV || err == -ENOENT || (!err && !out->ifindex))
		return -ENODEV;
	return err;
}

int nl__link_get(struct nl *nl, const char *name, struct link_info *out)
{
	int ret;

	if (!link_name_valid(name))
		return -ENODEV;
	ret = link_get(nl, name, 0, out);
	/* The kernel also resolves an alternative name; tunleak follows
	 * interfaces by their one name, so an altname is not one */
	if (!ret && strcmp(out->name, name))
		return -ENODEV;
	return ret;
}

int nl__link_by_index(struct nl *nl, uint32_t ifindex, struct link_info *out)
{
	if (!ifindex)
		return -ENODEV;
	return link_get(nl, NULL, ifindex, out);
}

static int link_list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct link_list *ll = arg;

	if (vec_room(&ll->list, &ll->cap, ll->n, sizeof(*ll->list), 16))
		return -ENOMEM;
	if (link_parse(nlh, nlh->nlmsg_len, &ll->list[ll->n]) == 0)
		ll->n++;
	return 0;
}

int nl__link_dump(struct nl *nl, struct link_info **out, int *n)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
	struct link_list ll = {0};
	int err;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl__request(nl, msg, true, link_list_cb, &ll);
	if (err) {
		free(ll.list);
		return err;
	}
	*out = ll.list;
	*n = ll.n;
	return 0;
}

/* --- monitor ----------------------------------------------------------------- */

struct nl_monitor {
	struct nl_sock *sk;
	struct nl_cb *cb; /* the socket's, with on_event */
	int mask;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nl_monitor *m = arg;

	switch (nlmsg_hdr(msg)->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		m->mask |= LINK_CHANGED | ROUTES_CHANGED;
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
	case RTM_NEWRULE:
	case RTM_DELRULE:
	case RTM_NEWNEXTHOP:
	case RTM_DELNEXTHOP:
	case RTM_NEWADDR:
	case RTM_DELADDR:
		/* what a lookup depends on: its next hops, its source addresses */
		m->mask |= ROUTES_CHANGED;
		break;
	}
	return NL_OK;
}

struct nl_monitor *nl_monitor__open(const struct netns *ns)
{
	struct open_args a = {.groups = 1};
	struct nl_monitor *m;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	err = netns__run(ns, do_open, &a);
	if (err) {
		free(m);
		errno = -err;
		return NULL;
	}
	m->sk = a.sk;
	nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, m);
	m->cb = nl_socket_get_cb(m->sk);
	return m;
}

int nl_monitor__fd(const struct nl_monitor *m)
{
	return nl_socket_get_fd(m->sk);
}

int nl_monitor__drain(struct nl_monitor *m)
{
	int ret, mask;

	m->mask = 0;
	/* > 0: messages read; 0: nothing more (EAGAIN on this non-blocking socket) */
	do
		ret = nl_recvmsgs_report(m->sk, m->cb);
	while (ret > 0);
	mask = m->mask;
	/* An error may mean lost events (ENOBUFS): everything may have changed. */
	if (ret < 0)
		mask |= LINK_CHANGED | ROUTES_CHANGED;
	return mask;
}

void nl_monitor__free(struct nl_monitor *m)
{
	if (!m)
		return;
	nl_cb_put(m->cb);
	nl_socket_free(m->sk);
	free(m);
}
