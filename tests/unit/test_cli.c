// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "model/abi.h"
#include "config/cli.h"

static struct config cfg;
static char err[512];

static int parse(const char *first, ...)
{
	char *argv[64] = { "tunleak" };
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

#define assert_error(expect, ...)                                                  \
	do {                                                                       \
		assert_int_equal(parse(__VA_ARGS__, NULL), CLI_ERROR);             \
		if (strcmp(err, expect))                                           \
			fail_msg("error: expected \"%s\", got \"%s\"", expect, err); \
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
	assert_int_equal(parse("--all", "--cluster-cidr", "10.128.0.0/14", "--metrics-addr", ":9464",
			       NULL),
			 CLI_RUN);
	assert_true(cfg.all);
	assert_string_equal(cfg.metrics_addr, ":9464");
	assert_int_equal(parse("check", "--pod", "team-a/vpn-1", "--cidrs-from", "-", NULL), CLI_RUN);
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
	assert_error("--fix is for check and trace (it adds the fixes of route findings)", "cleanup",
		     "--fix");
	assert_error("unknown option \"--fix=yes\" (see tunleak --help)", "check", "--cluster-cidr",
		     "10.128.0.0/14", "--fix=yes");
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
	assert_int_equal(parse("trace", "--cluster-cidr", "10.128.0.0/14", "--service-cidr=172.30.0.0/16",
			       "--node-cidr", "192.0.2.0/24", "--remote-cidr", "10.0.0.0/8",
			       "--cluster-cidr", "fd00:10:128::/48", "--iface", "eth0", "--iface",
			       "eth1", "--tunnel", "tun0", "--tunnel=wg0", "--netns", "pod1",
			       "--json", "--export", "/tmp/x.prom", "--interval", "0.5",
			       "--duration", "10", "--attach", "tc", "-v", "--max-flows", "1024",
			       NULL),
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
	static const char *const bad[] = { "0x10", "0X10", "0x1p3", "inf", "INF", "infinity", "nan",
					   "1e3x", "1e3", "1E1", " 1", "1 ", "+1", "-1", ".", "",
					   "1.2.3", "1,5", "１", NULL };
	static const struct {
		const char *s;
		double v;
	} good[] = { { "1", 1 }, { "0.5", 0.5 }, { ".5", 0.5 }, { "5.", 5 }, { "3600", 3600 },
		     { "0.10", 0.1 }, { "007", 7 } };
	char msg[128];
	size_t i;

	for (i = 0; bad[i]; i++) {
		assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--interval", bad[i], NULL),
				 CLI_ERROR);
		snprintf(msg, sizeof(msg), "--interval \"%s\": expected seconds between 0.1 and 3600",
			 bad[i]);
		if (strcmp(err, msg))
			fail_msg("\"%s\": got \"%s\"", bad[i], err);
		assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--duration", bad[i], NULL),
				 CLI_ERROR);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--interval", good[i].s, NULL),
				 CLI_RUN);
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

static void test_help_version(void **state)
{
	assert_int_equal(parse("--help", NULL), CLI_HELP);
	assert_int_equal(parse("-h", NULL), CLI_HELP);
	assert_int_equal(parse("--version", NULL), CLI_VERSION);
	assert_non_null(strstr(cli_usage(), "--cluster-cidr"));
	assert_non_null(strstr(cli_usage(), "--export-format"));
}

static void test_export_format(void **state)
{
	assert_int_equal(parse("--cluster-cidr", "10.0.0.0/8", "--export", "c.json", NULL), CLI_RUN);
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
	assert_error("no CIDR given: expected at least one of --cluster-cidr, --service-cidr, --node-cidr, --remote-cidr, --cidrs-from",
		     "--iface", "eth0");
	assert_error("--cluster-cidr \"10.128.0.1/14\": host bits are set (did you mean 10.128.0.0/14?)",
		     "--cluster-cidr", "10.128.0.1/14");
	assert_error("--service-cidr \"172.30.0.0/33\": prefix length must be 0-32 for IPv4, 0-128 for IPv6",
		     "--service-cidr", "172.30.0.0/33");
	assert_error("--node-cidr \"node\": not a CIDR (expected an IPv4 or IPv6 prefix such as 10.128.0.0/14 or fd00:10:128::/48)",
		     "--node-cidr", "node");
	/* a trailing space is no prefix length out of range: it is no CIDR */
	assert_error("--cluster-cidr \"10.0.0.0/8 \": not a CIDR (expected an IPv4 or IPv6 prefix such as 10.128.0.0/14 or fd00:10:128::/48)",
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
	assert_error("--iface \"averyveryverylongname\": expected an interface name (1-15 characters, no '/', ':' or space)",
		     "--cluster-cidr", "10.0.0.0/8", "--iface", "averyveryverylongname");
	assert_error("--tunnel \"\": expected an interface name (1-15 characters, no '/', ':' or space)",
		     "--cluster-cidr", "10.0.0.0/8", "--tunnel", "");
	/* an alias the kernel would resolve to tun0 is not an interface name */
	assert_error("--tunnel \"tun0:x\": expected an interface name (1-15 characters, no '/', ':' or space)",
		     "--cluster-cidr", "10.0.0.0/8", "--tunnel", "tun0:x");
	assert_error("--tunnel \"tun\\x0a0\": expected an interface name (1-15 characters, no '/', ':' or space)",
		     "--cluster-cidr", "10.0.0.0/8", "--tunnel", "tun\n0");
	assert_error("--iface \"a b\": expected an interface name (1-15 characters, no '/', ':' or space)",
		     "--cluster-cidr", "10.0.0.0/8", "--iface", "a b");
	assert_error("--netns and --pid both given: choose one namespace", "--cluster-cidr",
		     "10.0.0.0/8", "--netns", "a", "--pid", "5");
	assert_error("--remote-cidr \"10.0.0.0/8\": already given as class pod", "--cluster-cidr",
		     "10.0.0.0/8", "--remote-cidr", "10.0.0.0/8");
	assert_error("--tunnel \"eth0\": also given as --iface; an interface has one role",
		     "--cluster-cidr", "10.0.0.0/8", "--tunnel", "eth0");
	assert_error("--max-flows \"10\": expected a number of flows (64-4194304)", "--cluster-cidr",
		     "10.0.0.0/8", "--max-flows", "10");
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
	    cmocka_unit_test(test_defaults),	  cmocka_unit_test(test_full),
	    cmocka_unit_test(test_commands),	  cmocka_unit_test(test_help_version),
	    cmocka_unit_test(test_export_format), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_duplicates),	  cmocka_unit_test(test_node_mode),
	    cmocka_unit_test(test_add_cidrs),	  cmocka_unit_test(test_seconds),
	    cmocka_unit_test(test_fix),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, teardown);
}
