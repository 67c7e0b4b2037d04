// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/ranges.h"

/* 128-bit addresses as (hi, lo) in host order; IPv4 uses lo only. */
struct u128 {
	uint64_t hi, lo;
};

static struct u128 load(int family, const uint8_t *a)
{
	struct u128 v = {0, 0};
	int i;

	if (family == 4) {
		v.lo = (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 | (uint64_t)a[2] << 8 | a[3];
		return v;
	}
	for (i = 0; i < 8; i++) {
		v.hi = v.hi << 8 | a[i];
		v.lo = v.lo << 8 | a[8 + i];
	}
	return v;
}

static int cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* last address of the prefix */
static struct u128 last(int family, struct u128 s, int plen)
{
	int bits = family == 4 ? 32 : 128, host = bits - plen;

	if (family == 4) {
		s.lo |= host >= 32 ? 0xffffffffULL : ((1ULL << host) - 1);
		return s;
	}
	if (host >= 64) {
		s.lo = ~0ULL;
		s.hi |= host >= 128 ? ~0ULL : ((1ULL << (host - 64)) - 1);
	} else if (host > 0) {
		s.lo |= (1ULL << host) - 1;
	}
	return s;
}

/* a + 1; *wrap set when a was the last address */
static struct u128 next(int family, struct u128 a, int *wrap)
{
	*wrap = 0;
	if (family == 4) {
		if (a.lo == 0xffffffffULL)
			*wrap = 1;
		a.lo = (a.lo + 1) & 0xffffffffULL;
		return a;
	}
	if (++a.lo == 0 && ++a.hi == 0)
		*wrap = 1;
	return a;
}

struct pfx {
	struct u128 start, end;
	int plen, cls;
};

static int by_start_then_len(const void *x, const void *y)
{
	const struct pfx *a = x, *b = y;
	int c = cmp(a->start, b->start);

	return c ? c : a->plen - b->plen; /* the container first */
}

struct out {
	struct u128 *start;
	enum tl_class *cls;
	int n, max, err;
};

static void emit(struct out *o, struct u128 start, enum tl_class cls)
{
	if (o->n && o->cls[o->n - 1] == cls)
		return; /* same class continues */
	if (o->n && !cmp(o->start[o->n - 1], start)) {
		o->cls[o->n - 1] = cls; /* empty range before: replaced */
		if (o->n > 1 && o->cls[o->n - 2] == cls)
			o->n--;
		return;
	}
	if (o->n >= o->max) {
		o->err = -E2BIG;
		return;
	}
	o->start[o->n] = start;
	o->cls[o->n++] = cls;
}

/*
 * Sweep the prefixes in address order with a stack of the ones that contain
 * the current position (prefixes nest or are disjoint): the innermost open
 * prefix gives the class; where it closes, the next one out takes over.
 */
static int build(int family, const struct class_cidr *tab, int n, struct out *o)
{
	struct pfx *p = calloc(n ? n : 1, sizeof(*p)), **stack = calloc(n ? n : 1, sizeof(*stack));
	struct u128 zero = {0, 0};
	int i, k = 0, top = 0, wrap;

	if (!p || !stack) {
		free(p);
		free(stack);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (tab[i].cidr.family != family)
			continue;
		p[k].start = load(family, tab[i].cidr.addr);
		p[k].end = last(family, p[k].start, tab[i].cidr.prefixlen);
		p[k].plen = tab[i].cidr.prefixlen;
		p[k].cls = tab[i].cls;
		k++;
	}
	qsort(p, k, sizeof(*p), by_start_then_len);
	emit(o, zero, TL_CLASS_OTHER);
	for (i = 0; i < k; i++) {
		/* close the prefixes that end before this one starts */
		while (top && cmp(stack[top - 1]->end, p[i].start) < 0) {
			struct u128 after = next(family, stack[top - 1]->end, &wrap);

			top--;
			if (!wrap)
				emit(o, after, top ? stack[top - 1]->cls : TL_CLASS_OTHER);
		}
		/* the same prefix twice: the later one replaces it */
		if (top && !cmp(stack[top - 1]->start, p[i].start) &&
		    stack[top - 1]->plen == p[i].plen)
			top--;
		emit(o, p[i].start, p[i].cls);
		stack[top++] = &p[i];
	}
	while (top) {
		struct u128 after = next(family, stack[top - 1]->end, &wrap);

		top--;
		if (!wrap)
			emit(o, after, top ? stack[top - 1]->cls : TL_CLASS_OTHER);
	}
	free(p);
	free(stack);
	return o->err ? o->err : o->n;
}

/* The ranges of one family in o (allocated for max); its count or -errno. */
static int build_alloc(int family, const struct class_cidr *tab, int n, int max, struct out *o)
{
	int ret;

	memset(o, 0, sizeof(*o));
	o->max = max;
	o->start = calloc(max, sizeof(*o->start));
	o->cls = calloc(max, sizeof(*o->cls));
	ret = o->start && o->cls ? build(family, tab, n, o) : -ENOMEM;
	if (ret < 0) {
		free(o->start);
		free(o->cls);
	}
	return ret;
}

int ranges_build4(const struct class_cidr *tab, int n, struct tl_range4 *out, int max)
{
	struct out o;
	int i, ret = build_alloc(4, tab, n, max, &o);

	if (ret < 0)
		return ret;
	for (i = 0; i < ret; i++) {
		out[i].start = (uint32_t)o.start[i].lo;
		out[i].cls = o.cls[i];
	}
	free(o.start);
	free(o.cls);
	return ret;
}

int ranges_build6(const struct class_cidr *tab, int n, struct tl_range6 *out, int max)
{
	struct out o;
	int i, ret = build_alloc(6, tab, n, max, &o);

	if (ret < 0)
		return ret;
	for (i = 0; i < ret; i++) {
		out[i].hi = o.start[i].hi;
		out[i].lo = o.start[i].lo;
		out[i].cls = o.cls[i];
		out[i].pad = 0;
	}
	free(o.start);
	free(o.cls);
	return ret;
}

unsigned int ranges_top_step(unsigned int n)
{
	unsigned int s = 1;

	if (!n)
		return 0;
	while (s <= n / 2)
		s <<= 1;
	return s;
}

int ranges_lookup4(const struct tl_range4 *r, int n, const uint8_t *addr)
{
	uint32_t a = (uint32_t)load(4, addr).lo;
	unsigned int pos = 0, step;

	if (n <= 0)
		return TL_CLASS_OTHER;
	for (step = ranges_top_step(n); step; step >>= 1)
		if (pos + step < (unsigned int)n && r[pos + step].start <= a)
			pos += step;
	return r[pos].cls;
}

int ranges_lookup6(const struct tl_range6 *r, int n, const uint8_t *addr)
{
	struct u128 a = load(6, addr);
	unsigned int pos = 0, step;

	if (n <= 0)
		return TL_CLASS_OTHER;
	for (step = ranges_top_step(n); step; step >>= 1) {
		unsigned int p = pos + step;

		if (p < (unsigned int)n && (r[p].hi < a.hi || (r[p].hi == a.hi && r[p].lo <= a.lo)))
			pos = p;
	}
	return r[pos].cls;
}

void ranges_pad4(struct tl_range4 *out, int n, int max)
{
	int i, end = n > 0 ? 2 * (int)ranges_top_step(n) : 0;

	for (i = n; i < end && i < max; i++) {
		out[i].start = 0xffffffffu;
		out[i].cls = out[n - 1].cls;
	}
}

void ranges_small4(const struct tl_range4 *r, int n, uint32_t *start, uint8_t *cls, int size)
{
	int i;

	if (n > size)
		return;
	for (i = 0; i < size; i++) {
		start[i] = i < n ? r[i].start : 0xffffffffu;
		cls[i] = i < n ? r[i].cls : n ? r[n - 1].cls : TL_CLASS_OTHER;
	}
}

int ranges_lookup4_small(const uint32_t *start, const uint8_t *cls, int size, const uint8_t *addr)
{
	uint32_t a = (uint32_t)addr[0] << 24 | addr[1] << 16 | addr[2] << 8 | addr[3];
	int pos = 0, step;

	for (step = size / 2; step; step >>= 1)
		if (start[pos + step] <= a)
			pos += step;
	return cls[pos];
}

void ranges_small6(const struct tl_range6 *r, int n, __u64 *hi, __u64 *lo, __u64 *cls, int size)
{
	int i;

	if (n > size + 1)
		return;
	*cls = 0;
	for (i = 0; i < size; i++) {
		hi[i] = i + 1 < n ? r[i + 1].hi : ~0ULL;
		lo[i] = i + 1 < n ? r[i + 1].lo : ~0ULL;
	}
	for (i = 0; i < 16; i++)
		*cls |= (uint64_t)(i < n ? r[i].cls : n ? r[n - 1].cls : TL_CLASS_OTHER) << (4 * i);
}

static int le128(uint64_t bh, uint64_t bl, uint64_t ah, uint64_t al)
{
	return bh < ah || (bh == ah && bl <= al);
}

int ranges_lookup6_small(const __u64 *hi, const __u64 *lo, __u64 cls, const uint8_t *addr)
{
	uint64_t ah = 0, al = 0;
	int i, pos = 0, step;

	for (i = 0; i < 8; i++) {
		ah = ah << 8 | addr[i];
		al = al << 8 | addr[8 + i];
	}
	/* the boundaries at or below addr: the index of its range */
	for (step = 4; step; step >>= 1)
		if (le128(hi[pos + step - 1], lo[pos + step - 1], ah, al))
			pos += step;
	pos += le128(hi[pos], lo[pos], ah, al);
	return (cls >> (4 * pos)) & 0xf;
}

void ranges_pad6(struct tl_range6 *out, int n, int max)
{
	int i, end = n > 0 ? 2 * (int)ranges_top_step(n) : 0;

	for (i = n; i < end && i < max; i++) {
		out[i].hi = ~0ULL;
		out[i].lo = ~0ULL;
		out[i].cls = out[n - 1].cls;
		out[i].pad = 0;
	}
}

int ranges_lookup4_padded(const struct tl_range4 *r, int n, const uint8_t *addr)
{
	uint32_t a = (uint32_t)load(4, addr).lo;
	unsigned int pos = 0, step;

	if (n <= 0)
		return TL_CLASS_OTHER;
	for (step = ranges_top_step(n); step; step >>= 1)
		if (r[pos + step].start <= a)
			pos += step;
	return r[pos].cls;
}
