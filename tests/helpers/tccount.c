// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tccount IFNAME ingress|egress tcx|tc DADDR: attach the test's own counting
 * program (counter.bpf.o beside this binary) after whatever is there, print
 * "ready", and on SIGTERM print "total N matched M" and detach.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char path[PATH_MAX], *slash;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *rodata;
	unsigned int ifindex;
	__u32 daddr;
	int egress, tcx, link = -1, map_fd, prog_fd;
	__u64 total = 0, matched = 0;
	__u32 k;

	if (argc != 5 || inet_pton(AF_INET, argv[4], &daddr) != 1) {
		fprintf(stderr, "usage: tccount IFNAME ingress|egress tcx|tc DADDR\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	egress = !strcmp(argv[2], "egress");
	tcx = !strcmp(argv[3], "tcx");
	if (!ifindex) {
		fprintf(stderr, "tccount: no interface %s\n", argv[1]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s", argv[0]);
	slash = strrchr(path, '/');
	snprintf(slash ? slash + 1 : path, sizeof(path) - (slash ? slash + 1 - path : 0),
		 "counter.bpf.o");
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "tccount: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(rodata, obj)
		if (strstr(bpf_map__name(rodata), ".rodata"))
			bpf_map__set_initial_value(rodata, &daddr, sizeof(daddr));
	if (bpf_object__load(obj)) {
		fprintf(stderr, "tccount: load: %s\n", strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "count_pkts");
	prog_fd = bpf_program__fd(prog);
	map_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "seen"));
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 5, .priority = 5, .prog_fd = prog_fd);
	if (tcx) {
		/* appended: after anything already on the hook */
		link = bpf_link_create(prog_fd, ifindex, egress ? 47 : 46, NULL);
		if (link < 0) {
			fprintf(stderr, "tccount: tcx attach: %s\n", strerror(errno));
			return 1;
		}
	} else {
		bpf_tc_hook_create(&hook);
		if (bpf_tc_attach(&hook, &opts)) {
			fprintf(stderr, "tccount: tc attach: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	k = 0;
	bpf_map_lookup_elem(map_fd, &k, &total);
	k = 1;
	bpf_map_lookup_elem(map_fd, &k, &matched);
	if (tcx) {
		close(link);
	} else {
		opts.prog_fd = 0;
		opts.prog_id = 0;
		opts.flags = 0;
		bpf_tc_detach(&hook, &opts);
	}
	printf("total %llu matched %llu\n", (unsigned long long)total, (unsigned long long)matched);
	bpf_object__close(obj);
	return 0;
}
