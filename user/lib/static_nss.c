// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Linked into the static binary only. libnl-3 has functions tunleak never
 * calls (nl_addr_info(), nl_ip_proto2str(), nl_str2ip_proto()) that use
 * glibc's name services; in a static binary those would load NSS modules of
 * this glibc at run time, which a CoreOS or Flatcar node does not have. These
 * definitions take their place: should anything ever call them, they fail at
 * once instead of loading anything.
 */
#include <netdb.h>
#include <stddef.h>

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	(void)node;
	(void)service;
	(void)hints;
	*res = NULL;
	return EAI_FAIL;
}

struct protoent *getprotobynumber(int proto)
{
	(void)proto;
	return NULL;
}

struct protoent *getprotobyname(const char *name)
{
	(void)name;
	return NULL;
}
