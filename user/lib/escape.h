/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Text from pods made safe to print. Plain C. */
#ifndef TL_ESCAPE_H
#define TL_ESCAPE_H

#include <stddef.h>

/* s with control characters (C0, DEL, the C1 controls U+0080-U+009F and the
 * bidi controls U+202A-U+202E, U+2066-U+2069) and bytes that are not UTF-8 as \xNN, so that text
 * from a pod (interface names, hostnames) cannot move the operator's cursor or forge a line. Always
 * terminated; cut to fit, never inside a character or an escape. */
const char *escape_ctl(const char *s, char *buf, size_t len);

#endif
