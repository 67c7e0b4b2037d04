/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Growing an array by doubling, written once. Plain C. */
#ifndef TL_VEC_H
#define TL_VEC_H

#include <errno.h>
#include <stdlib.h>

/* Room in *arr (of *cap elements of size) for one more after n: doubles
 * *cap (from first) when full. 0 or -ENOMEM (*arr unchanged). */
static inline int vec_room(void *arr, int *cap, int n, size_t size, int first)
{
	void **p = arr, *q;
	int c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : first;
	q = realloc(*p, (size_t)c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

#endif
