/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* UTF-8, as the escapers of text from pods need it. Plain C. */
#ifndef TL_UTF8_H
#define TL_UTF8_H

#include <stdint.h>

/* The length (1-4) of the well-formed UTF-8 sequence s starts with, its code
 * point in *cp; 0 when s starts none: a stray continuation byte, an overlong
 * form, a surrogate, beyond U+10FFFF, or cut short (the NUL ends it). */
static inline int utf8_seq(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	int n, i;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] < 0xc2) /* a continuation byte, or a 2-byte overlong form */
		return 0;
	if (u[0] < 0xe0) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] < 0xf0) {
		n = 3;
		c = u[0] & 0x0f;
	} else if (u[0] < 0xf5) {
		n = 4;
		c = u[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* C0 controls, DEL and the C1 controls (U+0080-U+009F: a terminal may take
 * U+009B for CSI as it takes ESC [). */
static inline int utf8_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

/* The bidirectional embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069): they reorder what follows them on the line, so a name can
 * show as another ("Trojan Source"). Escaped like controls. */
static inline int utf8_is_bidi(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

#endif
