// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: cidr_parse() on any string; what it accepts formats and
 * parses back to itself, and a host-bits error masks to something valid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr c, again;
	char buf[64], *s;
	int ret;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	ret = cidr_parse(s, &c);
	if (ret == 0 || ret == -CIDR_EHOSTBITS) {
		if ((c.family != 4 && c.family != 6) || c.prefixlen > (c.family == 4 ? 32 : 128))
			abort();
		if (ret)
			cidr_mask(&c);
		if (cidr_parse(cidr_format(&c, buf, sizeof(buf)), &again) ||
		    memcmp(&c, &again, sizeof(c)) || !cidr_overlaps(&c, &again) ||
		    !cidr_contains(&c, c.family, c.addr))
			abort();
	} else if (ret != -CIDR_ESYNTAX && ret != -CIDR_EPREFIX) {
		abort();
	}
	if (!cidr_strerror(ret))
		abort();
	free(s);
	return 0;
}
