// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/abi.h"
#include "config/cli.h"

static struct config cfg;
static char err[512];

static int parse(const char *first, ...)
{
	char *argv[64] = {"tunleak"};
	int argc = 1;
	va_list ap;
	const char *a;

	cli_free(&cfg);
	va_start(ap, first);
	for (a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return cli_parse(argc, argv, &cfg, err, sizeof(err));
}

#define assert_error(expect, ...)                                                                  \
	do {                                                                                       \
		assert_int_equal(parse(__VA_ARGS__, NULL), CLI_ERROR);                             \
		if (strcmp(err, expect))                                                           \
			fail_msg("error: expected \"%s\", got \"%s\"", expect, err);               \
	} while (0)

static void test_defaults(void **state)
{
	assert_int_equal(parse("--cluster-cidr", "10.128.0.0/14", NULL), CLI_RUN);
	assert_int_equal(cfg.cmd, CMD_TRACE);
	assert_int_equal(cfg.nr_ifaces, 1);
	assert_string_equal(cfg.ifaces[0], "eth0");
	/* no --tunnel: tunnels are found by link kind */
	assert_int_equal(cfg.nr_tunnels, 0);
	assert_true(cfg.interval == 1.0);
	assert_true(cfg.duration == 0);
	assert_int_equal(cfg.attach, ATTACH_AUTO);
	assert_false(cfg.json);
	assert_null(cfg.export_path);
	assert_int_equal(cfg.nr_cidrs, 1);
	assert_int_equal(cfg.cidrs[0].cls, TL_CLASS_POD);
}

static void test_node_mode(void **state)
{
	assert_int_equal(
	    parse("--all", "--cluster-cidr", "10.128.0.0/14", "--metrics-addr", ":9464", NULL),
	    CLI_RUN);
	assert_true(cfg.all);
	assert_string_equal(cfg.metrics_addr, ":9464");
	assert_int_equal(parse("check", "--pod", "team-a/vpn-1", "--cidrs-from", "-", NULL),
			 CLI_RUN);
	assert_string_equal(cfg.pod, "team-a/vpn-1");
	assert_string_equal(cfg.cidrs_from, "-");
	assert_int_equal(cfg.nr_cidrs, 0);
	assert_error("--pod and --all both given: choose one namespace", "--cluster-cidr",
		     "10.0.0.0/8", "--pod", "x", "--all");
	assert_error("--netns and --all both given: choose one namespace", "--cluster-cidr",
		     "10.0.0.0/8", "--all", "--netns", "x");
	assert_error("--pod \"\": expected a pod name (NAME or NAMESPACE/NAME)", "--cluster-cidr",
		     "10.0.0.0/8", "--pod", "");
	assert_error("--cidrs-from \"\": expected a file name, or - for stdin", "--cidrs-from", "");
	assert_error("--metrics-addr is for trace (it serves while tracing)", "check",
		     "--cluster-cidr", "10.0.0.0/8", "--metrics-addr", ":1");
	assert_error("check takes no --export: it audits routes and traces nothing", "check",
		     "--cluster-cidr", "10.0.0.0/8", "--export", "x.json");
	assert_error("check takes no --top: it audits routes and traces nothing", "check",
		     "--cluster-cidr", "10.0.0.0/8", "--top");
}

/* --fix: check and trace add route findings' fixes; cleanup has none */
static void test_fix(void **state)
{
	assert_int_equal(parse("check", "--all", "--cluster-cidr", "10.128.0.0/14", "--fix", NULL),
			 CLI_RUN);
	assert_true(cfg.fix);
	assert_int_equal(parse("check", "--cluster-cidr", "10.128.0.0/14", NULL), CLI_RUN);
	assert_false(cfg.fix);
	assert_int_equal(parse("--cluster-cidr", "10.128.0.0/14", "--fix", NULL), CLI_RUN);
	assert_true(cfg.fix);
	assert_error("cleanup takes no --fix: it removes stale filters and traces nothing",
		     "cleanup", "--fix");
	assert_error("--fix \"yes\": expected no value (--fix is a switch)", "check",
		     "--cluster-cidr", "10.128.0.0/14", "--fix=yes");
}

/* --cidrs-from merges with the options: the same CIDR twice is one, a CIDR
 * with two classes is refused naming where it came from */
static void test_add_cidrs(void **state)
{
	struct class_cidr more[2];
	char err[256];

	assert_int_equal(parse("--cluster-cidr", "10.128.0.0/14", NULL), CLI_RUN);
	assert_int_equal(cidr_parse("10.128.0.0/14", &more[0].cidr), 0);
	more[0].cls = TL_CLASS_POD;
	assert_int_equal(cidr_parse("172.30.0.0/16", &more[1].cidr), 0);
	more[1].cls = TL_CLASS_SERVICE;
	assert_int_equal(cli_add_cidrs(&cfg, more, 2, "--cidrs-from", err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_cidrs, 2);
	more[0].cls = TL_CLASS_REMOTE;
	assert_int_equal(cli_add_cidrs(&cfg, more, 1, "--cidrs-from", err, sizeof(err)), CLI_ERROR);
	assert_string_equal(err, "--cidrs-from \"10.128.0.0/14\": already given as class pod");
}

static void test_full(void **state)
{
	assert_int_equal(parse("trace", "--cluster-cidr", "10.128.0.0/14",
			       "--service-cidr=172.30.0.0/16", "--node-cidr", "192.0.2.0/24",
			       "--remote-cidr", "10.0.0.0/8", "--cluster-cidr", "fd00:10:128::/48",
			       "--iface", "eth0", "--iface", "eth1", "--tunnel", "tun0",
			       "--tunnel=wg0", "--netns", "pod1", "--json", "--export",
			       "/tmp/x.prom", "--interval", "0.5", "--duration", "10", "--attach",
			       "tc", "-v", "--max-flows", "1024", NULL),
			 CLI_RUN);
	assert_int_equal(cfg.nr_cidrs, 5);
	assert_int_equal(cfg.cidrs[1].cls, TL_CLASS_SERVICE);
	assert_int_equal(cfg.cidrs[2].cls, TL_CLASS_NODE);
	assert_int_equal(cfg.cidrs[3].cls, TL_CLASS_REMOTE);
	assert_int_equal(cfg.cidrs[4].cidr.family, 6);
	assert_int_equal(cfg.nr_ifaces, 2);
	assert_string_equal(cfg.ifaces[1], "eth1");
	assert_int_equal(cfg.nr_tunnels, 2);
	assert_string_equal(cfg.tunnels[1], "wg0");
	assert_string_equal(cfg.netns, "pod1");
	assert_true(cfg.json);
	assert_true(cfg.verbose);
	assert_int_equal(cfg.export_fmt, EXPORT_PROM); /* from the .prom suffix */
	assert_true(cfg.interval == 0.5);
	assert_true(cfg.duration == 10);
	assert_int_equal(cfg.attach, ATTACH_TC);
	assert_int_equal(cfg.max_flows, 1024);
	assert_null(cfg.pcap_path);
	assert_int_equal(cfg.pcap_packets, 5);
	assert_int_equal(cfg.snaplen, 256);
	assert_int_equal(cfg.pcap_max_mb, 64);
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--pcap", "l.pcap", "--pcap-packets",
			       "3", "--snaplen=128", "--pcap-max-mb", "2", NULL),
			 CLI_RUN);
	assert_string_equal(cfg.pcap_path, "l.pcap");
	assert_int_equal(cfg.pcap_packets, 3);
	assert_int_equal(cfg.snaplen, 128);
	assert_int_equal(cfg.pcap_max_mb, 2);
}

