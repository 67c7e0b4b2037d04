/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which clsact qdiscs tunleak created: a record per namespace and interface,
 * a small file under /run/tunleak, written before the qdisc is created and
 * removed when tunleak removes it. After SIGKILL it is what tells a qdisc
 * tunleak made (removed by `tunleak cleanup` or the next start once it holds
 * no filter) from one somebody else made (never removed).
 *
 * Every call works on the calling thread's network namespace: a record is
 * named by the namespace's cookie (SO_NETNS_COOKIE: never reused while the
 * machine runs, unlike its inode number) and the ifindex, and holds the boot
 * id, so that a record from before a reboot (if dir is no tmpfs) matches
 * nothing. Plain C: dir is a parameter.
 */
#ifndef TL_CLSACT_H
#define TL_CLSACT_H

#include <stdint.h>

#define CLSACT_RUN_DIR "/run/tunleak"

/* Record that tunleak creates the clsact of ifindex (named ifname), in dir
 * (created 0700 if missing). 0 or -errno. */
int clsact_record(const char *dir, uint32_t ifindex, const char *ifname);
/* 1 when tunleak recorded the clsact of ifindex, 0 when not (a record of
 * another boot is removed), -errno when the namespace cannot be named. */
int clsact_recorded(const char *dir, uint32_t ifindex);
/* Remove the record (gone already: 0). 0 or -errno. */
int clsact_forget(const char *dir, uint32_t ifindex);

#endif
