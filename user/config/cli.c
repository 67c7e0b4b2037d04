// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "model/abi.h"
#include "model/links.h"
#include "model/names.h"
#include "lib/escape.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_ctl(raw, err, errlen);
	return CLI_ERROR;
}

/* Seconds as a decimal number: digits with at most one '.', at least one
 * digit. strtod() alone would also take hex (0x10), exponents, signs,
 * leading spaces, inf and nan. */
static int parse_seconds(const char *s, double min, double max, double *out)
{
	size_t digits, len;
	char *end;
	double v;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	digits = strspn(s, "0123456789");
	if (s[digits] == '.')
		digits += 1 + strspn(s + digits + 1, "0123456789");
	if (digits != len || !strpbrk(s, "0123456789"))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int add_cidr(struct config *cfg, const char *opt, const char *val, enum tl_class cls,
		    char *err, size_t errlen)
{
	struct cidr c;
	char fmt[64];
	int ret, i;

	ret = cidr_parse(val, &c);
	if (ret == -CIDR_EHOSTBITS) { /* c is filled: suggest it masked */
		cidr_mask(&c);
		return fail(err, errlen, "%s \"%s\": host bits are set (did you mean %s?)", opt,
			    val, cidr_format(&c, fmt, sizeof(fmt)));
	}
	if (ret)
		return fail(err, errlen, "%s \"%s\": %s", opt, val, cidr_strerror(ret));
	for (i = 0; i < cfg->nr_cidrs; i++) {
		const struct class_cidr *o = &cfg->cidrs[i];

		if (o->cidr.family == c.family && o->cidr.prefixlen == c.prefixlen &&
		    !memcmp(o->cidr.addr, c.addr, 16)) {
			if (o->cls == cls)
				return 0; /* given twice: harmless */
			return fail(err, errlen, "%s \"%s\": already given as class %s", opt, val,
				    class_name(o->cls));
		}
	}
	if (cfg->nr_cidrs >= CLI_MAX_CIDRS)
		return fail(err, errlen, "%s \"%s\": more than %d CIDRs", opt, val, CLI_MAX_CIDRS);
	if (cfg->nr_cidrs % 64 == 0) {
		struct class_cidr *n =
		    realloc(cfg->cidrs, (cfg->nr_cidrs + 64) * sizeof(*cfg->cidrs));

		if (!n)
			return fail(err, errlen, "out of memory");
		cfg->cidrs = n;
	}
	cfg->cidrs[cfg->nr_cidrs].cidr = c;
	cfg->cidrs[cfg->nr_cidrs].cls = cls;
	cfg->nr_cidrs++;
	return 0;
}

static int add_iface(char list[][CLI_IFNAMSIZ], int *nr, const char *opt, const char *val,
		     char *err, size_t errlen)
{
	int i;

	/* As the kernel names interfaces: "tun0:x" is an alias, not one */
	if (!link_name_valid(val))
		return fail(
		    err, errlen,
		    "%s \"%s\": expected an interface name (1-15 characters, no '/', ':' or space)",
		    opt, val);
	for (i = 0; i < *nr; i++)
		if (!strcmp(list[i], val))
			return 0;
	if (*nr >= CLI_MAX_IFACES)
		return fail(err, errlen, "%s \"%s\": at most %d interfaces per role", opt, val,
			    CLI_MAX_IFACES);
	strcpy(list[(*nr)++], val);
	return 0;
}

static int set_choice(struct config *cfg, const char *name, const struct cli_opt *o,
		      const char *val, char *err, size_t errlen)
{
	char names[128] = "";
	size_t n = 0;
	int i;

	for (i = 0; o->choices[i].name; i++) {
		if (!strcmp(val, o->choices[i].name)) {
			*(int *)((char *)cfg + o->field) = o->choices[i].value;
			return 0;
		}
	}
	/* "auto, tcx or tc" */
	for (i = 0; o->choices[i].name && n < sizeof(names); i++)
		n += snprintf(names + n, sizeof(names) - n, "%s%s",
			      !i		       ? ""
			      : o->choices[i + 1].name ? ", "
						       : " or ",
			      o->choices[i].name);
	return fail(err, errlen, "%s \"%s\": expected %s", name, val, names);
}

/* What option o sets, from its value val (NULL for a switch): 0, CLI_HELP,
 * CLI_VERSION, or CLI_ERROR with one line in err. */
static int apply(struct config *cfg, const struct cli_opt *o, const char *val, char *err,
		 size_t errlen)
{
	void *at = (char *)cfg + o->field;
	unsigned long ul;
	char name[40];

	snprintf(name, sizeof(name), "--%s", o->name);
	switch (o->set) {
	case CLI_SET_FLAG:
		*(bool *)at = true;
		return 0;
	case CLI_SET_TEXT:
		if (!*val || (o->max && strlen(val) > o->max))
			return fail(err, errlen, "%s \"%s\": expected %s", name, val, o->expect);
		*(const char **)at = val;
		return 0;
	case CLI_SET_UINT:
	case CLI_SET_LONG:
		if (parse_ulong(val, o->min, o->max, &ul))
			return fail(err, errlen, "%s \"%s\": expected %s (%.0f-%.0f)", name, val,
				    o->expect, o->min, o->max);
		if (o->set == CLI_SET_UINT)
			*(unsigned int *)at = ul;
		else
			*(long *)at = ul;
		return 0;
	case CLI_SET_SECONDS:
		if (parse_seconds(val, o->min, o->max, at))
			return fail(err, errlen,
				    "%s \"%s\": expected seconds between %.15g and %.15g", name,
				    val, o->min, o->max);
		return 0;
	case CLI_SET_CHOICE:
		return set_choice(cfg, name, o, val, err, errlen);
	case CLI_SET_CIDR:
		return add_cidr(cfg, name, val, o->cls, err, errlen);
	case CLI_SET_IFACE:
		return add_iface(at, (int *)((char *)cfg + o->count), name, val, err, errlen);
	case CLI_SET_HELP:
		return CLI_HELP;
	case CLI_SET_VERSION:
		return CLI_VERSION;
	}
	return fail(err, errlen, "%s: the table says nothing it sets", name);
}

/* --- the tables, looked up -------------------------------------------------- */

/* Whether no command before c has group g: each group once, where they are
 * shared. */
static bool first_use(const struct cli_command *c, const struct cli_group *g)
{
	const struct cli_command *p;
	int i;

	for (p = cli_commands; p < c; p++)
		for (i = 0; p->groups[i]; i++)
			if (p->groups[i] == g)
				return false;
	return true;
}

static int nr_users(const struct cli_group *g)
{
	const struct cli_command *c;
	int i, n = 0;

	for (c = cli_commands; c->name; c++)
		for (i = 0; c->groups[i]; i++)
			n += c->groups[i] == g;
	return n;
}

/* The option of c named exactly name[0..len), or NULL. */
static const struct cli_opt *find(const struct cli_command *c, const char *name, size_t len)
{
	const struct cli_opt *o;
	int i;

	for (i = 0; c->groups[i]; i++)
		for (o = c->groups[i]->opts; o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, name, len))
				return o;
	return NULL;
}

