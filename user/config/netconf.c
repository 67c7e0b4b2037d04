// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/abi.h"
#include "lib/jsonc.h"
#include "config/netconf.h"

struct sink {
	struct class_cidr *v;
	int n;
	char *err;
	size_t errlen;
};

static int fail(struct sink *s, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* A value from the file for one line of error text: other bytes than
 * printable ASCII as \xNN, cut after 64 bytes; in quotes unless bare. */
static const char *quote(const char *v, size_t len, bool bare, char *buf, size_t blen)
{
	size_t o = 0, i;

	if (!bare)
		buf[o++] = '"';
	for (i = 0; i < len && i < 64 && o + 8 < blen; i++) {
		unsigned char c = v[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = c;
		else
			o += snprintf(buf + o, blen - o, "\\x%02x", c);
	}
	if (i < len)
		o += snprintf(buf + o, blen - o, "...");
	snprintf(buf + o, blen - o, "%s", bare ? "" : "\"");
	return buf;
}

static const char *class_label(enum tl_class cls)
{
	return cls == TL_CLASS_POD ? "pod" : "service";
}

/* val: a string; where: its JSON path, for the error. */
static int add(struct sink *s, struct json_object *val, enum tl_class cls, const char *where)
{
	char q[300], fmt[64];
	struct cidr c;
	int ret, i;

	ret = cidr_parse(json_object_get_string(val), &c);
	/* a "\u0000" would cut the string short of what the file says */
	if (!ret && !jsonc_text(val))
		ret = -CIDR_ESYNTAX;
	quote(json_object_get_string(val), json_object_get_string_len(val), false, q, sizeof(q));
	if (ret == -CIDR_EHOSTBITS) {
		cidr_mask(&c);
		return fail(s, -EINVAL, "%s %s: host bits are set (did you mean %s?)", where, q,
			    cidr_format(&c, fmt, sizeof(fmt)));
	}
	if (ret)
		return fail(s, -EINVAL, "%s %s: %s", where, q, cidr_strerror(ret));
	for (i = 0; i < s->n; i++) {
		const struct class_cidr *o = &s->v[i];

		if (o->cidr.family != c.family || o->cidr.prefixlen != c.prefixlen ||
		    memcmp(o->cidr.addr, c.addr, sizeof(c.addr)))
			continue;
		if (o->cls == cls)
			return 0; /* listed twice: harmless */
		return fail(s, -EINVAL, "%s %s: also listed as a %s CIDR", where, q,
			    class_label(o->cls));
	}
	if (s->n >= NETCONF_MAX_CIDRS)
		return fail(s, -E2BIG, "%s: more than %d CIDRs", where, NETCONF_MAX_CIDRS);
	if (s->n % 16 == 0) {
		struct class_cidr *v = realloc(s->v, (s->n + 16) * sizeof(*v));

		if (!v)
			return fail(s, -ENOMEM, "out of memory");
		s->v = v;
	}
	s->v[s->n].cidr = c;
	s->v[s->n].cls = cls;
	s->n++;
	return 0;
}

/*
 * One list (clusterNetwork: objects with a cidr; serviceNetwork: strings)
 * from spec, or from status when the spec has none. Returns the number of
 * CIDRs taken (> 0) or a negative error.
 */
static int take_list(struct sink *s, const struct json_object *root, const char *name, bool objects,
		     enum tl_class cls)
{
	static const char *const parts[] = {"spec", "status"};
	char where[96];
	size_t p, i;
	int ret;

	for (p = 0; p < 2; p++) {
		struct json_object *part, *list;
		int before = s->n;

		/* missing and null alike: nothing there */
		jsonc_member(root, parts[p], &part);
		if (part && !json_object_is_type(part, json_type_object))
			return fail(s, -EINVAL, "%s: expected an object, got %s", parts[p],
				    jsonc_a_type(part));
		jsonc_member(part, name, &list);
		if (!list)
			continue;
		if (!json_object_is_type(list, json_type_array))
			return fail(s, -EINVAL, "%s.%s: expected an array, got %s", parts[p], name,
				    jsonc_a_type(list));
		for (i = 0; i < json_object_array_length(list); i++) {
			struct json_object *e = json_object_array_get_idx(list, i), *v = e;

			if (objects) {
				if (!json_object_is_type(e, json_type_object))
					return fail(s, -EINVAL,
						    "%s.%s[%zu]: expected an object with a cidr, "
						    "got %s",
						    parts[p], name, i, jsonc_a_type(e));
				if (!jsonc_member(e, "cidr", &v))
					return fail(s, -EINVAL, "%s.%s[%zu] has no cidr", parts[p],
						    name, i);
				snprintf(where, sizeof(where), "%s.%s[%zu].cidr", parts[p], name,
					 i);
			} else {
				snprintf(where, sizeof(where), "%s.%s[%zu]", parts[p], name, i);
			}
			if (!json_object_is_type(v, json_type_string))
				return fail(s, -EINVAL, "%s: expected a CIDR string, got %s", where,
					    jsonc_a_type(v));
			ret = add(s, v, cls, where);
			if (ret)
				return ret;
		}
		if (s->n > before)
			return s->n - before;
		/* an empty list: the status may have it */
	}
	if (objects)
		return fail(s, -EINVAL, "no spec.%s[].cidr or status.%s[].cidr", name, name);
	return fail(s, -EINVAL, "no spec.%s[] or status.%s[]", name, name);
}

/* Whether a string of len bytes (NULs counted) ends with suffix. */
static bool ends_with(const char *v, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(v + len - n, suffix, n);
}

/* The Network object: the root, or the one item of a List. */
static struct json_object *network_of(struct sink *s, struct json_object *root)
{
	struct json_object *kind, *items;
	const char *k;
	char q[300];
	size_t klen;

	if (!json_object_is_type(root, json_type_object)) {
		fail(s, -EINVAL, "expected a Network object, got %s", jsonc_a_type(root));
		return NULL;
	}
	/* a kind that is no string is no kind (a hand-written file) */
	jsonc_member(root, "kind", &kind);
	if (!json_object_is_type(kind, json_type_string))
		return root;
	k = json_object_get_string(kind);
	klen = json_object_get_string_len(kind);
	if (klen == strlen("Network") && !memcmp(k, "Network", klen))
		return root;
	jsonc_member(root, "items", &items);
	if (ends_with(k, klen, "List") && json_object_is_type(items, json_type_array)) {
		if (json_object_array_length(items) == 1)
			return network_of(s, json_object_array_get_idx(items, 0));
		fail(s, -EINVAL,
		     "a %s of %zu items: expected one Network "
		     "(oc get network.config.openshift.io cluster -o json)",
		     quote(k, klen, true, q, sizeof(q)), json_object_array_length(items));
		return NULL;
	}
	fail(s, -EINVAL,
	     "kind %s: expected a Network (oc get network.config.openshift.io cluster -o json)",
	     quote(k, klen, false, q, sizeof(q)));
	return NULL;
}

int netconf_parse(const char *buf, size_t len, struct class_cidr **out, int *n, char *err,
		  size_t errlen)
{
	struct sink s = {.err = err, .errlen = errlen};
	struct json_object *root, *net;
	char jerr[200];
	int ret;

	*out = NULL;
	*n = 0;
	ret = jsonc_parse(buf, len, &root, jerr, sizeof(jerr));
	if (ret) /* a bound (-E2BIG) is no syntax error */
		return fail(&s, ret, "%s%s", ret == -EINVAL ? "not JSON: " : "", jerr);
	net = network_of(&s, root);
	ret = net ? 0 : -EINVAL;
	if (!ret)
		ret = take_list(&s, net, "clusterNetwork", true, TL_CLASS_POD);
	if (ret >= 0)
		ret = take_list(&s, net, "serviceNetwork", false, TL_CLASS_SERVICE);
	json_object_put(root);
	if (ret < 0) {
		free(s.v);
		return ret;
	}
	*out = s.v;
	*n = s.n;
	return 0;
}
static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* Read fd to the end, at most NETCONF_MAX_SIZE bytes, into a new buffer. A
 * pipe on stdin may have been left non-blocking by whoever made it: wait. */
static int read_all(int fd, char **buf, size_t *len, const char *name, char *err, size_t errlen)
{
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	int ret;

	if (!b) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap > NETCONF_MAX_SIZE) {
				snprintf(err, errlen, "%s: more than %u bytes", name,
					 NETCONF_MAX_SIZE);
				free(b);
				return -E2BIG;
			}
			/* one byte over the limit is enough to know */
			cap = cap * 2 > NETCONF_MAX_SIZE ? NETCONF_MAX_SIZE + 1 : cap * 2;
			nb = realloc(b, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", name);
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r > 0) {
			n += r;
			continue;
		}
		if (r == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};

			poll(&pfd, 1, -1);
			continue;
		}
		ret = -errno;
		snprintf(err, errlen, "%s: %s", name, strerror(-ret));
		free(b);
		return ret;
	}
	if (n > NETCONF_MAX_SIZE) {
		snprintf(err, errlen, "%s: more than %u bytes", name, NETCONF_MAX_SIZE);
		free(b);
		return -E2BIG;
	}
	*buf = b;
	*len = n;
	return 0;
}

int netconf_read_file(const char *path, struct class_cidr **out, int *n, char *err, size_t errlen)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	char perr[256];
	struct stat st;
	size_t len;
	char *buf;
	int fd, ret;

	*out = NULL;
	*n = 0;
	if (strcmp(path, "-")) {
		/* O_NONBLOCK: opening a FIFO must not wait for a writer */
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return ret;
		}
		if (fstat(fd, &st)) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return ret;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%s: %s, expected a regular file (or - for stdin)",
				 path, file_kind(st.st_mode));
			close(fd);
			return -EINVAL;
		}
		if (st.st_size > (off_t)NETCONF_MAX_SIZE) {
			snprintf(err, errlen, "%s: %lld bytes, more than %u", path,
				 (long long)st.st_size, NETCONF_MAX_SIZE);
			close(fd);
			return -E2BIG;
		}
		ret = read_all(fd, &buf, &len, name, err, errlen);
		close(fd);
	} else {
		ret = read_all(STDIN_FILENO, &buf, &len, name, err, errlen);
	}
	if (ret)
		return ret;
	ret = netconf_parse(buf, len, out, n, perr, sizeof(perr));
	free(buf);
	if (ret)
		snprintf(err, errlen, "%s: %s", name, perr);
	return ret;
}