/* Seconds are decimal numbers: no hex, exponent, sign, space, inf or nan
 * (strtod would take the first ones). */
static void test_seconds(void **state)
{
	static const char *const bad[] = {"0x10", "0X10", "0x1p3", "inf", "INF", "infinity", "nan",
					  "1e3x", "1e3",  "1E1",   " 1",  "1 ",	 "+1",	     "-1",
					  ".",	  "",	  "1.2.3", "1,5", "１",	 NULL};
	static const struct {
		const char *s;
		double v;
	} good[] = {{"1", 1},	    {"0.5", 0.5},  {".5", 0.5}, {"5.", 5},
		    {"3600", 3600}, {"0.10", 0.1}, {"007", 7}};
	char msg[128];
	size_t i;

	for (i = 0; bad[i]; i++) {
		assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--interval", bad[i], NULL),
				 CLI_ERROR);
		snprintf(msg, sizeof(msg),
			 "--interval \"%s\": expected seconds between 0.1 and 3600", bad[i]);
		if (strcmp(err, msg))
			fail_msg("\"%s\": got \"%s\"", bad[i], err);
		assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--duration", bad[i], NULL),
				 CLI_ERROR);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(
		    parse("--cluster-cidr", "10.0.0.0/8", "--interval", good[i].s, NULL), CLI_RUN);
		assert_true(cfg.interval == good[i].v);
	}
}