/* Every option has its default before the command line: each command's
 * config is whole, whichever options it takes. */
static void set_defaults(struct config *cfg)
{
	const struct cli_command *c;
	const struct cli_opt *o;
	char err[128];
	int i;

	for (c = cli_commands; c->name; c++)
		for (i = 0; c->groups[i]; i++)
			if (first_use(c, c->groups[i]))
				for (o = c->groups[i]->opts; o->name; o++)
					if (o->def)
						apply(cfg, o, o->def, err, sizeof(err));
}

/* --- parsing ---------------------------------------------------------------- */

static const char *see(const struct cli_command *c, const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "see tunleak %s%s--help", cfg->no_command ? "" : c->name,
		 cfg->no_command ? "" : " ");
	return buf;
}

/* What getopt_long() did not take, or took as an abbreviation, said as one
 * line: arg is the argument it was at, k what it returned. */
static int refuse(const struct cli_command *c, const struct config *cfg, const char *arg, int k,
		  char *err, size_t errlen)
{
	const struct cli_command *other;
	const struct cli_opt *o;
	char help[64];
	size_t len;

	see(c, cfg, help, sizeof(help));
	if (strncmp(arg, "--", 2)) /* -x, or the x of -vx */
		return fail(err, errlen, "unknown option \"-%c\" (%s)", optopt, help);
	len = strcspn(arg + 2, "=");
	o = find(c, arg + 2, len);
	if (o && k == ':')
		return fail(err, errlen, "--%s needs a value (%s)", o->name, help);
	if (o)
		return fail(err, errlen, "--%s \"%s\": expected no value (--%s is a switch)",
			    o->name, arg + 3 + len, o->name);
	/* Not this command's: another's, or none at all. An abbreviation
	 * (--clus for --cluster-cidr) is none: a typo must not become an option. */
	for (other = cli_commands; other->name && !o; other++)
		o = find(other, arg + 2, len);
	if (o && o->scope)
		return fail(err, errlen, "--%s %s", o->name, o->scope);
	if (o)
		return fail(err, errlen, "%s takes no --%s: %s", c->name, o->name, c->refuses);
	return fail(err, errlen, "unknown option \"%s\" (%s)", arg, help);
}

