// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/audit.h"
#include "model/flows.h"

_Static_assert(FLOW_ROUTE_LEN >= ROUTE_TEXT_LEN && FLOW_ROUTE_LEN >= FIX_TEXT_LEN,
	       "a route or fix text the audit makes fits a flow's");

/* Interned strings: few (one per route, fix and interface name), kept for
 * the table's life. */
struct str {
	struct str *next;
	char s[];
};

#define STR_BUCKETS 1024

struct flows {
	struct str *strs[STR_BUCKETS];
	int nstrs;
	struct flow_rec **buckets;
	size_t nbuckets;
	size_t count;
	size_t max;
	uint64_t evicted;
	struct flow_rec *head, *tail; /* most, least recently seen */
};

static uint64_t key_hash(const struct tl_flow_key *k)
{
	uint64_t w[6] = {0}, h = 0x9e3779b97f4a7c15ULL;
	int i;

	_Static_assert(sizeof(*k) <= sizeof(w), "the key fits six words");
	memcpy(w, k, sizeof(*k));
	for (i = 0; i < 6; i++) { /* multiply-xorshift over 64-bit words */
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

struct flows *flows__new(size_t max_flows)
{
	struct flows *f;

	if (!max_flows) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->max = max_flows;
	f->nbuckets = 64;
	while (f->nbuckets < max_flows)
		f->nbuckets <<= 1;
	f->buckets = calloc(f->nbuckets, sizeof(*f->buckets));
	if (!f->buckets) {
		free(f);
		return NULL;
	}
	return f;
}

void flows__free(struct flows *f)
{
	struct flow_rec *r, *n;
	int i;

	if (!f)
		return;
	for (r = f->head; r; r = n) {
		n = r->lnext;
		free(r);
	}
	for (i = 0; i < STR_BUCKETS; i++)
		while (f->strs[i]) {
			struct str *x = f->strs[i];

			f->strs[i] = x->next;
			free(x);
		}
	free(f->buckets);
	free(f);
}

static void list_unlink(struct flows *f, struct flow_rec *r)
{
	if (r->lprev)
		r->lprev->lnext = r->lnext;
	else
		f->head = r->lnext;
	if (r->lnext)
		r->lnext->lprev = r->lprev;
	else
		f->tail = r->lprev;
	r->lprev = r->lnext = NULL;
}

static void list_push_front(struct flows *f, struct flow_rec *r)
{
	r->lprev = NULL;
	r->lnext = f->head;
	if (f->head)
		f->head->lprev = r;
	f->head = r;
	if (!f->tail)
		f->tail = r;
}

static void remove_rec(struct flows *f, struct flow_rec *r)
{
	struct flow_rec **pp = &f->buckets[key_hash(&r->key) & (f->nbuckets - 1)];

	while (*pp && *pp != r)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = r->hnext;
	list_unlink(f, r);
	f->count--;
	free(r);
}

struct flow_rec *flows__lookup(struct flows *f, const struct tl_flow_key *key)
{
	struct flow_rec *r = f->buckets[key_hash(key) & (f->nbuckets - 1)];

	for (; r; r = r->hnext)
		if (!memcmp(&r->key, key, sizeof(*key)))
			return r;
	return NULL;
}

struct flow_rec *flows__upsert(struct flows *f, const struct tl_flow_key *key, int *is_new)
{
	struct flow_rec *r = flows__lookup(f, key);
	size_t b;

	*is_new = 0;
	if (r)
		return r;
	if (f->count >= f->max) {
		remove_rec(f, f->tail);
		f->evicted++;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->key = *key;
	r->iface = r->route = r->fix = r->reply_to = "";
	b = key_hash(key) & (f->nbuckets - 1);
	r->hnext = f->buckets[b];
	f->buckets[b] = r;
	list_push_front(f, r);
	f->count++;
	*is_new = 1;
	return r;
}

void flows__set_kernel_counts(struct flows *f, struct flow_rec *r, uint64_t packets, uint64_t bytes,
			      uint64_t last_ns)
{
	/* Counts that went down mean the kernel evicted the entry and began
	 * it again: carry what it had counted before. */
	if (packets < r->k_packets) {
		r->base_packets += r->k_packets;
		r->base_bytes += r->k_bytes;
	}
	r->k_packets = packets;
	r->k_bytes = bytes;
	r->packets = r->base_packets + packets;
	r->bytes = r->base_bytes + bytes;
	if (last_ns > r->last_ns) {
		r->last_ns = last_ns;
		if (f->head != r) {
			list_unlink(f, r);
			list_push_front(f, r);
		}
	}
}

const char *flows__intern(struct flows *f, const char *s)
{
	size_t n = strnlen(s, FLOW_ROUTE_LEN - 1), i;
	uint32_t h = 2166136261u; /* FNV-1a */
	struct str *x, **b;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	b = &f->strs[h % STR_BUCKETS];
	for (x = *b; x; x = x->next)
		if (!strncmp(x->s, s, n) && x->s[n] == '\0')
			return x->s;
	/* a bound on what a pod can make us keep: past it, names are not kept */
	if (f->nstrs >= 65536)
		return "";
	x = malloc(sizeof(*x) + n + 1);
	if (!x)
		return "";
	memcpy(x->s, s, n);
	x->s[n] = '\0';
	x->next = *b;
	*b = x;
	f->nstrs++;
	return x->s;
}

void flows__purge_slot(struct flows *f, int slot)
{
	struct flow_rec *r = f->head, *n;

	for (; r; r = n) {
		n = r->lnext;
		if (r->key.slot == slot)
			remove_rec(f, r);
	}
}

size_t flows__count(const struct flows *f)
{
	return f->count;
}

uint64_t flows__evicted(const struct flows *f)
{
	return f->evicted;
}

static int better(const struct flow_rec *a, const struct flow_rec *b, enum flow_sort sort)
{
	switch (sort) {
	case FLOW_SORT_BYTES:
		if (a->bytes != b->bytes)
			return a->bytes > b->bytes;
		break;
	case FLOW_SORT_LAST:
		if (a->last_ns != b->last_ns)
			return a->last_ns > b->last_ns;
		break;
	default:
		if (a->packets != b->packets)
			return a->packets > b->packets;
		break;
	}
	/* Ties: most recent first, then the key, so the order is stable. */
	if (a->last_ns != b->last_ns)
		return a->last_ns > b->last_ns;
	return memcmp(&a->key, &b->key, sizeof(a->key)) < 0;
}

size_t flows__top(struct flows *f, const struct flow_rec **out, size_t n, enum flow_sort sort,
		  uint64_t since_ns)
{
	const struct flow_rec *r;
	size_t got = 0, i;

	if (!n)
		return 0;
	/* Insertion into a sorted array of n: n is a screenful. */
	for (r = f->head; r; r = r->lnext) {
		if (r->last_ns < since_ns)
			continue;
		if (got == n && !better(r, out[n - 1], sort))
			continue;
		i = got < n ? got++ : n - 1;
		while (i > 0 && better(r, out[i - 1], sort)) {
			out[i] = out[i - 1];
			i--;
		}
		out[i] = r;
	}
	return got;
}

const struct flow_rec *flows__next(const struct flows *f, const struct flow_rec *prev)
{
	return prev ? prev->lnext : f->head;
}
