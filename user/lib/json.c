// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Recursive descent over the buffer into a scratch list of values (each
 * linked to its first child and next sibling), then one allocation that
 * holds the final tree with every container's children side by side (so
 * json_index() is O(1)) followed by the decoded strings. json__free() is a
 * single free().
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

struct json {
	uint8_t type;
	uint8_t bval;
	uint32_t len; /* children, or bytes of string/number text */
	const char *key; /* member name when the parent is an object */
	union {
		const char *str; /* string value or number text, NUL-terminated */
		const struct json *kids; /* len children, contiguous */
	} u;
};

#define NONE UINT32_MAX

/* A value while parsing: offsets and indexes, since both arrays grow. */
struct scratch {
	uint8_t type;
	uint8_t bval;
	uint32_t len;
	uint32_t str; /* offset in strs */
	uint32_t key; /* offset in strs, or NONE */
	uint32_t first; /* first child, or NONE */
	uint32_t next; /* next sibling, or NONE */
};

struct parser {
	const char *buf;
	size_t len;
	size_t pos;
	struct scratch *vals;
	uint32_t nvals;
	uint32_t cap;
	char *strs; /* decoded strings: never more than len + 1 bytes (see parse) */
	size_t nstrs;
	char *err;
	size_t errlen;
	int error; /* positive errno of the first error */
};

static int fail(struct parser *p, int error, size_t at, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (p->error)
		return -p->error;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (p->errlen)
		snprintf(p->err, p->errlen, "%s at byte %zu", what, at);
	p->error = error;
	return -error;
}