/* Whether arg is --NAME or --NAME=VALUE, and not an abbreviation of NAME. */
static bool exact(const char *arg, const char *name)
{
	size_t len = strlen(name);

	return !strncmp(arg, "--", 2) && !strncmp(arg + 2, name, len) &&
	       (arg[2 + len] == '\0' || arg[2 + len] == '=');
}

/* c's options for getopt_long(): longs[i] returns 256 + i for opts[i]; a
 * short option returns its letter. The number of options, or -1. */
static int getopt_table(const struct cli_command *c, const struct cli_opt **opts,
			struct option *longs, char *shorts)
{
	const struct cli_opt *o;
	int i, n = 0, s = 0;

	shorts[s++] = '+'; /* stop at the first argument that is no option: no reordering */
	shorts[s++] = ':'; /* a missing value returns ':', not '?' */
	for (i = 0; c->groups[i]; i++) {
		for (o = c->groups[i]->opts; o->name; o++) {
			if (n == CLI_MAX_OPTS)
				return -1;
			opts[n] = o;
			longs[n] = (struct option){
			    o->name, o->arg ? required_argument : no_argument, NULL, 256 + n};
			if (o->short_name)
				shorts[s++] = o->short_name;
			n++;
		}
	}
	longs[n] = (struct option){0};
	shorts[s] = '\0';
	return n;
}

static int parse_options(const struct cli_command *c, int argc, char **argv, struct config *cfg,
			 char *err, size_t errlen)
{
	const struct cli_opt *opts[CLI_MAX_OPTS], *o;
	struct option longs[CLI_MAX_OPTS + 1];
	char shorts[CLI_MAX_OPTS + 3], help[64];
	int n, k, at, i, ret;

	n = getopt_table(c, opts, longs, shorts);
	if (n < 0)
		return fail(err, errlen, "%s has more than %d options", c->name, CLI_MAX_OPTS);
	opterr = 0; /* the errors are ours: refuse() */
	optind = 0; /* getopt starts again (it keeps state between calls) */
	for (;;) {
		at = optind ? optind : 1;
		k = getopt_long(argc, argv, shorts, longs, NULL);
		if (k == -1)
			break;
		o = NULL;
		if (k >= 256)
			o = exact(argv[at], opts[k - 256]->name) ? opts[k - 256] : NULL;
		for (i = 0; k < 256 && i < n && !o; i++)
			if (opts[i]->short_name == k)
				o = opts[i];
		if (!o)
			return refuse(c, cfg, argv[at], k, err, errlen);
		ret = apply(cfg, o, optarg, err, errlen);
		if (ret)
			return ret;
	}
	if (optind < argc) /* tunleak takes no arguments but options */
		return fail(err, errlen, "unknown option \"%s\" (%s)", argv[optind],
			    see(c, cfg, help, sizeof(help)));
	return CLI_RUN;
}

/* Whether a target option (--netns, --pid, --pod, --all) was given */
static bool given(const struct config *cfg, const struct cli_opt *o)
{
	const char *at = (const char *)cfg + o->field;

	switch (o->set) {
	case CLI_SET_FLAG:
		return *(const bool *)at;
	case CLI_SET_TEXT:
		return *(const char *const *)at;
	case CLI_SET_LONG:
		return *(const long *)at;
	default:
		return false;
	}
}

/* What the options say together. */
static int check_config(struct config *cfg, char *err, size_t errlen)
{
	static const struct cli_group *const targets[] = {&cli_group_namespace, &cli_group_pods};
	const struct cli_opt *o, *first = NULL;
	char names[128];
	size_t n = 0;
	int i, j;

	for (i = 0; i < 2; i++) {
		for (o = targets[i]->opts; o->name; o++) {
			if (!given(cfg, o))
				continue;
			if (first)
				return fail(err, errlen,
					    "--%s and --%s both given: choose one namespace",
					    first->name, o->name);
			first = o;
		}
	}
	if (cfg->cmd != CMD_CLEANUP && cfg->nr_cidrs == 0 && !cfg->cidrs_from) {
		for (o = cli_group_classes.opts; o->name && n < sizeof(names); o++)
			n += snprintf(names + n, sizeof(names) - n, "%s--%s",
				      o == cli_group_classes.opts ? "" : ", ", o->name);
		return fail(err, errlen, "no CIDR given: expected at least one of %s", names);
	}
	if (cfg->top && cfg->json)
		return fail(err, errlen, "--top and --json both given: choose one output");
	/* No --tunnel: every interface of a VPN's link kind is a tunnel */
	if (cfg->cmd != CMD_CLEANUP && !cfg->nr_ifaces)
		strcpy(cfg->ifaces[cfg->nr_ifaces++], "eth0");
	for (i = 0; i < cfg->nr_tunnels; i++)
		for (j = 0; j < cfg->nr_ifaces; j++)
			if (!strcmp(cfg->tunnels[i], cfg->ifaces[j]))
				return fail(err, errlen,
					    "--tunnel \"%s\": also given as --iface; an interface "
					    "has one role",
					    cfg->tunnels[i]);
	if (cfg->export_path && cfg->export_fmt == EXPORT_AUTO) {
		size_t len = strlen(cfg->export_path);

		cfg->export_fmt = len > 5 && !strcmp(cfg->export_path + len - 5, ".prom")
				      ? EXPORT_PROM
				      : EXPORT_JSON;
	}
	return CLI_RUN;
}