static void test_commands(void **state)
{
	assert_int_equal(parse("check", "--cluster-cidr", "10.128.0.0/14", NULL), CLI_RUN);
	assert_int_equal(cfg.cmd, CMD_CHECK);
	assert_int_equal(parse("cleanup", NULL), CLI_RUN);
	assert_int_equal(cfg.cmd, CMD_CLEANUP);
	assert_int_equal(cfg.nr_ifaces, 0); /* cleanup: every interface */
	assert_int_equal(parse("cleanup", "--pid", "1", NULL), CLI_RUN);
	assert_int_equal(cfg.pid, 1);
	assert_error("unknown command \"trce\": expected trace, check or cleanup", "trce");
}

/* The help cli_help() prints for argv (which must ask for it); NULL-ended. */
static char *help_of(const char *first, ...)
{
	char *argv[16] = {"tunleak"}, *text = NULL;
	int argc = 1;
	size_t len;
	va_list ap;
	FILE *f;
	const char *a;

	cli_free(&cfg);
	va_start(ap, first);
	for (a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	assert_int_equal(cli_parse(argc, argv, &cfg, err, sizeof(err)), CLI_HELP);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	cli_help(f, &cfg);
	fclose(f);
	return text;
}

/* Whether help has an option line (one that starts "  -") for --name. */
static bool lists(const char *help, const char *name)
{
	char want[64];
	const char *l;
	size_t n = snprintf(want, sizeof(want), "--%s", name);

	for (l = help; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *p = l;

		if (strncmp(p, "  -", 3))
			continue;
		p += 2;
		if (p[1] != '-') /* "-v, --verbose" */
			p += 4;
		if (!strncmp(p, want, n) && (p[n] == ' ' || p[n] == '\n'))
			return true;
	}
	return false;
}

static int count_option_lines(const char *help)
{
	const char *l;
	int n = 0;

	for (l = help; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		n += !strncmp(l, "  -", 3);
	return n;
}

static const struct cli_command *command(enum cli_cmd cmd)
{
	const struct cli_command *c;

	for (c = cli_commands; c->name; c++)
		if (c->cmd == cmd)
			return c;
	fail_msg("no command %d in cli_commands", cmd);
	return NULL;
}

static const struct cli_opt *option_of(const struct cli_command *c, const char *name)
{
	const struct cli_opt *o;
	int g;

	for (g = 0; c->groups[g]; g++)
		for (o = c->groups[g]->opts; o->name; o++)
			if (!strcmp(o->name, name))
				return o;
	return NULL;
}

static void test_help_version(void **state)
{
	char *h;

	assert_int_equal(parse("--help", NULL), CLI_HELP);
	assert_true(cfg.no_command);
	assert_int_equal(parse("-h", NULL), CLI_HELP);
	assert_int_equal(parse("--version", NULL), CLI_VERSION);
	assert_int_equal(parse("-V", NULL), CLI_VERSION);
	assert_int_equal(parse("version", NULL), CLI_VERSION);
	assert_int_equal(parse("check", "-V", NULL), CLI_VERSION);
	assert_int_equal(parse("cleanup", "--version", NULL), CLI_VERSION);
	assert_int_equal(parse("version", "-v", NULL), CLI_VERSION);
	assert_error("version takes no --json: it prints the version", "version", "--json");
	assert_error("unknown option \"extra\" (see tunleak version --help)", "version", "extra");
	/* the first thing wrong is said, before a later --help or --version */
	assert_error("--interval \"0\": expected seconds between 0.1 and 3600", "--interval", "0",
		     "--help");

	h = help_of("--help", NULL);
	assert_non_null(strstr(h, "Usage: tunleak [COMMAND] [OPTIONS]\n"));
	assert_non_null(strstr(h, "\n  trace     attach, stream leak/bypass events"));
	assert_non_null(strstr(h, "\n  check     "));
	assert_non_null(strstr(h, "\n  cleanup   "));
	assert_non_null(strstr(h, "\n  version   print the version (also --version, -V)\n"));
	assert_non_null(strstr(h, "\n  -V, --version           print the version\n"));
	/* the options of more than one command, not trace's own */
	assert_true(lists(h, "cluster-cidr"));
	assert_true(lists(h, "all"));
	assert_true(lists(h, "netns"));
	assert_true(lists(h, "json"));
	assert_false(lists(h, "top"));
	assert_false(lists(h, "ready-file"));
	assert_false(lists(h, "export"));
	free(h);
}

/* Each command's --help lists its own options, exactly: the option lines
 * are its table, in lines of at most 80 columns. */
static void test_help_per_command(void **state)
{
	static const char *const argv1[] = {"trace", "check", "cleanup", "version"};
	const struct cli_command *c, *other;
	const struct cli_opt *o;
	size_t i;
	int g, n;

	for (i = 0; i < sizeof(argv1) / sizeof(argv1[0]); i++) {
		char *h = help_of(argv1[i], "--help", NULL);
		const char *l;

		c = command(cfg.cmd);
		assert_string_equal(c->name, argv1[i]);
		assert_false(cfg.no_command);
		n = 0;
		for (g = 0; c->groups[g]; g++)
			for (o = c->groups[g]->opts; o->name; o++, n++)
				if (!lists(h, o->name))
					fail_msg("tunleak %s --help: no line for --%s", c->name,
						 o->name);
		for (other = cli_commands; other->name; other++)
			for (g = 0; other->groups[g]; g++)
				for (o = other->groups[g]->opts; o->name; o++)
					if (!option_of(c, o->name) && lists(h, o->name))
						fail_msg("tunleak %s --help lists --%s of %s",
							 c->name, o->name, other->name);
		assert_int_equal(count_option_lines(h), n);
		for (l = h; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
			if (strcspn(l, "\n") > 80)
				fail_msg("tunleak %s --help: line over 80 columns: %.100s", c->name,
					 l);
		free(h);
	}
}

/* What each command's help says, read as a user would */
static void test_help_content(void **state)
{
	char *h;

	h = help_of("check", "--help", NULL);
	assert_non_null(strstr(h, "Usage: tunleak check [OPTIONS]\n"));
	assert_true(lists(h, "cluster-cidr"));
	assert_true(lists(h, "pod"));
	assert_true(lists(h, "all"));
	assert_true(lists(h, "json"));
	assert_false(lists(h, "top"));
	assert_false(lists(h, "export"));
	assert_false(lists(h, "pcap"));
	assert_false(lists(h, "metrics-addr"));
	assert_false(lists(h, "ready-file"));
	free(h);
	h = help_of("cleanup", "-h", NULL);
	assert_non_null(strstr(h, "Usage: tunleak cleanup [OPTIONS]\n"));
	assert_true(lists(h, "netns"));
	assert_true(lists(h, "iface"));
	assert_true(lists(h, "pod"));
	assert_true(lists(h, "all"));
	assert_false(lists(h, "cluster-cidr"));
	assert_false(lists(h, "top"));
	assert_false(lists(h, "json"));
	free(h);
	h = help_of("trace", "--help", NULL);
	assert_non_null(strstr(h, "Usage: tunleak [trace] [OPTIONS]\n"));
	assert_non_null(strstr(
	    h, "\n  --ready-file FILE       create FILE once attached (for scripts that wait for\n"
	       "                          tunleak)\n"));
	/* a default is said where the table sets it */
	assert_non_null(strstr(
	    h, "\n  --max-flows N           size of the kernel's flow table (default 16384)\n"));
	assert_non_null(strstr(
	    h, "\n  --export-format json|prom  default: prom if FILE ends in .prom, else json\n"));
	free(h);
}

static int parse_args(int argc, const char **args)
{
	char *argv[16] = {"tunleak"};
	int i;

	cli_free(&cfg);
	for (i = 0; i < argc; i++)
		argv[i + 1] = (char *)args[i];
	return cli_parse(argc + 1, argv, &cfg, err, sizeof(err));
}

/* Every option of every table, given to its command once as --NAME VALUE
 * and once as --NAME=VALUE (and -C), with values the table says are valid:
 * it sets what the table says. */
static void expect_sets(const struct cli_command *c, const struct cli_opt *o, const char *val,
			int ret)
{
	const char *args[8];
	char eq[64], *at = (char *)&cfg + o->field;
	int form, n, i;

	for (form = 0; form < (o->short_name ? 3 : 2); form++) {
		n = 0;
		args[n++] = c->name;
		if (c->cmd == CMD_TRACE || c->cmd == CMD_CHECK) { /* they need a CIDR */
			args[n++] = "--node-cidr";
			args[n++] = "203.0.113.0/24";
		}
		if (form == 2) {
			snprintf(eq, sizeof(eq), "-%c", o->short_name);
			args[n++] = eq;
		} else if (form == 1 && val) {
			snprintf(eq, sizeof(eq), "--%s=%s", o->name, val);
			args[n++] = eq;
		} else {
			snprintf(eq, sizeof(eq), "--%s", o->name);
			args[n++] = eq;
			if (val)
				args[n++] = val;
		}
		if (parse_args(n, args) != ret)
			fail_msg("tunleak %s %s%s%s: expected %d, got %s", c->name, eq,
				 val ? " " : "", val && form != 1 ? val : "", ret, err);
		if (ret != CLI_RUN)
			continue;
		assert_int_equal(cfg.cmd, c->cmd);
		switch (o->set) {
		case CLI_SET_FLAG:
			assert_true(*(bool *)at);
			break;
		case CLI_SET_TEXT:
			assert_string_equal(*(const char **)at, val);
			break;
		case CLI_SET_UINT:
			assert_int_equal(*(unsigned int *)at, strtoul(val, NULL, 10));
			break;
		case CLI_SET_LONG:
			assert_int_equal(*(long *)at, strtol(val, NULL, 10));
			break;
		case CLI_SET_SECONDS:
			assert_true(*(double *)at == strtod(val, NULL));
			break;
		case CLI_SET_CHOICE:
			for (i = 0; strcmp(o->choices[i].name, val); i++)
				;
			assert_int_equal(*(int *)at, o->choices[i].value);
			break;
		case CLI_SET_CIDR:
			assert_int_equal(cfg.nr_cidrs, c->cmd == CMD_CLEANUP ? 1 : 2);
			assert_int_equal(cfg.cidrs[cfg.nr_cidrs - 1].cls, o->cls);
			break;
		case CLI_SET_IFACE:
			assert_int_equal(*(int *)((char *)&cfg + o->count), 1);
			assert_string_equal(at, val);
			break;
		default:
			fail_msg("--%s: CLI_RUN from an option that sets %d", o->name, o->set);
		}
	}
}

static void test_every_option(void **state)
{
	const struct cli_command *c;
	const struct cli_opt *o;
	char lo[32], hi[32];
	int g, i, seen = 0;

	for (c = cli_commands; c->name; c++) {
		for (g = 0; c->groups[g]; g++) {
			for (o = c->groups[g]->opts; o->name; o++, seen++) {
				int run = c->cmd == CMD_VERSION ? CLI_VERSION : CLI_RUN;

				switch (o->set) {
				case CLI_SET_FLAG:
					expect_sets(c, o, NULL, run);
					break;
				case CLI_SET_TEXT:
					expect_sets(c, o, "x", run);
					break;
				case CLI_SET_UINT:
				case CLI_SET_LONG:
				case CLI_SET_SECONDS:
					snprintf(lo, sizeof(lo), "%.15g", o->min);
					snprintf(hi, sizeof(hi), "%.15g", o->max);
					expect_sets(c, o, lo, run);
					expect_sets(c, o, hi, run);
					break;
				case CLI_SET_CHOICE:
					for (i = 0; o->choices[i].name; i++)
						expect_sets(c, o, o->choices[i].name, run);
					break;
				case CLI_SET_CIDR:
					expect_sets(c, o, "198.51.100.0/24", run);
					break;
				case CLI_SET_IFACE:
					expect_sets(c, o, "tl9", run);
					break;
				case CLI_SET_HELP:
					expect_sets(c, o, NULL, CLI_HELP);
					break;
				case CLI_SET_VERSION:
					expect_sets(c, o, NULL, CLI_VERSION);
					break;
				default:
					fail_msg("--%s sets nothing known (%d)", o->name, o->set);
				}
			}
		}
	}
	assert_true(seen >= 28); /* trace's alone */
}

/* A default is set as if given: the table's value, through the same path */
static void test_defaults_from_table(void **state)
{
	const struct cli_command *c = command(CMD_TRACE);
	const struct cli_opt *o;
	struct config plain;
	int g, n = 0;

	for (g = 0; c->groups[g]; g++) {
		for (o = c->groups[g]->opts; o->name; o++) {
			const char *args[] = {"--node-cidr", "203.0.113.0/24", "--", o->def};
			char opt[40];

			if (!o->def)
				continue;
			assert_int_equal(parse_args(2, args), CLI_RUN);
			plain = cfg;
			plain.cidrs = NULL;
			snprintf(opt, sizeof(opt), "--%s", o->name);
			args[2] = opt;
			assert_int_equal(parse_args(4, args), CLI_RUN);
			if (memcmp((char *)&plain + o->field, (char *)&cfg + o->field,
				   o->set == CLI_SET_SECONDS ? sizeof(double) : sizeof(int)))
				fail_msg("--%s %s is not its default", o->name, o->def);
			n++;
		}
	}
	assert_int_equal(n,
			 6); /* attach, max-flows, interval, pcap-packets, snaplen, pcap-max-mb */
}

/* getopt_long() takes a unique prefix (--clus for --cluster-cidr): tunleak
 * does not, so that a typo never becomes another option. Every prefix of
 * every option that is no option itself is refused, with or without a value
 * after it. */
static void test_abbreviations(void **state)
{
	const struct cli_command *c;
	const struct cli_opt *o;
	char arg[64], want[160];
	size_t len;
	int g, tried = 0;

	assert_error("unknown option \"--clus\" (see tunleak --help)", "--clus", "10.0.0.0/8");
	assert_error("unknown option \"--clus=10.0.0.0/8\" (see tunleak --help)",
		     "--clus=10.0.0.0/8");
	assert_error("unknown option \"--cluster\" (see tunleak --help)", "--cluster",
		     "10.128.0.0/14");
	assert_error("unknown option \"--js\" (see tunleak check --help)", "check",
		     "--cluster-cidr", "10.0.0.0/8", "--js");
	assert_error("unknown option \"--pcap-\" (see tunleak --help)", "--cluster-cidr",
		     "10.0.0.0/8", "--pcap-", "1");
	/* an exact name that is the prefix of others is that option */
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--pcap", "p", NULL), CLI_RUN);
	assert_string_equal(cfg.pcap_path, "p");
	for (c = cli_commands; c->name; c++) {
		for (g = 0; c->groups[g]; g++) {
			for (o = c->groups[g]->opts; o->name; o++) {
				for (len = 1; len < strlen(o->name); len++) {
					const char *args[] = {c->name, arg, "10.0.0.0/8"};

					snprintf(arg, sizeof(arg), "--%.*s", (int)len, o->name);
					if (option_of(command(CMD_TRACE), arg + 2))
						continue; /* --pcap, of --pcap-packets */
					snprintf(want, sizeof(want),
						 "unknown option \"%s\" (see tunleak %s --help)",
						 arg, c->name);
					assert_int_equal(parse_args(2, args), CLI_ERROR);
					assert_string_equal(err, want);
					assert_int_equal(parse_args(3, args), CLI_ERROR);
					assert_string_equal(err, want);
					tried++;
				}
			}
		}
	}
	assert_true(tried > 200);
}

/* An option of another command is refused naming it, not taken as unknown */
static void test_other_commands(void **state)
{
	const struct cli_command *c, *other;
	const struct cli_opt *o;
	char arg[64], want[200];
	int g, refused = 0;

	assert_error("cleanup takes no --top: it removes stale filters and traces nothing",
		     "cleanup", "--top");
	assert_error("cleanup takes no --json: it removes stale filters and traces nothing",
		     "cleanup", "--json");
	assert_error("cleanup takes no --cluster-cidr: it removes stale filters and traces nothing",
		     "cleanup", "--cluster-cidr=10.0.0.0/8");
	assert_error("check takes no --ready-file: it audits routes and traces nothing", "check",
		     "--cluster-cidr", "10.0.0.0/8", "--ready-file", "r");
	assert_error("--metrics-addr is for trace (it serves while tracing)", "cleanup",
		     "--metrics-addr", ":1");
	for (c = cli_commands; c->name; c++) {
		for (other = cli_commands; other->name; other++) {
			for (g = 0; other->groups[g]; g++) {
				for (o = other->groups[g]->opts; o->name; o++) {
					const char *args[] = {c->name, arg, "1"};

					if (option_of(c, o->name))
						continue;
					assert_non_null(option_of(command(CMD_TRACE), o->name));
					snprintf(arg, sizeof(arg), "--%s", o->name);
					if (o->scope)
						snprintf(want, sizeof(want), "--%s %s", o->name,
							 o->scope);
					else
						snprintf(want, sizeof(want), "%s takes no --%s: %s",
							 c->name, o->name, c->refuses);
					assert_int_equal(parse_args(o->arg ? 3 : 2, args),
							 CLI_ERROR);
					assert_string_equal(err, want);
					refused++;
				}
			}
		}
	}
	assert_true(refused > 30);
}

/* getopt keeps state between calls: each parse starts afresh, also after
 * one that stopped inside "-vx" */
static void test_parse_again(void **state)
{
	assert_error("unknown option \"-x\" (see tunleak --help)", "-vx");
	assert_int_equal(parse("-v", "--cluster-cidr", "10.0.0.0/8", NULL), CLI_RUN);
	assert_true(cfg.verbose);
	assert_error("--cluster-cidr needs a value (see tunleak check --help)", "check",
		     "--cluster-cidr");
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", NULL), CLI_RUN);
	assert_false(cfg.verbose);
	assert_int_equal(cfg.cmd, CMD_TRACE);
	assert_int_equal(parse("check", "-vV", NULL), CLI_VERSION);
	assert_int_equal(parse("-v", "-h", NULL), CLI_HELP);
	/* "--" ends the options, and tunleak takes nothing after them */
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--", NULL), CLI_RUN);
	assert_error("unknown option \"--json\" (see tunleak --help)", "--cluster-cidr",
		     "10.0.0.0/8", "--", "--json");
	assert_error("--json \"yes\": expected no value (--json is a switch)", "--cluster-cidr",
		     "10.0.0.0/8", "--json=yes");
	assert_error("unknown command \"\": expected trace, check or cleanup", "");
}

static void test_ready_file(void **state)
{
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", NULL), CLI_RUN);
	assert_null(cfg.ready_file);
	assert_int_equal(
	    parse("trace", "--cluster-cidr", "10.0.0.0/8", "--ready-file", "/run/tl.ready", NULL),
	    CLI_RUN);
	assert_string_equal(cfg.ready_file, "/run/tl.ready");
	assert_error("--ready-file \"\": expected a file name", "--cluster-cidr", "10.0.0.0/8",
		     "--ready-file=");
}

static void test_export_format(void **state)
{
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--export", "c.json", NULL),
			 CLI_RUN);
	assert_int_equal(cfg.export_fmt, EXPORT_JSON);
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--export", "c.txt", NULL), CLI_RUN);
	assert_int_equal(cfg.export_fmt, EXPORT_JSON);
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--export", "c.prom",
			       "--export-format", "json", NULL),
			 CLI_RUN);
	assert_int_equal(cfg.export_fmt, EXPORT_JSON);
	assert_error("--export-format \"xml\": expected json or prom", "--cluster-cidr",
		     "10.0.0.0/8", "--export-format", "xml");
}

