// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every option of every command, each named once: its name, value, help,
 * default, what it sets and what it accepts. cli.c parses argv with them
 * (getopt_long) and writes each command's --help from them.
 */
#include <stddef.h>

#include "config/cli.h"

/* --- the tables ------------------------------------------------------------ */

#define F(x) offsetof(struct config, x)

static const struct cli_choice attach_modes[] = {
    {"auto", ATTACH_AUTO},
    {"tcx", ATTACH_TCX},
    {"tc", ATTACH_TC},
    {0},
};
static const struct cli_choice export_formats[] = {
    {"json", EXPORT_JSON},
    {"prom", EXPORT_PROM},
    {0},
};
_Static_assert(sizeof(enum attach_mode) == sizeof(int) && sizeof(enum export_fmt) == sizeof(int),
	       "CLI_SET_CHOICE writes an int");

const struct cli_group cli_group_classes = {
    "Address classes (at least one; repeatable; IPv4 or IPv6):",
    (const struct cli_opt[]){
	{"cluster-cidr", 0, "CIDR", "pod network (class pod)", .set = CLI_SET_CIDR,
	 .cls = TL_CLASS_POD},
	{"service-cidr", 0, "CIDR", "service network (class service)", .set = CLI_SET_CIDR,
	 .cls = TL_CLASS_SERVICE},
	{"node-cidr", 0, "CIDR", "node/machine network (class node)", .set = CLI_SET_CIDR,
	 .cls = TL_CLASS_NODE},
	{"remote-cidr", 0, "CIDR", "networks that belong behind the tunnel (class remote)",
	 .set = CLI_SET_CIDR, .cls = TL_CLASS_REMOTE},
	{"cidrs-from", 0, "FILE|-",
	 "pod and service CIDRs from OpenShift's network config\n"
	 "(oc get network.config.openshift.io cluster -o json)",
	 .set = CLI_SET_TEXT, .field = F(cidrs_from), .expect = "a file name, or - for stdin"},
	{0},
    },
};

static const struct cli_group interfaces = {
    "Interfaces:",
    (const struct cli_opt[]){
	{"iface", 0, "IFACE",
	 "cluster interface; repeatable (default eth0;\n"
	 "cleanup: every interface)",
	 .set = CLI_SET_IFACE, .field = F(ifaces), .count = F(nr_ifaces)},
	{"tunnel", 0, "IFACE",
	 "tunnel interface; repeatable (default: every interface\n"
	 "of a VPN's link kind: tun, tap, wireguard, ovpn, ipip,\n"
	 "gre, ...; cleanup: every interface)",
	 .set = CLI_SET_IFACE, .field = F(tunnels), .count = F(nr_tunnels)},
	{0},
    },
};

const struct cli_group cli_group_namespace = {
    "Network namespace (default: the one tunleak runs in):",
    (const struct cli_opt[]){
	{"netns", 0, "PATH|NAME",
	 "this network namespace\n"
	 "(/proc/PID/ns/net, /run/netns/NAME or NAME)",
	 .set = CLI_SET_TEXT, .field = F(netns), .expect = "a namespace name or path"},
	{"pid", 0, "PID", "the network namespace of process PID", .set = CLI_SET_LONG,
	 .field = F(pid), .min = 1, .max = 4194304, .expect = "a process ID"},
	{0},
    },
};

const struct cli_group cli_group_pods = {
    "Pods of this node (instead of a namespace above):",
    (const struct cli_opt[]){
	{"pod", 0, "NAME", "the network namespace of pod NAME (or NAMESPACE/NAME)",
	 .set = CLI_SET_TEXT, .field = F(pod), .max = 127,
	 .expect = "a pod name (NAME or NAMESPACE/NAME)"},
	{"all", 0, NULL,
	 "every pod namespace of the node that has a tunnel\n"
	 "(cleanup: every one); trace: also as they come and go",
	 .set = CLI_SET_FLAG, .field = F(all)},
	{0},
    },
};

static const struct cli_group output = {
    "Output:",
    (const struct cli_opt[]){
	{"json", 0, NULL, "events (check: findings) as JSON Lines on stdout", .set = CLI_SET_FLAG,
	 .field = F(json)},
	{0},
    },
};

static const struct cli_group fixing = {
    "Routes:",
    (const struct cli_opt[]){
	{"fix", 0, NULL,
	 "add each route finding's fix (a route or rule, never\n"
	 "a replacement): check, then audits again; trace,\n"
	 "as its route watch sees a leak route appear",
	 .set = CLI_SET_FLAG, .field = F(fix)},
	{0},
    },
};