int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	const struct cli_command *c = cli_commands; /* trace */
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	err[0] = '\0';
	set_defaults(cfg);
	cfg->no_command = argc < 2 || argv[1][0] == '-';
	if (!cfg->no_command) {
		for (c = cli_commands; c->name && strcmp(c->name, argv[1]); c++)
			;
		/* version is --version too: the commands that work are named */
		if (!c->name)
			return fail(err, errlen,
				    "unknown command \"%s\": expected trace, check or cleanup",
				    argv[1]);
		argc--;
		argv++; /* getopt starts after the command, as after a program */
	}
	cfg->cmd = c->cmd;
	ret = parse_options(c, argc, argv, cfg, err, errlen);
	if (ret != CLI_RUN)
		return ret;
	if (c->cmd == CMD_VERSION)
		return CLI_VERSION;
	return check_config(cfg, err, errlen);
}

/* --- help -------------------------------------------------------------------- */

#define HELP_COLUMN 26

/* "  -v, --verbose           help", its further lines under the first */
static void help_option(FILE *f, const struct cli_opt *o)
{
	const char *h;
	int n;

	if (o->short_name)
		n = fprintf(f, "  -%c, --%s", o->short_name, o->name);
	else
		n = fprintf(f, "  --%s", o->name);
	if (o->arg)
		n += fprintf(f, " %s", o->arg);
	fprintf(f, "%*s", n < HELP_COLUMN - 1 ? HELP_COLUMN - n : 2, "");
	for (h = o->help; *h; h++) {
		fputc(*h, f);
		if (*h == '\n')
			fprintf(f, "%*s", HELP_COLUMN, "");
	}
	if (o->def)
		fprintf(f, " (default %s)", o->def);
	fputc('\n', f);
}

static void help_group(FILE *f, const struct cli_group *g)
{
	const struct cli_opt *o;

	fprintf(f, "\n%s\n", g->title);
	for (o = g->opts; o->name; o++)
		help_option(f, o);
}

static const char exit_codes[] =
    "\nExit codes: 0 success, 1 check found a problem, 2 usage or environment error.\n";

/* tunleak --help: the commands, and the options more than one takes */
static void help_overview(FILE *f)
{
	const struct cli_command *c;
	int i;

	fputs("Usage: tunleak [COMMAND] [OPTIONS]\n\nCommands:\n", f);
	for (c = cli_commands; c->name; c++)
		fprintf(f, "  %-10s%s\n", c->name, c->summary);
	fputs("\nOptions of more than one command (tunleak COMMAND --help: all of its own):\n", f);
	for (c = cli_commands; c->name; c++)
		for (i = 0; c->groups[i]; i++)
			if (first_use(c, c->groups[i]) && nr_users(c->groups[i]) > 1)
				help_group(f, c->groups[i]);
	fputs(exit_codes, f);
}

void cli_help(FILE *f, const struct config *cfg)
{
	const struct cli_command *c;
	int i;

	for (c = cli_commands; c->name && c->cmd != cfg->cmd; c++)
		;
	if (cfg->no_command || !c->name) {
		help_overview(f);
		return;
	}
	fprintf(f, "Usage: tunleak %s [OPTIONS]\n%s\n", c->cmd == CMD_TRACE ? "[trace]" : c->name,
		c->about);
	for (i = 0; c->groups[i]; i++)
		help_group(f, c->groups[i]);
	fputs(exit_codes, f);
}

/* --- CIDRs from elsewhere ----------------------------------------------------- */

int cli_add_cidrs(struct config *cfg, const struct class_cidr *list, int n, const char *from,
		  char *err, size_t errlen)
{
	int i;

	for (i = 0; i < n; i++) {
		char c[64];

		cidr_format(&list[i].cidr, c, sizeof(c));
		if (add_cidr(cfg, from, c, list[i].cls, err, errlen))
			return CLI_ERROR;
	}
	return 0;
}

void cli_free(struct config *cfg)
{
	free(cfg->cidrs);
	cfg->cidrs = NULL;
	cfg->nr_cidrs = 0;
}
