// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
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

const char *cli_usage(void)
{
	return "Usage: tunleak [trace] [OPTIONS]   attach, stream leak/bypass events, keep "
	       "counters\n"
	       "       tunleak check [OPTIONS]     audit the namespace's routes (exit 1 on "
	       "findings)\n"
	       "       tunleak cleanup [OPTIONS]   remove tunleak filters left by a killed run\n"
	       "\n"
	       "Address classes (at least one for trace and check; repeatable; IPv4 or IPv6):\n"
	       "  --cluster-cidr CIDR     pod network (class pod)\n"
	       "  --service-cidr CIDR     service network (class service)\n"
	       "  --node-cidr CIDR        node/machine network (class node)\n"
	       "  --remote-cidr CIDR      networks that belong behind the tunnel (class remote)\n"
	       "  --cidrs-from FILE|-     pod and service CIDRs from OpenShift's network config\n"
	       "                          (oc get network.config.openshift.io cluster -o json)\n"
	       "\n"
	       "Where:\n"
	       "  --iface IFACE           cluster interface; repeatable (default eth0)\n"
	       "  --tunnel IFACE          tunnel interface; repeatable (default: every interface "
	       "of\n"
	       "                          a VPN's link kind: tun, tap, wireguard, ovpn, ipip, gre, "
	       "...)\n"
	       "  --netns PATH|NAME       work in this network namespace\n"
	       "                          (/proc/PID/ns/net, /run/netns/NAME or NAME)\n"
	       "  --pid PID               work in the network namespace of process PID\n"
	       "  --pod NAME              work in the network namespace of pod NAME (or NS/NAME)\n"
	       "  --all                   every pod namespace on the node with a tunnel, now and\n"
	       "                          as they come and go\n"
	       "  --attach auto|tcx|tc    tcx links (kernel >= 6.6) or clsact + cls_bpf (default "
	       "auto)\n"
	       "  --fix                   add each route finding's fix (a route or rule; never a\n"
	       "                          replacement): check, then audit again; trace, when the\n"
	       "                          route watch sees a leak route appear\n"
	       "\n"
	       "Output:\n"
	       "  --json                  events as JSON Lines on stdout\n"
	       "  --export FILE           write counters to FILE every --interval and at exit\n"
	       "  --export-format json|prom  default: prom if FILE ends in .prom, else json\n"
	       "  --interval SECONDS      refresh of table and export (default 1)\n"
	       "  --duration SECONDS      stop after this long\n"
	       "  --max-flows N           kernel leak/bypass flow table size (default 16384)\n"
	       "  --pcap FILE             first packets of every leak/bypass flow to a pcap file\n"
	       "  --pcap-packets N        packets per flow (default 5)\n"
	       "  --snaplen N             bytes per packet, from the IP header (default 256)\n"
	       "  --pcap-max-mb N         stop capturing at this file size (default 64)\n"
	       "  --top                   live table instead of the event stream\n"
	       "  --metrics-addr HOST:PORT  serve GET /metrics (Prometheus text), e.g. :9464\n"
	       "  -v, --verbose           libbpf and attach details on stderr\n"
	       "  -h, --help              this text\n"
	       "      --version           print the version\n"
	       "\n"
	       "Exit codes: 0 success, 1 check found a problem, 2 usage or environment error.\n";
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
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

static int add_cidr(struct config *cfg, const char *opt, const char *val, enum tl_class cls, char *err,
		    size_t errlen)
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
		return fail(err, errlen, "%s \"%s\": more than %d CIDRs", opt, val,
			    CLI_MAX_CIDRS);
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
	char safe[64];
	int i;

	/* As the kernel names interfaces: "tun0:x" is an alias, not one */
	if (!link_name_valid(val))
		return fail(err, errlen,
			    "%s \"%s\": expected an interface name (1-15 characters, no '/', ':' or space)",
			    opt, escape_ctl(val, safe, sizeof(safe)));
	for (i = 0; i < *nr; i++)
		if (!strcmp(list[i], val))
			return 0;
	if (*nr >= CLI_MAX_IFACES)
		return fail(err, errlen, "%s \"%s\": at most %d interfaces per role", opt, val,
			    CLI_MAX_IFACES);
	strcpy(list[(*nr)++], val);
	return 0;
}

/* Options that take a value. */
static const char *const valued[] = {
	"--cluster-cidr", "--service-cidr", "--node-cidr", "--remote-cidr", "--iface",
	"--tunnel",	  "--netns",	    "--pid",	   "--export",	    "--export-format",
	"--interval",	  "--duration",	    "--attach",	   "--max-flows",   "--pcap",
	"--pcap-packets", "--snaplen",	    "--pcap-max-mb", "--pod",	    "--cidrs-from",
	"--metrics-addr", NULL,
};

static int takes_value(const char *name)
{
	int i;

	for (i = 0; valued[i]; i++)
		if (!strcmp(valued[i], name))
			return 1;
	return 0;
}