static const struct cli_group tracing = {
    "Tracing:",
    (const struct cli_opt[]){
	{"attach", 0, "auto|tcx|tc", "tcx (kernel >= 6.6) or clsact + cls_bpf", .def = "auto",
	 .set = CLI_SET_CHOICE, .field = F(attach), .choices = attach_modes},
	{"max-flows", 0, "N", "size of the kernel's flow table", .def = "16384",
	 .set = CLI_SET_UINT, .field = F(max_flows), .min = 64, .max = 4194304,
	 .expect = "a number of flows"},
	{"duration", 0, "SECONDS", "stop after this long (as on SIGTERM)", .set = CLI_SET_SECONDS,
	 .field = F(duration), .min = 0.001, .max = 31536000},
	{"ready-file", 0, "FILE",
	 "create FILE once attached (for scripts that wait for\n"
	 "tunleak)",
	 .set = CLI_SET_TEXT, .field = F(ready_file), .expect = "a file name"},
	{0},
    },
};

static const struct cli_group counters = {
    "Live table and counters:",
    (const struct cli_opt[]){
	{"top", 0, NULL, "live table on the terminal instead of the event stream",
	 .set = CLI_SET_FLAG, .field = F(top)},
	{"export", 0, "FILE", "write counters to FILE every --interval and at exit",
	 .set = CLI_SET_TEXT, .field = F(export_path), .expect = "a file name"},
	{"export-format", 0, "json|prom", "default: prom if FILE ends in .prom, else json",
	 .set = CLI_SET_CHOICE, .field = F(export_fmt), .choices = export_formats},
	{"metrics-addr", 0, "HOST:PORT", "serve GET /metrics (Prometheus text), e.g. :9464",
	 .set = CLI_SET_TEXT, .field = F(metrics_addr), .expect = "HOST:PORT, e.g. :9464",
	 .scope = "is for trace (it serves while tracing)"},
	{"interval", 0, "SECONDS", "refresh of table, export and metrics", .def = "1",
	 .set = CLI_SET_SECONDS, .field = F(interval), .min = 0.1, .max = 3600},
	{0},
    },
};

static const struct cli_group capture = {
    "Capture:",
    (const struct cli_opt[]){
	{"pcap", 0, "FILE", "first packets of every leak/bypass flow to a pcap file",
	 .set = CLI_SET_TEXT, .field = F(pcap_path), .expect = "a file name"},
	{"pcap-packets", 0, "N", "packets per flow", .def = "5", .set = CLI_SET_UINT,
	 .field = F(pcap_packets), .min = 1, .max = 1000, .expect = "packets per flow"},
	{"snaplen", 0, "N", "bytes per packet, from the IP header", .def = "256",
	 .set = CLI_SET_UINT, .field = F(snaplen), .min = 20, .max = TL_SNAP_MAX,
	 .expect = "bytes"},
	{"pcap-max-mb", 0, "N", "stop capturing at this file size", .def = "64",
	 .set = CLI_SET_UINT, .field = F(pcap_max_mb), .min = 1, .max = 65536,
	 .expect = "megabytes"},
	{0},
    },
};

static const struct cli_group general = {
    "General:",
    (const struct cli_opt[]){
	{"verbose", 'v', NULL, "libbpf and attach details on stderr", .set = CLI_SET_FLAG,
	 .field = F(verbose)},
	{"help", 'h', NULL, "this text", .set = CLI_SET_HELP},
	{"version", 'V', NULL, "print the version", .set = CLI_SET_VERSION},
	{0},
    },
};

const struct cli_command cli_commands[] = {
    {"trace", CMD_TRACE, "attach, stream leak/bypass events, keep counters (the default)",
     "Attach to the cluster and tunnel interfaces, stream leak and bypass events,\n"
     "keep counters.",
     NULL,
     (const struct cli_group *const[]){&cli_group_classes, &interfaces, &cli_group_namespace,
				       &cli_group_pods, &output, &fixing, &tracing, &counters,
				       &capture, &general, NULL}},
    {"check", CMD_CHECK, "audit the routes (exit 1 on findings)",
     "Audit the routes of the namespace: exit 1 if a cluster CIDR routes into a\n"
     "tunnel or a remote CIDR does not. Attaches nothing.",
     "it audits routes and traces nothing",
     (const struct cli_group *const[]){&cli_group_classes, &interfaces, &cli_group_namespace,
				       &cli_group_pods, &output, &fixing, &general, NULL}},
    {"cleanup", CMD_CLEANUP, "remove tunleak filters left behind by a killed run",
     "Remove the tc filters a killed run left behind (never a live run's), and the\n"
     "clsact qdiscs it created once they are empty: in one namespace, or with --all\n"
     "in every pod namespace of the node; on every interface, or on those of\n"
     "--iface and --tunnel.",
     "it removes stale filters and traces nothing",
     (const struct cli_group *const[]){&interfaces, &cli_group_namespace, &cli_group_pods, &general,
				       NULL}},
    {"version", CMD_VERSION, "print the version (also --version, -V)", "Print the version.",
     "it prints the version", (const struct cli_group *const[]){&general, NULL}},
    {0},
};

/* --- values ---------------------------------------------------------------- */

/* One line, whatever the values in it hold: a newline or an escape sequence
 * given as a value is shown as \x0a, \x1b. */
