// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "model/names.h"

const char *class_name(enum tl_class cls)
{
	static const char *const names[TL_NR_COUNTERS] = {
	    [TL_CLASS_POD] = "pod",	      [TL_CLASS_SERVICE] = "service",
	    [TL_CLASS_NODE] = "node",	      [TL_CLASS_REMOTE] = "remote",
	    [TL_CLASS_OTHER] = "other",	      [TL_CNT_NONIP] = "non_ip",
	    [TL_CNT_MALFORMED] = "malformed",
	};

	return (unsigned int)cls < TL_NR_COUNTERS ? names[cls] : "?";
}

const char *dir_name(enum tl_dir dir)
{
	return dir == TL_DIR_EGRESS ? "egress" : "ingress";
}

const char *role_name(enum tl_role role)
{
	return role == TL_ROLE_TUNNEL ? "tunnel" : "cluster";
}

const char *type_name(enum tl_type type)
{
	return type == TL_TYPE_BYPASS ? "bypass" : "leak";
}

const char *iface_state_name(enum iface_state s)
{
	switch (s) {
	case IFACE_ATTACHED:
		return "attached";
	case IFACE_GONE:
		return "gone";
	case IFACE_FAILED:
		return "failed";
	case IFACE_NOT_COUNTED:
		return "not counted";
	default:
		return "waiting";
	}
}

const char *ns_state_name(enum ns_state s)
{
	switch (s) {
	case NS_TRACING:
		return "tracing";
	case NS_GONE:
		return "gone";
	case NS_UNTRACED:
		return "untraced";
	default:
		return "watching";
	}
}

const char *name_source_name(enum name_source s)
{
	switch (s) {
	case NAME_RUNTIME:
		return "runtime";
	case NAME_HOSTNAME:
		return "hostname";
	case NAME_NETNS:
		return "netns";
	default:
		return "pid";
	}
}
