// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/attach.h"
#include "datapath/clsact.h"
#include "datapath/holders.h"
#include "lib/log.h"
#include "netns/netns.h"
#include "netns/nl.h"
#include "lib/escape.h"

/* Not in the installed (6.1) headers; the running kernel has them. */
#define TL_BPF_TCX_INGRESS 46
#define TL_BPF_TCX_EGRESS  47
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif

struct tcx_job {
	int prog_fd;
	uint32_t ifindex;
	int type;
	int fd; /* out: link fd or -errno */
};

static void *tcx_create(void *arg)
{
	struct tcx_job *j = arg;
	/* First in the chain: a CNI program that ends the chain with TCX_PASS
	 * or a redirect must not hide packets from us. */
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = BPF_F_BEFORE);

	j->fd = bpf_link_create(j->prog_fd, j->ifindex, j->type, &o);
	if (j->fd < 0)
		j->fd = -errno;
	return NULL;
}

static int attach_tcx(struct attachment *a, const int prog_fd[2], char *err, size_t errlen,
		      const char *name)
{
	static const char *const dirs[2] = {"ingress", "egress"};
	struct tcx_job j[2] = {
	    {prog_fd[0], a->ifindex, TL_BPF_TCX_INGRESS, -1},
	    {prog_fd[1], a->ifindex, TL_BPF_TCX_EGRESS, -1},
	};
	pthread_t th;
	int d, threaded;

	/* Each link waits for an RCU grace period in the kernel; two at once
	 * share one. */
	threaded = pthread_create(&th, NULL, tcx_create, &j[1]) == 0;
	tcx_create(&j[0]);
	if (threaded)
		pthread_join(th, NULL);
	else
		tcx_create(&j[1]);
	for (d = 0; d < 2; d++) {
		if (j[d].fd < 0) {
			snprintf(err, errlen, "attach %s %s (tcx): %s", name, dirs[d],
				 strerror(-j[d].fd));
			if (j[!d].fd >= 0)
				close(j[!d].fd);
			a->link_fd[0] = a->link_fd[1] = -1;
			return j[d].fd;
		}
	}
	a->link_fd[0] = j[0].fd;
	a->link_fd[1] = j[1].fd;
	a->kind = KIND_TCX;
	return 0;
}

struct closer {
	int *fds;
	int n, next;
};

static void *close_fds(void *arg)
{
	struct closer *c = arg;
	int i;

	while ((i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED)) < c->n)
		close(c->fds[i]);
	return NULL;
}

void detach_many(struct attachment *const *list, int n, bool dev_gone)
{
	struct closer c = {.fds = calloc(2 * (n ? n : 1), sizeof(int))};
	pthread_t th[DETACH_THREADS];
	int i, d, nth = 0;

	/* Closing a tcx link waits for an RCU grace period: close them all at
	 * once, from up to DETACH_THREADS threads */
	for (i = 0; i < n && c.fds; i++) {
		if (list[i]->kind != KIND_TCX)
			continue;
		for (d = 0; d < 2; d++) {
			if (list[i]->link_fd[d] < 0)
				continue;
			c.fds[c.n++] = list[i]->link_fd[d];
			list[i]->link_fd[d] = -1;
		}
	}
	while (nth < DETACH_THREADS && nth < c.n - 1 &&
	       !pthread_create(&th[nth], NULL, close_fds, &c))
		nth++;
	close_fds(&c);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	free(c.fds);
	for (i = 0; i < n; i++)
		detach_iface(list[i], dev_gone);
}

static int count_cb(const struct nlmsghdr *m, void *data)
{
	if (m->nlmsg_type == RTM_NEWTFILTER)
		(*(int *)data)++;
	return 0;
}

