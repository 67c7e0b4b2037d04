/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attaching the two programs to an interface: as tcx links (kernel >= 6.6),
 * or as cls_bpf filters on a clsact qdisc with tunleak's own handle and
 * priority. Removing them again, and sweeping stale ones of a killed run.
 */
#ifndef TL_ATTACH_H
#define TL_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/holders.h"

struct netns;

/* tunleak's legacy filters: this handle at this priority, running a program
 * whose name begins with "tunleak_". */
#define TL_TC_HANDLE 0x7e1e
#define TL_TC_PRIO   1

enum attach_kind {
	KIND_TCX = 1,
	KIND_TC = 2,
};

/* "tcx", "tc", or "none" (nothing attached yet). */
static inline const char *attach_kind_name(enum attach_kind kind)
{
	return kind == KIND_TCX ? "tcx" : kind == KIND_TC ? "tc" : "none";
}

struct attachment {
	const struct netns *ns; /* where (not owned; outlives the attachment) */
	uint32_t ifindex;
	enum attach_kind kind; /* 0: nothing attached */
	int link_fd[2];	       /* tcx: [ingress, egress] */
	bool filter[2];	       /* tc: our filter is on [ingress, egress] */
	uint32_t prog_id[2];   /* tc: ... running this program */
	char name[16];	       /* the interface's, for messages */
	bool created_qdisc;    /* tc: the clsact qdisc is ours */
};

/* Attach prog_fd[0] (ingress) and prog_fd[1] (egress) to ifindex of ns. On
 * error nothing of this call stays attached; returns -errno with one line in
 * err. */
int attach_iface(struct attachment *a, const struct netns *ns, uint32_t ifindex, const char *name,
		 enum attach_kind kind, const int prog_fd[2], char *err, size_t errlen);
/* Undo attach_iface(); dev_gone when the interface no longer exists. */
void detach_iface(struct attachment *a, bool dev_gone);
/* detach_iface() for n attachments, tcx links closed concurrently (from up
 * to DETACH_THREADS threads). */
#define DETACH_THREADS 64
void detach_many(struct attachment *const *list, int n, bool dev_gone);

/* What a look at tunleak's handle on one interface found, and did. */
struct stale_report {
	int removed;	/* stale filters removed: no live process held their program */
	int foreign;	/* filters at our handle that are not tunleak's: left */
	int live;	/* tunleak filters a live process holds (holder): left */
	int unprovable; /* tunleak filters whose holder /proc cannot show: left */
	struct holder holder;
	bool qdisc_removed; /* the clsact a killed run created, empty: removed */
	bool qdisc_kept;    /* ... holding somebody else's filters: left */
};

/* Remove tunleak filters of a run that has ended from ifindex: those whose
 * program no process holds (a live run's are left, and so is every filter
 * when /proc cannot show all processes). Then the clsact qdisc a run that
 * ended created (clsact.h), if it holds no filter. 0 with *r filled, or
 * -errno. */
int cleanup_stale(const struct netns *ns, uint32_t ifindex, struct stale_report *r);
/* One line about what cleanup_stale() left on interface name and why; "" if
 * nothing was left. */
const char *stale_report_line(const struct stale_report *r, const char *name, char *buf,
			      size_t len);
/* Before attaching to ifindex: take tunleak's handle back from a killed run
 * (a line says so) and say what is left. For tc, whose filters need the
 * handle, a live run's (or an unprovable) filter there is an error: -EBUSY
 * and one line in err naming the interface and the PID. */
int attach_prepare(const struct netns *ns, uint32_t ifindex, const char *name, bool tc, char *err,
		   size_t errlen);

/* 1 when a tcx link can be made on this kernel (asked of ifindex in ns). */
int tcx_supported(const struct netns *ns, uint32_t ifindex);

#endif
