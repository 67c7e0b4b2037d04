// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <string.h>

#include "lib/escape.h"
#include "lib/utf8.h"

const char *escape_ctl(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!len)
		return buf;
	while (*s && o + 1 < len) {
		uint32_t cp;
		int n = utf8_seq(s, &cp), k;

		if (n && !utf8_is_control(cp) && !utf8_is_bidi(cp)) {
			if (o + n + 1 > len)
				break; /* a character is not cut */
			memcpy(buf + o, s, n);
			o += n;
			s += n;
			continue;
		}
		/* a control character (C0, DEL, C1, a bidi control), or a
		 * byte that is no UTF-8: each byte as \xNN */
		n = n ? n : 1;
		if (o + 4 * n + 1 > len)
			break;
		for (k = 0; k < n; k++) {
			unsigned char c = (unsigned char)s[k];

			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
		s += n;
	}
	buf[o] = '\0';
	return buf;
}
