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
	IFACE_GONE, /* was attached, went away; counts kept */
	IFACE_NOT_COUNTED, /* there, but over a limit: no slot, not attached */
};

/* A traced namespace's state. */
enum ns_state {
	NS_WATCHING = 0, /* no tunnel interface: nothing attached */
	NS_TRACING,
	NS_GONE, /* the namespace ended: detached, counts kept */
};

/* "pod", "service", "node", "remote", "other", "non_ip", "malformed"; "?" */
const char *class_name(int cls);
const char *dir_name(enum tl_dir dir); /* "ingress", "egress" */
const char *role_name(enum tl_role role); /* "cluster", "tunnel" */
const char *type_name(enum tl_type type); /* "leak", "bypass" */
/* "waiting", "attached", "gone", "not counted" */
const char *iface_state_name(enum iface_state s);
const char *ns_state_name(enum ns_state s); /* "watching", "tracing", "gone" */

#endif
