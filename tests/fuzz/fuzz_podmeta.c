// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: pod_meta_parse() (user/node/discover.c, over json-c) on
 * any bytes, as a container runtime's config.json: a non-empty pod name and
 * namespace path that fit, or -EINVAL / -ENOENT. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/discover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pod_meta m;
	char path[96];
	int ret;

	memset(path, 'x', sizeof(path));
	ret = pod_meta_parse((const char *)data, size, &m, path, sizeof(path));
	if (ret == -EINVAL || ret == -ENOENT)
		return 0;
	if (ret != 0 || !memchr(path, '\0', sizeof(path)) || !path[0] || !m.name[0] ||
	    !memchr(m.name, '\0', sizeof(m.name)) || !memchr(m.k8s_ns, '\0', sizeof(m.k8s_ns)))
		abort();
	return 0;
}
