/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who holds a BPF program: a process with an fd of it open (the program's own
 * fd, or a link's). A tc filter whose program no process holds belongs to a
 * run that has ended; one that a process holds belongs to a live run. Read
 * from /proc: an fd whose link reads "anon_inode:bpf-prog" or
 * "anon_inode:bpf_link" has a "prog_id:" line in its fdinfo. Plain C: the
 * proc root is a parameter (a made-up tree in the tests).
 */
#ifndef TL_HOLDERS_H
#define TL_HOLDERS_H

#include <stdbool.h>
#include <stdint.h>

struct holder {
	long pid;	 /* as the proc root numbers it */
	char comm[16];	 /* its command name ("" if unreadable) */
	bool unreadable; /* named tunleak*, but its fds could not be read */
};

/* The first process under proc_root that holds one of ids[0..n). A process
 * named tunleak* whose fds cannot be read counts as a holder (unreadable set):
 * what cannot be seen is not proven stale. Returns 1 with *h filled, 0 when
 * no process holds one, or -errno when proc_root cannot be read. */
int holders_find(const char *proc_root, const uint32_t *ids, int n, struct holder *h);

/* Whether proc_root shows every process of the machine: it is a proc of the
 * initial PID namespace. A proc of a PID namespace of its own shows only
 * that namespace's processes, and a holder outside it would be missed. */
bool holders_see_all(const char *proc_root);

#endif