/* A tc dump (filters or qdiscs) of the current namespace, each answer to cb. */
static int tc_dump(int type, const struct tcmsg *t, int (*cb)(const struct nlmsghdr *, void *),
		   void *data)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_REQUEST);
	struct nl *nl;
	int ret;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, (void *)t, sizeof(*t), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl = nl__open(NULL);
	if (!nl) {
		ret = -errno;
		nlmsg_free(msg);
		return ret;
	}
	ret = nl__request(nl, msg, true, cb, data);
	nl__free(nl);
	return ret;
}

/* Number of filters on one clsact hook of the current namespace, or -errno. */
static int count_filters(uint32_t ifindex, int ingress)
{
	struct tcmsg t = {
	    .tcm_family = AF_UNSPEC,
	    .tcm_ifindex = ifindex,
	    .tcm_parent = TC_H_MAKE(TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS),
	};
	int count = 0, ret = tc_dump(RTM_GETTFILTER, &t, count_cb, &count);

	return ret ? ret : count;
}

static int qdisc_cb(const struct nlmsghdr *m, void *data)
{
	const struct tcmsg *t = NLMSG_DATA(m);
	uint32_t *want = data;

	/* clsact (and ingress, which excludes it) sits at ffff:fff1 */
	if (m->nlmsg_type == RTM_NEWQDISC && m->nlmsg_len >= NLMSG_LENGTH(sizeof(*t)) &&
	    (uint32_t)t->tcm_ifindex == want[0] && t->tcm_parent == TC_H_CLSACT)
		want[1] = 1;
	return 0;
}

/* Whether ifindex of the current namespace has a clsact qdisc: 1, 0, -errno. */
static int clsact_present(uint32_t ifindex)
{
	struct tcmsg t = {.tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex};
	uint32_t want[2] = {ifindex, 0};
	int ret = tc_dump(RTM_GETQDISC, &t, qdisc_cb, want);

	return ret ? ret : (int)want[1];
}

/* Remove the clsact of ifindex if it holds no filter; its record with it.
 * 1 removed, 0 kept (it holds filters, or cannot be counted), -errno. */
static int drop_clsact_if_empty(uint32_t ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (count_filters(ifindex, 1) != 0 || count_filters(ifindex, 0) != 0)
		return 0;
	bpf_tc_hook_destroy(&hook);
	if (clsact_present(ifindex) != 0)
		return -EBUSY;
	clsact_forget(CLSACT_RUN_DIR, ifindex);
	return 1;
}

static void tc_detach_one(struct attachment *a, int d)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TL_TC_HANDLE, .priority = TL_TC_PRIO);

	a->filter[d] = false;
	/* The handle is ours only while it runs our program: one put in its
	 * place (tc filter replace, another run) is not removed with ours. */
	if (bpf_tc_query(&hook, &opts))
		return; /* gone already */
	if (opts.prog_id != a->prog_id[d]) {
		warn("%s: the filter at tunleak's handle 0x%x prio %d is no longer this run's; "
		     "left alone\n",
		     a->name, TL_TC_HANDLE, TL_TC_PRIO);
		return;
	}
	opts.prog_id = 0;
	opts.prog_fd = 0;
	opts.flags = 0;
	bpf_tc_detach(&hook, &opts);
}

static void tc_maybe_drop_qdisc(struct attachment *a)
{
	/* Only a clsact we created, and only while nobody else put a filter
	 * on it in the meantime (then its record stays: a later cleanup
	 * removes it once it is empty). */
	if (a->created_qdisc)
		drop_clsact_if_empty(a->ifindex);
	a->created_qdisc = false;
}

