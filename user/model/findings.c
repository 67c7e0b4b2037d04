// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/findings.h"
#include "lib/vec.h"

struct findings {
	struct finding *list;
	uint64_t *hash; /* of each one's key, to compare keys only when it matches */
	int n, cap, hcap;
	int dropped;
};

const char *finding_kind_name(enum finding_kind k)
{
	return k == FINDING_BYPASS ? "bypass" : "leak";
}

const char *finding_key(const struct finding *f, char *buf, size_t len)
{
	char cs[64];

	cidr_format(&f->cidr, cs, sizeof(cs));
	snprintf(buf, len, "%s|%s|%s", finding_kind_name(f->kind), cs, f->route);
	return buf;
}

static uint64_t key_hash(const struct finding *f)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	const uint8_t *p;
	size_t i;

	h = (h ^ (uint8_t)f->kind) * 1099511628211ull;
	p = (const uint8_t *)&f->cidr;
	for (i = 0; i < sizeof(f->cidr); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	for (p = (const uint8_t *)f->route; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

static int same(const struct finding *a, const struct finding *b)
{
	return a->kind == b->kind && a->cidr.family == b->cidr.family &&
	       a->cidr.prefixlen == b->cidr.prefixlen && !memcmp(a->cidr.addr, b->cidr.addr, 16) &&
	       !strcmp(a->route, b->route);
}

struct findings *findings__new(void)
{
	return calloc(1, sizeof(struct findings));
}

void findings__free(struct findings *s)
{
	if (!s)
		return;
	free(s->list);
	free(s->hash);
	free(s);
}

void findings__clear(struct findings *s)
{
	s->n = 0;
	s->dropped = 0;
}

static int find_hashed(const struct findings *s, const struct finding *f, uint64_t h)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->hash[i] == h && same(&s->list[i], f))
			return i;
	return -1;
}

int findings__find(const struct findings *s, const struct finding *f)
{
	return find_hashed(s, f, key_hash(f));
}

int findings__add(struct findings *s, const struct finding *f)
{
	uint64_t h = key_hash(f);

	if (find_hashed(s, f, h) >= 0)
		return 0;
	if (s->n >= FINDINGS_MAX) {
		s->dropped++;
		return -ENOSPC;
	}
	if (vec_room(&s->list, &s->cap, s->n, sizeof(*s->list), 16) ||
	    vec_room(&s->hash, &s->hcap, s->n, sizeof(*s->hash), 16))
		return -ENOMEM;
	s->list[s->n] = *f;
	/* terminated whatever the caller left in them */
	s->list[s->n].route[sizeof(f->route) - 1] = '\0';
	s->list[s->n].fix_text[sizeof(f->fix_text) - 1] = '\0';
	s->list[s->n].iface[sizeof(f->iface) - 1] = '\0';
	s->hash[s->n] = key_hash(&s->list[s->n]);
	s->n++;
	return 1;
}

int findings__count(const struct findings *s)
{
	return s->n;
}

const struct finding *findings__get(const struct findings *s, int i)
{
	return i >= 0 && i < s->n ? &s->list[i] : NULL;
}

int findings__dropped(const struct findings *s)
{
	return s->dropped;
}

struct findings_diff findings__diff(const struct findings *prev, struct findings *now,
				    uint64_t now_ns,
				    void (*on)(const struct finding *f, bool appeared, void *ctx),
				    void *ctx)
{
	struct findings_diff d = {0};
	int i, j;

	for (i = 0; i < now->n; i++) {
		j = find_hashed(prev, &now->list[i], now->hash[i]);
		if (j >= 0) {
			now->list[i].since = prev->list[j].since;
			d.kept++;
			continue;
		}
		now->list[i].since = now_ns;
		d.appeared++;
		if (on)
			on(&now->list[i], true, ctx);
	}
	for (j = 0; j < prev->n; j++) {
		if (find_hashed(now, &prev->list[j], prev->hash[j]) >= 0)
			continue;
		d.gone++;
		if (on)
			on(&prev->list[j], false, ctx);
	}
	return d;
}

void findings__move(struct findings *dst, struct findings *src)
{
	struct findings t = *dst;

	*dst = *src;
	*src = t;
	findings__clear(src);
}