int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	unsigned long ul;
	int i, ret, first = 1;

	memset(cfg, 0, sizeof(*cfg));
	cfg->interval = 1.0;
	cfg->max_flows = 16384;
	cfg->pcap_packets = 5;
	cfg->snaplen = 256;
	cfg->pcap_max_mb = 64;
	err[0] = '\0';

	if (argc > 1 && argv[1][0] != '-') {
		if (!strcmp(argv[1], "trace"))
			cfg->cmd = CMD_TRACE;
		else if (!strcmp(argv[1], "check"))
			cfg->cmd = CMD_CHECK;
		else if (!strcmp(argv[1], "cleanup"))
			cfg->cmd = CMD_CLEANUP;
		else
			return fail(err, errlen,
				    "unknown command \"%s\": expected trace, check or cleanup",
				    argv[1]);
		first = 2;
	}

	for (i = first; i < argc; i++) {
		char name[32];
		const char *arg = argv[i], *val = NULL, *eq;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
			return CLI_HELP;
		if (!strcmp(arg, "--version"))
			return CLI_VERSION;
		if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
			cfg->verbose = true;
			continue;
		}
		if (!strcmp(arg, "--json")) {
			cfg->json = true;
			continue;
		}
		if (!strcmp(arg, "--top")) {
			cfg->top = true;
			continue;
		}
		if (!strcmp(arg, "--all")) {
			cfg->all = true;
			continue;
		}
		if (!strcmp(arg, "--fix")) {
			cfg->fix = true;
			continue;
		}
		if (strncmp(arg, "--", 2) || strlen(arg) >= sizeof(name))
			return fail(err, errlen, "unknown option \"%s\" (see tunleak --help)",
				    arg);
		eq = strchr(arg, '=');
		if (eq) {
			memcpy(name, arg, eq - arg);
			name[eq - arg] = '\0';
			val = eq + 1;
		} else {
			strcpy(name, arg);
		}
		if (!takes_value(name))
			return fail(err, errlen, "unknown option \"%s\" (see tunleak --help)",
				    arg);
		if (!val) {
			if (i + 1 >= argc)
				return fail(err, errlen, "%s needs a value (see tunleak --help)",
					    name);
			val = argv[++i];
		}

		if (!strcmp(name, "--cluster-cidr"))
			ret = add_cidr(cfg, name, val, TL_CLASS_POD, err, errlen);
		else if (!strcmp(name, "--service-cidr"))
			ret = add_cidr(cfg, name, val, TL_CLASS_SERVICE, err, errlen);
		else if (!strcmp(name, "--node-cidr"))
			ret = add_cidr(cfg, name, val, TL_CLASS_NODE, err, errlen);
		else if (!strcmp(name, "--remote-cidr"))
			ret = add_cidr(cfg, name, val, TL_CLASS_REMOTE, err, errlen);
		else if (!strcmp(name, "--iface"))
			ret = add_iface(cfg->ifaces, &cfg->nr_ifaces, name, val, err, errlen);
		else if (!strcmp(name, "--tunnel"))
			ret = add_iface(cfg->tunnels, &cfg->nr_tunnels, name, val, err, errlen);
		else if (!strcmp(name, "--netns")) {
			if (!*val)
				return fail(err, errlen,
					    "--netns \"\": expected a namespace name or path");
			cfg->netns = val;
			ret = 0;
		} else if (!strcmp(name, "--pod")) {
			if (!*val || strlen(val) >= 128)
				return fail(err, errlen,
					    "--pod \"%s\": expected a pod name (NAME or NAMESPACE/NAME)",
					    val);
			cfg->pod = val;
			ret = 0;
		} else if (!strcmp(name, "--cidrs-from")) {
			if (!*val)
				return fail(err, errlen,
					    "--cidrs-from \"\": expected a file name, or - for stdin");
			cfg->cidrs_from = val;
			ret = 0;
		} else if (!strcmp(name, "--metrics-addr")) {
			if (!*val)
				return fail(err, errlen,
					    "--metrics-addr \"\": expected HOST:PORT, e.g. :9464");
			cfg->metrics_addr = val;
			ret = 0;
		} else if (!strcmp(name, "--pid")) {
			if (parse_ulong(val, 1, 4194304, &ul))
				return fail(err, errlen,
					    "--pid \"%s\": expected a process ID (1-4194304)",
					    val);
			cfg->pid = (long)ul;
			ret = 0;
		} else if (!strcmp(name, "--export")) {
			if (!*val)
				return fail(err, errlen, "--export \"\": expected a file name");
			cfg->export_path = val;
			ret = 0;
		} else if (!strcmp(name, "--export-format")) {
			if (!strcmp(val, "json"))
				cfg->export_fmt = EXPORT_JSON;
			else if (!strcmp(val, "prom"))
				cfg->export_fmt = EXPORT_PROM;
			else
				return fail(err, errlen,
					    "--export-format \"%s\": expected json or prom", val);
			ret = 0;
		} else if (!strcmp(name, "--interval")) {
			if (parse_seconds(val, 0.1, 3600, &cfg->interval))
				return fail(err, errlen,
					    "--interval \"%s\": expected seconds between 0.1 and 3600",
					    val);
			ret = 0;
		} else if (!strcmp(name, "--duration")) {
			if (parse_seconds(val, 0.001, 31536000, &cfg->duration))
				return fail(err, errlen,
					    "--duration \"%s\": expected seconds between 0.001 and 31536000",
					    val);
			ret = 0;
		} else if (!strcmp(name, "--attach")) {
			if (!strcmp(val, "auto"))
				cfg->attach = ATTACH_AUTO;
			else if (!strcmp(val, "tcx"))
				cfg->attach = ATTACH_TCX;
			else if (!strcmp(val, "tc"))
				cfg->attach = ATTACH_TC;
			else
				return fail(err, errlen,
					    "--attach \"%s\": expected auto, tcx or tc", val);
			ret = 0;
		} else if (!strcmp(name, "--pcap")) {
			if (!*val)
				return fail(err, errlen, "--pcap \"\": expected a file name");
			cfg->pcap_path = val;
			ret = 0;
		} else if (!strcmp(name, "--pcap-packets")) {
			if (parse_ulong(val, 1, 1000, &ul))
				return fail(err, errlen,
					    "--pcap-packets \"%s\": expected packets per flow (1-1000)",
					    val);
			cfg->pcap_packets = ul;
			ret = 0;
		} else if (!strcmp(name, "--snaplen")) {
			if (parse_ulong(val, 20, TL_SNAP_MAX, &ul))
				return fail(err, errlen, "--snaplen \"%s\": expected bytes (20-%d)", val,
					    TL_SNAP_MAX);
			cfg->snaplen = ul;
			ret = 0;
		} else if (!strcmp(name, "--pcap-max-mb")) {
			if (parse_ulong(val, 1, 65536, &ul))
				return fail(err, errlen,
					    "--pcap-max-mb \"%s\": expected megabytes (1-65536)", val);
			cfg->pcap_max_mb = ul;
			ret = 0;
		} else { /* --max-flows */
			if (parse_ulong(val, 64, 1 << 22, &ul))
				return fail(err, errlen,
					    "--max-flows \"%s\": expected a number of flows (64-4194304)",
					    val);
			cfg->max_flows = ul;
			ret = 0;
		}
		if (ret)
			return ret;
	}

	{
		const char *given[4];
		int n = 0;

		if (cfg->netns)
			given[n++] = "--netns";
		if (cfg->pid)
			given[n++] = "--pid";
		if (cfg->pod)
			given[n++] = "--pod";
		if (cfg->all)
			given[n++] = "--all";
		if (n > 1)
			return fail(err, errlen, "%s and %s both given: choose one namespace",
				    given[0], given[1]);
	}
	if (cfg->cmd != CMD_CLEANUP && cfg->nr_cidrs == 0 && !cfg->cidrs_from)
		return fail(err, errlen,
			    "no CIDR given: expected at least one of --cluster-cidr, --service-cidr, --node-cidr, --remote-cidr, --cidrs-from");
	if (cfg->cmd != CMD_TRACE && cfg->metrics_addr)
		return fail(err, errlen, "--metrics-addr is for trace (it serves while tracing)");
	if (cfg->cmd == CMD_CLEANUP && (cfg->json || cfg->top || cfg->export_path || cfg->pcap_path))
		return fail(err, errlen, "cleanup takes no output options");
	if (cfg->cmd == CMD_CHECK && (cfg->top || cfg->export_path || cfg->pcap_path))
		return fail(err, errlen, "check takes no %s: it audits routes and traces nothing",
			    cfg->top ? "--top" : cfg->export_path ? "--export" : "--pcap");
	if (cfg->top && cfg->json)
		return fail(err, errlen, "--top and --json both given: choose one output");
	if (cfg->fix && cfg->cmd == CMD_CLEANUP)
		return fail(err, errlen, "--fix is for check and trace (it adds the fixes of route findings)");
	/* No --tunnel: every interface of a VPN's link kind is a tunnel */
	if (cfg->cmd != CMD_CLEANUP && !cfg->nr_ifaces)
		strcpy(cfg->ifaces[cfg->nr_ifaces++], "eth0");
	for (i = 0; i < cfg->nr_tunnels; i++) {
		int j;

		for (j = 0; j < cfg->nr_ifaces; j++)
			if (!strcmp(cfg->tunnels[i], cfg->ifaces[j]))
				return fail(err, errlen,
					    "--tunnel \"%s\": also given as --iface; an interface has one role",
					    cfg->tunnels[i]);
	}
	if (cfg->export_path && cfg->export_fmt == EXPORT_AUTO) {
		size_t n = strlen(cfg->export_path);

		cfg->export_fmt = n > 5 && !strcmp(cfg->export_path + n - 5, ".prom") ?
					  EXPORT_PROM :
					  EXPORT_JSON;
	}
	return CLI_RUN;
}

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
