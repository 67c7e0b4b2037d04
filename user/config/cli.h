/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command line (README.md, "Usage"), parsed into a struct config. Plain C.
 * Each command has one table of options, made of groups that commands share;
 * each option is written once, in one group, with its name, its value, its
 * help and what it sets. cli_parse() hands that table to getopt_long() and
 * cli_help() prints it.
 */
#ifndef TL_CLI_H
#define TL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model/cidr.h"

#define CLI_MAX_IFACES 16   /* per role; both roles together fit TL_MAX_SLOTS */
#define CLI_MAX_CIDRS  8191 /* 2n+1 address ranges must fit TL_MAX_RANGES */
#define CLI_IFNAMSIZ   16
#define CLI_MAX_OPTS   64 /* options of one command (its groups together) */

enum cli_cmd {
	CMD_TRACE = 0,
	CMD_CHECK,
	CMD_CLEANUP,
	CMD_VERSION, /* cli_parse() says CLI_VERSION: nothing runs */
};

enum attach_mode {
	ATTACH_AUTO = 0,
	ATTACH_TCX,
	ATTACH_TC,
};

enum export_fmt {
	EXPORT_AUTO = 0,
	EXPORT_JSON,
	EXPORT_PROM,
};

struct config {
	enum cli_cmd cmd;
	bool no_command;	  /* none given: trace, and --help is the overview */
	struct class_cidr *cidrs; /* owned; cli_free() */
	int nr_cidrs;
	char ifaces[CLI_MAX_IFACES][CLI_IFNAMSIZ];
	int nr_ifaces; /* 0: the default, eth0 */
	char tunnels[CLI_MAX_IFACES][CLI_IFNAMSIZ];
	int nr_tunnels; /* 0: the default, tun0 */
	const char *netns;
	long pid;	 /* 0: not given */
	const char *pod; /* --pod NAME or NAMESPACE/NAME */
	bool all;	 /* --all: every pod namespace with a tunnel */
	bool fix; /* --fix: check adds each finding's fix and audits again; trace adds new leaks' */
	const char *cidrs_from;	  /* --cidrs-from FILE or "-" (read by the caller) */
	const char *metrics_addr; /* --metrics-addr HOST:PORT */
	bool json;
	bool top;
	bool verbose;
	const char *export_path;
	enum export_fmt export_fmt;
	double interval; /* seconds */
	double duration; /* seconds; 0: until a signal */
	enum attach_mode attach;
	unsigned int max_flows;	   /* kernel flow table entries */
	const char *pcap_path;	   /* --pcap */
	unsigned int pcap_packets; /* first packets per flow */
	unsigned int snaplen;
	unsigned int pcap_max_mb;
	const char *ready_file; /* --ready-file: created once attached */
};

enum cli_result {
	CLI_RUN = 0,	 /* cfg is ready */
	CLI_HELP = 1,	 /* print cli_help(cfg) to stdout, exit 0 */
	CLI_VERSION = 2, /* print the version, exit 0 */
	CLI_ERROR = -1,	 /* err holds one line (no newline); exit 2 */
};

/* Parse argv (argv[0] is the program): [COMMAND] [OPTIONS]; no COMMAND is
 * trace. Pure: never prints, never exits; getopt's state is reset, so it can
 * run again. */
int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);
void cli_free(struct config *cfg);
/* Add CIDRs read from elsewhere (--cidrs-from), with the same checks as the
 * options: a CIDR given twice with one class is kept once, with two classes
 * is an error naming `from`. 0, or CLI_ERROR with one line in err. */
int cli_add_cidrs(struct config *cfg, const struct class_cidr *list, int n, const char *from,
		  char *err, size_t errlen);
/* The help that CLI_HELP asks for: cfg->cmd's options, or with no command
 * the commands and the options several share. */
void cli_help(FILE *f, const struct config *cfg);

/* The tables (cli.c), for cli_help() and for tests. */
enum cli_set {			 /* what an option sets, at field of struct config */
	       CLI_SET_FLAG = 1, /* bool: true */
	       CLI_SET_TEXT,	 /* const char *: the value, 1 to max characters (max 0: any) */
	       CLI_SET_UINT,	 /* unsigned int: a decimal number from min to max */
	       CLI_SET_LONG,	 /* long: likewise */
	       CLI_SET_SECONDS,	 /* double: decimal seconds from min to max */
	       CLI_SET_CHOICE,	 /* an enum: the value of the choice named */
	       CLI_SET_CIDR,	 /* adds a CIDR of class cls to cidrs */
	       CLI_SET_IFACE,	/* adds an interface name to the array at field, counted at count */
	       CLI_SET_HELP,	/* cli_parse() says CLI_HELP */
	       CLI_SET_VERSION, /* cli_parse() says CLI_VERSION */
};

struct cli_choice {
	const char *name;
	int value;
};

struct cli_opt {
	const char *name; /* --NAME; the only place the name is written */
	char short_name;  /* -C as well, or 0 */
	const char *arg;  /* the value's name in the help (CIDR, FILE); NULL: a switch */
	const char *help; /* '\n' starts another line */
	const char *def;  /* the default: set as if given, shown in the help; or NULL */
	enum cli_set set;
	size_t field, count; /* offsetof(struct config, ...) */
	double min, max;
	const char *expect;		  /* a bad value: --NAME "VALUE": expected EXPECT */
	const struct cli_choice *choices; /* ends with { 0 } */
	enum tl_class cls;
	const char *scope; /* given to a command without it: "--NAME SCOPE"; NULL:
			    * "COMMAND takes no --NAME: " and the command's reason */
};

struct cli_group {
	const char *title;
	const struct cli_opt *opts; /* ends with { 0 } */
};

struct cli_command {
	const char *name;
	enum cli_cmd cmd;
	const char *summary;		       /* its line in the overview */
	const char *about;		       /* the first lines of its --help */
	const char *refuses;		       /* why it takes no option of another command */
	const struct cli_group *const *groups; /* ends with NULL */
};

extern const struct cli_command cli_commands[]; /* ends with { 0 } (options.c) */
/* The groups whose options the parser looks at together. */
extern const struct cli_group cli_group_classes, cli_group_namespace, cli_group_pods;

#endif