static int attach_tc(struct attachment *a, const int prog_fd[2], char *err, size_t errlen,
		     const char *name)
{
	static const char *const dirs[2] = {"ingress", "egress"};
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = BPF_TC_INGRESS);
	int d, ret;

	int recorded, present;

	/* One tunleak recorded (a killed run's) is ours again. One that is
	 * there unrecorded is somebody else's. Else the record comes first: a
	 * run killed right after the create still leaves one. */
	recorded = clsact_recorded(CLSACT_RUN_DIR, a->ifindex) == 1;
	present = clsact_present(a->ifindex);
	if (!present) {
		ret = clsact_record(CLSACT_RUN_DIR, a->ifindex, name);
		if (ret)
			warn("%s: cannot record the clsact qdisc it creates (%s: %s); a killed run "
			     "would leave it\n",
			     name, CLSACT_RUN_DIR, strerror(-ret));
	}
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST) {
		if (!present)
			clsact_forget(CLSACT_RUN_DIR, a->ifindex);
		snprintf(err, errlen, "attach %s (tc): cannot create clsact qdisc: %s", name,
			 strerror(-ret));
		return ret;
	}
	/* made by somebody else between the look and the create */
	if (ret == -EEXIST && !present && !recorded)
		clsact_forget(CLSACT_RUN_DIR, a->ifindex);
	a->created_qdisc = ret == 0 || recorded;
	a->kind = KIND_TC;
	for (d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TL_TC_HANDLE,
				    .priority = TL_TC_PRIO, .prog_fd = prog_fd[d]);

		hook.attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		ret = bpf_tc_attach(&hook, &opts);
		if (ret) {
			snprintf(err, errlen, "attach %s %s (tc, handle 0x%x prio %d): %s%s", name,
				 dirs[d], TL_TC_HANDLE, TL_TC_PRIO, strerror(-ret),
				 ret == -EINVAL
				     ? " (another kind of filter holds prio 1? try --attach tcx)"
				     : "");
			detach_iface(a, false);
			return ret;
		}
		a->filter[d] = true;
		a->prog_id[d] = opts.prog_id; /* set by a successful attach */
	}
	return 0;
}

struct attach_args {
	struct attachment *a;
	const char *name;
	enum attach_kind kind;
	const int *prog_fd;
	char *err;
	size_t errlen;
};

static int do_attach(void *arg)
{
	struct attach_args *x = arg;

	if (x->kind == KIND_TCX)
		return attach_tcx(x->a, x->prog_fd, x->err, x->errlen, x->name);
	return attach_tc(x->a, x->prog_fd, x->err, x->errlen, x->name);
}

int attach_iface(struct attachment *a, const struct netns *ns, uint32_t ifindex, const char *name,
		 enum attach_kind kind, const int prog_fd[2], char *err, size_t errlen)
{
	struct attach_args x = {a, name, kind, prog_fd, err, errlen};
	int ret;

	err[0] = '\0';
	memset(a, 0, sizeof(*a));
	a->ns = ns;
	a->ifindex = ifindex;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->link_fd[0] = a->link_fd[1] = -1;
	/* inside ns: the ifindex is the namespace's, and so are libbpf's tc
	 * netlink sockets */
	ret = netns__run(ns, do_attach, &x);
	if (ret && !err[0])
		snprintf(err, errlen, "attach %s: cannot enter its network namespace: %s", name,
			 strerror(-ret));
	return ret;
}

static int do_tc_detach(void *arg)
{
	struct attachment *a = arg;
	int d;

	for (d = 0; d < 2; d++)
		if (a->filter[d])
			tc_detach_one(a, d);
	tc_maybe_drop_qdisc(a);
	return 0;
}

static int do_forget(void *arg)
{
	const struct attachment *a = arg;

	return clsact_forget(CLSACT_RUN_DIR, a->ifindex);
}

void detach_iface(struct attachment *a, bool dev_gone)
{
	int d;

	if (a->kind == KIND_TCX) {
		/* Closing the link detaches it (and frees it if the device went). */
		for (d = 0; d < 2; d++) {
			if (a->link_fd[d] >= 0)
				close(a->link_fd[d]);
			a->link_fd[d] = -1;
		}
	} else if (a->kind == KIND_TC && !dev_gone) {
		netns__run(a->ns, do_tc_detach, a);
	} else if (a->kind == KIND_TC && a->created_qdisc) {
		/* the qdisc went with the device */
		netns__run(a->ns, do_forget, a);
	}
	a->filter[0] = a->filter[1] = false;
	a->created_qdisc = false;
	a->kind = 0;
}