/* "'x'" for a printable byte, "0xNN" otherwise, or "the end": what was found. */
static const char *found(const struct parser *p, char *buf, size_t len)
{
	unsigned char c;

	if (p->pos >= p->len)
		return "the end of the input";
	c = (unsigned char)p->buf[p->pos];
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", c);
	return buf;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->buf[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int new_val(struct parser *p, int type, uint32_t *idx)
{
	struct scratch *v;

	if (p->nvals >= JSON_MAX_VALUES)
		return fail(p, E2BIG, p->pos, "more than %u values", JSON_MAX_VALUES);
	if (p->nvals == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 64;

		if (cap > JSON_MAX_VALUES)
			cap = JSON_MAX_VALUES;
		v = realloc(p->vals, (size_t)cap * sizeof(*v));
		if (!v)
			return fail(p, ENOMEM, p->pos, "out of memory");
		p->vals = v;
		p->cap = cap;
	}
	v = &p->vals[p->nvals];
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->key = NONE;
	v->first = NONE;
	v->next = NONE;
	*idx = p->nvals++;
	return 0;
}

static int hex4(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | (cp >> 6);
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | (cp >> 12);
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | (cp >> 18);
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

/* The escape after a backslash at p->pos - 1; appends its UTF-8 to o. */
static int parse_escape(struct parser *p, char **o)
{
	size_t at = p->pos - 1;
	unsigned int cp, lo;
	char c;

	if (p->pos >= p->len)
		return fail(p, EINVAL, at, "unterminated escape");
	c = p->buf[p->pos++];
	switch (c) {
	case '"':
	case '\\':
	case '/':
		*(*o)++ = c;
		return 0;
	case 'b':
		*(*o)++ = '\b';
		return 0;
	case 'f':
		*(*o)++ = '\f';
		return 0;
	case 'n':
		*(*o)++ = '\n';
		return 0;
	case 'r':
		*(*o)++ = '\r';
		return 0;
	case 't':
		*(*o)++ = '\t';
		return 0;
	case 'u':
		break;
	default:
		return fail(p, EINVAL, at, "invalid escape \"\\%c\"",
			    c >= 0x20 && c < 0x7f ? c : '?');
	}
	if (p->len - p->pos < 4 || hex4(p->buf + p->pos, &cp))
		return fail(p, EINVAL, at, "\"\\u\" needs four hex digits");
	p->pos += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(p, EINVAL, at, "unpaired low surrogate \\u%04x", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		/* UTF-16 pair: only a low surrogate escape may follow */
		if (p->len - p->pos < 6 || p->buf[p->pos] != '\\' || p->buf[p->pos + 1] != 'u' ||
		    hex4(p->buf + p->pos + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return fail(p, EINVAL, at, "unpaired high surrogate \\u%04x", cp);
		p->pos += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	*o += put_utf8(*o, cp);
	return 0;
}

/*
 * A string at p->pos (the opening quote), decoded into strs. A decoded
 * string plus its NUL is never longer than its quoted source, so strs sized
 * len + 1 never overflows (a \u escape is 6 bytes for at most 3 of UTF-8, a
 * pair 12 for 4).
 */
static int parse_string(struct parser *p, uint32_t *off, uint32_t *slen)
{
	size_t start = p->pos;
	char *o = p->strs + p->nstrs;
	char *begin = o;
	int ret;

	p->pos++;
	for (;;) {
		unsigned char c;
		size_t n;

		if (p->pos >= p->len)
			return fail(p, EINVAL, start, "unterminated string");
		c = (unsigned char)p->buf[p->pos];
		if (c == '"')
			break;
		if (c == '\\') {
			p->pos++;
			ret = parse_escape(p, &o);
			if (ret)
				return ret;
			continue;
		}
		if (c < 0x20)
			return fail(p, EINVAL, p->pos,
				    "control character 0x%02x in a string (must be escaped)", c);
		if (c < 0x80) {
			*o++ = c;
			p->pos++;
			continue;
		}
		n = utf8_len((const unsigned char *)p->buf + p->pos, p->len - p->pos);
		if (!n)
			return fail(p, EINVAL, p->pos, "invalid UTF-8 in a string");
		memcpy(o, p->buf + p->pos, n);
		o += n;
		p->pos += n;
	}
	p->pos++;
	*o++ = '\0';
	*off = (uint32_t)(begin - p->strs);
	*slen = (uint32_t)(o - begin - 1);
	p->nstrs += o - begin;
	return 0;
}

static int is_digit(const struct parser *p)
{
	return p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9';
}

static int parse_number(struct parser *p, uint32_t idx)
{
	size_t start = p->pos, n;
	struct scratch *v;

	if (p->buf[p->pos] == '-')
		p->pos++;
	if (!is_digit(p))
		return fail(p, EINVAL, p->pos, "expected a digit after '-'");
	if (p->buf[p->pos] == '0') {
		p->pos++;
		if (is_digit(p))
			return fail(p, EINVAL, start, "number with a leading zero");
	} else {
		while (is_digit(p))
			p->pos++;
	}
	if (p->pos < p->len && p->buf[p->pos] == '.') {
		p->pos++;
		if (!is_digit(p))
			return fail(p, EINVAL, p->pos, "expected a digit after '.'");
		while (is_digit(p))
			p->pos++;
	}
	if (p->pos < p->len && (p->buf[p->pos] == 'e' || p->buf[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->buf[p->pos] == '+' || p->buf[p->pos] == '-'))
			p->pos++;
		if (!is_digit(p))
			return fail(p, EINVAL, p->pos, "expected a digit in the exponent");
		while (is_digit(p))
			p->pos++;
	}
	/* n + 1 bytes: a number is followed by at least one byte of the input,
	 * or ends it (the + 1 of strs) */
	n = p->pos - start;
	v = &p->vals[idx];
	v->str = (uint32_t)p->nstrs;
	v->len = (uint32_t)n;
	memcpy(p->strs + p->nstrs, p->buf + start, n);
	p->strs[p->nstrs + n] = '\0';
	p->nstrs += n + 1;
	return 0;
}

static int parse_literal(struct parser *p, const char *word, int type, int bval, uint32_t *idx)
{
	size_t n = strlen(word);
	int ret;

	if (p->len - p->pos < n || memcmp(p->buf + p->pos, word, n))
		return fail(p, EINVAL, p->pos, "expected a value");
	ret = new_val(p, type, idx);
	if (ret)
		return ret;
	p->vals[*idx].bval = bval;
	p->pos += n;
	return 0;
}

static int parse_value(struct parser *p, int depth, uint32_t *idx);

static void link_child(struct parser *p, uint32_t parent, uint32_t *last, uint32_t child)
{
	if (*last == NONE)
		p->vals[parent].first = child;
	else
		p->vals[*last].next = child;
	*last = child;
	p->vals[parent].len++;
}

static int parse_array(struct parser *p, int depth, uint32_t idx)
{
	uint32_t last = NONE, child;
	char what[16];
	int ret;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->buf[p->pos] == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		ret = parse_value(p, depth, &child);
		if (ret)
			return ret;
		link_child(p, idx, &last, child);
		skip_ws(p);
		if (p->pos < p->len && p->buf[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->buf[p->pos] == ']') {
			p->pos++;
			return 0;
		}
		return fail(p, EINVAL, p->pos, "expected ',' or ']' in an array, found %s",
			    found(p, what, sizeof(what)));
	}
}

static int parse_object(struct parser *p, int depth, uint32_t idx)
{
	uint32_t last = NONE, child, key, klen;
	char what[16];
	int ret;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->buf[p->pos] == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (p->pos >= p->len || p->buf[p->pos] != '"')
			return fail(p, EINVAL, p->pos, "expected a member name in quotes, found %s",
				    found(p, what, sizeof(what)));
		ret = parse_string(p, &key, &klen);
		if (ret)
			return ret;
		skip_ws(p);
		if (p->pos >= p->len || p->buf[p->pos] != ':')
			return fail(p, EINVAL, p->pos, "expected ':' after a member name, found %s",
				    found(p, what, sizeof(what)));
		p->pos++;
		ret = parse_value(p, depth, &child);
		if (ret)
			return ret;
		p->vals[child].key = key;
		link_child(p, idx, &last, child);
		skip_ws(p);
		if (p->pos < p->len && p->buf[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->buf[p->pos] == '}') {
			p->pos++;
			return 0;
		}
		return fail(p, EINVAL, p->pos, "expected ',' or '}' in an object, found %s",
			    found(p, what, sizeof(what)));
	}
}

/* depth: containers around this value; the recursion is at most
 * JSON_MAX_DEPTH deep, whatever the input. */
static int parse_value(struct parser *p, int depth, uint32_t *idx)
{
	char what[16];
	uint32_t slen;
	int ret;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, EINVAL, p->pos, "expected a value, found the end of the input");
	switch (p->buf[p->pos]) {
	case '{':
	case '[':
		if (depth >= JSON_MAX_DEPTH)
			return fail(p, E2BIG, p->pos, "nested deeper than %d levels",
				    JSON_MAX_DEPTH);
		ret = new_val(p, p->buf[p->pos] == '{' ? JSON_OBJECT : JSON_ARRAY, idx);
		if (ret)
			return ret;
		if (p->buf[p->pos] == '{')
			return parse_object(p, depth + 1, *idx);
		return parse_array(p, depth + 1, *idx);
	case '"':
		ret = new_val(p, JSON_STRING, idx);
		if (ret)
			return ret;
		ret = parse_string(p, &p->vals[*idx].str, &slen);
		p->vals[*idx].len = slen;
		return ret;
	case 't':
		return parse_literal(p, "true", JSON_BOOL, 1, idx);
	case 'f':
		return parse_literal(p, "false", JSON_BOOL, 0, idx);
	case 'n':
		return parse_literal(p, "null", JSON_NULL, 0, idx);
	case '-':
	case '0' ... '9':
		ret = new_val(p, JSON_NUMBER, idx);
		return ret ? ret : parse_number(p, *idx);
	default:
		return fail(p, EINVAL, p->pos, "expected a value, found %s",
			    found(p, what, sizeof(what)));
	}
}

/* The tree in one block: values breadth first, so each container's children
 * are contiguous, then the strings. */
static struct json *build(struct parser *p)
{
	size_t nodes = (size_t)p->nvals * sizeof(struct json);
	uint32_t *order, done, next = 1;
	struct json *out;
	char *strs;

	out = malloc(nodes + p->nstrs);
	order = malloc((size_t)p->nvals * sizeof(*order));
	if (!out || !order) {
		free(out);
		free(order);
		return NULL;
	}
	strs = (char *)out + nodes;
	memcpy(strs, p->strs, p->nstrs);
	order[0] = 0;
	for (done = 0; done < p->nvals; done++) {
		const struct scratch *s = &p->vals[order[done]];
		struct json *d = &out[done];
		uint32_t c;

		d->type = s->type;
		d->bval = s->bval;
		d->len = s->len;
		d->key = s->key == NONE ? NULL : strs + s->key;
		if (s->type == JSON_ARRAY || s->type == JSON_OBJECT) {
			d->u.kids = &out[next];
			for (c = s->first; c != NONE; c = p->vals[c].next)
				order[next++] = c;
		} else if (s->type == JSON_STRING || s->type == JSON_NUMBER) {
			d->u.str = strs + s->str;
		} else {
			d->u.str = NULL;
		}
	}
	free(order);
	return out;
}

struct json *json__parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct parser p = { .buf = buf, .len = len, .err = err, .errlen = errlen };
	struct json *root = NULL;
	char what[16];
	uint32_t idx;

	if (errlen)
		err[0] = '\0';
	if (len > JSON_MAX_SIZE) {
		snprintf(err, errlen, "%zu bytes is more than the %u a JSON text may have", len,
			 JSON_MAX_SIZE);
		errno = E2BIG;
		return NULL;
	}
	if (!buf && len) {
		snprintf(err, errlen, "no buffer");
		errno = EINVAL;
		return NULL;
	}
	p.strs = malloc(len + 1);
	if (!p.strs) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (!parse_value(&p, 0, &idx)) {
		skip_ws(&p);
		if (p.pos < p.len)
			fail(&p, EINVAL, p.pos, "unexpected %s after the JSON value",
			     found(&p, what, sizeof(what)));
	}
	if (!p.error) {
		root = build(&p);
		if (!root)
			fail(&p, ENOMEM, 0, "out of memory");
	}
	free(p.vals);
	free(p.strs);
	if (!root)
		errno = p.error;
	return root;
}

void json__free(struct json *root)
{
	free(root);
}

enum json_type json_type(const struct json *n)
{
	return n ? (enum json_type)n->type : JSON_MISSING;
}

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return "boolean";
	case JSON_NUMBER:
		return "number";
	case JSON_STRING:
		return "string";
	case JSON_ARRAY:
		return "array";
	case JSON_OBJECT:
		return "object";
	default:
		return "nothing";
	}
}

static const struct json *get_n(const struct json *n, const char *key, size_t klen)
{
	const struct json *hit = NULL;
	uint32_t i;

	if (!n || n->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < n->len; i++) {
		const char *k = n->u.kids[i].key;

		if (!strncmp(k, key, klen) && k[klen] == '\0')
			hit = &n->u.kids[i];
	}
	return hit;
}

const struct json *json_get(const struct json *n, const char *key)
{
	return key ? get_n(n, key, strlen(key)) : NULL;
}

const struct json *json_index(const struct json *n, size_t i)
{
	if (!n || (n->type != JSON_ARRAY && n->type != JSON_OBJECT) || i >= n->len)
		return NULL;
	return &n->u.kids[i];
}

size_t json_len(const struct json *n)
{
	if (!n || (n->type != JSON_ARRAY && n->type != JSON_OBJECT && n->type != JSON_STRING))
		return 0;
	return n->len;
}

const char *json_key(const struct json *n)
{
	return n ? n->key : NULL;
}

const char *json_str(const struct json *n)
{
	return n && n->type == JSON_STRING ? n->u.str : NULL;
}

int json_bool(const struct json *n)
{
	return n && n->type == JSON_BOOL && n->bval;
}

const char *json_num(const struct json *n)
{
	return n && n->type == JSON_NUMBER ? n->u.str : NULL;
}

/* An integer's text: a number without fraction or exponent. */
static const char *int_text(const struct json *n)
{
	const char *s = json_num(n);

	if (!s || strpbrk(s, ".eE"))
		return NULL;
	return s;
}

int json_u64(const struct json *n, uint64_t *out)
{
	const char *s = int_text(n);
	unsigned long long v;
	char *end;

	if (!s)
		return -EINVAL;
	if (s[0] == '-') /* the grammar allows "-0" */
		return strcmp(s, "-0") ? -ERANGE : (*out = 0, 0);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		return -ERANGE;
	*out = v;
	return 0;
}

int json_i64(const struct json *n, int64_t *out)
{
	const char *s = int_text(n);
	long long v;
	char *end;

	if (!s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0')
		return -ERANGE;
	*out = v;
	return 0;
}

int json_double(const struct json *n, double *out)
{
	const char *s = json_num(n);
	char *end;
	double v;

	if (!s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	/* underflow to 0 or a subnormal is a fine answer; overflow is not */
	if (*end != '\0' || (errno == ERANGE && isinf(v)))
		return -ERANGE;
	*out = v;
	return 0;
}

const struct json *json_path(const struct json *n, const char *path)
{
	const char *s = path;

	if (!path)
		return NULL;
	while (n) {
		size_t klen = strcspn(s, ".[");

		if (klen)
			n = get_n(n, s, klen);
		else if (s[0] != '[' || s != path) /* only a leading index may have no name */
			return NULL;
		s += klen;
		while (n && s[0] == '[') {
			char digits[24], *end;
			size_t dlen = strcspn(s + 1, "]");
			unsigned long i;

			if (s[1 + dlen] != ']' || dlen == 0 || dlen >= sizeof(digits) ||
			    s[1] < '0' || s[1] > '9')
				return NULL;
			memcpy(digits, s + 1, dlen);
			digits[dlen] = '\0';
			errno = 0;
			i = strtoul(digits, &end, 10);
			if (errno || *end != '\0')
				return NULL;
			n = json_type(n) == JSON_ARRAY ? json_index(n, i) : NULL;
			s += dlen + 2;
		}
		if (s[0] == '\0')
			return n;
		if (s[0] != '.' || s[1] == '\0')
			return NULL;
		s++;
	}
	return NULL;
}
