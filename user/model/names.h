/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The names every output uses for tunleak's enums — address classes,
 * directions, roles, interface and namespace states — written once. Plain C.
 */
#ifndef TL_NAMES_H
#define TL_NAMES_H

#include "model/abi.h"

/* An interface's state, as the counters file and the live table show it. */
enum iface_state {
	IFACE_WAITING = 0, /* named, not (yet) there */
	IFACE_ATTACHED,
	IFACE_GONE,	   /* was attached, went away; counts kept */
	IFACE_FAILED,	   /* there, but the attach failed (said once per reason) */
	IFACE_NOT_COUNTED, /* there, but over a limit: no slot, not attached */
};

/* A traced namespace's state. */
enum ns_state {
	NS_WATCHING = 0, /* no tunnel interface: nothing attached */
	NS_TRACING,
	NS_GONE,     /* the namespace ended: detached, counts kept */
	NS_UNTRACED, /* found, but it cannot be looked into or traced (the reason is kept) */
};
#define NS_NR_STATES 4

/* Where a namespace's name comes from, from the most to the least trusted:
 * the container runtime's metadata, the pod's own hostname (its claim), a
 * /run/netns name, a PID. */
enum name_source {
	NAME_PID = 0,
	NAME_NETNS,
	NAME_HOSTNAME,
	NAME_RUNTIME,
};

/* "pod", "service", "node", "remote", "other", "non_ip", "malformed"; "?" */
const char *class_name(enum tl_class cls);
const char *dir_name(enum tl_dir dir);	  /* "ingress", "egress" */
const char *role_name(enum tl_role role); /* "cluster", "tunnel" */
const char *type_name(enum tl_type type); /* "leak", "bypass" */
/* "waiting", "attached", "gone", "failed", "not counted" */
const char *iface_state_name(enum iface_state s);
const char *ns_state_name(enum ns_state s);	  /* "watching", "tracing", "gone", "untraced" */
const char *name_source_name(enum name_source s); /* "pid", "netns", "hostname", "runtime" */

#endif