static int prog_is_ours(__u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, ours;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return 0;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       !strncmp(info.name, "tunleak_", strlen("tunleak_"));
	close(fd);
	return ours;
}

/* Tunleak's filters on one interface, looked at inside its namespace. */
struct stale_query {
	uint32_t ifindex;
	uint32_t prog_id[2]; /* tunleak's program at [ingress, egress]; 0: none */
	int foreign;
};

static int do_stale_query(void *arg)
{
	struct stale_query *q = arg;
	int d;

	for (d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = q->ifindex,
				    .attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TL_TC_HANDLE,
				    .priority = TL_TC_PRIO);

		q->prog_id[d] = 0;
		if (bpf_tc_query(&hook, &opts))
			continue; /* no qdisc, or no filter at our handle */
		if (prog_is_ours(opts.prog_id))
			q->prog_id[d] = opts.prog_id;
		else
			q->foreign++;
	}
	return 0;
}

/* Remove the filters found stale, each only if it still runs the program
 * that was proven unheld (a run may have taken the handle since). */
static int do_stale_remove(void *arg)
{
	struct stale_query *q = arg;
	int d, removed = 0;

	for (d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = q->ifindex,
				    .attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TL_TC_HANDLE,
				    .priority = TL_TC_PRIO);
		int ret;

		if (!q->prog_id[d] || bpf_tc_query(&hook, &opts) || opts.prog_id != q->prog_id[d])
			continue;
		opts.prog_id = 0;
		opts.prog_fd = 0;
		opts.flags = 0;
		ret = bpf_tc_detach(&hook, &opts);
		if (ret && ret != -ENOENT)
			return ret;
		removed++;
	}
	return removed;
}

/* A clsact a killed run created (recorded), now holding no filter: removed
 * with its record. 1 removed, 2 kept (it holds filters), 0 none, -errno. */
static int do_stale_clsact(void *arg)
{
	const uint32_t *ifindex = arg;
	int ret;

	if (clsact_recorded(CLSACT_RUN_DIR, *ifindex) != 1)
		return 0;
	ret = clsact_present(*ifindex);
	if (ret == 0) {
		/* it went, or never came */
		clsact_forget(CLSACT_RUN_DIR, *ifindex);
		return 0;
	}
	if (ret < 0)
		return ret;
	ret = drop_clsact_if_empty(*ifindex);
	return ret == 0 ? 2 : ret;
}

static int stale_filters(const struct netns *ns, uint32_t ifindex, struct stale_report *r)
{
	struct stale_query q = {.ifindex = ifindex};
	uint32_t ids[2];
	int d, n = 0, ret;

	memset(r, 0, sizeof(*r));
	ret = netns__run(ns, do_stale_query, &q);
	if (ret)
		return ret;
	r->foreign = q.foreign;
	for (d = 0; d < 2; d++)
		if (q.prog_id[d])
			ids[n++] = q.prog_id[d];
	if (!n)
		return 0;
	/* Stale only if no live process holds the program: a filter of a
	 * killed run is held by nobody, one of a live run by that run. A /proc
	 * that cannot show every process cannot prove that. */
	if (!holders_see_all("/proc")) {
		r->unprovable = n;
		return 0;
	}
	ret = holders_find("/proc", ids, n, &r->holder);
	if (ret) {
		if (ret > 0)
			r->live = n;
		else
			r->unprovable = n;
		return 0;
	}
	ret = netns__run(ns, do_stale_remove, &q);
	if (ret < 0)
		return ret;
	r->removed = ret;
	return 0;
}

