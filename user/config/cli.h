/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The command line (README.md, "Usage"), parsed into a struct config. Plain C. */
#ifndef TL_CLI_H
#define TL_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "model/cidr.h"

#define CLI_MAX_IFACES 16 /* per role; both roles together fit TL_MAX_SLOTS */
#define CLI_MAX_CIDRS 8191 /* 2n+1 address ranges must fit TL_MAX_RANGES */
#define CLI_IFNAMSIZ 16

enum cli_cmd {
	CMD_TRACE = 0,
	CMD_CHECK,
	CMD_CLEANUP,
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
	struct class_cidr *cidrs; /* owned; cli_free() */
	int nr_cidrs;
	char ifaces[CLI_MAX_IFACES][CLI_IFNAMSIZ];
	int nr_ifaces; /* 0: the default, eth0 */
	char tunnels[CLI_MAX_IFACES][CLI_IFNAMSIZ];
	int nr_tunnels; /* 0: the default, tun0 */
	const char *netns;
	long pid; /* 0: not given */
	const char *pod; /* --pod NAME or NAMESPACE/NAME */
	bool all; /* --all: every pod namespace with a tunnel */
	bool fix; /* --fix (check): add each finding's fix, audit again */
	const char *cidrs_from; /* --cidrs-from FILE or "-" (read by the caller) */
	const char *metrics_addr; /* --metrics-addr HOST:PORT */
	bool json;
	bool top;
	bool verbose;
	const char *export_path;
	enum export_fmt export_fmt;
	double interval; /* seconds */
	double duration; /* seconds; 0: until a signal */
	enum attach_mode attach;
	unsigned int max_flows; /* kernel flow table entries */
	const char *pcap_path; /* --pcap */
	unsigned int pcap_packets; /* first packets per flow */
	unsigned int snaplen;
	unsigned int pcap_max_mb;
};

enum cli_result {
	CLI_RUN = 0, /* cfg is ready */
	CLI_HELP = 1, /* print cli_usage() to stdout, exit 0 */
	CLI_VERSION = 2, /* print the version, exit 0 */
	CLI_ERROR = -1, /* err holds one line (no newline); exit 2 */
};

/* Parse argv (argv[0] is the program). Pure: never prints, never exits. */
int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);
void cli_free(struct config *cfg);
/* Add CIDRs read from elsewhere (--cidrs-from), with the same checks as the
 * options: a CIDR given twice with one class is kept once, with two classes
 * is an error naming `from`. 0, or CLI_ERROR with one line in err. */
int cli_add_cidrs(struct config *cfg, const struct class_cidr *list, int n, const char *from,
		  char *err, size_t errlen);
const char *cli_usage(void);

#endif
