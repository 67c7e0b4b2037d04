/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Network namespaces as handles. tunleak never moves itself into a traced
 * namespace: it keeps an fd of each, and a call that must be made inside one
 * (a netlink socket, a tc or tcx attach) runs there in the calling thread,
 * which then comes back to the namespace the process started in (home).
 */
#ifndef TL_NETNS_H
#define TL_NETNS_H

#include <stddef.h>
#include <stdint.h>

struct netns;

/* Remember the calling thread's namespace as home. Call once, first. 0 or -errno. */
int netns_init(void);

/* Open the namespace at path (an nsfs file such as /proc/PID/ns/net or
 * /run/netns/NAME). Never blocks (a FIFO is refused, not waited on). NULL and
 * errno: ENOENT, EACCES..., or EINVAL when path is not a network namespace. */
struct netns *netns__open(const char *path);
/* netns__open() of a namespace found earlier at path: NULL and ESTALE when
 * path now leads to another one (its process ended and the PID was reused). */
struct netns *netns__open_found(const char *path, uint64_t dev, uint64_t ino);
/* The home namespace (a handle of its own, to be freed like any other). */
struct netns *netns__open_home(void);
void netns__free(struct netns *ns);

/* The namespace's identity: nsfs device and inode (as stat() of its path). */
uint64_t netns__dev(const struct netns *ns);
uint64_t netns__ino(const struct netns *ns);
int netns__is_home(const struct netns *ns);
/* The namespace's cookie (SO_NETNS_COOKIE): given by the kernel at its
 * creation, never reused; 0 when it cannot be read. */
uint64_t netns__cookie(struct netns *ns);
/* The calling thread's namespace's cookie, or 0 and errno. */
uint64_t netns_cookie_here(void);
/* Let sock, a socket made inside ns (not owned; open for as long as ns is
 * used or until netns__unhold()), hold the namespace: ns closes its own fd
 * and enters through one made from sock when it needs to (one fd fewer per
 * namespace). 0, or -errno (-EINVAL: sock is not of ns). */
int netns__hold_by(struct netns *ns, int sock);
/* Take an fd of its own again (before the socket closes). 0 or -errno. */
int netns__unhold(struct netns *ns);

/* fn(arg) inside ns (NULL: the current namespace), back home afterwards.
 * Returns fn's result, or -errno when ns cannot be entered. Thread-safe:
 * only the calling thread moves. Threads that fn creates start inside. */
int netns__run(const struct netns *ns, int (*fn)(void *arg), void *arg);
/* socket(2) inside ns: the socket stays bound to ns wherever it is used. */
int netns__socket(const struct netns *ns, int domain, int type, int protocol);

/* Resolve --netns PATH|NAME or --pid PID to an nsfs path (buf). */
const char *netns_path(const char *netns, long pid, char *buf, size_t len);
/* "network namespace NAME", "the network namespace of PID N" or "the current
 * network namespace", for messages. */
const char *netns_label(const char *netns, long pid, char *buf, size_t len);
/* Open what --netns or --pid names. NULL with one line in err, naming the
 * option and its value. */
struct netns *netns__open_arg(const char *netns, long pid, char *err, size_t errlen);

enum caps_need {
	NEED_NET_ADMIN = 1, /* attach tc programs */
	NEED_BPF = 2,	    /* load BPF programs (CAP_BPF or CAP_SYS_ADMIN) */
	NEED_SETNS = 4,	    /* enter another namespace (CAP_SYS_ADMIN) */
	NEED_PTRACE = 8,    /* read other users' and more privileged processes'
			     * /proc/PID/ns/net (CAP_SYS_PTRACE) */
};

/* Check the effective capabilities for `need` (enum caps_need bits).
 * Returns 0, or -1 with one line naming what is missing. */
int caps_check(int need, char *err, size_t errlen);

#endif