int cleanup_stale(const struct netns *ns, uint32_t ifindex, struct stale_report *r)
{
	int ret = stale_filters(ns, ifindex, r);

	/* Not while a live run's filters are there: its clsact is in use */
	if (ret || r->live || r->unprovable)
		return ret;
	ret = netns__run(ns, do_stale_clsact, &ifindex);
	if (ret < 0)
		return ret;
	r->qdisc_removed = ret == 1;
	r->qdisc_kept = ret == 2;
	return 0;
}

const char *stale_report_line(const struct stale_report *r, const char *name, char *buf, size_t len)
{
	buf[0] = '\0';
	if (r->live)
		snprintf(buf, len,
			 "%s: tunleak filters held by a live process (PID %ld, %s%s); left alone",
			 name, r->holder.pid, r->holder.comm[0] ? r->holder.comm : "?",
			 r->holder.unreadable ? ", whose fds cannot be read" : "");
	else if (r->unprovable)
		snprintf(
		    buf, len,
		    "%s: tunleak filters left alone: this /proc cannot show who holds them (a PID "
		    "namespace of its own?); run tunleak cleanup from the host's PID namespace",
		    name);
	else if (r->foreign)
		snprintf(
		    buf, len,
		    "%s: a filter that is not tunleak's sits at handle 0x%x prio %d; left alone",
		    name, TL_TC_HANDLE, TL_TC_PRIO);
	return buf;
}

int attach_prepare(const struct netns *ns, uint32_t ifindex, const char *name, bool tc, char *err,
		   size_t errlen)
{
	struct stale_report r;
	char line[512], comm[64];
	int ret;

	ret = cleanup_stale(ns, ifindex, &r);
	if (ret) {
		snprintf(err, errlen, "%s: cannot look at tc handle 0x%x prio %d: %s", name,
			 TL_TC_HANDLE, TL_TC_PRIO, strerror(-ret));
		return ret;
	}
	if (r.removed)
		warn("removed %d stale tunleak filter%s from %s (a killed run)\n", r.removed,
		     r.removed == 1 ? "" : "s", name);
	if (r.qdisc_removed)
		warn("removed the clsact qdisc a killed run created on %s\n", name);
	/* With tc, the handle is what both runs would need: one of them. */
	if (tc && r.live && !strncmp(r.holder.comm, "tunleak", 7)) {
		snprintf(err, errlen,
			 "%s: another tunleak (PID %ld) holds tc handle 0x%x prio %d here; stop "
			 "it, or use --attach tcx",
			 name, r.holder.pid, TL_TC_HANDLE, TL_TC_PRIO);
		return -EBUSY;
	}
	if (tc && r.live) {
		snprintf(err, errlen,
			 "%s: a live process (PID %ld, %s) holds tunleak's program at tc handle "
			 "0x%x prio %d here; stop it, or use --attach tcx",
			 name, r.holder.pid, escape_ctl(r.holder.comm, comm, sizeof(comm)),
			 TL_TC_HANDLE, TL_TC_PRIO);
		return -EBUSY;
	}
	if (tc && r.unprovable) {
		snprintf(err, errlen,
			 "%s: tunleak filters at tc handle 0x%x prio %d, and this /proc cannot "
			 "show who holds them (a PID namespace of its own?); run tunleak cleanup "
			 "from the host's PID namespace, or use --attach tcx",
			 name, TL_TC_HANDLE, TL_TC_PRIO);
		return -EBUSY;
	}
	/* tcx: our links go beside them; say what stays */
	if (stale_report_line(&r, name, line, sizeof(line))[0])
		warn("%s\n", line);
	return 0;
}

static int do_tcx_query(void *arg)
{
	/* Query, not attach: nothing is touched. Kernels without tcx reject the
	 * attach type. */
	__u32 cnt = 0;

	return bpf_prog_query(*(uint32_t *)arg, TL_BPF_TCX_INGRESS, 0, NULL, NULL, &cnt) == 0;
}

int tcx_supported(const struct netns *ns, uint32_t ifindex)
{
	return netns__run(ns, do_tcx_query, &ifindex) == 1;
}
