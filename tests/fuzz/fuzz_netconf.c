// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: netconf_parse() (over json-c) on any bytes: either one
 * error line, or pod and service CIDRs that format and parse back to
 * themselves. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/abi.h"
#include "config/netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct class_cidr *v;
	char err[256], buf[64];
	int n, i, ret;

	ret = netconf_parse((const char *)data, size, &v, &n, err, sizeof(err));
	if (ret) {
		if (ret > 0 || v || n || !err[0] || strchr(err, '\n'))
			abort();
		return 0;
	}
	if (n < 2 || n > NETCONF_MAX_CIDRS || v[0].cls != TL_CLASS_POD ||
	    v[n - 1].cls != TL_CLASS_SERVICE)
		abort();
	for (i = 0; i < n; i++) {
		struct cidr c;

		if (cidr_parse(cidr_format(&v[i].cidr, buf, sizeof(buf)), &c) ||
		    memcmp(&c, &v[i].cidr, sizeof(c)))
			abort();
	}
	free(v);
	return 0;
}