static void test_errors(void **state)
{
	assert_error("no CIDR given: expected at least one of --cluster-cidr, --service-cidr, "
		     "--node-cidr, --remote-cidr, --cidrs-from",
		     "--iface", "eth0");
	assert_error(
	    "--cluster-cidr \"10.128.0.1/14\": host bits are set (did you mean 10.128.0.0/14?)",
	    "--cluster-cidr", "10.128.0.1/14");
	assert_error(
	    "--service-cidr \"172.30.0.0/33\": prefix length must be 0-32 for IPv4, 0-128 for IPv6",
	    "--service-cidr", "172.30.0.0/33");
	assert_error("--node-cidr \"node\": not a CIDR (expected an IPv4 or IPv6 prefix such as "
		     "10.128.0.0/14 or fd00:10:128::/48)",
		     "--node-cidr", "node");
	/* a trailing space is no prefix length out of range: it is no CIDR */
	assert_error("--cluster-cidr \"10.0.0.0/8 \": not a CIDR (expected an IPv4 or IPv6 prefix "
		     "such as 10.128.0.0/14 or fd00:10:128::/48)",
		     "--cluster-cidr", "10.0.0.0/8 ");
	assert_error("unknown option \"--bogus\" (see tunleak --help)", "--bogus");
	assert_error("unknown option \"-x\" (see tunleak --help)", "-x");
	assert_error("unknown option \"extra\" (see tunleak --help)", "--cluster-cidr",
		     "10.0.0.0/8", "extra");
	assert_error("--cluster-cidr needs a value (see tunleak --help)", "--cluster-cidr");
	assert_error("--interval \"0\": expected seconds between 0.1 and 3600", "--cluster-cidr",
		     "10.0.0.0/8", "--interval", "0");
	assert_error("--interval \"1s\": expected seconds between 0.1 and 3600", "--cluster-cidr",
		     "10.0.0.0/8", "--interval", "1s");
	assert_error("--interval \"nan\": expected seconds between 0.1 and 3600", "--cluster-cidr",
		     "10.0.0.0/8", "--interval", "nan");
	assert_error("--duration \"-5\": expected seconds between 0.001 and 31536000",
		     "--cluster-cidr", "10.0.0.0/8", "--duration", "-5");
	assert_error("--duration \"80abc\": expected seconds between 0.001 and 31536000",
		     "--cluster-cidr", "10.0.0.0/8", "--duration", "80abc");
	/* too long: the message names the limits */
	assert_error("--duration \"1e10\": expected seconds between 0.001 and 31536000",
		     "--cluster-cidr", "10.0.0.0/8", "--duration", "1e10");
	assert_error("--duration \"31536001\": expected seconds between 0.001 and 31536000",
		     "--cluster-cidr", "10.0.0.0/8", "--duration", "31536001");
	assert_error("--pid \"0\": expected a process ID (1-4194304)", "--cluster-cidr",
		     "10.0.0.0/8", "--pid", "0");
	assert_error("--pid \"12x\": expected a process ID (1-4194304)", "--cluster-cidr",
		     "10.0.0.0/8", "--pid", "12x");
	assert_error("--attach \"xdp\": expected auto, tcx or tc", "--cluster-cidr", "10.0.0.0/8",
		     "--attach", "xdp");
	assert_error("--iface \"averyveryverylongname\": expected an interface name (1-15 "
		     "characters, no '/', ':' or space)",
		     "--cluster-cidr", "10.0.0.0/8", "--iface", "averyveryverylongname");
	assert_error(
	    "--tunnel \"\": expected an interface name (1-15 characters, no '/', ':' or space)",
	    "--cluster-cidr", "10.0.0.0/8", "--tunnel", "");
	/* an alias the kernel would resolve to tun0 is not an interface name */
	assert_error("--tunnel \"tun0:x\": expected an interface name (1-15 characters, no '/', "
		     "':' or space)",
		     "--cluster-cidr", "10.0.0.0/8", "--tunnel", "tun0:x");
	assert_error("--tunnel \"tun\\x0a0\": expected an interface name (1-15 characters, no '/', "
		     "':' or space)",
		     "--cluster-cidr", "10.0.0.0/8", "--tunnel", "tun\n0");
	assert_error(
	    "--iface \"a b\": expected an interface name (1-15 characters, no '/', ':' or space)",
	    "--cluster-cidr", "10.0.0.0/8", "--iface", "a b");
	assert_error("--netns and --pid both given: choose one namespace", "--cluster-cidr",
		     "10.0.0.0/8", "--netns", "a", "--pid", "5");
	assert_error("--remote-cidr \"10.0.0.0/8\": already given as class pod", "--cluster-cidr",
		     "10.0.0.0/8", "--remote-cidr", "10.0.0.0/8");
	assert_error("--tunnel \"eth0\": also given as --iface; an interface has one role",
		     "--cluster-cidr", "10.0.0.0/8", "--tunnel", "eth0");
	assert_error("--max-flows \"10\": expected a number of flows (64-4194304)",
		     "--cluster-cidr", "10.0.0.0/8", "--max-flows", "10");
	assert_error("--top and --json both given: choose one output", "--cluster-cidr",
		     "10.0.0.0/8", "--top", "--json");
	assert_error("--pcap-packets \"0\": expected packets per flow (1-1000)", "--cluster-cidr",
		     "10.0.0.0/8", "--pcap", "x.pcap", "--pcap-packets", "0");
	assert_error("--snaplen \"4096\": expected bytes (20-1024)", "--cluster-cidr", "10.0.0.0/8",
		     "--snaplen", "4096");
	assert_error("--pcap-max-mb \"lots\": expected megabytes (1-65536)", "--cluster-cidr",
		     "10.0.0.0/8", "--pcap-max-mb", "lots");
}

static void test_duplicates(void **state)
{
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--cluster-cidr", "10.0.0.0/8",
			       "--iface", "eth0", "--iface", "eth0", NULL),
			 CLI_RUN);
	assert_int_equal(cfg.nr_cidrs, 1);
	assert_int_equal(cfg.nr_ifaces, 1);
}

static int teardown(void **state)
{
	cli_free(&cfg);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_commands),
	    cmocka_unit_test(test_help_version),
	    cmocka_unit_test(test_export_format),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_node_mode),
	    cmocka_unit_test(test_add_cidrs),
	    cmocka_unit_test(test_seconds),
	    cmocka_unit_test(test_help_per_command),
	    cmocka_unit_test(test_help_content),
	    cmocka_unit_test(test_every_option),
	    cmocka_unit_test(test_defaults_from_table),
	    cmocka_unit_test(test_abbreviations),
	    cmocka_unit_test(test_other_commands),
	    cmocka_unit_test(test_parse_again),
	    cmocka_unit_test(test_ready_file),
	    cmocka_unit_test(test_fix),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, teardown);
}
