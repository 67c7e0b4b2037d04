/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Longest-prefix classes as sorted, disjoint address ranges: the BPF program
 * finds an address's class by binary search over (start, class) pairs, with
 * direct loads and no helper call. Built here from the configured CIDRs with
 * exactly the semantics of cidr_classify(). Plain C.
 */
#ifndef TL_RANGES_H
#define TL_RANGES_H

#include "model/abi.h"
#include "model/cidr.h"

/* Ranges for the CIDRs of one family in tab; out[0].start is always 0 and
 * adjacent ranges differ in class. Returns how many (at most max), or
 * -E2BIG when they do not fit. */
int ranges_build4(const struct class_cidr *tab, int n, struct tl_range4 *out, int max);
int ranges_build6(const struct class_cidr *tab, int n, struct tl_range6 *out, int max);
/* The class of addr by the same binary search the BPF program does. */
int ranges_lookup4(const struct tl_range4 *r, int n, const uint8_t *addr);
int ranges_lookup6(const struct tl_range6 *r, int n, const uint8_t *addr);
/* Fill out[n .. 2 * top_step) with the last range's class at the highest
 * start, for the BPF program's branchless search (which always takes log2
 * steps). max is the array's size. */
void ranges_pad4(struct tl_range4 *out, int n, int max);
void ranges_pad6(struct tl_range6 *out, int n, int max);
/* The class of addr by the BPF program's branchless search, over padded
 * ranges (for tests). */
int ranges_lookup4_padded(const struct tl_range4 *r, int n, const uint8_t *addr);
/* The first size ranges of r (n of them, n <= size) as the BPF program's
 * small table: starts and classes apart, padded to size with the last class
 * at the highest start (class other when n is 0). Larger n: nothing done. */
void ranges_small4(const struct tl_range4 *r, int n, uint32_t *start, uint8_t *cls, int size);
/* The class of addr by the BPF program's search over a small table of size
 * entries (a power of two), for tests. */
int ranges_lookup4_small(const uint32_t *start, const uint8_t *cls, int size, const uint8_t *addr);
/* The n IPv6 ranges r (n <= size + 1) as the BPF program's small table: the
 * size boundaries between them, high and low halves apart, padded with
 * all-ones, and the class of range i in bits 4i..4i+3 of *cls. Larger n:
 * nothing done. */
void ranges_small6(const struct tl_range6 *r, int n, __u64 *hi, __u64 *lo, __u64 *cls, int size);
/* The class of addr by the BPF program's search over that table (size 8). */
int ranges_lookup6_small(const __u64 *hi, const __u64 *lo, __u64 cls, const uint8_t *addr);
/* The highest power of two <= n (0 for 0): the search's first step. */
unsigned int ranges_top_step(unsigned int n);

#endif
